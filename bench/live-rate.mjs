// Sustained live-capture rate through the project's libpcap binding (issue 6, acceptance 2).
// As root, after `npm run build`:
//   python3 ../shared/bench/genbench.py --packets 1000000 --seed 1 --out /tmp/bench-1m.pcap
//   node bench/live-rate.mjs /tmp/bench-1m.pcap [rates=100000,200000,300000,topspeed] [bufferMb=64] [limit=1000000]
// For each offered rate: a fresh namespace with a veth pair, a capture child on one end counting
// packets (minimal JS loop), tcpreplay (file preloaded: -K) on the other end; reports captured packets, kernel drops
// (pcap_stats), the capture process's CPU time, and whether every sent packet is accounted for.
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import path from 'node:path';
import readline from 'node:readline';

const [pcap, ratesArg = '100000,200000,300000,topspeed', bufferMb = '64', limit = '1000000'] = process.argv.slice(2);
if (!pcap) throw new Error('usage: node bench/live-rate.mjs FILE.pcap [rates] [bufferMb] [limit]');
const here = path.dirname(new URL(import.meta.url).pathname);
const sh = (cmd, args) => execFileSync(cmd, args, { encoding: 'utf8' });

async function measure(rate) {
  const ns = `ndrbench${process.pid}`;
  sh('ip', ['netns', 'add', ns]);
  try {
    sh('ip', ['netns', 'exec', ns, 'sysctl', '-q', '-w', 'net.ipv6.conf.all.disable_ipv6=1', 'net.ipv6.conf.default.disable_ipv6=1']);
    sh('ip', ['-n', ns, 'link', 'add', 'bt0', 'mtu', '9000', 'type', 'veth', 'peer', 'name', 'bt1', 'mtu', '9000']);
    sh('ip', ['-n', ns, 'link', 'set', 'bt0', 'up']);
    sh('ip', ['-n', ns, 'link', 'set', 'bt1', 'up']);
    // BENCH_NICE=-10: run the capture at a higher priority than the senders (starvation check).
    const nice = process.env.BENCH_NICE ? ['nice', '-n', process.env.BENCH_NICE] : [];
    const child = spawn('ip', ['netns', 'exec', ns, ...nice, process.execPath, path.join(here, 'live-child.mjs'), 'bt1', bufferMb, '0'], { stdio: ['pipe', 'pipe', 'inherit'] });
    const lines = readline.createInterface({ input: child.stdout });
    const next = () => new Promise((r) => lines.once('line', r));
    await next(); // ready
    // "topspeedxN": N tcpreplay processes at once (one sender cannot saturate the capture).
    const senders = /^topspeedx(\d+)$/.exec(rate) ? Number(/x(\d+)$/.exec(rate)[1]) : 1;
    const speed = rate.startsWith('topspeed') ? ['--topspeed'] : [`--pps=${rate}`];
    const run1 = () => promisify(execFile)('ip', ['netns', 'exec', ns, 'tcpreplay', '-K', '-i', 'bt0', `--limit=${limit}`, ...speed, pcap], { encoding: 'utf8' });
    const outs = await Promise.all(Array.from({ length: senders }, run1));
    let sent = 0;
    let secs = 0;
    for (const { stdout: out } of outs) {
      sent += Number(/Actual: (\d+) packets/.exec(out)[1]);
      secs = Math.max(secs, Number(/packets \(\d+ bytes\) sent in ([\d.]+) seconds/.exec(out)[1]));
    }
    await new Promise((r) => setTimeout(r, 500));
    child.stdin.write('STOP\n');
    const res = JSON.parse(await next());
    return { offered: rate, sent, secs, sentPps: Math.round(sent / secs), ...res, capturedPps: Math.round(res.packets / secs), accounted: res.packets + res.kernelDrops === sent };
  } finally {
    sh('ip', ['netns', 'del', ns]);
  }
}

console.log(`file ${pcap}, kernel buffer ${bufferMb} MiB, ${limit} packets per run`);
for (const rate of ratesArg.split(',')) {
  const r = await measure(rate);
  console.log(
    `${String(r.offered).padStart(9)} offered | sent ${r.sent} in ${r.secs.toFixed(2)} s = ${r.sentPps} pps | captured ${r.packets} (${r.capturedPps} pps) | kernel drops ${r.kernelDrops} | batches ${r.batches} (avg ${(r.packets / r.batches).toFixed(0)} pkts) | capture CPU ${(r.cpuMs / 1000).toFixed(2)} s (${((r.cpuMs / 10) / r.secs).toFixed(0)}% of a core) | GCs ${r.gcs} (${r.gcMs} ms) | all accounted: ${r.accounted}`,
  );
}
