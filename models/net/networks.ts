/**
 * CIDR sets and zones, parsed once with ip-num and matched with precompiled integer masks
 * (ip-num's own `contains()` rebuilds masks from strings: ~0.24 ms per lookup, far too slow for
 * per-flow use). Addresses are given as the four 32-bit words the decoders produce, IPv4 mapped
 * into ::ffff:0:0/96.
 */
import { IPv4CidrRange, IPv6CidrRange } from 'ip-num';
import { NetworkSet, type ParsedCidr } from './network-set.js';

export { NetworkSet, type ParsedCidr };

/** Parse "a.b.c.d/n" or "x::/n" (a bare address means a host route). Throws a clear Error. */
export function parseCidr(text: string): ParsedCidr {
  const t = text.trim();
  const withPrefix = t.includes('/') ? t : t.includes(':') ? `${t}/128` : `${t}/32`;
  if (withPrefix.includes(':')) {
    let r: IPv6CidrRange;
    try {
      r = IPv6CidrRange.fromCidr(withPrefix);
    } catch (e) {
      throw new Error(`invalid IPv6 network "${text}": ${(e as Error).message}`);
    }
    const prefix = Number(r.cidrPrefix.getValue());
    const net = r.getFirst().getValue();
    const w = words128(net);
    const m = maskWords(prefix);
    for (let i = 0; i < 4; i++) w[i] = (w[i] & m[i]) >>> 0;
    return { v6: true, w, m, prefix, text: t };
  }
  let r: IPv4CidrRange;
  try {
    r = IPv4CidrRange.fromCidr(withPrefix);
  } catch (e) {
    throw new Error(`invalid IPv4 network "${text}": ${(e as Error).message}`);
  }
  const prefix = Number(r.cidrPrefix.getValue());
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  const net = (Number(r.getFirst().getValue()) & mask) >>> 0;
  return { v6: false, w: [0, 0, 0xffff, net], m: [0xffffffff, 0xffffffff, 0xffffffff, mask], prefix: prefix + 96, text: t };
}

function words128(v: bigint): [number, number, number, number] {
  return [
    Number((v >> 96n) & 0xffffffffn),
    Number((v >> 64n) & 0xffffffffn),
    Number((v >> 32n) & 0xffffffffn),
    Number(v & 0xffffffffn),
  ];
}

function maskWords(prefix: number): [number, number, number, number] {
  const m: [number, number, number, number] = [0, 0, 0, 0];
  for (let i = 0; i < 4; i++) {
    const bits = Math.max(0, Math.min(32, prefix - 32 * i));
    m[i] = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  }
  return m;
}

/** A NetworkSet from CIDR strings (ids are the list positions). Throws on a bad CIDR. */
export function networkSetOf(cidrs: readonly string[]): NetworkSet {
  return new NetworkSet(cidrs.map((c, i) => ({ cidr: parseCidr(c), id: i })));
}

/** RFC 1918, RFC 6598 shared space, unique-local and link-local: the default "internal". */
export const DEFAULT_INTERNAL_NETWORKS: readonly string[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16',
  'fc00::/7', 'fe80::/10',
];
