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

/** Networks tagged with values; `lookup` returns the value of the most specific match. */
export class IpTable<T> {
  private set: NetworkSet;
  private values: T[];

  constructor(entries: readonly { cidr: ParsedCidr; value: T }[] = []) {
    this.values = entries.map((e) => e.value);
    this.set = new NetworkSet(entries.map((e, i) => ({ cidr: e.cidr, id: i })));
  }

  get size(): number {
    return this.set.size;
  }

  lookup(ip: string): T | undefined {
    if (this.values.length === 0) return undefined;
    const v4 = parseIPv4(ip);
    let id: number;
    if (v4 >= 0) id = this.set.lookup(0, 0, 0xffff, v4);
    else if (parseIPv6(ip, w6)) id = this.set.lookup(w6[0]!, w6[1]!, w6[2]!, w6[3]!);
    else return undefined;
    return id >= 0 ? this.values[id] : undefined;
  }

  has(ip: string): boolean {
    return this.lookup(ip) !== undefined;
  }
}
