/**
 * CIDR sets and zones, parsed once with ip-num and matched with precompiled integer masks
 * (ip-num's own `contains()` rebuilds masks from strings: ~0.24 ms per lookup, far too slow for
 * per-flow use). Addresses are given as the four 32-bit words the decoders produce, IPv4 mapped
 * into ::ffff:0:0/96.
 */
import { IPv4CidrRange, IPv6CidrRange } from 'ip-num';

export interface ParsedCidr {
  v6: boolean;
  /** Network words (IPv4: one word in w[3]). */
  w: [number, number, number, number];
  /** Mask words. */
  m: [number, number, number, number];
  prefix: number;
  text: string;
}

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

/**
 * A set of networks with longest-prefix lookup returning the index of the matching entry
 * (entries keep their caller-given index, so zones can be looked up by it).
 */
export class NetworkSet {
  private readonly nets: Uint32Array;
  private readonly masks: Uint32Array;
  private readonly ids: Int32Array;

  constructor(entries: { cidr: ParsedCidr; id: number }[]) {
    // Longest prefix first, so the first match is the most specific.
    const sorted = [...entries].sort((a, b) => b.cidr.prefix - a.cidr.prefix);
    this.nets = new Uint32Array(sorted.length * 4);
    this.masks = new Uint32Array(sorted.length * 4);
    this.ids = new Int32Array(sorted.length);
    sorted.forEach((e, i) => {
      for (let k = 0; k < 4; k++) {
        this.nets[i * 4 + k] = e.cidr.w[k];
        this.masks[i * 4 + k] = e.cidr.m[k];
      }
      this.ids[i] = e.id;
    });
  }

  static of(cidrs: readonly string[]): NetworkSet {
    return new NetworkSet(cidrs.map((c, i) => ({ cidr: parseCidr(c), id: i })));
  }

  get size(): number {
    return this.ids.length;
  }

  /** Index (caller's id) of the most specific network containing the address, or -1. */
  lookup(w0: number, w1: number, w2: number, w3: number): number {
    const n = this.nets;
    const m = this.masks;
    for (let i = 0, k = 0; i < this.ids.length; i++, k += 4) {
      if (((w3 & m[k + 3]) >>> 0) === n[k + 3] && ((w2 & m[k + 2]) >>> 0) === n[k + 2] &&
        ((w1 & m[k + 1]) >>> 0) === n[k + 1] && ((w0 & m[k]) >>> 0) === n[k]) {
        return this.ids[i];
      }
    }
    return -1;
  }

  contains(w0: number, w1: number, w2: number, w3: number): boolean {
    return this.lookup(w0, w1, w2, w3) >= 0;
  }
}

/** RFC 1918, RFC 6598 shared space, unique-local and link-local: the default "internal". */
export const DEFAULT_INTERNAL_NETWORKS: readonly string[] = [
  '10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', '100.64.0.0/10', '169.254.0.0/16',
  'fc00::/7', 'fe80::/10',
];
