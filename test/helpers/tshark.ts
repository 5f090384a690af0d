/**
 * Independent extraction of application bytes from a capture with tshark 4.0 (Debian package
 * `tshark`): reassembled TCP streams per direction (`-z follow,tcp,raw`) and UDP datagrams.
 * Tests feed these bytes to the parsers, so the parsers are checked against captures without
 * depending on the sensor's own packet path.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** The shared corpus lives beside the checkout (../shared/pcaps). */
export const CORPUS = resolve(REPO_ROOT, '../shared/pcaps/corpus');

export function corpusFile(name: string): string {
  return join(CORPUS, name);
}

/** Reference checks skip on a developer machine without tshark/corpus, but never in CI. */
function required(what: string, ok: boolean): boolean {
  if (!ok && process.env.CI) throw new Error(`${what} is required in CI`);
  return ok;
}

export function haveTshark(): boolean {
  let ok = true;
  try {
    execFileSync('tshark', ['-v'], { stdio: 'ignore' });
  } catch {
    ok = false;
  }
  return required('tshark (Debian package tshark)', ok);
}

export const haveCorpus = (): boolean => required(`the shared corpus at ${CORPUS}`, existsSync(CORPUS));

const CACHE = join(tmpdir(), 'ndr-sensor-tshark-cache');

/**
 * tshark's stdout; a non-zero exit (e.g. a capture cut mid-record on purpose) still yields what
 * it read. Outputs are cached on disk by arguments + capture size/mtime: tshark's start-up
 * (~0.5 s) dominates, and several test files read the same captures.
 */
export function tshark(args: string[]): string {
  // Teredo is decoded only heuristically by default (Zeek decodes it always).
  const full = ['-o', 'teredo.heuristic_teredo:TRUE', ...args];
  const file = args[args.indexOf('-r') + 1];
  let key = '';
  try {
    const st = statSync(file);
    key = createHash('sha256').update(JSON.stringify([full, st.size, st.mtimeMs])).digest('hex');
    return readFileSync(join(CACHE, key), 'utf8');
  } catch { /* not cached */ }
  const r = spawnSync('tshark', full, { encoding: 'utf8', maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'ignore'] });
  const out = r.stdout ?? '';
  if (key && r.status !== null) {
    try {
      mkdirSync(CACHE, { recursive: true });
      const tmp = join(CACHE, `${key}.${process.pid}`);
      writeFileSync(tmp, out);
      renameSync(tmp, join(CACHE, key)); // atomic: parallel test workers may race
    } catch { /* cache is an optimisation only */ }
  }
  return out;
}

export interface Endpoint { h: string; p: number }
export interface Chunk { dir: 0 | 1; data: Buffer; ts: number }
/** One TCP connection: `orig` is tshark's node 0 (the side that sent the first packet seen). */
export interface TcpStream { stream: number; orig: Endpoint; resp: Endpoint; chunks: Chunk[] }

function endpoint(s: string): Endpoint {
  const i = s.lastIndexOf(':');
  let h = s.slice(0, i);
  if (h.startsWith('[') && h.endsWith(']')) h = h.slice(1, -1);
  return { h, p: Number(s.slice(i + 1)) };
}

/** Every TCP stream of `pcap` with its in-order payload per direction (retransmissions removed). */
export function tcpStreams(pcap: string): TcpStream[] {
  const out: TcpStream[] = [];
  // Follow streams 0..199 and count conversations in the same pass; most captures need one pass.
  for (let first = 0; ; first += 200) {
    const args = ['-n', '-r', pcap, '-q', '-z', 'conv,tcp'];
    for (let s = first; s < first + 200; s++) args.push('-z', `follow,tcp,raw,${s}`);
    const text = tshark(args);
    for (const block of text.split('===================================================================\nFollow: tcp,raw\n').slice(1)) {
      const lines = block.split('\n');
      const m = /^Filter: tcp.stream eq (\d+)/.exec(lines[0]);
      if (!m) continue;
      const n0 = /^Node 0: (.*)$/.exec(lines[1]);
      const n1 = /^Node 1: (.*)$/.exec(lines[2]);
      if (!n0 || !n1) continue;
      const st: TcpStream = { stream: Number(m[1]), orig: endpoint(n0[1]), resp: endpoint(n1[1]), chunks: [] };
      for (const l of lines.slice(3)) {
        if (l.startsWith('=====')) break;
        if (l === '') continue;
        const dir = l.startsWith('\t') ? 1 : 0;
        st.chunks.push({ dir, data: Buffer.from(l.trim(), 'hex'), ts: 0 });
      }
      if (st.orig.p !== 0) out.push(st);
    }
    const convs = (text.match(/ <-> /g) ?? []).length;
    if (convs <= first + 200) break;
  }
  return out.sort((a, b) => a.stream - b.stream);
}

export interface Datagram { ts: number; src: Endpoint; dst: Endpoint; payload: Buffer }

/** Every UDP datagram (innermost UDP layer, so tunnelled DNS is included). */
export function udpDatagrams(pcap: string, filter = 'udp'): Datagram[] {
  const text = tshark(['-n', '-r', pcap, '-Y', filter, '-T', 'fields', '-E', 'occurrence=l',
    '-e', 'frame.time_epoch', '-e', 'ip.src', '-e', 'ipv6.src', '-e', 'udp.srcport',
    '-e', 'ip.dst', '-e', 'ipv6.dst', '-e', 'udp.dstport', '-e', 'udp.payload']);
  const out: Datagram[] = [];
  for (const l of text.split('\n')) {
    if (!l) continue;
    const [ts, s4, s6, sp, d4, d6, dp, pl] = l.split('\t');
    if (!pl) continue;
    // With both an IPv4 and an IPv6 layer (e.g. Teredo) the innermost is IPv6.
    out.push({ ts: Number(ts), src: { h: s6 || s4, p: Number(sp) }, dst: { h: d6 || d4, p: Number(dp) }, payload: Buffer.from(pl.replace(/:/g, ''), 'hex') });
  }
  return out;
}

export interface UdpFlow { orig: Endpoint; resp: Endpoint; chunks: Chunk[] }

/** Groups datagrams into bidirectional flows; the first sender is the originator. */
export function udpFlows(dgrams: Datagram[]): UdpFlow[] {
  const flows = new Map<string, UdpFlow>();
  for (const d of dgrams) {
    const a = `${d.src.h}|${d.src.p}|${d.dst.h}|${d.dst.p}`;
    const b = `${d.dst.h}|${d.dst.p}|${d.src.h}|${d.src.p}`;
    let f = flows.get(a);
    let dir: 0 | 1 = 0;
    if (!f) {
      f = flows.get(b);
      if (f) dir = 1;
    }
    if (!f) {
      f = { orig: d.src, resp: d.dst, chunks: [] };
      flows.set(a, f);
    }
    f.chunks.push({ dir, data: d.payload, ts: d.ts });
  }
  return [...flows.values()];
}
