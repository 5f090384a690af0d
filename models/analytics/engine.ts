/**
 * The analytics stage: one instance fed by all workers (detections need the whole network's
 * view). Flow records and protocol events go in; alerts and cases come out through callbacks.
 * Capture time drives everything — windows, hour-of-day profiles, dedup, aging — so a replay
 * behaves exactly like the live run it recorded.
 *
 *   const a = new Analytics(configSection, { onAlert, onCase }, { learn: false });
 *   a.onFlow(connRecord); a.onEvent(dnsEvent); a.tick(captureTs);
 *   const state = a.save(); … b.load(state);
 */
import { AlertPipeline } from '../alerts/pipeline.js';
import type { Alert, AlertCandidate, Case } from '../alerts/types.js';
import { Baseline, type ZoneInfo } from '../baseline/baseline.js';
import { isDC, isResolver, F_CFG_DC, F_CFG_DNS } from '../baseline/hosts.js';
import { normName } from '../core/names.js';
import { FlowView, fillFlowView, str, type Direction, type FlowRecord, type ProtoEvent } from '../core/records.js';
import type { DetectContext, Detection } from '../detect/types.js';
import { resolveAnalyticsConfig, type ResolvedConfig } from './config.js';

export interface AnalyticsHooks {
  onAlert?: (a: Alert) => void;
  onCase?: (c: Case) => void;
  /** A detection threw (a bug): the record is skipped for it, the sensor keeps running. */
  onError?: (type: string, err: unknown) => void;
}

export interface AnalyticsRunOptions {
  /** Learning mode: build the baseline, emit only technique alerts. */
  learn?: boolean;
}

export const STATE_FORMAT = 'ndr-sensor-analytics';
export const STATE_VERSION = 1;

export interface AnalyticsState {
  format: typeof STATE_FORMAT;
  version: number;
  sensor_id: string;
  now: number;
  baseline: unknown;
  detections: Record<string, unknown>;
  alerts: unknown;
  interim: [string, number, number][];
  uidNames: [string, string][];
  counters: Record<string, number>;
}

export class StateFormatError extends Error {}

const DIRECTIONS = new Set(['internal', 'outbound', 'inbound', 'external']);
/** Detection housekeeping cadence in capture seconds (also driven by tick()). */
const HOUSEKEEP_SEC = 60;

export class Analytics {
  readonly cfg: ResolvedConfig;
  readonly baseline: Baseline;
  readonly alerts: AlertPipeline;
  learning: boolean;
  /** Capture-time clock: the latest time seen in records, events and ticks. */
  now = -Infinity;
  private detections: Detection[] = [];
  private flowDetections: Detection[] = [];
  private byPath = new Map<string, Detection[]>();
  private view = new FlowView();
  /** uid → cumulative [orig_bytes, resp_bytes] of the last interim record. */
  private interim = new Map<string, [number, number]>();
  /** uid → SNI / HTTP host, until the flow record arrives. */
  private uidNames = new Map<string, string>();
  private lastHousekeep = -Infinity;
  private ctx: DetectContext;
  readonly counters = {
    flows: 0,
    interimFlows: 0,
    events: 0,
    badRecords: 0,
    badEvents: 0,
    detectionErrors: 0,
    interimEvicted: 0,
    uidNamesEvicted: 0,
  };

  constructor(config: unknown, private hooks: AnalyticsHooks = {}, run: AnalyticsRunOptions = {}) {
    this.cfg = isResolved(config) ? config : resolveAnalyticsConfig(config);
    const c = this.cfg.config;
    this.learning = !!run.learn;
    const zoneOf = (ip: string): ZoneInfo | undefined => this.cfg.zones.lookup(ip);
    this.baseline = new Baseline(
      {
        timeZone: c.timeZone,
        maxHosts: c.baseline.maxHosts,
        maxEdges: c.baseline.maxEdges,
        maxExternals: c.baseline.maxExternals,
        maxNames: c.baseline.maxNames,
        maxResolved: c.baseline.maxResolved,
        edgeMatureSec: c.baseline.edgeMatureHours * 3600,
        maxAgeSec: c.baseline.maxAgeDays * 86400,
        alphaMin: 1 - Math.pow(0.5, 1 / c.baseline.halfLifeDays),
        peakDecayPerDay: c.baseline.peakDecayPerDay,
        groupZoneMinPairs: c.baseline.groupZoneMinPairs,
      },
      {
        zoneOf,
        roleFlags: (ip) => (this.cfg.dcs.lookup(ip) ? F_CFG_DC : 0) | (this.cfg.dnsServers.lookup(ip) ? F_CFG_DNS : 0),
      },
    );
    this.baseline.learning = this.learning;
    this.alerts = new AlertPipeline(
      {
        sensorId: c.sensorId,
        suppressionWindowSec: c.alerts.suppressionWindowSec,
        caseWindowSec: c.alerts.caseWindowSec,
        maxCases: c.alerts.maxCases,
        maxOpenAlerts: c.alerts.maxOpenAlerts,
        immatureSeverityCap: c.alerts.immatureSeverityCap,
        minLearningSec: c.baseline.minLearningDays * 86400,
      },
      this.cfg.suppressor,
      { zoneOf: (ip) => zoneOf(ip)?.name, namesOf: (ip) => this.baseline.namesOf(ip) },
      { onAlert: (a) => this.hooks.onAlert?.(a), onCase: (cs) => this.hooks.onCase?.(cs) },
    );
    for (const { spec, options } of this.cfg.detections) {
      const d = spec.create(options as never, this.baseline);
      this.detections.push(d);
      if (d.flows && d.onFlow) this.flowDetections.push(d);
      for (const p of d.paths ?? []) {
        const l = this.byPath.get(p) ?? [];
        l.push(d);
        this.byPath.set(p, l);
      }
    }
    this.ctx = this.makeContext();
  }

  setLearning(on: boolean): void {
    this.learning = on;
    this.baseline.learning = on;
  }

  // ------------------------------------------------------------------ input

  onFlow(rec: FlowRecord): void {
    if (!rec || typeof rec !== 'object' || typeof rec.ts !== 'number' || !Number.isFinite(rec.ts) || typeof rec['id.orig_h'] !== 'string' || typeof rec['id.resp_h'] !== 'string') {
      this.counters.badRecords++;
      return;
    }
    const v = this.view;
    fillFlowView(v, rec, this.direction(rec));
    if (v.uid) {
      // no lookup (hashing the fresh uid string) while no flow has an interim record pending
      const prev = this.interim.size > 0 ? this.interim.get(v.uid) : undefined;
      if (prev) {
        v.first = false;
        v.origBytes = Math.max(0, v.origTotal - prev[0]);
        v.respBytes = Math.max(0, v.respTotal - prev[1]);
      }
      if (!v.final) {
        this.counters.interimFlows++;
        if (prev) (prev[0] = v.origTotal), (prev[1] = v.respTotal);
        else {
          if (this.interim.size >= this.cfg.config.limits.maxInterimFlows) this.counters.interimEvicted += dropOldest(this.interim);
          this.interim.set(v.uid, [v.origTotal, v.respTotal]);
        }
      } else if (prev) this.interim.delete(v.uid);
    }
    this.counters.flows++;
    this.advance(v.end);
    const srcIn = v.dir === 'internal' || v.dir === 'outbound';
    const dstIn = v.dir === 'internal' || v.dir === 'inbound';
    const viaProxy = srcIn && dstIn && this.cfg.proxies.size > 0 && this.cfg.proxies.lookup(v.dst) !== undefined;
    const name = v.uid && this.uidNames.size > 0 ? (this.uidNames.get(v.uid) ?? '') : '';
    if (name && v.final) this.uidNames.delete(v.uid);
    const fc = this.baseline.observeFlow(v, this.now, srcIn, dstIn, viaProxy, name || (dstIn ? '' : (this.baseline.namesOf(v.dst)[0] ?? '')));
    for (const d of this.flowDetections) {
      try {
        d.onFlow!(v, fc, this.ctx);
      } catch (e) {
        this.detectionError(d.type, e);
      }
    }
  }

  onEvent(ev: ProtoEvent): void {
    if (!ev || typeof ev !== 'object' || typeof ev._path !== 'string' || typeof ev.ts !== 'number' || !Number.isFinite(ev.ts)) {
      this.counters.badEvents++;
      return;
    }
    this.counters.events++;
    this.advance(ev.ts);
    this.learnFromEvent(ev);
    const ds = this.byPath.get(ev._path);
    if (!ds) return;
    for (const d of ds) {
      try {
        d.onEvent!(ev, this.ctx);
      } catch (e) {
        this.detectionError(d.type, e);
      }
    }
  }

  /** Advance capture time without traffic (live: call every second or so; replay: per batch). */
  tick(captureTs: number): void {
    if (typeof captureTs !== 'number' || !Number.isFinite(captureTs)) return;
    this.advance(captureTs);
  }

  /** Emit pending dedup updates (end of run). */
  flush(): void {
    this.housekeep();
    this.alerts.flushAll(this.now);
  }

  // ------------------------------------------------------------------ internals

  private direction(r: FlowRecord): Direction {
    const d = r.direction;
    if (typeof d === 'string' && DIRECTIONS.has(d)) return d;
    const o = typeof r.local_orig === 'boolean' ? r.local_orig : this.cfg.internal.lookup(r['id.orig_h']) !== undefined;
    const p = typeof r.local_resp === 'boolean' ? r.local_resp : this.cfg.internal.lookup(r['id.resp_h']) !== undefined;
    return o ? (p ? 'internal' : 'outbound') : p ? 'inbound' : 'external';
  }

  private advance(ts: number): void {
    if (ts > this.now) this.now = ts;
    if (this.baseline.advance(this.now)) this.housekeep();
    else if (this.now - this.lastHousekeep >= HOUSEKEEP_SEC) this.housekeep();
  }

  private housekeep(): void {
    this.lastHousekeep = this.now;
    for (const d of this.detections) {
      try {
        d.tick?.(this.ctx);
      } catch (e) {
        this.detectionError(d.type, e);
      }
    }
    this.alerts.tick(this.now);
  }

  private learnFromEvent(ev: ProtoEvent): void {
    const uid = typeof ev.uid === 'string' ? ev.uid : '';
    if (ev._path === 'dns') {
      const q = str(ev.query);
      const answers = ev.answers;
      if (!q || !Array.isArray(answers)) return;
      const qn = normName(q);
      // a CNAME chain: the IPs answer for the query and every alias on the way
      const aliases = answers.filter((a): a is string => typeof a === 'string' && !looksLikeIp(a)).map(normName);
      for (const a of answers) {
        if (typeof a === 'string' && looksLikeIp(a)) {
          for (const al of aliases) this.baseline.addResolved(a, al);
          this.baseline.addResolved(a, qn);
        }
      }
      return;
    }
    let name = '';
    if (ev._path === 'ssl') name = str(ev.server_name);
    else if (ev._path === 'http') name = str(ev.host).replace(/:\d+$/, '');
    if (!name || !uid) return;
    name = normName(name);
    if (this.uidNames.size >= this.cfg.config.limits.maxUidNames) this.counters.uidNamesEvicted += dropOldest(this.uidNames);
    this.uidNames.set(uid, name);
    const dst = str(ev['id.resp_h']);
    if (dst && !this.cfg.internal.lookup(dst)) this.baseline.addResolved(dst, name);
  }

  private detectionError(type: string, e: unknown): void {
    this.counters.detectionErrors++;
    this.hooks.onError?.(type, e);
  }

  private raise(c: AlertCandidate): void {
    this.alerts.raise(c, this.now, this.baseline.ageSec(this.now), this.learning);
  }

  private makeContext(): DetectContext {
    const self = this;
    const cfg = this.cfg;
    const b = this.baseline;
    return {
      get now() {
        return self.now;
      },
      baseline: b,
      get learning() {
        return self.learning;
      },
      raise: (c) => this.raise(c),
      zoneOf: (ip) => cfg.zones.lookup(ip),
      isInternal: (ip) => b.peekHost(ip) !== undefined || cfg.internal.lookup(ip) !== undefined,
      isDC: (ip) => cfg.dcs.lookup(ip) !== undefined || isDC(b.peekHost(ip)),
      isResolver: (ip) => cfg.dnsServers.lookup(ip) !== undefined || isResolver(b.peekHost(ip)),
      isProxy: (ip) => cfg.proxies.lookup(ip) !== undefined,
      isInternalName: (name) => !name.includes('.') || cfg.internalDomains.some((d) => name === d || name.endsWith('.' + d)),
      nameFor: (uid, ip) => (uid && this.uidNames.get(uid)) || b.namesOf(ip)[0] || '',
      describe: (ip) => {
        const z = cfg.zones.lookup(ip);
        return z ? `${ip} (${z.name})` : ip;
      },
      baselineDays: () => b.ageSec(self.now) / 86400,
    };
  }

  // ------------------------------------------------------------------ state

  save(): AnalyticsState {
    const det: Record<string, unknown> = {};
    for (const d of this.detections) if (d.save) det[d.type] = d.save();
    return {
      format: STATE_FORMAT,
      version: STATE_VERSION,
      sensor_id: this.cfg.config.sensorId,
      now: this.now,
      baseline: this.baseline.save(),
      detections: det,
      alerts: this.alerts.save(),
      interim: [...this.interim].map(([k, [a, b]]) => [k, a, b]),
      uidNames: [...this.uidNames],
      counters: { ...this.counters },
    };
  }

  /** Restore a saved state; throws StateFormatError when it is not one this version reads. */
  load(state: unknown): void {
    const s = state as Partial<AnalyticsState> | null;
    if (!s || typeof s !== 'object' || s.format !== STATE_FORMAT) throw new StateFormatError('not an ndr-sensor analytics baseline');
    if (typeof s.version !== 'number' || s.version > STATE_VERSION || s.version < 1) {
      throw new StateFormatError(`baseline format version ${String(s.version)} is not supported by this sensor (reads 1..${STATE_VERSION})`);
    }
    this.now = typeof s.now === 'number' ? s.now : -Infinity;
    this.baseline.load(s.baseline);
    for (const d of this.detections) if (d.load && s.detections && d.type in s.detections) d.load(s.detections[d.type]);
    this.alerts.load(s.alerts);
    this.interim = new Map((s.interim ?? []).map(([k, a, b]) => [k, [a, b]]));
    this.uidNames = new Map(s.uidNames ?? []);
    this.lastHousekeep = this.now;
  }

  /** Table sizes and counters for metrics. */
  stats(): Record<string, number> {
    const b = this.baseline;
    const out: Record<string, number> = {
      hosts: b.hosts.size,
      groups: b.groups.size,
      edges: b.edgeCount,
      host_edges: b.hostEdges.size,
      external_ips: b.ext.size,
      names: b.names.size,
      resolved_ips: b.resolved.size,
      interim_flows: this.interim.size,
      uid_names: this.uidNames.size,
      open_alerts: this.alerts.openCount,
      cases: this.alerts.cases.size,
      baseline_age_sec: b.ageSec(this.now),
      ...this.counters,
      ...prefixKeys('baseline_', b.counters as unknown as Record<string, number>),
    };
    const p = this.alerts.stats;
    for (const k of ['raised', 'emitted', 'updates', 'deduplicated', 'suppressed', 'silencedLearning', 'evictedOpen'] as const) out[`alerts_${k}`] = p[k];
    for (const d of this.detections) if (d.size) out[`tracked_${d.type}`] = d.size();
    return out;
  }
}

function isResolved(x: unknown): x is ResolvedConfig {
  return !!x && typeof x === 'object' && 'suppressor' in x && 'zones' in x && 'detections' in x && Array.isArray((x as ResolvedConfig).detections);
}

function looksLikeIp(s: string): boolean {
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(s) || (s.includes(':') && /^[0-9a-f:.]+$/i.test(s));
}

/** Drop the oldest tenth of an insertion-ordered map; returns how many. */
function dropOldest<K, V>(m: Map<K, V>): number {
  let n = Math.max(1, Math.floor(m.size / 10));
  const total = n;
  for (const k of m.keys()) {
    m.delete(k);
    if (--n <= 0) break;
  }
  return total;
}

function prefixKeys(p: string, o: Record<string, number>): Record<string, number> {
  const r: Record<string, number> = {};
  for (const [k, v] of Object.entries(o)) r[p + k] = v;
  return r;
}
