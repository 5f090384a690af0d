/**
 * Test harness (parsers/app part B): real capture bytes, extracted by tshark, fed through an
 * AppParser's probe and session exactly as the flow engine will (in-order bytes per direction
 * with capture timestamps; datagrams for UDP).
 *
 * The TCP path uses per-packet payloads (`tcp.payload`, desegmentation off) with a minimal
 * in-order assembler keyed on raw sequence numbers (drops retransmitted bytes, reports holes as
 * gaps) so every chunk keeps its packet's timestamp; `followTcp` gives tshark's own reassembled
 * stream (`-z follow,tcp,raw`) to cross-check that assembler.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AppEvent, AppParser, Dir, SessionContext } from '../../parsers/app/types.js';

const here = dirname(fileURLToPath(import.meta.url));
/** Repository root (this file lives in test/helpers/). */
export const REPO_ROOT = resolve(here, '..', '..');
/** The shared corpus beside the checkout (`../shared/pcaps`). */
export const CORPUS = resolve(REPO_ROOT, '..', 'shared', 'pcaps', 'corpus');

export function corpusFile(name: string): string {
  return join(CORPUS, name);
}

export function haveTshark(): boolean {
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function haveCorpus(): boolean {
  return existsSync(CORPUS);
}

/**
 * Run tshark. Outputs are cached on disk (OS temp dir) keyed by the arguments and the capture's
 * size and mtime, so the many test files that look at the same capture pay for one pass.
 */
export function tshark(args: string[]): string {
  const i = args.indexOf('-r');
  let key: string | undefined;
  if (i >= 0) {
    const st = statSync(args[i + 1]);
    key = createHash('sha1').update(JSON.stringify(args) + '|' + st.size + '|' + st.mtimeMs).digest('hex');
    const hit = join(CACHE, key);
    if (existsSync(hit)) return readFileSync(hit, 'utf8');
  }
  const out = execFileSync('tshark', args, { encoding: 'utf8', maxBuffer: 512 << 20, stdio: ['ignore', 'pipe', 'ignore'] });
  if (key) {
    mkdirSync(CACHE, { recursive: true });
    const tmp = join(CACHE, key + '.' + process.pid);
    writeFileSync(tmp, out);
    renameSync(tmp, join(CACHE, key));
  }
  return out;
}

const CACHE = join(tmpdir(), 'ndr-sensor-app-b', 'tshark-cache');

export interface Chunk {
  dir: Dir;
  ts: number;
  bytes: Buffer;
  /** Bytes lost before this chunk (hole in the sequence space). */
  gapBefore: number;
}

export interface TcpStream {
  stream: number;
  orig: string; // "ip:port"
  resp: string;
  chunks: Chunk[];
}

/**
 * All TCP streams of a capture with payload, as in-order chunks. The originator is the side
 * that sent the SYN, else the side whose port is not `serverPorts`, else the first sender.
 * `onlyPorts` keeps the streams with either port in the list (one tshark pass serves all).
 */
export function tcpStreams(pcap: string, serverPorts: readonly number[] = [], onlyPorts?: readonly number[]): TcpStream[] {
  const out = tshark([
    '-r', pcap, '-n', '-o', 'tcp.desegment_tcp_streams:FALSE', '-Y', 'tcp', '-T', 'fields', '-E', 'separator=/t',
    '-e', 'frame.time_epoch', '-e', 'tcp.stream', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'tcp.srcport',
    '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'tcp.dstport', '-e', 'tcp.seq_raw', '-e', 'tcp.flags.syn',
    '-e', 'tcp.flags.ack', '-e', 'tcp.payload',
  ]);
  interface S { s: TcpStream; next: [number, number]; started: boolean }
  const streams = new Map<number, S>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const f = line.split('\t');
    const ts = Number(f[0]);
    const id = Number(f[1]);
    const src = (f[2] || f[3]).split(',').pop() + ':' + f[4];
    const dst = (f[5] || f[6]).split(',').pop() + ':' + f[7];
    const seq = Number(f[8]);
    const syn = f[9] === '1' || f[9] === 'True';
    const ack = f[10] === '1' || f[10] === 'True';
    const payload = f[11] ? Buffer.from(f[11].replace(/:/g, ''), 'hex') : Buffer.alloc(0);
    let st = streams.get(id);
    if (!st) {
      let orig = src;
      let resp = dst;
      const sport = Number(f[4]);
      const dport = Number(f[7]);
      if (syn && ack) [orig, resp] = [dst, src];
      else if (!syn && serverPorts.includes(sport) && !serverPorts.includes(dport)) [orig, resp] = [dst, src];
      st = { s: { stream: id, orig, resp, chunks: [] }, next: [-1, -1], started: false };
      streams.set(id, st);
    }
    const dir: Dir = src === st.s.orig ? 0 : 1;
    let start = syn ? seq + 1 : seq;
    if (st.next[dir] < 0) st.next[dir] = start;
    if (payload.length === 0) continue;
    let data = payload;
    let gap = 0;
    const nx = st.next[dir];
    const rel = (start - nx) | 0; // 32-bit wrap-safe difference
    if (rel < 0) {
      if (-rel >= data.length) continue; // pure retransmission
      data = data.subarray(-rel);
      start = nx;
    } else if (rel > 0) {
      gap = rel;
    }
    st.next[dir] = (nx + gap + data.length) >>> 0;
    st.s.chunks.push({ dir, ts, bytes: Buffer.from(data), gapBefore: gap });
  }
  const port = (ep: string) => Number(ep.slice(ep.lastIndexOf(':') + 1));
  return [...streams.values()]
    .map((x) => x.s)
    .filter((s) => s.chunks.length > 0 && (!onlyPorts || onlyPorts.includes(port(s.orig)) || onlyPorts.includes(port(s.resp))));
}

/** tshark's reassembled bytes per direction for one stream (node 0 = first packet's source). */
export function followTcp(pcap: string, stream: number): { node0: string; node1: string; dir0: Buffer; dir1: Buffer } {
  const out = tshark(['-r', pcap, '-n', '-q', '-z', `follow,tcp,raw,${stream}`]);
  const lines = out.split('\n');
  const node0 = (lines.find((l) => l.startsWith('Node 0:')) ?? '').slice(8).trim();
  const node1 = (lines.find((l) => l.startsWith('Node 1:')) ?? '').slice(8).trim();
  const d0: Buffer[] = [];
  const d1: Buffer[] = [];
  let body = false;
  for (const l of lines) {
    if (l.startsWith('Node 1:')) {
      body = true;
      continue;
    }
    if (!body || l.startsWith('====') || !l.trim()) continue;
    if (l.startsWith('\t')) d1.push(Buffer.from(l.trim(), 'hex'));
    else d0.push(Buffer.from(l.trim(), 'hex'));
  }
  return { node0, node1, dir0: Buffer.concat(d0), dir1: Buffer.concat(d1) };
}

export interface Datagram {
  ts: number;
  src: string;
  dst: string;
  bytes: Buffer;
}

export function udpDatagrams(pcap: string, filter = 'udp'): Datagram[] {
  const out = tshark([
    '-r', pcap, '-n', '-Y', filter, '-T', 'fields', '-E', 'separator=/t', '-e', 'frame.time_epoch', '-e', 'ip.src',
    '-e', 'udp.srcport', '-e', 'ip.dst', '-e', 'udp.dstport', '-e', 'udp.payload',
  ]);
  const res: Datagram[] = [];
  for (const line of out.split('\n')) {
    if (!line) continue;
    const f = line.split('\t');
    res.push({ ts: Number(f[0]), src: f[1] + ':' + f[2], dst: f[3] + ':' + f[4], bytes: Buffer.from((f[5] ?? '').replace(/:/g, ''), 'hex') });
  }
  return res;
}

export interface RunResult {
  events: AppEvent[];
  services: string[];
  counters: Map<string, number>;
  probed: [boolean | undefined, boolean | undefined];
  done: boolean;
}

/** A SessionContext that records everything (not a mock of the parser: it is the engine's side). */
export function recordingContext(maxBufferBytes = 1 << 20): { ctx: SessionContext; events: AppEvent[]; services: string[]; counters: Map<string, number> } {
  const events: AppEvent[] = [];
  const services: string[] = [];
  const counters = new Map<string, number>();
  const ctx: SessionContext = {
    emit: (ev) => events.push(ev),
    confirm: (s) => {
      if (!services.includes(s)) services.push(s);
    },
    count: (name, n = 1) => counters.set(name, (counters.get(name) ?? 0) + n),
    maxBufferBytes,
  };
  return { ctx, events, services, counters };
}

function portOf(ep: string): number {
  return Number(ep.slice(ep.lastIndexOf(':') + 1));
}

/** Probe each direction's first payload and feed the whole stream through one session. */
export function runTcp(parser: AppParser, s: TcpStream, maxBufferBytes = 1 << 20): RunResult {
  const { ctx, events, services, counters } = recordingContext(maxBufferBytes);
  const session = parser.create(ctx);
  const probed: [boolean | undefined, boolean | undefined] = [undefined, undefined];
  const ports = { origPort: portOf(s.orig), respPort: portOf(s.resp) };
  let last = 0;
  for (const c of s.chunks) {
    if (probed[c.dir] === undefined) probed[c.dir] = parser.probe(c.dir, c.bytes, 0, c.bytes.length, ports);
    if (c.gapBefore) session.gap(c.dir, c.gapBefore);
    session.data(c.dir, c.bytes, 0, c.bytes.length, c.ts);
    last = c.ts;
    if (session.done) break;
  }
  session.end(last);
  return { events, services, counters, probed, done: session.done };
}

/** Feed UDP datagrams of one flow (orig = first sender) through one session. */
export function runUdp(parser: AppParser, dgrams: Datagram[]): RunResult {
  const { ctx, events, services, counters } = recordingContext();
  const session = parser.create(ctx);
  const probed: [boolean | undefined, boolean | undefined] = [undefined, undefined];
  const orig = dgrams[0]?.src;
  let last = 0;
  for (const d of dgrams) {
    const dir: Dir = d.src === orig ? 0 : 1;
    const ports = dir === 0 ? { origPort: portOf(d.src), respPort: portOf(d.dst) } : { origPort: portOf(d.dst), respPort: portOf(d.src) };
    if (probed[dir] === undefined) probed[dir] = parser.probe(dir, d.bytes, 0, d.bytes.length, ports);
    session.data(dir, d.bytes, 0, d.bytes.length, d.ts);
    last = d.ts;
  }
  session.end(last);
  return { events, services, counters, probed, done: session.done };
}

/** Feed arbitrary chunks (hand-built fixtures) through one session. */
export function runChunks(parser: AppParser, chunks: Array<{ dir: Dir; bytes: Uint8Array; ts?: number }>, maxBufferBytes = 1 << 20): RunResult {
  const { ctx, events, services, counters } = recordingContext(maxBufferBytes);
  const session = parser.create(ctx);
  const probed: [boolean | undefined, boolean | undefined] = [undefined, undefined];
  let ts = 1000;
  for (const c of chunks) {
    ts = c.ts ?? ts + 0.001;
    if (probed[c.dir] === undefined) probed[c.dir] = parser.probe(c.dir, c.bytes, 0, c.bytes.length, { origPort: 50000, respPort: 0 });
    session.data(c.dir, c.bytes, 0, c.bytes.length, ts);
  }
  session.end(ts);
  return { events, services, counters, probed, done: session.done };
}

/**
 * A genbench.py capture (../shared/bench), generated once per (seed, packets) into the OS temp
 * directory and reused; returns its path. Generation is deterministic (same seed, same bytes).
 */
export function genbenchCapture(seed: number, packets: number): string {
  const dir = join(tmpdir(), 'ndr-sensor-app-b');
  mkdirSync(dir, { recursive: true });
  const out = join(dir, `genbench-s${seed}-p${packets}.pcap`);
  const meta = out + '.json';
  let ok = false;
  try {
    ok = existsSync(out) && JSON.parse(readFileSync(meta, 'utf8')).packets_written === packets;
  } catch {
    ok = false;
  }
  if (!ok) {
    const gen = resolve(REPO_ROOT, '..', 'shared', 'bench', 'genbench.py');
    execFileSync('python3', [gen, '--packets', String(packets), '--seed', String(seed), '--out', out], { stdio: 'ignore' });
  }
  return out;
}
