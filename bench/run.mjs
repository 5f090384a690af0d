#!/usr/bin/env node
// `npm run bench`: end-to-end replay speed as a ratio to `tcpdump -r F -w /dev/null` timed in the
// same run on the same file, flow counts against the generator's ground truth, and peak RSS —
// in three modes: `flows` (packet path only: protocols.enabled false), `protocols` (the default
// configuration: flows + protocol metadata) and `analytics` (also the detections, --alerts-out).
// A benchmark, not a test: it prints figures, it asserts nothing.
//
// Captures come from ../shared/bench/genbench.py (generated once into $NDR_BENCH_DIR, default
// /tmp/ndr-bench). Usage: npm run bench [-- --sizes 1m,5m --runs 3 --workers N --modes flows,protocols,analytics]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { loadavg } from 'node:os';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '1m,5m' },
    runs: { type: 'string', default: '3' },
    workers: { type: 'string' },
    modes: { type: 'string', default: 'flows,protocols,analytics' },
    dir: { type: 'string', default: process.env.NDR_BENCH_DIR ?? '/tmp/ndr-bench' },
  },
});
const runs = Number(values.runs);
const SIZES = { '100k': 100_000, '1m': 1_000_000, '5m': 5_000_000 };
const genbench = resolve(repo, '..', 'shared', 'bench', 'genbench.py');

function capture(size) {
  const file = join(values.dir, `bench-${size}.pcap`);
  if (!existsSync(file) || !existsSync(`${file}.json`)) {
    mkdirSync(values.dir, { recursive: true });
    console.error(`generating ${file} …`);
    const r = spawnSync('python3', [genbench, '--packets', String(SIZES[size]), '--seed', '1', '--out', file], { stdio: 'inherit' });
    if (r.status !== 0) throw new Error('genbench failed');
  }
  return file;
}

function timed(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', cmd, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const s = (performance.now() - t0) / 1000;
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  const rss = Number((r.stderr.match(/MAXRSS (\d+)/) ?? [])[1] ?? -1);
  return { s, rssMiB: rss / 1024, stderr: r.stderr };
}

const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];

mkdirSync(values.dir, { recursive: true });
const flowsOnly = join(values.dir, 'flows-only.json');
writeFileSync(flowsOnly, JSON.stringify({ protocols: { enabled: false } }));
const MODES = {
  flows: ['--config', flowsOnly],
  protocols: [],
  analytics: ['--alerts-out', '/dev/null'],
};
const modes = values.modes.split(',').filter((m) => {
  if (!(m in MODES)) throw new Error(`unknown mode ${m} (known: ${Object.keys(MODES).join(', ')})`);
  return true;
});

const rows = [];
for (const size of values.sizes.split(',')) {
  const file = capture(size);
  const truth = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
  const packets = truth.packets_written;
  spawnSync('sh', ['-c', `cat "${file}" > /dev/null`]); // page cache, as the reference figures assume
  // Each run times tcpdump and then every mode back to back, so a ratio compares figures taken
  // under the same load.
  const tcpdump = [];
  const sensor = Object.fromEntries(modes.map((m) => [m, []]));
  const last = {};
  for (let i = 0; i < runs; i++) {
    tcpdump.push(timed('tcpdump', ['-r', file, '-w', '/dev/null']).s);
    for (const m of modes) {
      const args = [join(repo, 'bin', 'ndr-sensor'), 'replay', file, '--flows-out', '/dev/null', ...MODES[m]];
      if (values.workers) args.push('--workers', values.workers);
      last[m] = timed(process.execPath, args);
      sensor[m].push(last[m].s);
    }
  }
  const tcpS = median(tcpdump);
  for (const m of modes) {
    const flowsLine = last[m].stderr.match(/^flows\s+([\d,]+) \(([^;]*);/m);
    const byProto = Object.fromEntries((flowsLine?.[2] ?? '').split(', ').filter(Boolean).map((x) => {
      const [k, v] = x.split(' ');
      return [k, Number(v.replace(/,/g, ''))];
    }));
    const ourS = median(sensor[m]);
    rows.push({
      file: `${size} (${(statSync(file).size / 1e6).toFixed(0)} MB)`,
      mode: m,
      'tcpdump Mpps': (packets / tcpS / 1e6).toFixed(2),
      'sensor Mpps': (packets / ourS / 1e6).toFixed(2),
      ratio: (tcpS / ourS).toFixed(2),
      'peak RSS MiB': last[m].rssMiB.toFixed(0),
      'tcp flows (truth)': `${byProto.tcp ?? 0} (${truth.flows_by_proto.tcp})`,
      'udp flows (truth)': `${byProto.udp ?? 0} (${truth.flows_by_proto.udp})`,
      'icmp flows (truth)': `${byProto.icmp ?? 0} (${truth.flows_by_proto.icmp})`,
    });
  }
}
// The fixed cost of a replay (Node's start, module loading, the worker's boot): the first 100
// packets of the first capture, flows only. It bounds the ratio on small files.
const first = capture(values.sizes.split(',')[0]);
const tiny = join(values.dir, 'bench-first100.pcap');
spawnSync('tcpdump', ['-r', first, '-c', '100', '-w', tiny], { stdio: 'ignore' });
const fixed = [];
for (let i = 0; i < Math.max(3, runs); i++) {
  fixed.push(timed(process.execPath, [join(repo, 'bin', 'ndr-sensor'), 'replay', tiny, '--flows-out', '/dev/null', ...MODES.flows]).s);
}

console.log(`ndr-sensor replay vs tcpdump, median of ${runs} runs each, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.table(rows);
console.log(`fixed cost of a replay (100-packet file, flows only): ${median(fixed).toFixed(2)} s, median of ${fixed.length}`);
