/**
 * The config sections `live` owns (sensor/config.ts keeps them verbatim in `extra`), validated
 * with errors naming the key, and what a SIGHUP reload can and cannot apply:
 *
 *   capture: { interfaces: [eth1], bpf: "not port 22" }
 *                                      interfaces when no --interface is given (at start only);
 *                                      kernel BPF filter, reloadable (unless --bpf was given)
 *   metrics: { audit_window: 900 }    seconds: self-audit window (one-way TCP share, silent zones)
 *   log:     { level: info }          debug|info|warn|error|fatal; reloadable
 *
 * Reloadable without losing flows: the BPF filter, zones and the audit window, log level, output
 * files (reopened), and whatever the analytics stage takes (allowlists, thresholds). The flow
 * tables' settings (timeouts, limits, flow, protocols, internal_networks) and sensor_id live in
 * the workers and the shipper: they apply at the next start; a reload says which changed.
 */
import { ConfigError, type SensorConfig } from './config.js';
import { LEVELS, type Level } from './log.js';

export interface LiveSettings {
  interfaces?: string[];
  bpf?: string;
  auditWindowS: number;
  logLevel?: Level;
}

export const DEFAULT_AUDIT_WINDOW_S = 900;

function section(cfg: SensorConfig, name: string, keys: string[]): Record<string, unknown> {
  const v = cfg.extra[name];
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new ConfigError(`${name}: must be a mapping`);
  const o = v as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!keys.includes(k)) throw new ConfigError(`${name}.${k}: unknown key (known: ${keys.join(', ')})`);
  return o;
}

/** The live sections of a validated config; throws ConfigError naming the key. */
export function liveSettings(cfg: SensorConfig): LiveSettings {
  const cap = section(cfg, 'capture', ['interfaces', 'bpf']);
  const met = section(cfg, 'metrics', ['audit_window']);
  const log = section(cfg, 'log', ['level']);
  const out: LiveSettings = { auditWindowS: DEFAULT_AUDIT_WINDOW_S };
  if (cap.interfaces !== undefined) {
    const l = cap.interfaces;
    if (!Array.isArray(l) || l.length === 0 || !l.every((x) => typeof x === 'string' && /^[^\s/]{1,15}$/.test(x))) {
      throw new ConfigError('capture.interfaces: must be a non-empty list of interface names');
    }
    out.interfaces = l as string[];
  }
  if (cap.bpf !== undefined) {
    if (typeof cap.bpf !== 'string') throw new ConfigError('capture.bpf: must be a string (tcpdump filter syntax)');
    out.bpf = cap.bpf;
  }
  if (met.audit_window !== undefined) {
    const w = met.audit_window;
    if (typeof w !== 'number' || !Number.isFinite(w) || w < 1 || w > 86400) {
      throw new ConfigError(`metrics.audit_window: must be a number of seconds between 1 and 86400, got ${JSON.stringify(w)}`);
    }
    out.auditWindowS = w;
  }
  if (log.level !== undefined) {
    if (typeof log.level !== 'string' || !(LEVELS as readonly string[]).includes(log.level)) {
      throw new ConfigError(`log.level: must be one of ${LEVELS.join(', ')}, got ${JSON.stringify(log.level)}`);
    }
    out.logLevel = log.level as Level;
  }
  return out;
}

/** Top-level keys whose change needs a restart (they live in the workers or the shipper). */
const RESTART_KEYS = ['sensor_id', 'internal_networks', 'timeouts', 'limits', 'flow', 'protocols'] as const;

export function restartOnlyChanges(before: SensorConfig, after: SensorConfig): string[] {
  const out: string[] = RESTART_KEYS.filter((k) => JSON.stringify(before[k]) !== JSON.stringify(after[k]));
  const ifs = (c: SensorConfig) => JSON.stringify((c.extra.capture as { interfaces?: unknown } | undefined)?.interfaces ?? null);
  if (ifs(before) !== ifs(after)) out.push('capture.interfaces');
  return out;
}
