/**
 * exfil.staging — a host pulls a large volume from internal servers and then pushes a comparable
 * volume out (collection → exfiltration). Both volumes are compared with the host's own
 * profile, so a reading workstation that downloads studies all day, or a backup server that
 * uploads offsite every night, stays quiet.
 */
import { EW_DOWN, OUT_UP, volIndex } from '../../baseline/hosts.js';
import { typicalBytes } from '../../baseline/robust.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, opt, schema } from '../util.js';
import { BucketSum, KeyedState, fmtBytes, fmtDur } from '../window.js';

const options = schema({
  windowSec: opt('int', 21600, 'staging and upload must both fall into this window', 600, 7 * 86400),
  minStagedBytes: opt('num', 1e9, 'internal download volume that counts as staging', 1e6, 1e14),
  minOutBytes: opt('num', 300e6, 'outbound volume after staging that alerts', 1e6, 1e14),
  minOutFraction: opt('num', 0.25, 'outbound volume as a fraction of the staged volume', 0, 100),
  minTrackBytes: opt('num', 10e6, 'an internal pull of at least this much starts tracking a host (memory)', 0, 1e14),
  typicalFactor: opt('num', 10, 'staged and outbound volumes must exceed this multiple of the host’s typical volume for these hours', 1, 1e6),
  minDays: opt('int', 3, 'observations per hour slot before the host profile is used', 1, 365),
  severity: opt('int', 8, 'severity', 1, 10),
  maxHosts: opt('int', 50000, 'tracked hosts (memory bound)', 100, 10000000),
});

interface St {
  last: number;
  down: BucketSum;
  out: BucketSum;
  stagedAt: number;
  alertedAt: number;
}

export const staging: DetectionSpec<typeof options> = {
  type: 'exfil.staging',
  category: 'exfiltration',
  mitre: ['T1074', 'T1041'],
  needsBaseline: true,
  title: 'large internal staging followed by outbound transfer',
  options,
  create(o, baseline) {
    const st = new KeyedState<St>(o.maxHosts);
    const type = this.type;
    const nb = 12;
    /** typicalFactor × the host's typical volume over the window's hours (0: no profile yet). */
    function normalMax(vol: Float32Array, volN: Uint8Array, series: number): number {
      let sum = 0;
      const hours = Math.ceil(o.windowSec / 3600);
      const h0 = baseline.localHour();
      for (let i = 0; i < hours; i++) {
        const hr = (h0 - i + 24 * 10) % 24;
        if (volN[hr]! < o.minDays) return 0;
        sum += typicalBytes(vol, volIndex(series, hr));
      }
      return sum * o.typicalFactor;
    }
    return {
      type,
      flows: true,
      size: () => st.size,
      onFlow(v, fc, ctx) {
        if (!fc.src) return;
        if (!fc.outbound && fc.dst && v.respBytes > 0) {
          // the source pulls from an internal peer; small pulls only count once a host is tracked
          if (v.respBytes < o.minTrackBytes && !st.get(v.src)) return;
          const s = st.get(v.src) ?? st.getOr(v.src, () => ({ last: v.ts, down: new BucketSum(o.windowSec, nb), out: new BucketSum(o.windowSec, nb), stagedAt: -Infinity, alertedAt: -Infinity }));
          s.last = Math.max(s.last, ctx.now);
          s.down.add(ctx.now, v.respBytes);
          if (s.down.sum(ctx.now) >= o.minStagedBytes && s.stagedAt < ctx.now - o.windowSec) s.stagedAt = ctx.now;
          return;
        }
        if (!fc.outbound || v.origBytes === 0) return;
        const s = st.get(v.src);
        if (!s) return;
        s.last = Math.max(s.last, ctx.now);
        s.out.add(ctx.now, v.origBytes);
        if (ctx.now - s.stagedAt > o.windowSec || ctx.now - s.alertedAt < o.windowSec) return;
        const staged = s.down.sum(ctx.now);
        const out = s.out.sum(ctx.now);
        if (staged < o.minStagedBytes || out < o.minOutBytes || out < o.minOutFraction * staged) return;
        const h = fc.src;
        const normDown = normalMax(h.vol, h.volN, EW_DOWN);
        const normOut = normalMax(h.vol, h.volN, OUT_UP);
        if ((normDown > 0 && staged <= normDown) || (normOut > 0 && out <= normOut)) return;
        if (ctx.learning) return;
        s.alertedAt = ctx.now;
        const name = fc.name || ctx.nameFor(v.uid, v.dst);
        ctx.raise({
          type,
          category: 'exfiltration',
          mitre: ['T1074', 'T1041'],
          severity: clampSev(o.severity),
          src: v.src,
          dst: v.dst,
          port: v.dport,
          names: name ? [name] : undefined,
          summary: `${ctx.describe(v.src)} pulled ${fmtBytes(staged)} from internal hosts and then sent ${fmtBytes(out)} to external destinations (latest ${v.dst}${name ? ` / ${name}` : ''}) within ${fmtDur(o.windowSec)}${normOut > 0 ? `; its profile for these hours is about ${fmtBytes(normOut / o.typicalFactor)} out and ${fmtBytes(normDown / o.typicalFactor)} in` : ''}: staging followed by exfiltration.`,
          evidence: { uids: [v.uid], staged_bytes: Math.round(staged), outbound_bytes: Math.round(out), typical_outbound: Math.round(normOut / o.typicalFactor), typical_staging: Math.round(normDown / o.typicalFactor), window_sec: o.windowSec, dst_name: name || null },
          needsBaseline: true,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, v.last, v.down.toJSON(), v.out.toJSON(), v.stagedAt, v.alertedAt]),
      load(x) {
        for (const [k, last, d, out, sa, aa] of (x as any[]) ?? []) st.m.set(k, { last, down: BucketSum.from(d), out: BucketSum.from(out), stagedAt: sa ?? -Infinity, alertedAt: aa ?? -Infinity });
      },
    };
  },
};
