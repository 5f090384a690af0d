/**
 * c2.beacon — RITA-style beacon scoring per internal source → external destination (SNI/HTTP
 * host when known, else IP): regular connection intervals (Bowley skew and median absolute
 * deviation of the intervals), regular sizes (skew and MAD of bytes sent), enough connections,
 * and coverage of the hours spanned. Destinations many hosts use, and pairs already periodic
 * while learning (vendor telemetry, update checks), are not C2.
 */
import { KNOWN } from '../../baseline/baseline.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, opt, protoPortMatcher, schema } from '../util.js';
import { KeyedState, PairKeys, fmtBytes, fmtDur } from '../window.js';

const options = schema({
  minConnections: opt('int', 12, 'connections before a pair is scored', 4, 10000),
  history: opt('int', 48, 'connections kept per pair', 8, 1000),
  threshold: opt('num', 0.85, 'score (0..1) that alerts', 0.1, 1),
  maxPrevalence: opt('int', 3, 'destinations used by more internal hosts are not tracked', 1, 1000),
  maxCv: opt('num', 0.8, 'skip the full score when the intervals’ coefficient of variation exceeds this (cost)', 0.01, 100),
  minIntervalSec: opt('num', 5, 'median interval below this is a burst, not a beacon', 0, 86400),
  severity: opt('int', 7, 'severity for a rare destination', 1, 10),
  commonSeverity: opt('int', 4, 'severity when the destination is shared by several hosts', 1, 10),
  maxPairs: opt('int', 50000, 'tracked pairs (memory bound)', 100, 10000000),
  excludePorts: opt('strings', ['udp/123', 'udp/53', 'tcp/53', 'udp/443'], 'proto/port never scored (NTP, DNS, QUIC)'),
});

interface Pair {
  last: number;
  ts: Float64Array;
  bytes: Float32Array;
  n: number; // total connections seen
  learned: boolean;
  scoredAt: number;
  uids: string[];
}

function quantiles(a: number[]): [number, number, number] {
  const q = (p: number) => {
    const x = (a.length - 1) * p;
    const lo = Math.floor(x);
    const hi = Math.ceil(x);
    return a[lo]! + (a[hi]! - a[lo]!) * (x - lo);
  };
  return [q(0.25), q(0.5), q(0.75)];
}

/** 1 - |Bowley skewness|, and median absolute deviation, of sorted values. */
function shape(sorted: number[]): { skewScore: number; median: number; madm: number } {
  const [q1, q2, q3] = quantiles(sorted);
  const skew = q3 - q1 > 0 && q2 !== q1 && q2 !== q3 ? (q1 + q3 - 2 * q2) / (q3 - q1) : 0;
  const dev = sorted.map((x) => Math.abs(x - q2)).sort((a, b) => a - b);
  return { skewScore: 1 - Math.min(1, Math.abs(skew)), median: q2, madm: quantiles(dev)[1] };
}

export interface BeaconScore {
  score: number;
  tsScore: number;
  dsScore: number;
  interval: number;
  jitter: number;
  size: number;
  hourCoverage: number;
}

/** Coefficient of variation of the intervals between the last k timestamps of a ring. */
function intervalCv(ring: Float64Array, k: number, next: number): number {
  const n = ring.length;
  const start = k < n ? 0 : next;
  let sum = 0;
  let sq = 0;
  let prev = ring[start % n]!;
  for (let i = 1; i < k; i++) {
    const t = ring[(start + i) % n]!;
    const d = Math.abs(t - prev);
    prev = t;
    sum += d;
    sq += d * d;
  }
  const m = sum / (k - 1);
  if (m <= 0) return Infinity;
  return Math.sqrt(Math.max(0, sq / (k - 1) - m * m)) / m;
}

export function scoreBeacon(ts: number[], bytes: number[], minConns: number): BeaconScore {
  const t = [...ts].sort((a, b) => a - b);
  const iv = t.slice(1).map((x, i) => x - t[i]!).sort((a, b) => a - b);
  const ti = shape(iv);
  const tsMadmScore = ti.median > 0 ? Math.max(0, 1 - ti.madm / ti.median) : 0;
  // enough repetitions is a gate (minConnections), not a slow ramp: full marks once reached
  const countScore = Math.min(1, t.length / minConns);
  const span = t[t.length - 1]! - t[0]!;
  const hours = new Set(t.map((x) => Math.floor(x / 3600)));
  const spanHours = Math.max(1, Math.ceil(span / 3600));
  const hourCoverage = Math.min(1, hours.size / spanHours);
  const tsScore = (ti.skewScore + tsMadmScore + countScore + hourCoverage) / 4;
  const ds = shape([...bytes].sort((a, b) => a - b));
  const dsMadmScore = Math.max(0, 1 - ds.madm / Math.max(32, 0.05 * ds.median));
  const dsScore = (ds.skewScore + dsMadmScore) / 2;
  return { score: (tsScore * 2 + dsScore) / 3, tsScore, dsScore, interval: ti.median, jitter: ti.madm, size: ds.median, hourCoverage };
}

export const beacon: DetectionSpec<typeof options> = {
  type: 'c2.beacon',
  category: 'command-and-control',
  mitre: ['T1071', 'T1573'],
  needsBaseline: true,
  title: 'beaconing (RITA-style interval/size regularity score)',
  options,
  create(o, baseline) {
    const pairs = new KeyedState<Pair>(o.maxPairs);
    const pairKeys = new PairKeys('|');
    const excluded = protoPortMatcher(o.excludePorts);
    const type = this.type;
    return {
      type,
      flows: true,
      size: () => pairs.size,
      onFlow(v, fc, ctx) {
        if (!fc.outbound || !fc.src || !v.first) return;
        if (excluded(v.proto, v.dport)) return;
        const name = fc.name;
        // via a proxy only the requested name identifies the destination
        if (fc.dst && !name) return;
        const key = pairKeys.key(v.src, name || v.dst);
        let p = pairs.get(key);
        if (!p) {
          // popular destinations are not C2 candidates: do not spend memory on them
          const prev = name ? baseline.nameInfo(name, ctx.now) : baseline.extInfo(v.dst, ctx.now);
          if (prev.state === KNOWN && prev.prevalence > o.maxPrevalence) return;
          p = pairs.getOr(key, () => ({ last: v.ts, ts: new Float64Array(o.history), bytes: new Float32Array(o.history), n: 0, learned: ctx.learning, scoredAt: 0, uids: [] }));
        }
        if (ctx.learning) p.learned = true;
        const i = p.n % o.history;
        p.ts[i] = v.ts;
        p.bytes[i] = v.origTotal;
        p.n++;
        p.last = Math.max(p.last, v.ts);
        p.uids[p.n % 5] = v.uid;
        // periodic while learning (vendor telemetry, update checks) is normal: never scored
        if (p.learned || p.n < o.minConnections || p.n - p.scoredAt < 4 || ctx.learning) return;
        p.scoredAt = p.n;
        const k = Math.min(p.n, o.history);
        // cheap pre-filter without allocation: clearly irregular intervals are no beacon
        if (intervalCv(p.ts, k, p.n % o.history) > o.maxCv) return;
        const sc = scoreBeacon(Array.from(p.ts.subarray(0, k)), Array.from(p.bytes.subarray(0, k)), o.minConnections);
        if (sc.score < o.threshold || sc.interval < o.minIntervalSec) return;
        const prev = name ? baseline.nameInfo(name, ctx.now) : baseline.extInfo(v.dst, ctx.now);
        const common = prev.prevalence > 2;
        ctx.raise({
          type,
          category: 'command-and-control',
          mitre: v.dport === 443 || v.service.includes('ssl') ? ['T1071.001', 'T1573'] : ['T1071'],
          severity: clampSev(common ? o.commonSeverity : o.severity + (sc.score >= 0.95 ? 1 : 0)),
          src: v.src,
          dst: v.dst,
          target: name || undefined,
          port: v.dport,
          names: name ? [name] : undefined,
          summary: `${ctx.describe(v.src)} contacted ${name ? `${name} (${v.dst})` : v.dst}:${v.dport} ${p.n} times every ${fmtDur(sc.interval)} ± ${fmtDur(sc.jitter)} with ~${fmtBytes(sc.size)} sent each time (beacon score ${sc.score.toFixed(2)}); ${prev.prevalence} internal host(s) use this destination.`,
          evidence: { uids: p.uids.slice(), connections: p.n, score: +sc.score.toFixed(3), ts_score: +sc.tsScore.toFixed(3), ds_score: +sc.dsScore.toFixed(3), interval_sec: +sc.interval.toFixed(1), jitter_sec: +sc.jitter.toFixed(1), bytes_median: Math.round(sc.size), hour_coverage: +sc.hourCoverage.toFixed(2), prevalence: prev.prevalence, dst_name: name || null },
          needsBaseline: true,
        });
      },
      tick(ctx) {
        pairs.expire(ctx.now - 86400);
      },
      save: () => [...pairs.m.entries()].map(([k, p]) => [k, p.last, Array.from(p.ts), Array.from(p.bytes), p.n, p.learned, p.scoredAt, p.uids]),
      load(x) {
        for (const [k, last, ts, bytes, n, learned, scoredAt, uids] of (x as any[]) ?? []) {
          pairs.m.set(k, { last, ts: Float64Array.from(ts), bytes: Float32Array.from(bytes), n, learned, scoredAt, uids });
        }
      },
    };
  },
};
