/**
 * Text-address lookups over the project's precompiled network matcher (models/net NetworkSet):
 * flow records and events carry addresses as strings, so parse them allocation-free into the
 * decoders' four-word form (IPv4 mapped into ::ffff:0:0/96) and match with integer masks.
 */
import { NetworkSet, parseCidr, type ParsedCidr } from '../net/networks.js';
import { parseIPv4, parseIPv6 } from './ip.js';

/** parseCidr that returns the error text instead of throwing (config validation names the key). */
export function tryParseCidr(text: unknown): ParsedCidr | string {
  if (typeof text !== 'string' || text.trim() === '') return `expected a CIDR string like "10.20.0.0/16" (got ${JSON.stringify(text)})`;
  try {
    return parseCidr(text);
  } catch (e) {
    return (e as Error).message;
  }
}

const w6 = new Uint32Array(4);

/**
 * Distinct addresses whose match is remembered per table. Detections ask the same tables (zones,
 * proxies, internal networks) about the same few thousand hosts on every flow; a Map hit on the
 * record's string (hashed once for the baseline's host lookups anyway) is cheaper than parsing it
 * and scanning the networks. Past the bound the cache starts over (a scan's sweep of fresh
 * addresses must not grow it).
 */
const CACHE_MAX = 8192;

/** Networks tagged with values; `lookup` returns the value of the most specific match. */
export class IpTable<T> {
  private set: NetworkSet;
  private values: T[];
  /** address text → matching entry's index, or -1 (no match or not an address) */
  private cache = new Map<string, number>();

  constructor(entries: readonly { cidr: ParsedCidr; value: T }[] = []) {
    this.values = entries.map((e) => e.value);
    this.set = new NetworkSet(entries.map((e, i) => ({ cidr: e.cidr, id: i })));
  }

  get size(): number {
    return this.set.size;
  }

  lookup(ip: string): T | undefined {
    if (this.values.length === 0) return undefined;
    let id = this.cache.get(ip);
    if (id === undefined) {
      id = this.match(ip);
      if (this.cache.size >= CACHE_MAX) this.cache.clear();
      this.cache.set(ip, id);
    }
    return id >= 0 ? this.values[id] : undefined;
  }

  private match(ip: string): number {
    const v4 = parseIPv4(ip);
    if (v4 >= 0) return this.set.lookup(0, 0, 0xffff, v4);
    if (parseIPv6(ip, w6)) return this.set.lookup(w6[0]!, w6[1]!, w6[2]!, w6[3]!);
    return -1;
  }

  has(ip: string): boolean {
    return this.lookup(ip) !== undefined;
  }
}
