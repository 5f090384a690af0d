/**
 * Fuzz campaigns, run in a child process by decoders.test.ts so that a decoder stuck in a loop
 * is killed by the parent's watchdog instead of hanging the test run (a synchronous loop cannot
 * be interrupted from inside its own thread).
 *
 *   node --import tsx test/fuzz/fuzz-child.ts <campaign> <seed> <iterations>
 *
 * Prints one JSON object (FuzzResult) on stdout. Deterministic for a given seed.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Packet } from '../../parsers/packet.js';
import { decodeFrame, decodeFromEtherType } from '../../parsers/decode.js';
import { Defragmenter } from '../../parsers/net/defrag.js';
import { REASON_NAMES, Reason } from '../../parsers/reasons.js';
import { CORPUS, corpusAvailable, corpusCaptures } from '../conformance/corpus.js';
import { readCapture } from '../helpers/read-capture.js';
import { PcapngWriter, pcapFile } from '../helpers/capture-writer.js';
import * as P from '../helpers/packets.js';
import { mulberry32 as prng } from '../helpers/prng.js';

export interface FuzzResult {
  campaign: string;
  seed: number;
  iterations: number;
  /** Inputs per Reason name. */
  reasons: Record<string, number>;
  /** Slowest single input as first measured, ms (includes GC pauses and JIT warm-up). */
  maxMs: number;
  /** That input decoded again (best of 5), ms: the real per-input cost of the worst case. */
  maxMsRetimed: number;
  /** First failures (exception, invalid reason, broken invariant) with the input in hex. */
  failures: string[];
  failureCount: number;
  elapsedMs: number;
  extra: Record<string, number>;
}

const LINKTYPES = [0, 1, 12, 14, 101, 105, 108, 113, 127, 228, 229, 239, 274, 276, 281, 282, 147];
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x11, 0x29, 0x2f, 0x3a, 0x40, 0x45, 0x60, 0x7f, 0x80, 0x81, 0x86, 0x88, 0xdd, 0xfe, 0xff];

class Campaign {
  readonly res: FuzzResult;
  private readonly pkt = new Packet();
  private readonly t0 = performance.now();
  private slowest: { frame: Uint8Array; linktype: number; wirelen: number; ethertype: number } | null = null;

  constructor(name: string, seed: number, iterations: number) {
    this.res = { campaign: name, seed, iterations, reasons: {}, maxMs: 0, maxMsRetimed: 0, failures: [], failureCount: 0, elapsedMs: 0, extra: {} };
  }

  fail(msg: string, input: Uint8Array): void {
    this.res.failureCount++;
    if (this.res.failures.length < 5) this.res.failures.push(`${msg} :: ${Buffer.from(input.subarray(0, 256)).toString('hex')}`);
  }

  /** Decode `frame` placed in a larger buffer (junk around it, like a shared chunk). */
  decode(frame: Uint8Array, linktype: number, wirelen: number, ethertype = -1): number {
    const buf = new Uint8Array(frame.length + 32).fill(0x45);
    buf.set(frame, 16);
    const pkt = this.pkt;
    pkt.reset(buf, 16, frame.length, wirelen);
    let r: number;
    const t = performance.now();
    try {
      if (ethertype >= 0) { pkt.l3Off = 16; r = decodeFromEtherType(pkt, ethertype); } else r = decodeFrame(pkt, linktype);
    } catch (e) {
      this.fail(`linktype ${linktype}: threw ${(e as Error).message}`, frame);
      return -1;
    }
    const dt = performance.now() - t;
    if (dt > this.res.maxMs) {
      this.res.maxMs = dt;
      this.slowest = { frame, linktype, wirelen, ethertype };
    }
    if (!Number.isInteger(r) || r < 0 || r >= Reason.COUNT) { this.fail(`linktype ${linktype}: invalid reason ${r}`, frame); return -1; }
    const name = REASON_NAMES[r];
    this.res.reasons[name] = (this.res.reasons[name] ?? 0) + 1;
    if (r === Reason.OK) this.checkInvariants(frame, linktype);
    return r;
  }

  /** A decoded packet may only point at bytes of its own frame (the chunk holds other packets). */
  private checkInvariants(frame: Uint8Array, linktype: number): void {
    const p = this.pkt;
    const lo = p.frameOff;
    const hi = p.frameEnd;
    const bad =
      p.l3Off < lo || p.l3Off > hi || p.l3End > hi || p.l3End < p.l3Off ||
      p.payloadCapLen < 0 || p.payloadCapLen > p.payloadLen ||
      (p.payloadCapLen > 0 && (p.payloadOff < lo || p.payloadOff + p.payloadCapLen > hi)) ||
      p.tunCount < 0 || p.tunCount > p.tunType.length ||
      !(p.ipVersion === 4 || p.ipVersion === 6) ||
      p.sport < 0 || p.sport > 65535 || p.dport < 0 || p.dport > 65535;
    if (bad) {
      this.fail(`linktype ${linktype}: invariant broken (l3 ${p.l3Off - lo}..${p.l3End - lo}, payload ${p.payloadOff - lo}+${p.payloadCapLen}/${p.payloadLen}, frame ${hi - lo})`, frame);
    }
  }

  done(): FuzzResult {
    this.res.elapsedMs = performance.now() - this.t0;
    const s = this.slowest;
    if (s !== null) {
      const counted = { ...this.res.reasons };
      let best = Infinity;
      for (let k = 0; k < 5; k++) {
        const t = performance.now();
        this.decode(s.frame, s.linktype, s.wirelen, s.ethertype);
        best = Math.min(best, performance.now() - t);
      }
      this.res.maxMsRetimed = best;
      this.res.reasons = counted; // the re-timing runs are not inputs
    }
    return this.res;
  }
}

function randomBytes(rnd: () => number, n: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = rnd() < 0.3 ? INTERESTING[(rnd() * INTERESTING.length) | 0] : (rnd() * 256) | 0;
  return b;
}

/** 1–8 mutations: bit flips, interesting bytes, truncation, insertion, deletion, duplication. */
export function mutate(rnd: () => number, src: Uint8Array): Uint8Array {
  let b = src.slice();
  const n = 1 + ((rnd() * 8) | 0);
  for (let k = 0; k < n; k++) {
    const op = (rnd() * 7) | 0;
    const at = b.length === 0 ? 0 : (rnd() * b.length) | 0;
    switch (op) {
      case 0: if (b.length) b[at] ^= 1 << ((rnd() * 8) | 0); break;
      case 1: if (b.length) b[at] = INTERESTING[(rnd() * INTERESTING.length) | 0]; break;
      case 2: if (b.length) b[at] = (rnd() * 256) | 0; break;
      case 3: b = b.subarray(0, at); break;
      case 4: { const ins = randomBytes(rnd, 1 + ((rnd() * 16) | 0)); const o = new Uint8Array(b.length + ins.length); o.set(b.subarray(0, at)); o.set(ins, at); o.set(b.subarray(at), at + ins.length); b = o; break; }
      case 5: { const len = Math.min(b.length - at, (rnd() * 16) | 0); const o = new Uint8Array(b.length - len); o.set(b.subarray(0, at)); o.set(b.subarray(at + len), at); b = o; break; }
      case 6: if (b.length >= 2) { const len = Math.min(b.length - at, 1 + ((rnd() * 8) | 0)); const o = new Uint8Array(b.length + len); o.set(b.subarray(0, at + len)); o.set(b.subarray(at, at + len), at + len); o.set(b.subarray(at + len), at + 2 * len); b = o; } break;
    }
  }
  return b;
}

/** Wire length: usually the frame length, sometimes longer (snaplen cut) or hostile. */
function wirelenFor(rnd: () => number, n: number): number {
  const x = rnd();
  if (x < 0.7) return n;
  if (x < 0.85) return n + ((rnd() * 2000) | 0);
  if (x < 0.95) return (rnd() * n) | 0;
  return 0xffffffff;
}

async function corpusPackets(): Promise<{ data: Uint8Array; linktype: number }[]> {
  const out: { data: Uint8Array; linktype: number }[] = [];
  if (!corpusAvailable()) return out;
  for (const f of corpusCaptures()) {
    const r = await readCapture([join(CORPUS, f)], { keepData: true, chunks: 3, chunkBytes: 1 << 20 });
    for (const rec of r.records) out.push({ data: rec.data!, linktype: rec.linktype });
  }
  return out;
}

/** Hand-built tunnel and IP packets (outer IPv4/IPv6 header first) as seeds for mutation. */
function tunnelSeeds(): { data: Uint8Array; et: number }[] {
  const in4 = P.ipv4({ proto: P.PROTO_UDP }, P.udp(1, 2, P.fill(20)));
  const in6 = P.ipv6({ nh: P.PROTO_TCP }, P.tcp({ sport: 3, dport: 4, flags: P.SYN, options: P.optWscale(2) }));
  const o4 = (proto: number, p: Uint8Array) => P.ipv4({ proto }, p);
  const u4 = (dport: number, p: Uint8Array) => o4(P.PROTO_UDP, P.udp(40000, dport, p));
  const e4 = P.eth({ type: P.ETH_IPV4 }, in4);
  const list: Uint8Array[] = [
    o4(P.PROTO_GRE, P.gre({ proto: P.ETH_IPV4, checksum: true, key: 1, seq: 2 }, in4)),
    o4(P.PROTO_GRE, P.gre({ proto: P.ETHERTYPE.TEB }, e4)),
    o4(P.PROTO_GRE, P.gre({ proto: P.ETHERTYPE.ERSPAN2, seq: 1 }, P.erspan2(1, e4))),
    o4(P.PROTO_GRE, P.gre({ proto: P.ETHERTYPE.ERSPAN3, seq: 1 }, P.erspan3(1, e4, true))),
    o4(P.PROTO_GRE, P.pptpGre({ callId: 1, seq: 1, ack: 1 }, P.ppp(0x21, in4))),
    u4(4789, P.vxlan(1, e4)),
    u4(6081, P.geneve(P.ETHERTYPE.TEB, P.geneveOpt(1, 1, P.fill(4)), e4)),
    u4(2152, P.gtpu({ teid: 1, seq: 1, ext: [{ type: 0x85, content: P.bytes(0, 1) }] }, in6)),
    u4(3544, P.teredo({ origin: { port: 1, addr: '1.2.3.4' } }, P.ipv6({ nh: P.PROTO_ICMP6 }, P.icmp(128, 0)))),
    u4(4754, P.gre({ proto: P.ETH_IPV6 }, in6)),
    o4(P.PROTO_IPIP, in4),
    o4(P.PROTO_IPV6, in6),
    P.ipv6({ nh: P.PROTO_IPIP }, in4),
    P.ipv6({ nh: 0 }, P.ext6(43, 0, P.routing6(60, 1, P.ext6(P.PROTO_AH, 0, P.ah(44, 1, P.frag6(P.PROTO_UDP, 0, false, 1, P.udp(1, 2))))))),
    o4(P.PROTO_IPIP, u4(4789, P.vxlan(2, P.eth({ type: P.ETH_IPV4 }, o4(P.PROTO_GRE, P.gre({ proto: P.ETH_IPV4 }, in4)))))),
    o4(P.PROTO_ICMP, P.icmp(3, 1, P.bytes(0, 0, 0, 0), in4)),
  ];
  return list.map((d) => ({ data: d, et: d[0] >> 4 === 6 ? P.ETH_IPV6 : P.ETH_IPV4 }));
}

async function main(): Promise<void> {
  const [campaign, seedArg, itArg] = process.argv.slice(2);
  const seed = Number(seedArg);
  const iterations = Number(itArg);
  const rnd = prng(seed);
  const c = new Campaign(campaign, seed, iterations);

  switch (campaign) {
    case 'random': {
      // Random bytes under every link type (and one unknown), lengths 0..300.
      for (let i = 0; i < iterations; i++) {
        const lt = LINKTYPES[i % LINKTYPES.length];
        const f = randomBytes(rnd, (rnd() * 300) | 0);
        c.decode(f, lt, wirelenFor(rnd, f.length));
      }
      break;
    }
    case 'mutated-corpus': {
      const pkts = await corpusPackets();
      c.res.extra.seedPackets = pkts.length;
      if (pkts.length === 0) { c.fail('no corpus packets', new Uint8Array(0)); break; }
      for (let i = 0; i < iterations; i++) {
        const s = pkts[(rnd() * pkts.length) | 0];
        const f = mutate(rnd, s.data);
        c.decode(f, rnd() < 0.95 ? s.linktype : LINKTYPES[(rnd() * LINKTYPES.length) | 0], wirelenFor(rnd, f.length));
      }
      break;
    }
    case 'tunnels': {
      // IP/tunnel decoders entered directly at the network layer, on mutated tunnel packets
      // and on random bytes behind a valid outer IPv4/IPv6 header.
      const seeds = tunnelSeeds();
      c.res.extra.seedPackets = seeds.length;
      for (let i = 0; i < iterations; i++) {
        if (i % 4 === 3) {
          const tail = randomBytes(rnd, (rnd() * 200) | 0);
          const protos = [P.PROTO_GRE, P.PROTO_UDP, P.PROTO_IPIP, P.PROTO_IPV6, P.PROTO_TCP, P.PROTO_ICMP];
          const proto = protos[(rnd() * protos.length) | 0];
          const f = rnd() < 0.5 ? P.ipv4({ proto }, tail) : P.ipv6({ nh: proto === P.PROTO_ICMP ? P.PROTO_ICMP6 : proto }, tail);
          c.decode(f, 101, wirelenFor(rnd, f.length), f[0] >> 4 === 6 ? P.ETH_IPV6 : P.ETH_IPV4);
          continue;
        }
        const s = seeds[(rnd() * seeds.length) | 0];
        const f = mutate(rnd, s.data);
        c.decode(f, 101, wirelenFor(rnd, f.length), s.et);
      }
      break;
    }
    case 'defrag': {
      // Mutated fragments of a few datagrams into one small Defragmenter: never throws,
      // caps hold after every fragment, reassembled datagrams decode without breaking.
      const d = new Defragmenter({ maxDatagrams: 64, maxBytes: 256 * 1024, timeout: 2 });
      const seg = P.udp(1, 2, P.fill(3000, 7));
      const seeds: Uint8Array[] = [];
      for (let off = 0; off < seg.length; off += 1480) {
        const part = seg.subarray(off, Math.min(seg.length, off + 1480));
        seeds.push(P.eth({ type: P.ETH_IPV4 }, P.ipv4({ proto: P.PROTO_UDP, id: 5, mf: off + 1480 < seg.length, fragOffset: off }, part)));
        seeds.push(P.eth({ type: P.ETH_IPV6 }, P.ipv6({ nh: 44 }, P.frag6(P.PROTO_UDP, off, off + 1480 < seg.length, 5, part))));
      }
      let reassembled = 0;
      let ts = 0;
      const pkt = new Packet();
      for (let i = 0; i < iterations; i++) {
        ts += rnd() * 0.05;
        const s = seeds[(rnd() * seeds.length) | 0];
        const f = rnd() < 0.3 ? s : mutate(rnd, s);
        const buf = new Uint8Array(f.length + 8);
        buf.set(f, 4);
        pkt.reset(buf, 4, f.length, f.length);
        let r: number;
        try { r = decodeFrame(pkt, 1); } catch (e) { c.fail(`decode threw ${(e as Error).message}`, f); continue; }
        if (r !== Reason.FRAGMENT_HELD || pkt.l3Truncated) continue;
        let dg: Uint8Array | null = null;
        const t = performance.now();
        try { dg = d.add(pkt, ts); } catch (e) { c.fail(`defrag threw ${(e as Error).message}`, f); continue; }
        c.res.maxMs = Math.max(c.res.maxMs, performance.now() - t);
        if (d.bytesHeld > d.limits.maxBytes || d.datagramsInProgress > d.limits.maxDatagrams || d.bytesHeld < 0) c.fail(`caps broken: ${d.bytesHeld} bytes, ${d.datagramsInProgress} datagrams`, f);
        if (dg !== null) {
          reassembled++;
          if (dg.length > 65535 + 40) c.fail(`datagram of ${dg.length} bytes`, f);
          c.decode(dg, 101, dg.length);
        }
      }
      c.res.extra.reassembled = reassembled;
      for (let i = 0; i < Reason.COUNT; i++) if (d.counts[i] > 0) c.res.extra[`defrag_${REASON_NAMES[i]}`] = d.counts[i];
      break;
    }
    case 'reader': {
      // Mutated capture files (corpus files and a generated pcapng) through the real reader
      // with small chunks: never throws, ends, reports no more records than the file can hold,
      // returns every chunk to the pool.
      const dir = mkdtempSync(join(tmpdir(), 'ndr-fuzz-'));
      try {
        const files: Uint8Array[] = [];
        if (corpusAvailable()) for (const f of corpusCaptures()) { const b = readFileSync(join(CORPUS, f)); if (b.length < 200_000) files.push(new Uint8Array(b)); }
        const w = new PcapngWriter().shb(true).idb(1, { tsresol: 9 }).idb(113).epb(0, 5n, P.fill(60)).spb(P.fill(40)).shb(false).idb(101, { tsresol: 0x8a, tsoffset: 7n }).pb(0, 9n, P.fill(30)).block(0xabc, P.fill(8));
        files.push(w.bytes());
        files.push(pcapFile({ le: false, nano: true }, [{ sec: 1, frac: 2, data: P.fill(60) }, { sec: 3, frac: 4, data: P.fill(70) }]));
        c.res.extra.seedFiles = files.length;
        let records = 0;
        for (let i = 0; i < iterations; i++) {
          const src = files[(rnd() * files.length) | 0];
          const m = src.slice();
          // Flip/overwrite up to 16 bytes anywhere (headers included), then maybe truncate or insert.
          const k = 1 + ((rnd() * 16) | 0);
          for (let j = 0; j < k; j++) m[(rnd() * m.length) | 0] = rnd() < 0.5 ? INTERESTING[(rnd() * INTERESTING.length) | 0] : (rnd() * 256) | 0;
          let bytes: Uint8Array = m;
          const x = rnd();
          if (x < 0.25) bytes = m.subarray(0, (rnd() * m.length) | 0);
          else if (x < 0.45) { const at = (rnd() * m.length) | 0; const ins = randomBytes(rnd, 1 + ((rnd() * 64) | 0)); const o = new Uint8Array(m.length + ins.length); o.set(m.subarray(0, at)); o.set(ins, at); o.set(m.subarray(at), at + ins.length); bytes = o; }
          const path = join(dir, `f${i % 8}`);
          writeFileSync(path, bytes);
          const t = performance.now();
          try {
            const r = await readCapture([path], { chunks: 3, chunkBytes: 1 << 20 });
            records += r.count;
            if (r.count > Math.ceil(bytes.length / 12)) c.fail(`${r.count} records from ${bytes.length} bytes`, bytes);
            if (r.pool.inUse !== 0) c.fail(`${r.pool.inUse} chunks not returned`, bytes);
            const name = r.damage.total > 0 ? 'damaged' : r.count > 0 ? 'clean' : 'empty';
            c.res.reasons[name] = (c.res.reasons[name] ?? 0) + 1;
          } catch (e) {
            c.fail(`reader threw ${(e as Error).message}`, bytes);
          }
          c.res.maxMs = Math.max(c.res.maxMs, performance.now() - t);
        }
        c.res.extra.records = records;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      break;
    }
    case 'watchdog-selftest':
      // Stands in for a decoder stuck in a loop: the parent must kill it.
      for (;;) { /* spin */ }
    default:
      throw new Error(`unknown campaign ${campaign}`);
  }
  process.stdout.write(JSON.stringify(c.done()));
}

await main();
