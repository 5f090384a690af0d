/**
 * Community ID v1 (https://github.com/corelight/community-id-spec): a SHA-1 over seed, the
 * ordered endpoint pair, protocol and ports, base64, prefixed "1:". ICMP "ports" follow the
 * spec's own type mapping (one-way messages are never reordered).
 */
import { createHash } from 'node:crypto';
import { addrBytes } from '../net/addr-format.js';

const ICMP4_PAIRS: Record<number, number> = { 8: 0, 0: 8, 13: 14, 14: 13, 15: 16, 16: 15, 10: 9, 17: 18, 18: 17 };
const ICMP6_PAIRS: Record<number, number> = {
  128: 129, 129: 128, 133: 134, 134: 133, 135: 136, 136: 135, 130: 131, 131: 130, 139: 140, 140: 139, 144: 145, 145: 144,
};

/** Addresses as four words each (IPv4-mapped for IPv4). For ICMP pass type as sport and code as dport. */
export function communityId(
  proto: number,
  s: readonly number[], sport: number,
  d: readonly number[], dport: number,
  seed = 0,
): string {
  let sa = addrBytes(s[0], s[1], s[2], s[3]);
  let da = addrBytes(d[0], d[1], d[2], d[3]);
  let p1 = sport;
  let p2 = dport;
  let oneWay = false;
  if (proto === 1 || proto === 58) {
    const pairs = proto === 1 ? ICMP4_PAIRS : ICMP6_PAIRS;
    const m = pairs[sport];
    if (m === undefined) oneWay = true;
    else p2 = m;
  }
  const hasPorts = proto === 6 || proto === 17 || proto === 1 || proto === 58 || proto === 132;
  if (!oneWay && !lessThan(sa, da, p1, p2)) {
    const t = sa; sa = da; da = t;
    const tp = p1; p1 = p2; p2 = tp;
  }
  const buf = Buffer.alloc(2 + sa.length + da.length + 2 + (hasPorts ? 4 : 0));
  let o = buf.writeUInt16BE(seed & 0xffff, 0);
  buf.set(sa, o); o += sa.length;
  buf.set(da, o); o += da.length;
  buf[o++] = proto;
  buf[o++] = 0;
  if (hasPorts) {
    o = buf.writeUInt16BE(p1, o);
    buf.writeUInt16BE(p2, o);
  }
  return '1:' + createHash('sha1').update(buf).digest('base64');
}

function lessThan(a: Uint8Array, b: Uint8Array, pa: number, pb: number): boolean {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return a[i] < b[i];
  }
  return pa < pb;
}
