// Sustained rate of `ndr-sensor live` with the full pipeline (issue 6, acceptance 2).
// As root, after `npm run build`:
//   python3 ../shared/bench/genbench.py --packets 1000000 --seed 1 --out /tmp/ndr-bench/bench-1m.pcap
//   node bench/live-pipeline.mjs /tmp/ndr-bench/bench-1m.pcap [rates=100000,200000,300000,topspeed] [limit=1000000] [workers=1] [bufferMb=64]
// For each offered rate: a fresh namespace pair with a veth, `bin/ndr-sensor live` capturing one end
// (flows and events to /dev/null: dispatch, flow tables and protocol parsers all run), tcpreplay
// (file preloaded: -K) sending into the other end. After the send, waits until every packet is
// accounted for (captured + kernel drops = sent) and the workers are idle, then reads /metrics:
// captured packets/s, kernel drops, capture stalls (workers behind), worker busy ratio, batch
// latency, and the sensor's CPU time. BENCH_NICE=-5 runs the sensor at the unit's priority;
// BENCH_ARGS adds live flags (e.g. "--alerts-out /dev/null" runs the analytics stage).
// Metrics stay on (they are part of the product); bench/live-metrics-overhead.mjs measures their cost.
import { execFileSync, spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const [pcap, ratesArg = '100000,200000,300000,topspeed', limit = '1000000', workers = '1', bufferMb = '64'] = process.argv.slice(2);
if (!pcap) throw new Error('usage: node bench/live-pipeline.mjs FILE.pcap [rates] [limit] [workers] [bufferMb]');
const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const BIN = path.join(root, 'bin', 'ndr-sensor');
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function scrape(ns, port) {
  const js = `fetch('http://127.0.0.1:${port}/metrics').then(r => r.text()).then(t => process.stdout.write(t))`;
  const text = sh('ip', ['netns', 'exec', ns, process.execPath, '-e', js]);
  const v = (name, labels = '') => {
    const m = new RegExp(`^${name}${labels ? `\\{[^}]*${labels}[^}]*\\}` : '(?:\\{[^}]*\\})?'} ([0-9.e+-]+)$`, 'm').exec(text);
    return m ? Number(m[1]) : NaN;
  };
  return v;
}

function cpuSeconds(pid) {
  const f = sh('cat', [`/proc/${pid}/stat`]).split(') ')[1].split(' ');
  return (Number(f[11]) + Number(f[12])) / 100; // utime + stime, clock ticks (100/s)
}

async function measure(rate) {
  const tx = `ndrbtx${process.pid}`;
  const rx = `ndrbrx${process.pid}`;
  for (const ns of [tx, rx]) {
    sh('ip', ['netns', 'add', ns]);
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
  }
  try {
    sh('ip', ['link', 'add', 'bpt0', 'netns', tx, 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'bpr0', 'netns', rx, 'mtu', '9000']);
    sh('ip', ['-n', tx, 'link', 'set', 'bpt0', 'up']);
    sh('ip', ['-n', rx, 'link', 'set', 'bpr0', 'up']);
    // BENCH_NICE=-5: the sensor at the priority deploy/ndr-sensor.service gives it (Nice=-5).
    const nice = process.env.BENCH_NICE ? ['nice', '-n', process.env.BENCH_NICE] : [];
    const sensor = spawn('ip', ['netns', 'exec', rx, ...nice, BIN, 'live', '--interface', 'bpr0', '--workers', workers, '--buffer-mb', bufferMb,
      '--flows-out', '/dev/null', '--events-out', '/dev/null', '--metrics-port', '0', '--metrics-host', '127.0.0.1',
      ...(process.env.BENCH_ARGS ? process.env.BENCH_ARGS.split(' ') : [])], { stdio: ['ignore', 'ignore', 'pipe'] });
    const logs = [];
    readline.createInterface({ input: sensor.stderr }).on('line', (l) => { try { logs.push(JSON.parse(l)); } catch { /* not JSON */ } });
    let port;
    for (let i = 0; i < 100 && port === undefined; i++) {
      await sleep(100);
      port = logs.find((l) => l.msg === 'live sensor running')?.metrics_port;
    }
    if (port === undefined) throw new Error('sensor did not start');
    const cpu0 = cpuSeconds(sensor.pid);
    const speed = rate === 'topspeed' ? ['--topspeed'] : [`--pps=${rate}`];
    const out = sh('ip', ['netns', 'exec', tx, 'tcpreplay', '-K', '-q', '-i', 'bpt0', `--limit=${limit}`, ...speed, pcap]);
    const sent = Number(/Actual: (\d+) packets/.exec(out)[1]);
    const secs = Number(/packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(out)[1]);
    let v;
    for (let i = 0; i < 300; i++) {
      v = scrape(rx, port);
      if (v('ndr_capture_packets_total') + v('ndr_capture_kernel_drops_total') === sent && v('ndr_worker_queue_batches') === 0) break;
      await sleep(200);
    }
    const cpu = cpuSeconds(sensor.pid) - cpu0;
    const r = {
      offered: rate, sent, secs, sentPps: Math.round(sent / secs),
      captured: v('ndr_capture_packets_total'), drops: v('ndr_capture_kernel_drops_total'), stalls: v('ndr_capture_stalls_total'),
      flows: v('ndr_flows_total'), latCount: v('ndr_batch_latency_seconds_count'), latSum: v('ndr_batch_latency_seconds_sum'),
      lat1s: v('ndr_batch_latency_seconds_bucket', 'le="1"'), cpu,
    };
    sensor.kill('SIGTERM');
    await new Promise((res) => sensor.once('exit', res));
    return r;
  } finally {
    for (const ns of [tx, rx]) sh('ip', ['netns', 'del', ns]);
  }
}

console.log(`file ${pcap}, ${limit} packets per run, ${workers} worker(s), kernel buffer ${bufferMb} MiB, nice ${process.env.BENCH_NICE ?? 0}, extra args "${process.env.BENCH_ARGS ?? ''}", load ${sh('cat', ['/proc/loadavg']).split(' ').slice(0, 3).join(' ')}`);
for (const rate of ratesArg.split(',')) {
  const r = await measure(rate);
  console.log(
    `${String(r.offered).padStart(9)} offered | sent ${r.sent} in ${r.secs.toFixed(2)} s = ${r.sentPps} pps | captured ${r.captured} (${Math.round(r.captured / r.secs)} pps) | ` +
    `kernel drops ${r.drops} (${((100 * r.drops) / r.sent).toFixed(2)} %) | stalls ${r.stalls} | flows ${r.flows} | batch latency mean ${((1000 * r.latSum) / r.latCount).toFixed(1)} ms, ` +
    `${((100 * r.lat1s) / r.latCount).toFixed(1)} % < 1 s | sensor CPU ${r.cpu.toFixed(1)} s (${((100 * r.cpu) / r.secs).toFixed(0)} % of a core while sending)`,
  );
}
