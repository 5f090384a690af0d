#!/usr/bin/env node
// `npm run bench`: end-to-end replay speed as a ratio to `tcpdump -r F -w /dev/null` timed in the
// same run on the same file, flow counts against the generator's ground truth, and peak RSS.
// A benchmark, not a test: it prints figures, it asserts nothing.
//
// Captures come from ../shared/bench/genbench.py (generated once into $NDR_BENCH_DIR, default
// /tmp/ndr-bench). Usage: npm run bench [-- --sizes 1m,5m --runs 3 --workers N]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync } from 'node:fs';
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

const rows = [];
for (const size of values.sizes.split(',')) {
  const file = capture(size);
  const truth = JSON.parse(readFileSync(`${file}.json`, 'utf8'));
  const packets = truth.packets_written;
  spawnSync('sh', ['-c', `cat "${file}" > /dev/null`]); // page cache, as the reference figures assume
  const tcpdump = [];
  const sensor = [];
  let last = null;
  for (let i = 0; i < runs; i++) {
    tcpdump.push(timed('tcpdump', ['-r', file, '-w', '/dev/null']).s);
    const args = [join(repo, 'bin', 'ndr-sensor'), 'replay', file, '--flows-out', '/dev/null'];
    if (values.workers) args.push('--workers', values.workers);
    last = timed(process.execPath, args);
    sensor.push(last.s);
  }
  const flowsLine = last.stderr.match(/^flows\s+([\d,]+) \(([^;]*);/m);
  const byProto = Object.fromEntries((flowsLine?.[2] ?? '').split(', ').filter(Boolean).map((x) => {
    const [k, v] = x.split(' ');
    return [k, Number(v.replace(/,/g, ''))];
  }));
  const tcpS = median(tcpdump);
  const ourS = median(sensor);
  rows.push({
    file: `${size} (${(statSync(file).size / 1e6).toFixed(0)} MB)`,
    'tcpdump Mpps': (packets / tcpS / 1e6).toFixed(2),
    'sensor Mpps': (packets / ourS / 1e6).toFixed(2),
    ratio: (tcpS / ourS).toFixed(2),
    'peak RSS MiB': last.rssMiB.toFixed(0),
    'tcp flows (truth)': `${byProto.tcp ?? 0} (${truth.flows_by_proto.tcp})`,
    'udp flows (truth)': `${byProto.udp ?? 0} (${truth.flows_by_proto.udp})`,
    'icmp flows (truth)': `${byProto.icmp ?? 0} (${truth.flows_by_proto.icmp})`,
  });
}
console.log(`ndr-sensor replay vs tcpdump, median of ${runs} runs each, load average ${loadavg().map((x) => x.toFixed(1)).join(' ')}`);
console.table(rows);
