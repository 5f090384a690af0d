/**
 * Sensor configuration: a YAML or JSON file, validated with errors that name the offending key.
 * Every key is optional; defaults are what a hospital campus needs out of the box (RFC 1918
 * internal networks, Zeek's timeouts). CIDRs are checked here with ip-num, once, and compiled
 * to integer masks where they are used.
 */
import { readFile } from 'node:fs/promises';
import { DEFAULT_INTERNAL_NETWORKS, parseCidr } from '../models/net/networks.js';
import { ZONE_KINDS, type ZoneKind } from '../models/net/zones.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export { ZONE_KINDS, type ZoneKind };

export interface ZoneConfig {
  name: string;
  networks: string[];
  kind: ZoneKind;
}

export interface SensorConfig {
  sensor_id: string;
  internal_networks: string[];
  zones: ZoneConfig[];
  timeouts: {
    tcp: number;
    udp: number;
    icmp: number;
    tcp_close_delay: number;
    tcp_attempt_delay: number;
    /** Interim record period for long-lived flows (0 = never). */
    active: number;
    /** Non-UDP tunnels (GRE, IP-in-IP) get a new uid after this much inactivity. */
    ip_tunnel: number;
  };
  limits: {
    max_flows: number;
    defrag_max_datagrams: number;
    defrag_max_bytes: number;
    defrag_timeout: number;
    /** live: a worker busy with one batch for this many seconds is taken as hung and restarted. */
    worker_hang_timeout: number;
  };
  flow: {
    /**
     * Key flows on VLAN ids too. Off by default (as Zeek): SPAN sessions often tag the two
     * directions differently, which would split every flow in two.
     */
    vlan_in_key: boolean;
    likely_server_ports?: { tcp: number[]; udp: number[] };
  };
  protocols: {
    /** Identify application protocols and produce protocol events. */
    enabled: boolean;
    /**
     * Let every parser analyse TCP connections whose start was not seen (sensor started
     * mid-connection). Off by default, as in Zeek, whose HTTP analyzer ignores such connections;
     * the other parsers resynchronise on message boundaries and analyse them anyway.
     */
    midstream: boolean;
  };
  /** Sections other components add (analytics, shipping …), kept verbatim for them to validate. */
  extra: Record<string, unknown>;
  /** Dotted keys the configuration file set explicitly (e.g. "timeouts.active"); defaults may depend on it. */
  given: string[];
}

export function defaultConfig(): SensorConfig {
  return {
    sensor_id: 'ndr-sensor',
    internal_networks: [...DEFAULT_INTERNAL_NETWORKS],
    zones: [],
    timeouts: { tcp: 300, udp: 60, icmp: 60, tcp_close_delay: 5, tcp_attempt_delay: 5, active: 300, ip_tunnel: 3600 },
    limits: { max_flows: 500_000, defrag_max_datagrams: 4096, defrag_max_bytes: 32 << 20, defrag_timeout: 30, worker_hang_timeout: 60 },
    flow: { vlan_in_key: false },
    protocols: { enabled: true, midstream: false },
    extra: {},
    given: [],
  };
}

/** Top-level sections owned by other components; validated by them. */
const EXTENSION_SECTIONS = new Set(['analytics', 'metrics', 'capture', 'log']);

export async function loadConfig(path: string | undefined): Promise<SensorConfig> {
  if (path === undefined) return defaultConfig();
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config ${path}: ${(e as Error).message}`);
  }
  let doc: unknown;
  try {
    // yaml is loaded only for YAML files (it costs ~45 ms of startup).
    doc = path.endsWith('.json') ? JSON.parse(text) : (await import('yaml')).parse(text);
  } catch (e) {
    throw new ConfigError(`config ${path} is not valid ${path.endsWith('.json') ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`);
  }
  return validateConfig(doc ?? {}, path);
}

export function validateConfig(doc: unknown, where = 'config'): SensorConfig {
  const cfg = defaultConfig();
  const root = obj(doc, where);
  for (const [key, value] of Object.entries(root)) {
    switch (key) {
      case 'sensor_id': {
        const v = str(value, 'sensor_id');
        if (!/^[A-Za-z0-9._-]{1,64}$/.test(v)) throw new ConfigError(`sensor_id: must be 1-64 characters of [A-Za-z0-9._-], got "${v}"`);
        cfg.sensor_id = v;
        break;
      }
      case 'internal_networks':
        cfg.internal_networks = cidrList(value, 'internal_networks');
        break;
      case 'zones':
        cfg.zones = arr(value, 'zones').map((z, i) => zone(z, `zones[${i}]`));
        break;
      case 'timeouts':
        for (const [k, v] of Object.entries(obj(value, 'timeouts'))) {
          if (!(k in cfg.timeouts)) throw new ConfigError(`timeouts.${k}: unknown key (known: ${Object.keys(cfg.timeouts).join(', ')})`);
          (cfg.timeouts as Record<string, number>)[k] = num(v, `timeouts.${k}`, 0, 86400 * 7);
          cfg.given.push(`timeouts.${k}`);
        }
        break;
      case 'limits':
        for (const [k, v] of Object.entries(obj(value, 'limits'))) {
          if (!(k in cfg.limits)) throw new ConfigError(`limits.${k}: unknown key (known: ${Object.keys(cfg.limits).join(', ')})`);
          (cfg.limits as Record<string, number>)[k] = num(v, `limits.${k}`, 1, 2 ** 40);
        }
        break;
      case 'flow':
        for (const [k, v] of Object.entries(obj(value, 'flow'))) {
          if (k === 'vlan_in_key') cfg.flow.vlan_in_key = bool(v, 'flow.vlan_in_key');
          else if (k === 'likely_server_ports') {
            const o = obj(v, 'flow.likely_server_ports');
            cfg.flow.likely_server_ports = {
              tcp: portList(o.tcp ?? [], 'flow.likely_server_ports.tcp'),
              udp: portList(o.udp ?? [], 'flow.likely_server_ports.udp'),
            };
          } else throw new ConfigError(`flow.${k}: unknown key (known: vlan_in_key, likely_server_ports)`);
        }
        break;
      case 'protocols':
        for (const [k, v] of Object.entries(obj(value, 'protocols'))) {
          if (k === 'enabled') cfg.protocols.enabled = bool(v, 'protocols.enabled');
          else if (k === 'midstream') cfg.protocols.midstream = bool(v, 'protocols.midstream');
          else throw new ConfigError(`protocols.${k}: unknown key (known: enabled, midstream)`);
        }
        break;
      default:
        if (EXTENSION_SECTIONS.has(key)) {
          cfg.extra[key] = value;
          break;
        }
        throw new ConfigError(`${key}: unknown key`);
    }
  }
  return cfg;
}

function zone(v: unknown, where: string): ZoneConfig {
  const o = obj(v, where);
  for (const k of Object.keys(o)) {
    if (k !== 'name' && k !== 'networks' && k !== 'kind') throw new ConfigError(`${where}.${k}: unknown key (known: name, networks, kind)`);
  }
  const name = str(o.name, `${where}.name`);
  const kind = o.kind === undefined ? 'other' : str(o.kind, `${where}.kind`);
  if (!(ZONE_KINDS as readonly string[]).includes(kind)) {
    throw new ConfigError(`${where}.kind: must be one of ${ZONE_KINDS.join(', ')}, got "${kind}"`);
  }
  return { name, networks: cidrList(o.networks, `${where}.networks`), kind: kind as ZoneKind };
}

function cidrList(v: unknown, where: string): string[] {
  return arr(v, where).map((c, i) => {
    const s = str(c, `${where}[${i}]`);
    try {
      parseCidr(s);
    } catch (e) {
      throw new ConfigError(`${where}[${i}]: ${(e as Error).message}`);
    }
    return s;
  });
}

function portList(v: unknown, where: string): number[] {
  return arr(v, where).map((p, i) => num(p, `${where}[${i}]`, 0, 65535));
}

function obj(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${where}: must be a mapping`);
  return v as Record<string, unknown>;
}

function arr(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new ConfigError(`${where}: must be a list`);
  return v;
}

function str(v: unknown, where: string): string {
  if (typeof v !== 'string' || v.length === 0) throw new ConfigError(`${where}: must be a non-empty string`);
  return v;
}

function num(v: unknown, where: string, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max) {
    throw new ConfigError(`${where}: must be a number between ${min} and ${max}, got ${JSON.stringify(v)}`);
  }
  return v;
}

function bool(v: unknown, where: string): boolean {
  if (typeof v !== 'boolean') throw new ConfigError(`${where}: must be true or false`);
  return v;
}
