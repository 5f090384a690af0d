/**
 * Network lists parsed once with ip-num (validation, clear errors) and matched with precompiled
 * integer masks: `(ip & mask) === net` for IPv4, four 32-bit words for IPv6.
 */
import { IPv4CidrRange, IPv6CidrRange, Validator } from 'ip-num';
import { parseIPv4, parseIPv6 } from './ip.js';

export interface ParsedNet {
  v6: boolean;
  prefix: number;
  /** IPv4: [net, mask]; IPv6: [n0, n1, n2, n3, m0, m1, m2, m3]. */
  words: Uint32Array;
  text: string;
}

function maskWord(prefix: number, word: number): number {
  const bits = Math.max(0, Math.min(32, prefix - word * 32));
  return bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
}

/**
 * Parse `a.b.c.d/n`, `a.b.c.d` (a /32), IPv6 `x::/n` or a bare IPv6 address. Host bits set in
 * the network part are an error (a typo such as 10.20.1.0/16 usually means something else).
 * Returns an error string instead of throwing so config validation can name the key.
 */
export function parseNet(text: string): ParsedNet | string {
  if (typeof text !== 'string' || text.length === 0) return 'expected a CIDR string like "10.20.0.0/16"';
  const s = text.trim();
  const isV6 = s.includes(':');
  const withPrefix = s.includes('/') ? s : `${s}/${isV6 ? 128 : 32}`;
  if (!isV6) {
    const [ok, errs] = Validator.isValidIPv4CidrRange(withPrefix);
    if (!ok) return `invalid IPv4 network "${text}": ${errs.join('; ')}`;
    const r = IPv4CidrRange.fromCidr(withPrefix);
    const prefix = Number(r.cidrPrefix.getValue());
    const net = Number(r.getFirst().getValue());
    const mask = maskWord(prefix, 0);
    return { v6: false, prefix, words: Uint32Array.of(net >>> 0, mask), text: s };
  }
  const [ok, errs] = Validator.isValidIPv6CidrRange(withPrefix);
  if (!ok) return `invalid IPv6 network "${text}": ${errs.join('; ')}`;
  const r = IPv6CidrRange.fromCidr(withPrefix);
  const prefix = Number(r.cidrPrefix.getValue());
  let v = r.getFirst().getValue();
  const words = new Uint32Array(8);
  for (let w = 3; w >= 0; w--) {
    words[w] = Number(v & 0xffffffffn);
    v >>= 32n;
  }
  for (let w = 0; w < 4; w++) words[4 + w] = maskWord(prefix, w);
  return { v6: true, prefix, words, text: s };
}

const scratch6 = new Uint32Array(4);

/** Does `ip` (text) fall in `n`? */
export function netContains(n: ParsedNet, ip: string): boolean {
  if (!n.v6) {
    const v = parseIPv4(ip);
    return v >= 0 && ((v & n.words[1]!) >>> 0) === n.words[0];
  }
  if (!parseIPv6(ip, scratch6)) return false;
  return netContains6(n, scratch6);
}

function netContains6(n: ParsedNet, a: Uint32Array): boolean {
  const w = n.words;
  return (
    ((a[0]! & w[4]!) >>> 0) === w[0] &&
    ((a[1]! & w[5]!) >>> 0) === w[1] &&
    ((a[2]! & w[6]!) >>> 0) === w[2] &&
    ((a[3]! & w[7]!) >>> 0) === w[3]
  );
}

/** A list of networks, each tagged with a value (e.g. a zone index); longest prefix wins. */
export class NetTable<T> {
  private v4net: number[] = [];
  private v4mask: number[] = [];
  private v4prefix: number[] = [];
  private v4val: T[] = [];
  private v6: { n: ParsedNet; val: T }[] = [];

  add(n: ParsedNet, val: T): void {
    if (n.v6) {
      this.v6.push({ n, val });
      this.v6.sort((a, b) => b.n.prefix - a.n.prefix);
      return;
    }
    // keep sorted by descending prefix so the first hit is the most specific
    let i = 0;
    while (i < this.v4prefix.length && this.v4prefix[i]! >= n.prefix) i++;
    this.v4net.splice(i, 0, n.words[0]!);
    this.v4mask.splice(i, 0, n.words[1]!);
    this.v4prefix.splice(i, 0, n.prefix);
    this.v4val.splice(i, 0, val);
  }

  get size(): number {
    return this.v4net.length + this.v6.length;
  }

  /** Value of the most specific network containing `ip`, or undefined. */
  lookup(ip: string): T | undefined {
    const v = parseIPv4(ip);
    if (v >= 0) return this.lookup4(v);
    if (this.v6.length === 0 || !parseIPv6(ip, scratch6)) return undefined;
    for (const e of this.v6) if (netContains6(e.n, scratch6)) return e.val;
    return undefined;
  }

  lookup4(v: number): T | undefined {
    const nets = this.v4net;
    const masks = this.v4mask;
    for (let i = 0; i < nets.length; i++) {
      if (((v & masks[i]!) >>> 0) === nets[i]) return this.v4val[i];
    }
    return undefined;
  }
}

/** RFC 1918, CGNAT, link-local, loopback and IPv6 ULA/link-local: the default "internal" space. */
export const DEFAULT_INTERNAL_NETWORKS = [
  '10.0.0.0/8',
  '172.16.0.0/12',
  '192.168.0.0/16',
  '100.64.0.0/10',
  '169.254.0.0/16',
  '127.0.0.0/8',
  'fc00::/7',
  'fe80::/10',
  '::1/128',
];
