/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): a SHA-1 over seed, the
 * ordered endpoint pair, protocol and ports, base64, prefixed "1:". ICMP "ports" follow the
 * spec's own type mapping (one-way messages are never reordered).
 */
import { digest } from '../../parsers/digest.js';
import { isV4Mapped } from '../net/addr-format.js';

const ICMP4_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 17: 18, 18: 17 };
const ICMP6_PAIRS: Record<number, number> = {
  128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
};

/** Scratch input: seed(2) + 2×16 address bytes + proto + pad + 2 ports = at most 40 bytes. */
const scratch = Buffer.alloc(40);

/** Addresses as four words each (IPv4-mapped for IPv4). For ICMP pass type as sport and code as dport. */
export function communityId(
  proto: number,
  s: readonly number[], sport: number,
  d: readonly number[], dport: number,
  seed = 0,
): string {
  let p1 = sport;
  let p2 = dport;
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const pairs = proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS;
    const m = pairs[sport];
    if (m === undefined) oneWay = true;
    else p2 = m;
  }
  const v4 = isV4Mapped(s[0], s[1], s[2]) && isV4Mapped(d[0], d[1], d[2]);
  let a = s;
  let b = d;
  if (!oneWay && !lessThan(s, d, p1, p2, v4)) {
    a = d;
    b = s;
    const tp = p1; p1 = p2; p2 = tp;
  }
  const buf = scratch;
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  o = writeAddr(buf, o, a, v4);
  o = writeAddr(buf, o, b, v4);
  buf[o++] = proto;
  buf[o++] = 0;
  if (proto === 6 || proto === 17 || proto === 1 || proto === 58 || proto === 132) {
    o = buf.writeUInt16BE(p1, o);
    o = buf.writeUInt16BE(p2, o);
  }
  return '1:' + digest('sha1', buf.subarray(0, o), 'base64');
}

function writeAddr(buf: Buffer, o: number, w: readonly number[], v4: boolean): number {
  if (v4) return buf.writeUInt32BE(w[3] >>> 0, o);
  for (let i = 0; i < 4; i++) o = buf.writeUInt32BE(w[i] >>> 0, o);
  return o;
}

/** Address (then port) order in network byte order, as the spec's reference implementation compares. */
function lessThan(a: readonly number[], b: readonly number[], pa: number, pb: number, v4: boolean): boolean {
  for (let i = v4 ? 3 : 0; i < 4; i++) {
    const x = a[i] >>> 0;
    const y = b[i] >>> 0;
    if (x !== y) return x < y;
  }
  return pa < pb;
}
