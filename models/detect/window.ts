/**
 * Sliding-window building blocks with hard size caps. Time is capture time carried by the
 * records, so replays behave like live traffic.
 */

/** Distinct keys seen within the last `win` seconds (exact; bounded by `cap`). */
export class SlidingSet<K = string> {
  private m = new Map<K, number>();
  latest = -Infinity;

  constructor(
    private win: number,
    private cap: number,
  ) {}

  /** Add/refresh key at ts; returns true if it was not in the window. */
  add(k: K, ts: number): boolean {
    if (ts > this.latest) this.latest = ts;
    this.prune();
    const had = this.m.has(k);
    if (had) this.m.delete(k);
    else if (this.m.size >= this.cap) {
      // full: drop the oldest (keeps the count saturated at cap, never unbounded)
      const first = this.m.keys().next();
      if (!first.done) this.m.delete(first.value);
    }
    this.m.set(k, ts);
    return !had;
  }

  has(k: K): boolean {
    return this.m.has(k);
  }

  get size(): number {
    this.prune();
    return this.m.size;
  }

  keys(): K[] {
    this.prune();
    return [...this.m.keys()];
  }

  /** Oldest timestamp still inside the window. */
  oldest(): number {
    this.prune();
    const f = this.m.values().next();
    return f.done ? this.latest : f.value;
  }

  private prune(): void {
    const cut = this.latest - this.win;
    // entries are kept in refresh order, so the stale ones are at the front
    for (const [k, t] of this.m) {
      if (t >= cut) break;
      this.m.delete(k);
    }
  }

  idle(now: number): boolean {
    return now - this.latest > this.win;
  }

  toJSON(): unknown {
    return { w: this.win, c: this.cap, l: this.latest, m: [...this.m.entries()] };
  }

  static from<K>(o: any): SlidingSet<K> {
    const s = new SlidingSet<K>(o.w, o.c);
    s.latest = o.l ?? -Infinity;
    s.m = new Map(o.m ?? []);
    return s;
  }
}

/** Sum of values over the last `win` seconds in `n` buckets (approximate edges, O(1) memory). */
export class BucketSum {
  private b: Float64Array;
  private t: Float64Array;
  private w: number;

  constructor(win: number, n: number) {
    this.b = new Float64Array(n);
    this.t = new Float64Array(n).fill(-1);
    this.w = win / n;
  }

  add(ts: number, x: number): void {
    const slot = Math.floor(ts / this.w);
    const i = slot % this.b.length;
    if (this.t[i] !== slot) {
      this.t[i] = slot;
      this.b[i] = 0;
    }
    this.b[i]! += x;
  }

  sum(now: number): number {
    const cur = Math.floor(now / this.w);
    let s = 0;
    for (let i = 0; i < this.b.length; i++) if (this.t[i]! > cur - this.b.length && this.t[i]! <= cur) s += this.b[i]!;
    return s;
  }

  toJSON(): unknown {
    return { w: this.w, b: [...this.b], t: [...this.t] };
  }

  static from(o: any): BucketSum {
    const s = new BucketSum(o.w * o.b.length, o.b.length);
    s.b = Float64Array.from(o.b);
    s.t = Float64Array.from(o.t);
    return s;
  }
}

/**
 * Per-key state map with a size cap: when full, the entries idle the longest are evicted in a
 * batch. `evicted` counts them (exported as a metric).
 *
 * Callers only ever raise an entry's `last` (Math.max): expire() relies on it. It drops exactly
 * the entries idle since before the cut, but does not visit every entry at every sweep (beacon
 * pairs run into the thousands, swept every 5 minutes for a day-long window): keys are filed
 * under the sweep period their `last` was in when filed, a sweep opens only the periods that
 * start before the cut, and re-files the entries that turn out to be still alive. An entry whose
 * current `last` is below the cut was filed below it, so none is missed. Entries put into `m`
 * directly (detections' load()) are filed by a full pass, noticed by the size the index expects.
 */
export class KeyedState<V extends { last: number }> {
  readonly m = new Map<string, V>();
  evicted = 0;
  private lastSweep = -Infinity;
  /** sweep period index → keys filed there (may hold keys since deleted or re-filed) */
  private filed = new Map<number, string[]>();
  /** keys in `filed`, stale ones included (a re-created key is filed again) */
  private filedCount = 0;
  /** m.size the index accounts for; -1 until the first sweep files everything */
  private expected = -1;

  /** @param sweepEverySec expire() sweeps at most this often (capture time): amortised cost */
  constructor(
    private cap: number,
    private sweepEverySec = 300,
  ) {}

  get(k: string): V | undefined {
    return this.m.get(k);
  }

  getOr(k: string, make: () => V): V {
    let v = this.m.get(k);
    if (!v) {
      if (this.m.size >= this.cap) this.evict();
      v = make();
      this.m.set(k, v);
      if (this.expected >= 0) {
        this.file(k, v.last);
        this.expected++;
      }
    }
    return v;
  }

  delete(k: string): void {
    if (this.m.delete(k) && this.expected >= 0) this.expected--;
  }

  get size(): number {
    return this.m.size;
  }

  /** Drop entries idle since before `cut` (at most once per sweepEverySec of capture time). */
  expire(cut: number): void {
    if (cut - this.lastSweep < this.sweepEverySec) return;
    this.lastSweep = cut;
    // entries set on `m` directly, or too many stale filings: file everything afresh
    if (this.expected !== this.m.size || this.filedCount > 2 * this.m.size + 64) this.fileAll();
    const open: number[] = [];
    for (const p of this.filed.keys()) if (p * this.sweepEverySec < cut) open.push(p);
    for (const p of open) {
      const keys = this.filed.get(p);
      if (keys === undefined) continue;
      this.filed.delete(p);
      this.filedCount -= keys.length;
      for (const k of keys) {
        const v = this.m.get(k);
        if (v === undefined) continue;
        if (v.last < cut) {
          this.m.delete(k);
          this.expected--;
        } else this.file(k, v.last);
      }
    }
  }

  private file(k: string, last: number): void {
    const p = Math.floor(last / this.sweepEverySec);
    const keys = this.filed.get(p);
    if (keys === undefined) this.filed.set(p, [k]);
    else keys.push(k);
    this.filedCount++;
  }

  private fileAll(): void {
    this.filed.clear();
    this.filedCount = 0;
    for (const [k, v] of this.m) this.file(k, v.last);
    this.expected = this.m.size;
  }

  private evict(): void {
    const lasts = [...this.m.values()].map((v) => v.last).sort((a, b) => a - b);
    const cut = lasts[Math.max(0, Math.floor(lasts.length / 10) - 1)] ?? -Infinity;
    for (const [k, v] of this.m) if (v.last <= cut) (this.m.delete(k), this.evicted++);
    if (this.expected >= 0) this.expected = -1;
  }
}

/**
 * Interned "a|b" keys for per-pair state looked up on every flow: the same pairs recur, so a
 * two-level lookup on the record's strings (their hashes are already computed by the baseline's
 * host and destination lookups) replaces building, flattening and hashing a new string per flow,
 * and the pair map then finds its key by identity. Bounded: past `max` keys it starts over.
 */
export class PairKeys {
  private m = new Map<string, Map<string, string>>();
  private n = 0;

  constructor(
    private sep: string,
    private max = 16384,
  ) {}

  key(a: string, b: string): string {
    let inner = this.m.get(a);
    let k = inner?.get(b);
    if (k !== undefined) return k;
    if (this.n >= this.max) {
      this.m.clear();
      this.n = 0;
      inner = undefined;
    }
    if (inner === undefined) this.m.set(a, (inner = new Map()));
    k = a + this.sep + b;
    inner.set(b, k);
    this.n++;
    return k;
  }
}

/** Format a byte count for explanations: "3.1 GB". */
export function fmtBytes(n: number): string {
  const u = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let x = n;
  while (x >= 1000 && i < u.length - 1) (x /= 1000), i++;
  return `${x >= 100 || i === 0 ? Math.round(x) : x.toFixed(1)} ${u[i]}`;
}

export function fmtDur(sec: number): string {
  if (sec < 90) return `${Math.round(sec)} s`;
  if (sec < 5400) return `${Math.round(sec / 60)} min`;
  if (sec < 172800) return `${(sec / 3600).toFixed(1)} h`;
  return `${(sec / 86400).toFixed(1)} days`;
}

/**
 * A baseline peak as it stood when a burst window began. Thresholds must not be derived from a
 * peak that the burst itself keeps raising (it would run away from the count); the snapshot is
 * refreshed at most hourly while a key stays busy.
 */
export interface PeakSnapshot {
  base: number;
  baseAt: number;
}

export function peakBase(s: PeakSnapshot, now: number, current: () => number): number {
  if (Number.isNaN(s.baseAt) || now - s.baseAt > 3600) {
    s.base = current();
    s.baseAt = now;
  }
  return s.base;
}
