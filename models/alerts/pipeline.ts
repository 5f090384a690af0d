/**
 * Alert pipeline: suppression → learning/maturity handling → deduplication → case grouping →
 * output. One alert per (type, src, dst-or-target) per suppression window; repeats update the
 * alert's counts (same id, re-emitted when the window closes or the severity rises) instead of
 * flooding the SOC.
 */
import { createHash } from 'node:crypto';
import { CaseBook } from './cases.js';
import type { HostContext, Suppressor } from './suppress.js';
import type { Alert, AlertCandidate, Case } from './types.js';

export interface PipelineOptions {
  sensorId: string;
  suppressionWindowSec: number;
  caseWindowSec: number;
  maxCases: number;
  maxOpenAlerts: number;
  /** Baseline-dependent alerts are capped at this severity while the baseline is immature. */
  immatureSeverityCap: number;
  minLearningSec: number;
}

export interface AlertSinks {
  onAlert?: (a: Alert) => void;
  onCase?: (c: Case) => void;
}

interface Open {
  alert: Alert;
  first: number;
  last: number;
  occurrences: number;
  emitted: number;
}

export interface PipelineStats {
  raised: number;
  emitted: number;
  updates: number;
  deduplicated: number;
  suppressed: number;
  silencedLearning: number;
  evictedOpen: number;
  byType: Record<string, number>;
  suppressedByRule: number[];
}

const MAX_UIDS = 20;

export class AlertPipeline {
  private open = new Map<string, Open>();
  readonly cases: CaseBook;
  readonly stats: PipelineStats;

  constructor(
    private o: PipelineOptions,
    private suppressor: Suppressor,
    private hosts: HostContext,
    private sinks: AlertSinks,
  ) {
    this.cases = new CaseBook(o.sensorId, o.caseWindowSec, o.maxCases);
    this.stats = {
      raised: 0,
      emitted: 0,
      updates: 0,
      deduplicated: 0,
      suppressed: 0,
      silencedLearning: 0,
      evictedOpen: 0,
      byType: {},
      suppressedByRule: [],
    };
  }

  get openCount(): number {
    return this.open.size;
  }

  /**
   * @param baselineAgeSec age of the baseline at `now` (capture time)
   * @param learning learning mode: baseline-dependent alerts are not emitted
   */
  raise(c: AlertCandidate, now: number, baselineAgeSec: number, learning: boolean): Alert | null {
    this.stats.raised++;
    if (c.needsBaseline && learning) {
      this.stats.silencedLearning++;
      return null;
    }
    if (this.suppressor.match(c, this.hosts) >= 0) {
      this.stats.suppressed++;
      return null;
    }
    let severity = Math.max(1, Math.min(10, Math.round(c.severity)));
    let summary = c.summary;
    const evidence: Record<string, unknown> = { ...c.evidence };
    if (c.needsBaseline && baselineAgeSec < this.o.minLearningSec) {
      const ageD = +(baselineAgeSec / 86400).toFixed(2);
      const minD = +(this.o.minLearningSec / 86400).toFixed(2);
      evidence.baseline_immature = { age_days: ageD, min_learning_days: minD, severity_before_cap: severity };
      severity = Math.min(severity, this.o.immatureSeverityCap);
      summary += ` Baseline is only ${ageD} days old (minimum ${minD}): judged on incomplete history.`;
    }
    const key = `${c.type}|${c.src}|${c.dst ?? c.target ?? ''}`;
    const cur = this.open.get(key);
    if (cur && now - cur.first <= this.o.suppressionWindowSec) {
      this.stats.deduplicated++;
      cur.occurrences++;
      cur.last = now;
      const a = cur.alert;
      mergeUids(a.evidence, evidence);
      a.evidence.occurrences = cur.occurrences;
      a.evidence.last_seen = now;
      if (severity > a.severity) {
        // escalation: report at once with the stronger evidence
        a.severity = severity;
        a.summary = summary;
        a.evidence = { ...evidence, uids: a.evidence.uids, occurrences: cur.occurrences, first_seen: cur.first, last_seen: now };
        a.ts = now;
        this.emit(cur, now, true);
      }
      return null;
    }
    if (cur) this.flush(key, cur, now);
    if (this.open.size >= this.o.maxOpenAlerts) this.evictOldest(now);
    const id = 'A' + createHash('sha1').update(`${this.o.sensorId}|${key}|${now}`).digest('hex').slice(0, 19);
    evidence.occurrences = 1;
    evidence.first_seen = now;
    const alert: Alert = {
      ts: now,
      id,
      sensor_id: this.o.sensorId,
      type: c.type,
      category: c.category,
      mitre: [...c.mitre],
      severity,
      src: c.src,
      dst: c.dst,
      summary,
      evidence,
    };
    const o: Open = { alert, first: now, last: now, occurrences: 1, emitted: 0 };
    this.open.set(key, o);
    this.stats.byType[c.type] = (this.stats.byType[c.type] ?? 0) + 1;
    this.emit(o, now, false);
    return alert;
  }

  private emit(o: Open, now: number, update: boolean): void {
    const a = o.alert;
    const cs = this.cases.add(a, now);
    const ref = this.cases.lookup(a.src);
    if (ref) {
      a.evidence.case_id = ref.id;
      a.evidence.host_risk = ref.risk;
    }
    o.emitted = o.occurrences;
    if (update) this.stats.updates++;
    else this.stats.emitted++;
    this.sinks.onAlert?.(structuredClone(a));
    if (cs) this.sinks.onCase?.(cs);
  }

  /** Close dedup windows that ended; re-emit alerts whose counts grew. */
  tick(now: number): void {
    for (const [k, o] of this.open) {
      if (now - o.first > this.o.suppressionWindowSec) this.flush(k, o, now);
    }
    this.cases.expire(now);
  }

  private flush(key: string, o: Open, now: number): void {
    this.open.delete(key);
    if (o.occurrences > o.emitted) {
      o.alert.ts = now;
      this.emit(o, now, true);
    }
  }

  /** Emit pending updates (end of run). */
  flushAll(now: number): void {
    for (const [k, o] of this.open) if (o.occurrences > o.emitted) {
      o.alert.ts = now;
      this.emit(o, now, true);
      void k;
    }
  }

  private evictOldest(now: number): void {
    let oldestK: string | undefined;
    let oldest = Infinity;
    for (const [k, o] of this.open) if (o.last < oldest) (oldest = o.last), (oldestK = k);
    if (oldestK !== undefined) {
      this.flush(oldestK, this.open.get(oldestK)!, now);
      this.stats.evictedOpen++;
    }
  }

  save(): unknown {
    return { open: [...this.open.entries()], cases: this.cases.save(), stats: this.stats };
  }

  load(s: unknown): void {
    const st = s as { open?: [string, Open][]; cases?: unknown; stats?: PipelineStats } | undefined;
    this.open = new Map(st?.open ?? []);
    this.cases.load(st?.cases);
    if (st?.stats) Object.assign(this.stats, st.stats);
  }
}

function mergeUids(into: Record<string, unknown>, from: Record<string, unknown>): void {
  const a = Array.isArray(into.uids) ? (into.uids as string[]) : [];
  const b = Array.isArray(from.uids) ? (from.uids as string[]) : [];
  for (const u of b) {
    if (a.length >= MAX_UIDS) break;
    if (!a.includes(u)) a.push(u);
  }
  if (a.length) into.uids = a;
}
