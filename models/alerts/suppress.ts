/**
 * Allowlist / suppression rules: type + src/dst (CIDR, zone, IP) + port + destination name, each
 * with wildcards that actually match what operators mean:
 *  - type "c2.*" matches every type under c2; "*" everything.
 *  - name "*.windowsupdate.com" matches windowsupdate.com itself and every deeper subdomain
 *    (RITA/ntopng users report "*.x" not covering "x" or "a.b.x"); "*" may appear anywhere.
 *  - names are matched against the alert's own names (SNI, DNS query, HTTP host, registered
 *    domain) AND against every name the destination IP was resolved from or presented (DNS
 *    answers incl. CNAME chains, TLS SNI) — an IP-only alert to a CDN edge is still suppressible
 *    by the name the client asked for.
 *  - src/dst accept "10.20.0.0/16", "10.20.1.5", "zone:servers", "*" or a list of them.
 *  - port accepts 443, "443", "8000-8100", "*" or a list.
 */
import { IpTable, tryParseCidr } from '../core/ip-table.js';
import type { ParsedCidr } from '../net/networks.js';
import { normName } from '../core/names.js';
import type { AlertCandidate } from './types.js';

export interface SuppressRuleConfig {
  type?: string;
  src?: string | string[];
  dst?: string | string[];
  port?: number | string | (number | string)[];
  name?: string | string[];
  comment?: string;
}

interface AddrMatcher {
  any: boolean;
  nets: IpTable<true>;
  zones: Set<string>;
}

interface CompiledRule {
  index: number;
  type: RegExp | null;
  src: AddrMatcher | null;
  dst: AddrMatcher | null;
  ports: [number, number][] | null;
  names: RegExp[] | null;
  hits: number;
}

export function globToRegExp(glob: string, domain: boolean): RegExp {
  const g = domain ? normName(glob) : glob;
  if (g === '*') return /^[\s\S]*$/;
  const esc = (s: string) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '.*');
  if (domain && g.startsWith('*.')) {
    // "*.example.com": the domain itself or any subdomain depth
    return new RegExp(`^(?:.*\\.)?${esc(g.slice(2))}$`, 'i');
  }
  return new RegExp(`^${esc(g)}$`, 'i');
}

function toList<T>(x: T | T[] | undefined): T[] {
  return x === undefined ? [] : Array.isArray(x) ? x : [x];
}

/** Validate and compile; errors name the offending key. */
export function compileAddr(spec: string | string[] | undefined, key: string, errors: string[]): AddrMatcher | null {
  if (spec === undefined) return null;
  const m: AddrMatcher = { any: false, nets: new IpTable<true>(), zones: new Set() };
  const cidrs: { cidr: ParsedCidr; value: true }[] = [];
  for (const s of toList(spec)) {
    if (typeof s !== 'string') {
      errors.push(`${key}: expected a CIDR, IP, "zone:NAME" or "*" (got ${JSON.stringify(s)})`);
      continue;
    }
    if (s === '*') m.any = true;
    else if (s.startsWith('zone:')) m.zones.add(s.slice(5));
    else {
      const n = tryParseCidr(s);
      if (typeof n === 'string') errors.push(`${key}: ${n}`);
      else cidrs.push({ cidr: n, value: true });
    }
  }
  m.nets = new IpTable(cidrs);
  return m;
}

export function compilePorts(spec: SuppressRuleConfig['port'], key: string, errors: string[]): [number, number][] | null {
  if (spec === undefined) return null;
  const out: [number, number][] = [];
  for (const p of toList(spec)) {
    if (p === '*') return null;
    const s = String(p);
    const m = /^(\d{1,5})(?:-(\d{1,5}))?$/.exec(s);
    const lo = m ? +m[1]! : NaN;
    const hi = m ? (m[2] ? +m[2] : lo) : NaN;
    if (!m || lo > 65535 || hi > 65535 || lo > hi) {
      errors.push(`${key}: expected a port, "lo-hi" range or "*" (got ${JSON.stringify(p)})`);
      continue;
    }
    out.push([lo, hi]);
  }
  return out;
}

export interface HostContext {
  /** Zone name of an address, or undefined. */
  zoneOf(ip: string): string | undefined;
  /** Names the address is known by (DNS answers, SNI), most recent first. */
  namesOf(ip: string): readonly string[];
}

export class Suppressor {
  private rules: CompiledRule[] = [];

  constructor(configs: readonly SuppressRuleConfig[], keyPrefix: string, errors: string[]) {
    configs.forEach((c, i) => {
      const key = `${keyPrefix}[${i}]`;
      if (c === null || typeof c !== 'object') {
        errors.push(`${key}: expected an object with type/src/dst/port/name`);
        return;
      }
      for (const k of Object.keys(c)) {
        if (!['type', 'src', 'dst', 'port', 'name', 'comment'].includes(k)) {
          errors.push(`${key}.${k}: unknown key (allowed: type, src, dst, port, name, comment)`);
        }
      }
      if (c.type !== undefined && typeof c.type !== 'string') errors.push(`${key}.type: expected a string like "c2.*"`);
      const names = toList(c.name);
      for (const n of names) if (typeof n !== 'string' || n === '') errors.push(`${key}.name: expected a domain glob like "*.windowsupdate.com"`);
      this.rules.push({
        index: i,
        type: typeof c.type === 'string' ? globToRegExp(c.type, false) : null,
        src: compileAddr(c.src, `${key}.src`, errors),
        dst: compileAddr(c.dst, `${key}.dst`, errors),
        ports: compilePorts(c.port, `${key}.port`, errors),
        names: names.length ? names.filter((n) => typeof n === 'string').map((n) => globToRegExp(n, true)) : null,
        hits: 0,
      });
    });
  }

  get size(): number {
    return this.rules.length;
  }

  /** Index of the first matching rule, or -1. */
  match(c: AlertCandidate, hosts: HostContext): number {
    for (const r of this.rules) {
      if (r.type && !r.type.test(c.type)) continue;
      if (r.src && !addrMatches(r.src, c.src, hosts)) continue;
      if (r.dst && (c.dst === null || !addrMatches(r.dst, c.dst, hosts))) continue;
      if (r.ports) {
        const p = c.port;
        if (p === undefined || !r.ports.some(([lo, hi]) => p >= lo && p <= hi)) continue;
      }
      if (r.names) {
        const cands = [...(c.names ?? []), ...(c.dst ? hosts.namesOf(c.dst) : [])];
        if (!cands.some((n) => r.names!.some((re) => re.test(normName(n))))) continue;
      }
      r.hits++;
      return r.index;
    }
    return -1;
  }

  hitCounts(): number[] {
    return this.rules.map((r) => r.hits);
  }
}

function addrMatches(m: AddrMatcher, ip: string, hosts: HostContext): boolean {
  if (m.any) return true;
  if (m.nets.size > 0 && m.nets.lookup(ip)) return true;
  if (m.zones.size > 0) {
    const z = hosts.zoneOf(ip);
    if (z !== undefined && m.zones.has(z)) return true;
  }
  return false;
}
