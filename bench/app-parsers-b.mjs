#!/usr/bin/env node
/**
 * Cost of the part-B application parsers (not a test): per parser family, feed the TCP flows of
 * a genbench.py capture (and the corpus' DCE/RPC capture) through probe + session and time it.
 * Also reports service identification against the generator's ground truth (server port).
 *
 *   npx tsc -p . && node bench/app-parsers-b.mjs [--packets 200000] [--seed 7] [--reps 3]
 *
 * A tiny pcap reader lives here (classic LE pcap, Ethernet/802.1Q, IPv4, TCP): bench code only,
 * so the figures measure the parsers, not tshark or the capture path.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { parsersB } = await import(join(root, 'dist/parsers/app/registry-b.js'));

const arg = (name, def) => {
  const i = process.argv.indexOf('--' + name);
  return i > 0 ? Number(process.argv[i + 1]) : def;
};
const PACKETS = arg('packets', 200000);
const SEED = arg('seed', 7);
const REPS = arg('reps', 5);

function capture() {
  const dir = join(tmpdir(), 'ndr-sensor-app-b');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `genbench-s${SEED}-p${PACKETS}.pcap`);
  if (!existsSync(out)) {
    execFileSync('python3', [resolve(root, '..', 'shared', 'bench', 'genbench.py'), '--packets', String(PACKETS), '--seed', String(SEED), '--out', out], { stdio: 'inherit' });
  }
  return out;
}

/** TCP flows: key → { orig, resp ports, chunks: [{dir, buf, ts}] } with in-order payload per direction. */
function readFlows(file) {
  const f = readFileSync(file);
  if (f.readUInt32LE(0) !== 0xa1b2c3d4) throw new Error('bench reader: classic LE microsecond pcap only');
  const flows = new Map();
  let p = 24;
  while (p + 16 <= f.length) {
    const ts = f.readUInt32LE(p) + f.readUInt32LE(p + 4) / 1e6;
    const cap = f.readUInt32LE(p + 8);
    const pkt = p + 16;
    p = pkt + cap;
    let e = pkt + 12;
    let type = f.readUInt16BE(e);
    if (type === 0x8100) {
      e += 4;
      type = f.readUInt16BE(e);
    }
    if (type !== 0x0800) continue;
    const ip = e + 2;
    if (f[ip + 9] !== 6) continue;
    const ihl = (f[ip] & 15) * 4;
    const ipLen = f.readUInt16BE(ip + 2);
    const tcp = ip + ihl;
    const sport = f.readUInt16BE(tcp);
    const dport = f.readUInt16BE(tcp + 2);
    const seq = f.readUInt32BE(tcp + 4);
    const flags = f[tcp + 13];
    const data = tcp + (f[tcp + 12] >> 4) * 4;
    const end = Math.min(ip + ipLen, pkt + cap);
    const src = f.readUInt32BE(ip + 12);
    const dst = f.readUInt32BE(ip + 16);
    const a = `${src}:${sport}`;
    const b = `${dst}:${dport}`;
    const key = a < b ? a + '|' + b : b + '|' + a;
    let fl = flows.get(key);
    if (!fl) {
      const synack = (flags & 0x12) === 0x12;
      fl = { orig: synack ? b : a, respPort: synack ? sport : dport, next: [-1, -1], chunks: [] };
      flows.set(key, fl);
    }
    const dir = a === fl.orig ? 0 : 1;
    const start = flags & 2 ? seq + 1 : seq;
    if (fl.next[dir] < 0) fl.next[dir] = start;
    if (end <= data) continue;
    const rel = (start - fl.next[dir]) | 0;
    if (rel < 0) continue; // retransmission (genbench does not produce them)
    fl.next[dir] = (start + (end - data)) >>> 0;
    fl.chunks.push({ dir, buf: f.subarray(data, end), ts, gap: rel });
  }
  return [...flows.values()].filter((x) => x.chunks.length > 0);
}

const TRUTH = { 445: 'smb', 88: 'krb_tcp', 389: 'ldap_tcp', 2575: 'hl7', 104: 'dicom', 11112: 'dicom' };
const tcpParsers = parsersB.filter((p) => p.transport === 'tcp');

function choose(fl) {
  const order = [...tcpParsers.filter((p) => p.ports.includes(fl.respPort)), ...tcpParsers.filter((p) => !p.ports.includes(fl.respPort))];
  const seen = [false, false];
  for (const c of fl.chunks) {
    if (seen[c.dir]) continue;
    seen[c.dir] = true;
    const p = order.find((x) => x.probe(c.dir, c.buf, 0, c.buf.length, { origPort: 0, respPort: fl.respPort }));
    if (p) return p;
    if (seen[0] && seen[1]) break;
  }
  return null;
}

function run(p, fl, sink) {
  const s = p.create(sink);
  let last = 0;
  for (const c of fl.chunks) {
    if (c.gap) s.gap(c.dir, c.gap);
    s.data(c.dir, c.buf, 0, c.buf.length, c.ts);
    last = c.ts;
    if (s.done) break;
  }
  s.end(last);
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const file = capture();
const t0 = Date.now();
const flows = readFlows(file);
console.log(`capture ${file}: ${flows.length} TCP flows with payload (read in ${Date.now() - t0} ms)`);

// Identification against ground truth
const ident = {};
const byParser = new Map();
for (const fl of flows) {
  const want = TRUTH[fl.respPort];
  const p = choose(fl);
  if (p) {
    if (!byParser.has(p)) byParser.set(p, []);
    byParser.get(p).push(fl);
  }
  if (!want) {
    if (p) (ident['(other ports)'] ??= { flows: 0, identified: 0, claimed: 0 }).claimed++;
    continue;
  }
  const t = (ident[want] ??= { flows: 0, identified: 0, claimed: 0 });
  t.flows++;
  if (p) {
    const services = [];
    run(p, fl, { emit() {}, confirm: (s) => services.push(s), count() {}, maxBufferBytes: 1 << 20 });
    if (services.includes(want)) t.identified++;
  }
}
console.log('\nservice identification (flows with payload, truth = generator server port)');
ident['(other ports)'] ??= { flows: 0, identified: 0, claimed: 0 };
for (const [svc, t] of Object.entries(ident)) {
  if (svc === '(other ports)') console.log(`  other flows claimed by a part-B parser: ${t.claimed}`);
  else console.log(`  ${svc.padEnd(10)} ${t.identified}/${t.flows} = ${((100 * t.identified) / t.flows).toFixed(2)} %`);
}

// Probe cost: every part-B TCP probe on every flow's first payload
{
  const firsts = flows.map((fl) => fl.chunks[0]);
  const times = [];
  for (let r = 0; r < REPS + 2; r++) {
    const s = process.hrtime.bigint();
    let hits = 0;
    for (const c of firsts) for (const p of tcpParsers) if (p.probe(c.dir, c.buf, 0, c.buf.length, { origPort: 0, respPort: 0 })) hits++;
    if (r >= 2) times.push(Number(process.hrtime.bigint() - s) / (firsts.length * tcpParsers.length)); // 2 warm-up rounds
    if (hits < 0) console.log(hits);
  }
  console.log(`\nprobe: ${median(times).toFixed(0)} ns per (probe, first payload), ${tcpParsers.length} TCP probes, ${firsts.length} payloads`);
}

// Per-parser cost
function family(name, p, list) {
  let bytes = 0;
  let chunks = 0;
  for (const fl of list) for (const c of fl.chunks) {
    bytes += c.buf.length;
    chunks++;
  }
  let events = 0;
  const sink = { emit() { events++; }, confirm() {}, count() {}, maxBufferBytes: 1 << 20 };
  for (let w = 0; w < 3; w++) for (const fl of list) run(p, fl, sink); // warm-up (JIT)
  const times = [];
  for (let r = 0; r < REPS; r++) {
    events = 0;
    const s = process.hrtime.bigint();
    for (const fl of list) run(p, fl, sink);
    times.push(Number(process.hrtime.bigint() - s) / 1e6);
  }
  const ms = median(times);
  console.log(
    `  ${name.padEnd(9)} flows ${String(list.length).padStart(5)}  payload ${(bytes / 1e6).toFixed(1).padStart(7)} MB in ${String(chunks).padStart(7)} segments  ` +
      `${ms.toFixed(1).padStart(8)} ms  ${((bytes / 1e6) / (ms / 1e3)).toFixed(0).padStart(6)} MB/s  ${((ms * 1e6) / chunks).toFixed(0).padStart(5)} ns/segment  events ${events}`,
  );
}
console.log(`\nparser cost (median of ${REPS}; payload = all bytes offered, bulk bodies are skipped by length)`);
for (const p of tcpParsers) if (byParser.has(p)) family(p.service, p, byParser.get(p));
{
  const mapi = readFlows(resolve(root, '..', 'shared', 'pcaps', 'corpus', 'zeek_dce-rpc_mapi.pcap')).filter((fl) => [135, 1032, 4997].includes(fl.respPort));
  const dce = parsersB.find((p) => p.service === 'dce_rpc');
  const rep = Array.from({ length: 200 }, () => mapi).flat();
  family('dce_rpc*', dce, rep);
  console.log('  (* corpus zeek_dce-rpc_mapi.pcap flows on 135/1032/4997, replayed 200 times)');
}
