/**
 * Per-host cases: alerts about one host within a window are grouped and scored, so the SOC sees
 * a few cases instead of thousands of alerts. Risk favours severe alerts and alerts from several
 * kill-chain categories (recon → lateral movement → exfiltration is worse than the same alert
 * type repeated).
 */
import { createHash } from 'node:crypto';
import type { Alert, Case, Category } from './types.js';

interface CaseState {
  id: string;
  host: string;
  first: number;
  last: number;
  /** type → [max severity, last ts, category] */
  types: Map<string, [number, number, Category]>;
  alertIds: string[];
  risk: number;
}

const MAX_IDS = 50;

export class CaseBook {
  private cases = new Map<string, CaseState>();

  constructor(
    private sensorId: string,
    private windowSec: number,
    private maxCases: number,
  ) {}

  get size(): number {
    return this.cases.size;
  }

  /** Add an alert to its host's case; returns the case if its risk changed (or it was opened). */
  add(a: Alert, now: number): Case | null {
    let c = this.cases.get(a.src);
    if (c && now - c.last > this.windowSec) {
      this.cases.delete(a.src);
      c = undefined;
    }
    if (!c) {
      if (this.cases.size >= this.maxCases) this.evictOldest();
      const id = 'C' + createHash('sha1').update(`${this.sensorId}|${a.src}|${now}`).digest('hex').slice(0, 15);
      c = { id, host: a.src, first: now, last: now, types: new Map(), alertIds: [], risk: 0 };
      this.cases.set(a.src, c);
    }
    c.last = now;
    const t = c.types.get(a.type);
    if (!t) c.types.set(a.type, [a.severity, now, a.category]);
    else {
      t[0] = Math.max(t[0], a.severity);
      t[1] = now;
    }
    if (!c.alertIds.includes(a.id) && c.alertIds.length < MAX_IDS) c.alertIds.push(a.id);
    const risk = this.score(c, now);
    if (risk === c.risk && t) return null;
    c.risk = risk;
    return this.view(c, now);
  }

  /** Case id and current risk for a host, if any. */
  lookup(host: string): { id: string; risk: number } | undefined {
    const c = this.cases.get(host);
    return c ? { id: c.id, risk: c.risk } : undefined;
  }

  private score(c: CaseState, now: number): number {
    let sum = 0;
    const cats = new Set<Category>();
    for (const [sev, ts, cat] of c.types.values()) {
      if (now - ts > this.windowSec) continue;
      sum += (sev * sev) / 4;
      cats.add(cat);
    }
    return Math.min(100, Math.round(sum + 5 * Math.max(0, cats.size - 1)));
  }

  private view(c: CaseState, now: number): Case {
    const types = [...c.types.entries()].sort((a, b) => b[1][0] - a[1][0]);
    const cats = [...new Set(types.map((t) => t[1][2]))];
    const maxSev = types.length ? types[0]![1][0] : 0;
    return {
      ts: now,
      case_id: c.id,
      sensor_id: this.sensorId,
      host: c.host,
      risk: c.risk,
      first_seen: c.first,
      last_seen: c.last,
      alert_ids: [...c.alertIds],
      types: types.map((t) => t[0]),
      categories: cats,
      max_severity: maxSev,
      summary: `${c.host}: risk ${c.risk} from ${types.length} alert type(s) in ${cats.length} categor${cats.length === 1 ? 'y' : 'ies'} (${types
        .slice(0, 4)
        .map((t) => `${t[0]} sev ${t[1][0]}`)
        .join(', ')})`,
    };
  }

  all(now: number): Case[] {
    return [...this.cases.values()].filter((c) => now - c.last <= this.windowSec).map((c) => this.view(c, now));
  }

  expire(now: number): void {
    for (const [k, c] of this.cases) if (now - c.last > this.windowSec) this.cases.delete(k);
  }

  private evictOldest(): void {
    let oldestK: string | undefined;
    let oldest = Infinity;
    for (const [k, c] of this.cases) if (c.last < oldest) (oldest = c.last), (oldestK = k);
    if (oldestK !== undefined) this.cases.delete(oldestK);
  }

  save(): unknown {
    return [...this.cases.values()].map((c) => ({ ...c, types: [...c.types.entries()] }));
  }

  load(s: unknown): void {
    this.cases.clear();
    if (!Array.isArray(s)) return;
    for (const c of s as (Omit<CaseState, 'types'> & { types: [string, [number, number, Category]][] })[]) {
      this.cases.set(c.host, { ...c, types: new Map(c.types) });
    }
  }
}
