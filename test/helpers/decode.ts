/**
 * Runs `decodeFrame` on a fixture the way the dispatcher does: the frame sits inside a larger
 * buffer (at a non-zero offset, followed by junk bytes) so a decoder that reads from buffer
 * start or past the captured length shows up as a wrong answer instead of passing by luck.
 */
import { Packet } from '../../parsers/packet.js';
import { decodeFrame } from '../../parsers/decode.js';
import { REASON_NAMES } from '../../parsers/reasons.js';

export const LEAD = 13;
/** Bytes after the frame: look like a plausible continuation, so over-reads decode garbage. */
const TRAIL = 64;

export interface Decoded {
  /** Reason name ('ok', 'tcp_truncated', …). */
  reason: string;
  code: number;
  pkt: Packet;
}

export interface DecodeOpts {
  /** Captured bytes (default: the whole frame). Bytes after it are still in the buffer. */
  caplen?: number;
  /** Original length (default: frame length). */
  wirelen?: number;
}

const shared = new Packet();

export function decodeBytes(frame: Uint8Array, linktype = 1, o: DecodeOpts = {}, pkt: Packet = shared): Decoded {
  const caplen = o.caplen ?? frame.length;
  const buf = new Uint8Array(LEAD + frame.length + TRAIL).fill(0x45); // 0x45 = an IPv4 header start
  buf.set(frame, LEAD);
  pkt.reset(buf, LEAD, caplen, o.wirelen ?? frame.length);
  const code = decodeFrame(pkt, linktype);
  return { reason: REASON_NAMES[code] ?? `invalid(${code})`, code, pkt };
}

/** Source address of the innermost IP header as text. */
export function srcOf(p: Packet): string {
  return addrText(p.src0, p.src1, p.src2, p.src3);
}

export function dstOf(p: Packet): string {
  return addrText(p.dst0, p.dst1, p.dst2, p.dst3);
}

/** Outer addresses of tunnel level `i` as [src, dst]. */
export function tunnelAddrs(p: Packet, i: number): [string, string] {
  const a = p.tunAddr;
  const o = i * 8;
  return [addrText(a[o], a[o + 1], a[o + 2], a[o + 3]), addrText(a[o + 4], a[o + 5], a[o + 6], a[o + 7])];
}

/** IPv4-mapped words print as dotted quads, everything else as full IPv6 (no compression). */
export function addrText(w0: number, w1: number, w2: number, w3: number): string {
  if (w0 === 0 && w1 === 0 && w2 === 0xffff) return [w3 >>> 24, (w3 >>> 16) & 0xff, (w3 >>> 8) & 0xff, w3 & 0xff].join('.');
  return [w0, w1, w2, w3].flatMap((w) => [(w >>> 16).toString(16), (w & 0xffff).toString(16)]).join(':');
}

/** Canonical uncompressed IPv6 text for comparisons: '2001:db8::1' → '2001:db8:0:0:0:0:0:1'. */
export function v6(s: string): string {
  const [h, t] = s.split('::');
  const hw = h === '' ? [] : h.split(':');
  const tw = t === undefined || t === '' ? [] : t.split(':');
  const words = t === undefined ? hw : [...hw, ...new Array(8 - hw.length - tw.length).fill('0'), ...tw];
  return words.map((w) => parseInt(w, 16).toString(16)).join(':');
}
