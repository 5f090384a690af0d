/**
 * Analytics configuration: a typed options object with defaults and a validator whose errors
 * name the bad key ("analytics.zones[2].networks[0]: invalid IPv4 network …"). The sensor's
 * config loader passes the `analytics` section (parsed YAML/JSON) to `resolveAnalyticsConfig`.
 * Networks are parsed once here (ip-num) and compiled into integer-mask tables.
 */
import { DEFAULT_INTERNAL_NETWORKS, type ParsedCidr } from '../net/networks.js';
import { IpTable, tryParseCidr } from '../core/ip-table.js';
import { LocalClock } from '../baseline/clock.js';
import { DETECTIONS } from '../detect/registry.js';
import type { OptionSchema } from '../detect/types.js';
import { Suppressor, type SuppressRuleConfig } from '../alerts/suppress.js';
import { ZONE_KINDS, type ZoneKind } from '../net/zones.js';

export { ZONE_KINDS, type ZoneKind };

export interface ZoneConfig {
  name: string;
  networks: string[];
  kind: ZoneKind;
}

export interface AnalyticsConfig {
  sensorId: string;
  /** IANA zone for hour-of-day profiles. */
  timeZone: string;
  /** Address space treated as internal when a record has no `direction`. */
  internalNetworks: string[];
  /** The site's own DNS domains (never DGA/tunnel targets), e.g. ["stmarys.local"]. */
  internalDomains: string[];
  zones: ZoneConfig[];
  roles: {
    domainControllers: string[];
    dnsServers: string[];
    /** Forward proxies: client→proxy traffic counts as the client's outbound traffic. */
    proxies: string[];
  };
  baseline: {
    minLearningDays: number;
    edgeMatureHours: number;
    maxAgeDays: number;
    halfLifeDays: number;
    peakDecayPerDay: number;
    groupZoneMinPairs: number;
    maxHosts: number;
    maxEdges: number;
    maxExternals: number;
    maxNames: number;
    maxResolved: number;
    saveIntervalSec: number;
  };
  alerts: {
    suppressionWindowSec: number;
    caseWindowSec: number;
    maxCases: number;
    maxOpenAlerts: number;
    immatureSeverityCap: number;
  };
  suppress: SuppressRuleConfig[];
  /** Per detection type: { enabled, ...thresholds } (see each module's option schema). */
  detections: Record<string, Record<string, unknown>>;
  limits: {
    /** Flows with interim records whose counters are remembered (for deltas). */
    maxInterimFlows: number;
    /** uid → SNI/HTTP host remembered until the flow record arrives. */
    maxUidNames: number;
  };
}

export const DEFAULT_CONFIG: AnalyticsConfig = {
  sensorId: 'ndr-sensor',
  timeZone: 'Europe/Berlin',
  internalNetworks: [...DEFAULT_INTERNAL_NETWORKS],
  internalDomains: [],
  zones: [],
  roles: { domainControllers: [], dnsServers: [], proxies: [] },
  baseline: {
    minLearningDays: 7,
    edgeMatureHours: 24,
    maxAgeDays: 35,
    halfLifeDays: 14,
    peakDecayPerDay: 0.93,
    groupZoneMinPairs: 5,
    maxHosts: 50_000,
    maxEdges: 1_000_000,
    maxExternals: 200_000,
    maxNames: 200_000,
    maxResolved: 100_000,
    saveIntervalSec: 300,
  },
  alerts: {
    suppressionWindowSec: 3600,
    caseWindowSec: 86400,
    maxCases: 10_000,
    maxOpenAlerts: 50_000,
    immatureSeverityCap: 6,
  },
  suppress: [],
  detections: {},
  limits: { maxInterimFlows: 200_000, maxUidNames: 200_000 },
};

type NumSpec = [min: number, max: number, int: boolean];
const BASELINE_SPEC: Record<keyof AnalyticsConfig['baseline'], NumSpec> = {
  minLearningDays: [0, 365, false],
  edgeMatureHours: [0, 24 * 365, false],
  maxAgeDays: [1, 3650, false],
  halfLifeDays: [0.5, 3650, false],
  peakDecayPerDay: [0, 1, false],
  groupZoneMinPairs: [1, 1e6, true],
  maxHosts: [10, 1e8, true],
  maxEdges: [10, 1e9, true],
  maxExternals: [10, 1e8, true],
  maxNames: [10, 1e8, true],
  maxResolved: [10, 1e8, true],
  saveIntervalSec: [0, 86400 * 7, false],
};
const ALERT_SPEC: Record<keyof AnalyticsConfig['alerts'], NumSpec> = {
  suppressionWindowSec: [0, 86400 * 30, false],
  caseWindowSec: [60, 86400 * 90, false],
  maxCases: [10, 1e8, true],
  maxOpenAlerts: [10, 1e8, true],
  immatureSeverityCap: [1, 10, true],
};
const LIMIT_SPEC: Record<keyof AnalyticsConfig['limits'], NumSpec> = {
  maxInterimFlows: [10, 1e8, true],
  maxUidNames: [10, 1e8, true],
};

export interface ResolvedZone {
  index: number;
  name: string;
  kind: ZoneKind;
}

/** Validated config plus the compiled matchers the engine uses. */
export interface ResolvedConfig {
  config: AnalyticsConfig;
  detections: { spec: (typeof DETECTIONS)[number]; options: Record<string, unknown> }[];
  internal: IpTable<true>;
  zones: IpTable<ResolvedZone>;
  zoneList: ResolvedZone[];
  dcs: IpTable<true>;
  dnsServers: IpTable<true>;
  proxies: IpTable<true>;
  suppressor: Suppressor;
  internalDomains: string[];
}

export class ConfigError extends Error {
  constructor(readonly errors: string[]) {
    super(`invalid analytics configuration:\n  ${errors.join('\n  ')}`);
    this.name = 'ConfigError';
  }
}

function isObj(x: unknown): x is Record<string, unknown> {
  return x !== null && typeof x === 'object' && !Array.isArray(x);
}

function unknownKeys(obj: Record<string, unknown>, allowed: readonly string[], path: string, errors: string[]): void {
  for (const k of Object.keys(obj)) {
    if (!allowed.includes(k)) {
      const near = allowed.find((a) => a.toLowerCase() === k.toLowerCase() || a.toLowerCase().startsWith(k.toLowerCase().slice(0, 5)));
      errors.push(`${path}.${k}: unknown key${near ? ` (did you mean "${near}"?)` : ''}; allowed: ${allowed.join(', ')}`);
    }
  }
}

function checkNum(v: unknown, [min, max, int]: NumSpec, path: string, errors: string[]): number | undefined {
  if (typeof v !== 'number' || !Number.isFinite(v) || (int && !Number.isInteger(v)) || v < min || v > max) {
    errors.push(`${path}: expected ${int ? 'an integer' : 'a number'} in [${min}, ${max}] (got ${JSON.stringify(v)})`);
    return undefined;
  }
  return v;
}

function checkStrings(v: unknown, path: string, errors: string[]): string[] | undefined {
  if (!Array.isArray(v) || v.some((s) => typeof s !== 'string')) {
    errors.push(`${path}: expected a list of strings (got ${JSON.stringify(v)})`);
    return undefined;
  }
  return v as string[];
}

function netTable(list: string[], path: string, errors: string[]): IpTable<true> {
  const e: { cidr: ParsedCidr; value: true }[] = [];
  list.forEach((s, i) => {
    const n = tryParseCidr(s);
    if (typeof n === 'string') errors.push(`${path}[${i}]: ${n}`);
    else e.push({ cidr: n, value: true });
  });
  return new IpTable(e);
}

function validateOptions(schema: OptionSchema, input: Record<string, unknown>, path: string, errors: string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  unknownKeys(input, ['enabled', ...Object.keys(schema)], path, errors);
  for (const [k, spec] of Object.entries(schema)) {
    const v = input[k];
    if (v === undefined) {
      out[k] = Array.isArray(spec.default) ? [...spec.default] : spec.default;
      continue;
    }
    const p = `${path}.${k}`;
    if (spec.kind === 'bool') {
      if (typeof v !== 'boolean') errors.push(`${p}: expected true or false (got ${JSON.stringify(v)})`);
      else out[k] = v;
    } else if (spec.kind === 'strings') {
      const s = checkStrings(v, p, errors);
      if (s) out[k] = s;
    } else {
      const n = checkNum(v, [spec.min ?? -Infinity, spec.max ?? Infinity, spec.kind === 'int'], p, errors);
      if (n !== undefined) out[k] = n;
    }
  }
  return out;
}

/**
 * Validate `input` (the `analytics` config section; undefined → all defaults). Returns the
 * resolved config and every error found (empty when valid). `prefix` names the section in
 * messages.
 */
export function validateAnalyticsConfig(input: unknown, prefix = 'analytics'): { resolved: ResolvedConfig | null; errors: string[] } {
  const errors: string[] = [];
  const src = input === undefined || input === null ? {} : input;
  if (!isObj(src)) return { resolved: null, errors: [`${prefix}: expected an object (got ${JSON.stringify(input)})`] };
  const D = DEFAULT_CONFIG;
  unknownKeys(src, Object.keys(D), prefix, errors);
  const cfg: AnalyticsConfig = structuredClone(D);

  if (src.sensorId !== undefined) {
    if (typeof src.sensorId !== 'string' || src.sensorId === '') errors.push(`${prefix}.sensorId: expected a non-empty string`);
    else cfg.sensorId = src.sensorId;
  }
  if (src.timeZone !== undefined) {
    if (typeof src.timeZone !== 'string' || !LocalClock.isValidZone(src.timeZone)) errors.push(`${prefix}.timeZone: unknown IANA time zone ${JSON.stringify(src.timeZone)} (e.g. "Europe/Berlin")`);
    else cfg.timeZone = src.timeZone;
  }
  for (const k of ['internalNetworks', 'internalDomains'] as const) {
    if (src[k] !== undefined) {
      const s = checkStrings(src[k], `${prefix}.${k}`, errors);
      if (s) cfg[k] = s;
    }
  }
  if (src.zones !== undefined) {
    if (!Array.isArray(src.zones)) errors.push(`${prefix}.zones: expected a list of {name, networks, kind}`);
    else {
      cfg.zones = [];
      const names = new Set<string>();
      src.zones.forEach((z, i) => {
        const p = `${prefix}.zones[${i}]`;
        if (!isObj(z)) return void errors.push(`${p}: expected {name, networks, kind}`);
        unknownKeys(z, ['name', 'networks', 'kind'], p, errors);
        if (typeof z.name !== 'string' || z.name === '') errors.push(`${p}.name: expected a non-empty string`);
        else if (names.has(z.name)) errors.push(`${p}.name: duplicate zone name "${z.name}"`);
        else names.add(z.name);
        const kind = z.kind ?? 'other';
        if (!ZONE_KINDS.includes(kind as ZoneKind)) errors.push(`${p}.kind: expected one of ${ZONE_KINDS.join(', ')} (got ${JSON.stringify(z.kind)})`);
        const nets = checkStrings(z.networks, `${p}.networks`, errors);
        cfg.zones.push({ name: String(z.name), networks: nets ?? [], kind: kind as ZoneKind });
      });
    }
  }
  if (src.roles !== undefined) {
    if (!isObj(src.roles)) errors.push(`${prefix}.roles: expected an object`);
    else {
      unknownKeys(src.roles, Object.keys(D.roles), `${prefix}.roles`, errors);
      for (const k of Object.keys(D.roles) as (keyof AnalyticsConfig['roles'])[]) {
        if (src.roles[k] !== undefined) {
          const s = checkStrings(src.roles[k], `${prefix}.roles.${k}`, errors);
          if (s) cfg.roles[k] = s;
        }
      }
    }
  }
  const section = <T extends Record<string, number>>(name: 'baseline' | 'alerts' | 'limits', spec: Record<string, NumSpec>, target: T) => {
    const v = src[name];
    if (v === undefined) return;
    if (!isObj(v)) return void errors.push(`${prefix}.${name}: expected an object`);
    unknownKeys(v, Object.keys(spec), `${prefix}.${name}`, errors);
    for (const [k, s] of Object.entries(spec)) {
      if (v[k] === undefined) continue;
      const n = checkNum(v[k], s, `${prefix}.${name}.${k}`, errors);
      if (n !== undefined) (target as Record<string, number>)[k] = n;
    }
  };
  section('baseline', BASELINE_SPEC, cfg.baseline);
  section('alerts', ALERT_SPEC, cfg.alerts);
  section('limits', LIMIT_SPEC, cfg.limits);
  if (src.suppress !== undefined) {
    if (!Array.isArray(src.suppress)) errors.push(`${prefix}.suppress: expected a list of rules {type, src, dst, port, name}`);
    else cfg.suppress = src.suppress as SuppressRuleConfig[];
  }
  const detections: ResolvedConfig['detections'] = [];
  const dsrc = src.detections;
  if (dsrc !== undefined && !isObj(dsrc)) errors.push(`${prefix}.detections: expected an object keyed by detection type`);
  const dobj = isObj(dsrc) ? dsrc : {};
  unknownKeys(dobj, DETECTIONS.map((d) => d.type), `${prefix}.detections`, errors);
  for (const spec of DETECTIONS) {
    const p = `${prefix}.detections["${spec.type}"]`;
    const v = dobj[spec.type];
    if (v !== undefined && !isObj(v)) {
      errors.push(`${p}: expected an object of thresholds`);
      continue;
    }
    const o = isObj(v) ? v : {};
    if (o.enabled !== undefined && typeof o.enabled !== 'boolean') errors.push(`${p}.enabled: expected true or false`);
    const options = validateOptions(spec.options, o, p, errors);
    cfg.detections[spec.type] = { enabled: o.enabled !== false, ...options };
    if (o.enabled !== false) detections.push({ spec, options });
  }

  // compile networks once
  const internal = netTable(cfg.internalNetworks, `${prefix}.internalNetworks`, errors);
  const zoneEntries: { cidr: ParsedCidr; value: ResolvedZone }[] = [];
  const zoneList: ResolvedZone[] = [];
  cfg.zones.forEach((z, i) => {
    const rz: ResolvedZone = { index: i, name: z.name, kind: z.kind };
    zoneList.push(rz);
    z.networks.forEach((s, j) => {
      const n = tryParseCidr(s);
      if (typeof n === 'string') errors.push(`${prefix}.zones[${i}].networks[${j}]: ${n}`);
      else zoneEntries.push({ cidr: n, value: rz });
    });
  });
  const zones = new IpTable(zoneEntries);
  const resolveRole = (k: keyof AnalyticsConfig['roles']) => {
    const e: { cidr: ParsedCidr; value: true }[] = [];
    cfg.roles[k].forEach((s, i) => {
      if (s.startsWith('zone:')) {
        const z = cfg.zones.find((zz) => zz.name === s.slice(5));
        if (!z) return void errors.push(`${prefix}.roles.${k}[${i}]: unknown zone "${s.slice(5)}"`);
        for (const nn of z.networks) {
          const n = tryParseCidr(nn);
          if (typeof n !== 'string') e.push({ cidr: n, value: true });
        }
        return;
      }
      const n = tryParseCidr(s);
      if (typeof n === 'string') errors.push(`${prefix}.roles.${k}[${i}]: ${n}`);
      else e.push({ cidr: n, value: true });
    });
    return new IpTable(e);
  };
  const dcs = resolveRole('domainControllers');
  const dnsServers = resolveRole('dnsServers');
  const proxies = resolveRole('proxies');
  const suppressor = new Suppressor(cfg.suppress, `${prefix}.suppress`, errors);
  for (const [i, d] of cfg.internalDomains.entries()) if (!/^[a-z0-9.-]+$/i.test(d)) errors.push(`${prefix}.internalDomains[${i}]: not a domain name (${JSON.stringify(d)})`);
  if (errors.length) return { resolved: null, errors };
  return {
    resolved: { config: cfg, detections, internal, zones, zoneList, dcs, dnsServers, proxies, suppressor, internalDomains: cfg.internalDomains.map((d) => d.toLowerCase().replace(/\.$/, '')) },
    errors,
  };
}

/** Validate or throw a ConfigError listing every problem. */
export function resolveAnalyticsConfig(input: unknown, prefix = 'analytics'): ResolvedConfig {
  const { resolved, errors } = validateAnalyticsConfig(input, prefix);
  if (!resolved) throw new ConfigError(errors);
  return resolved;
}
