/**
 * The learned picture of the network: internal hosts and peer groups, host→host:service edges
 * (east-west), external destinations by IP and by name (prevalence = how many internal hosts use
 * them), names per IP (DNS answers, SNI) and hour-of-day volume profiles.
 *
 * Learning is continuous. What is seen in learning mode is trusted at once; what is first seen
 * afterwards becomes "known" only once it is older than `edgeMatureSec` (so an attacker's new
 * edges do not whitewash themselves, and a second compromised host using the same edge still
 * alerts). Entries not seen for `maxAgeSec` fade out; volume profiles are EW-weighted; peak
 * metrics decay daily. Every table is bounded and evicts least-recently-seen entries in batches.
 */
import { LocalClock } from './clock.js';
import {
  EW_DOWN,
  EW_UP,
  F_ALIVE,
  F_SRV_DNS,
  F_SRV_KRB,
  F_SRV_LDAP,
  OUT_DOWN,
  OUT_UP,
  SERIES,
  foldHour,
  newVol,
  type GroupEntry,
  type HostEntry,
} from './hosts.js';
import { SVC_CLASSES, serviceKey, svcClassBits } from './services.js';
import { EdgeStore, type Edge } from './edge-store.js';
import type { FlowView } from '../core/records.js';

export interface BaselineOptions {
  timeZone: string;
  maxHosts: number;
  maxEdges: number;
  maxExternals: number;
  maxNames: number;
  maxResolved: number;
  edgeMatureSec: number;
  maxAgeSec: number;
  /** Lower bound of the EW weight of a new day in hour-of-day profiles (1/14 ≈ two weeks). */
  alphaMin: number;
  peakDecayPerDay: number;
  /** Distinct host pairs before a group→group:service edge counts as the group's habit. */
  groupZoneMinPairs: number;
}

/** Zone of an internal address as configured. */
export interface ZoneInfo {
  index: number;
  name: string;
  kind: string;
}

export interface BaselineHooks {
  zoneOf(ip: string): ZoneInfo | undefined;
  /** Configured role flags (F_CFG_DC, F_CFG_DNS) for an address. */
  roleFlags(ip: string): number;
}

export type { Edge };

export interface ExtEntry {
  f: number;
  l: number;
  n: number;
  L: number;
  /** Up to PREV_CAP internal hosts that used it (prevalence). */
  h: string[];
  /** Detection-owned peak (e.g. unique subdomains per host-window for a domain). */
  p: number;
}

export const PREV_CAP = 8;

const NO_NAMES: readonly string[] = Object.freeze([]);

/** State of an edge before the flow that touched it. */
export const ABSENT = 0;
export const YOUNG = 1;
export const KNOWN = 2;

/** What the baseline knew before a flow — filled per flow, reused (hot path). */
export class FlowContext {
  src: HostEntry | undefined;
  dst: HostEntry | undefined;
  svc = '';
  /** src→dst:svc edge before this flow. */
  edge = ABSENT;
  edgeFirst = 0;
  /** src's group → dst:svc. */
  groupEdge = ABSENT;
  /** src's group → dst's group:svc (with enough distinct pairs). */
  zoneEdge = ABSENT;
  /** External destination IP before this flow (outbound): state and prevalence. */
  ext = ABSENT;
  extPrev = 0;
  /** Name used for the flow (SNI/HTTP host/DNS), if known. */
  name = '';
  nameState = ABSENT;
  namePrev = 0;
  /** Counts toward the source's outbound volume (direct or via a proxy). */
  outbound = false;
}

export interface BaselineCounters {
  evictedHosts: number;
  evictedEdges: number;
  evictedExternals: number;
  evictedNames: number;
  agedOut: number;
  hoursClosed: number;
  daysClosed: number;
}

export class Baseline {
  start = NaN;
  /** Capture time of the latest hour/day bookkeeping. */
  hourStart = NaN;
  hour = -1;
  day = '';
  hosts = new Map<string, HostEntry>();
  groups = new Map<string, GroupEntry>();
  /** host → host:service (east-west). */
  readonly hostEdges = new EdgeStore();
  /** peer group → host:service. */
  readonly groupEdges = new EdgeStore();
  /** peer group → peer group:service; `n` counts distinct host pairs. */
  readonly zoneEdges = new EdgeStore();
  /** Detection-owned edge-like keys (habits, device contracts to outside peers, AE pairs, …). */
  readonly keys = new Map<string, Edge>();
  ext = new Map<string, ExtEntry>();
  names = new Map<string, ExtEntry>();
  resolved = new Map<string, string[]>();
  readonly metrics: string[] = [];
  readonly counters: BaselineCounters = {
    evictedHosts: 0,
    evictedEdges: 0,
    evictedExternals: 0,
    evictedNames: 0,
    agedOut: 0,
    hoursClosed: 0,
    daysClosed: 0,
  };
  learning = false;
  private clock: LocalClock;
  readonly ctx = new FlowContext();

  constructor(
    readonly o: BaselineOptions,
    private hooks: BaselineHooks,
  ) {
    this.clock = new LocalClock(o.timeZone);
  }

  /** Register a per-host/per-group peak metric (call before any data). Returns its slot. */
  metric(name: string): number {
    const i = this.metrics.indexOf(name);
    if (i >= 0) return i;
    this.metrics.push(name);
    return this.metrics.length - 1;
  }

  ageSec(now: number): number {
    return Number.isNaN(this.start) ? 0 : Math.max(0, now - this.start);
  }

  localHour(): number {
    return this.hour < 0 ? 0 : this.hour;
  }

  // ---------------------------------------------------------------- hosts

  peekHost(ip: string): HostEntry | undefined {
    return this.hosts.get(ip);
  }

  host(ip: string, now: number): HostEntry {
    let h = this.hosts.get(ip);
    if (h) {
      if (now > h.last) h.last = now;
      return h;
    }
    if (this.hosts.size >= this.o.maxHosts) this.evictHosts();
    const z = this.hooks.zoneOf(ip);
    h = {
      ip,
      zone: z ? z.index : -1,
      group: z ? `zone:${z.name}` : 'learned:new',
      first: now,
      last: now,
      flags: this.hooks.roleFlags(ip),
      cliSvc: 0,
      srvSvc: 0,
      cur: new Float64Array(4),
      vol: newVol(),
      volN: new Uint8Array(24),
      peaks: new Float32Array(this.metrics.length),
    };
    this.hosts.set(ip, h);
    this.groupOf(h).members++;
    return h;
  }

  groupOf(h: HostEntry): GroupEntry {
    let g = this.groups.get(h.group);
    if (!g) {
      g = { name: h.group, vol: newVol(), volN: new Uint8Array(24), peaks: new Float32Array(this.metrics.length), members: 0 };
      this.groups.set(h.group, g);
    }
    return g;
  }

  /** Raise a decaying peak metric for a host and its group. */
  observePeak(h: HostEntry, slot: number, value: number): void {
    if (value > h.peaks[slot]!) h.peaks[slot] = value;
    const g = this.groupOf(h);
    if (value > g.peaks[slot]!) g.peaks[slot] = value;
  }

  // ---------------------------------------------------------------- edges

  private state(e: Edge | undefined, now: number): number {
    if (!e) return ABSENT;
    return e.L === 1 || now - e.f >= this.o.edgeMatureSec ? KNOWN : YOUNG;
  }

  /** Edges in all tables (the bounded quantity). */
  get edgeCount(): number {
    return this.hostEdges.size + this.groupEdges.size + this.zoneEdges.size + this.keys.size;
  }

  /** State of the edge before this call (in `lastState`), then record a use of it. */
  private lastState = ABSENT;

  private touch(store: EdgeStore, a: string, b: string, svc: string, now: number): Edge {
    let e = store.get(a, b, svc);
    this.lastState = this.state(e, now);
    if (!e) {
      if (this.edgeCount >= this.o.maxEdges) this.evictEdges();
      e = { s: svc, f: now, l: now, n: 0, L: this.learning ? 1 : 0 };
      store.add(a, b, e);
    }
    this.use(e, now);
    return e;
  }

  private use(e: Edge, now: number): void {
    if (now > e.l) e.l = now;
    e.n++;
    if (this.learning) e.L = 1;
  }

  /**
   * Touch an edge-like key owned by a detection (e.g. a medical device's external peer, a DICOM
   * AE-title pair) with the same maturity and aging rules as edges. Returns the prior state.
   */
  touchKey(key: string, now: number): number {
    let e = this.keys.get(key);
    const st = this.state(e, now);
    if (!e) {
      if (this.edgeCount >= this.o.maxEdges) this.evictEdges();
      e = { s: '', f: now, l: now, n: 0, L: this.learning ? 1 : 0 };
      this.keys.set(key, e);
    }
    this.use(e, now);
    return st;
  }

  /** A detection-owned key's entry, if any. */
  keyEntry(key: string): Edge | undefined {
    return this.keys.get(key);
  }

  /** Known state of a src→dst:svc edge (no update). */
  edgeKnown(src: string, dst: string, svc: string, now: number): number {
    return this.state(this.hostEdges.get(src, dst, svc), now);
  }

  // ---------------------------------------------------------------- externals and names

  private touchExt(map: Map<string, ExtEntry>, key: string, host: string, now: number, max: number, which: 'ext' | 'names'): ExtEntry {
    let e = map.get(key);
    if (!e) {
      if (map.size >= max) this.evictExt(map, which);
      e = { f: now, l: now, n: 0, L: this.learning ? 1 : 0, h: [], p: 0 };
      map.set(key, e);
    }
    if (now > e.l) e.l = now;
    e.n++;
    if (this.learning) e.L = 1;
    if (e.h.length < PREV_CAP && !e.h.includes(host)) e.h.push(host);
    return e;
  }

  private extState(e: ExtEntry | undefined, now: number): number {
    if (!e) return ABSENT;
    return e.L === 1 || now - e.f >= this.o.edgeMatureSec ? KNOWN : YOUNG;
  }

  nameInfo(name: string, now: number): { state: number; prevalence: number; entry: ExtEntry | undefined } {
    const e = this.names.get(name);
    return { state: this.extState(e, now), prevalence: e ? e.h.length : 0, entry: e };
  }

  extInfo(ip: string, now: number): { state: number; prevalence: number; entry: ExtEntry | undefined } {
    const e = this.ext.get(ip);
    return { state: this.extState(e, now), prevalence: e ? e.h.length : 0, entry: e };
  }

  /** A name was used by `host` (DNS query, SNI, HTTP host): prevalence bookkeeping. */
  touchName(name: string, host: string, now: number): ExtEntry {
    return this.touchExt(this.names, name, host, now, this.o.maxNames, 'names');
  }

  /** Remember that `ip` answers for `name` (DNS answer, SNI). Most recent first, ≤ 4 names. */
  addResolved(ip: string, name: string): void {
    let l = this.resolved.get(ip);
    if (!l) {
      if (this.resolved.size >= this.o.maxResolved) {
        // Map iteration order is insertion order: drop the oldest tenth
        let drop = Math.ceil(this.o.maxResolved / 10);
        for (const k of this.resolved.keys()) {
          this.resolved.delete(k);
          if (--drop <= 0) break;
        }
      }
      l = [];
      this.resolved.set(ip, l);
    }
    const i = l.indexOf(name);
    if (i === 0) return;
    if (i > 0) l.splice(i, 1);
    l.unshift(name);
    if (l.length > 4) l.length = 4;
  }

  namesOf(ip: string): readonly string[] {
    // called per outbound flow: no fresh empty array when the IP has no names
    return this.resolved.get(ip) ?? NO_NAMES;
  }

  // ---------------------------------------------------------------- per flow

  /**
   * Account one flow record (final or interim) and return what was known before it.
   * `srcInternal`/`dstInternal` come from the record's direction; `viaProxy`: dst is a proxy.
   */
  observeFlow(v: FlowView, now: number, srcInternal: boolean, dstInternal: boolean, viaProxy: boolean, name: string): FlowContext {
    if (Number.isNaN(this.start)) this.start = v.ts;
    const c = this.ctx;
    c.src = srcInternal ? this.host(v.src, now) : undefined;
    c.dst = dstInternal ? this.host(v.dst, now) : undefined;
    c.svc = serviceKey(v.proto, v.dport, v.service);
    c.edge = ABSENT;
    c.edgeFirst = 0;
    c.groupEdge = ABSENT;
    c.zoneEdge = ABSENT;
    c.ext = ABSENT;
    c.extPrev = 0;
    c.name = name;
    c.nameState = ABSENT;
    c.namePrev = 0;
    c.outbound = false;
    const s = c.src;
    const d = c.dst;
    const ob = v.origBytes;
    const rb = v.respBytes;
    if (s && d) {
      if (viaProxy) {
        c.outbound = true;
        s.cur[OUT_UP] += ob;
        s.cur[OUT_DOWN] += rb;
      } else {
        s.cur[EW_UP] += ob;
        s.cur[EW_DOWN] += rb;
      }
      d.cur[EW_UP] += rb;
      d.cur[EW_DOWN] += ob;
      if (v.answered && v.first) {
        const bits = svcClassBits(v.dport, v.service);
        s.cliSvc |= bits;
        d.srvSvc |= bits;
        d.flags |= F_ALIVE;
        if (v.dport === 88) d.flags |= F_SRV_KRB;
        else if (v.dport === 389) d.flags |= F_SRV_LDAP;
        else if (v.dport === 53) d.flags |= F_SRV_DNS;
        const e = this.touch(this.hostEdges, v.src, v.dst, c.svc, now);
        c.edge = this.lastState;
        c.edgeFirst = e.f;
        this.touch(this.groupEdges, s.group, v.dst, c.svc, now);
        c.groupEdge = this.lastState;
        const ze = this.zoneEdges.get(s.group, d.group, c.svc);
        c.zoneEdge = ze && ze.n >= this.o.groupZoneMinPairs ? this.state(ze, now) : ABSENT;
        // the group→group edge counts distinct host pairs, not flows
        if (c.edge === ABSENT) this.touch(this.zoneEdges, s.group, d.group, c.svc, now);
        else if (ze && now > ze.l) ze.l = now;
      }
    } else if (s && !d) {
      c.outbound = true;
      s.cur[OUT_UP] += ob;
      s.cur[OUT_DOWN] += rb;
      if (v.answered && v.first) {
        s.cliSvc |= svcClassBits(v.dport, v.service);
        const ei = this.ext.get(v.dst);
        c.ext = this.extState(ei, now);
        c.extPrev = ei ? ei.h.length : 0;
        this.touchExt(this.ext, v.dst, v.src, now, this.o.maxExternals, 'ext');
        if (name) {
          const ni = this.names.get(name);
          c.nameState = this.extState(ni, now);
          c.namePrev = ni ? ni.h.length : 0;
          this.touchExt(this.names, name, v.src, now, this.o.maxNames, 'names');
        }
      }
    } else if (!s && d) {
      // inbound: data leaving through an inbound connection counts as outbound volume
      d.cur[OUT_UP] += rb;
      d.cur[OUT_DOWN] += ob;
      if (v.answered && v.first) d.flags |= F_ALIVE;
    }
    return c;
  }

  // ---------------------------------------------------------------- time

  /**
   * Advance the capture clock. Closes the hour in progress when `now` left it (hours with no
   * observation — a gap between replays — are not folded as zeros: the sensor did not watch).
   * Returns true when a local day ended (daily housekeeping ran).
   */
  advance(now: number): boolean {
    if (Number.isNaN(this.start)) this.start = now;
    const hs = LocalClock.hourStart(now);
    if (Number.isNaN(this.hourStart)) {
      this.hourStart = hs;
      const t = this.clock.at(now);
      this.hour = t.hour;
      this.day = t.day;
      return false;
    }
    if (hs <= this.hourStart) return false;
    this.closeHour();
    this.hourStart = hs;
    const t = this.clock.at(now);
    this.hour = t.hour;
    if (t.day !== this.day) {
      this.day = t.day;
      this.closeDay(now);
      return true;
    }
    return false;
  }

  /** Scratch for closeHour: log1p of one host's hour volumes. */
  private readonly logCur = new Float64Array(SERIES);

  private closeHour(): void {
    const h = this.hour;
    const a = this.o.alphaMin;
    const logCur = this.logCur;
    for (const host of this.hosts.values()) {
      for (let s = 0; s < SERIES; s++) logCur[s] = Math.log1p(host.cur[s]!);
      foldHour(host.vol, host.volN, h, logCur, a);
      // group profile: per-member volumes folded as observations of the group's distribution
      const g = this.groupOf(host);
      foldHour(g.vol, g.volN, h, logCur, a / Math.max(1, g.members));
      host.cur.fill(0);
    }
    this.counters.hoursClosed++;
  }

  private closeDay(now: number): void {
    this.counters.daysClosed++;
    const decay = this.o.peakDecayPerDay;
    for (const h of this.hosts.values()) for (let i = 0; i < h.peaks.length; i++) h.peaks[i]! *= decay;
    for (const g of this.groups.values()) for (let i = 0; i < g.peaks.length; i++) g.peaks[i]! *= decay;
    this.age(now);
    this.relearnGroups();
  }

  /** Drop what has not been seen for maxAgeSec: stale behaviour fades out. */
  private age(now: number): void {
    const cut = now - this.o.maxAgeSec;
    let n = 0;
    const old = (e: Edge) => e.l < cut;
    n += this.hostEdges.removeWhere(old) + this.groupEdges.removeWhere(old) + this.zoneEdges.removeWhere(old);
    for (const [k, e] of this.keys) if (e.l < cut) (this.keys.delete(k), n++);
    for (const [k, e] of this.ext) if (e.l < cut) (this.ext.delete(k), n++);
    for (const [k, e] of this.names) if (e.l < cut) (this.names.delete(k), n++);
    for (const [k, h] of this.hosts) if (h.last < cut) (this.removeHost(k, h), n++);
    this.counters.agedOut += n;
  }

  /**
   * Hosts outside configured zones are grouped by the services they use and offer ("hosts that
   * talk to the same services"), re-evaluated daily.
   */
  private relearnGroups(): void {
    for (const h of this.hosts.values()) {
      if (h.zone >= 0) continue;
      const g = `learned:c${h.cliSvc.toString(16)}s${h.srvSvc.toString(16)}`;
      if (g !== h.group) {
        const old = this.groups.get(h.group);
        if (old) old.members--;
        h.group = g;
        this.groupOf(h).members++;
      }
    }
    for (const [k, g] of this.groups) if (g.members <= 0) this.groups.delete(k);
  }

  static describeGroup(group: string): string {
    if (group.startsWith('zone:')) return group;
    const m = /^learned:c([0-9a-f]+)s([0-9a-f]+)$/.exec(group);
    if (!m) return group;
    const names = (bits: number) => SVC_CLASSES.filter((_, i) => bits & (1 << i)).map((x) => x[0]).join('+') || '-';
    return `learned group (uses ${names(parseInt(m[1]!, 16))}; serves ${names(parseInt(m[2]!, 16))})`;
  }

  // ---------------------------------------------------------------- bounds

  private removeHost(k: string, h: HostEntry): void {
    this.hosts.delete(k);
    const g = this.groups.get(h.group);
    if (g) g.members--;
  }

  private evictHosts(): void {
    const cut = cutoff([...this.hosts.values()].map((h) => h.last));
    for (const [k, h] of this.hosts) if (h.last <= cut) (this.removeHost(k, h), this.counters.evictedHosts++);
  }

  private evictEdges(): void {
    const cut = cutoff([...this.hostEdges.lastSeenValues(), ...this.groupEdges.lastSeenValues(), ...this.zoneEdges.lastSeenValues(), ...[...this.keys.values()].map((e) => e.l)]);
    const old = (e: Edge) => e.l <= cut;
    let n = this.hostEdges.removeWhere(old) + this.groupEdges.removeWhere(old) + this.zoneEdges.removeWhere(old);
    for (const [k, e] of this.keys) if (e.l <= cut) (this.keys.delete(k), n++);
    this.counters.evictedEdges += n;
  }

  private evictExt(map: Map<string, ExtEntry>, which: 'ext' | 'names'): void {
    const cut = cutoff([...map.values()].map((e) => e.l));
    let n = 0;
    for (const [k, e] of map) if (e.l <= cut) (map.delete(k), n++);
    if (which === 'ext') this.counters.evictedExternals += n;
    else this.counters.evictedNames += n;
  }

  // ---------------------------------------------------------------- persistence

  save(): unknown {
    const b64 = (a: Float32Array | Float64Array | Uint8Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).toString('base64');
    return {
      start: this.start,
      hourStart: this.hourStart,
      hour: this.hour,
      day: this.day,
      metrics: this.metrics,
      counters: this.counters,
      hosts: [...this.hosts.values()].map((h) => [h.ip, h.zone, h.group, h.first, h.last, h.flags, h.cliSvc, h.srvSvc, b64(h.cur), b64(h.vol), b64(h.volN), b64(h.peaks)]),
      groups: [...this.groups.values()].map((g) => [g.name, g.members, b64(g.vol), b64(g.volN), b64(g.peaks)]),
      hostEdges: this.hostEdges.save(),
      groupEdges: this.groupEdges.save(),
      zoneEdges: this.zoneEdges.save(),
      keys: [...this.keys.entries()].map(([k, e]) => [k, e.f, e.l, e.n, e.L]),
      ext: [...this.ext.entries()],
      names: [...this.names.entries()],
      resolved: [...this.resolved.entries()],
    };
  }

  load(s: unknown): void {
    const st = s as ReturnType<Baseline['save']> & Record<string, any>;
    const f32 = (x: string) => {
      const b = Buffer.from(x, 'base64');
      return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    const f64 = (x: string) => {
      const b = Buffer.from(x, 'base64');
      return new Float64Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
    };
    const u8 = (x: string) => new Uint8Array(Buffer.from(x, 'base64'));
    // metric slots are matched by name: a detection added in a newer version starts at zero
    const saved: string[] = st.metrics ?? [];
    const remap = (p: Float32Array) => {
      const out = new Float32Array(this.metrics.length);
      saved.forEach((name, i) => {
        const j = this.metrics.indexOf(name);
        if (j >= 0 && i < p.length) out[j] = p[i]!;
      });
      return out;
    };
    this.start = st.start ?? NaN;
    this.hourStart = st.hourStart ?? NaN;
    this.hour = st.hour ?? -1;
    this.day = st.day ?? '';
    Object.assign(this.counters, st.counters ?? {});
    this.hosts.clear();
    for (const r of st.hosts ?? []) {
      this.hosts.set(r[0], {
        ip: r[0], zone: r[1], group: r[2], first: r[3], last: r[4], flags: r[5], cliSvc: r[6], srvSvc: r[7],
        cur: f64(r[8]), vol: f32(r[9]), volN: u8(r[10]), peaks: remap(f32(r[11])),
      });
    }
    this.groups.clear();
    for (const r of st.groups ?? []) this.groups.set(r[0], { name: r[0], members: r[1], vol: f32(r[2]), volN: u8(r[3]), peaks: remap(f32(r[4])) });
    this.hostEdges.load(st.hostEdges);
    this.groupEdges.load(st.groupEdges);
    this.zoneEdges.load(st.zoneEdges);
    this.keys.clear();
    for (const r of (st.keys ?? []) as [string, number, number, number, number][]) this.keys.set(r[0], { s: '', f: r[1], l: r[2], n: r[3], L: r[4] });
    this.ext = new Map(st.ext ?? []);
    this.names = new Map(st.names ?? []);
    this.resolved = new Map(st.resolved ?? []);
  }
}

/** Value at or below which roughly the oldest tenth of `values` lies. */
function cutoff(values: number[]): number {
  values.sort((a, b) => a - b);
  return values[Math.max(0, Math.floor(values.length / 10) - 1)] ?? -Infinity;
}
