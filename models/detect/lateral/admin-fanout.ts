/**
 * lm.admin_fanout — one source reaches many internal hosts over admin protocols within a window,
 * far above its own usual peak (jump hosts and management servers have high peaks; workstations
 * do not). Counts answered connections; how many targets are new edges is quoted.
 */
import { ABSENT, KNOWN } from '../../baseline/baseline.js';
import { isDC } from '../../baseline/hosts.js';
import type { DetectionSpec } from '../types.js';
import { adminService, clampSev, opt, schema } from '../util.js';
import { KeyedState, SlidingSet, fmtDur, peakBase } from '../window.js';

const options = schema({
  windowSec: opt('int', 600, 'sliding window for distinct targets', 30, 86400),
  minTargets: opt('int', 8, 'never alert below this many distinct targets', 2, 10000),
  peakFactor: opt('num', 3, 'alert above this multiple of the host’s decayed peak per window', 1, 100),
  severity: opt('int', 6, 'base severity', 1, 10),
  maxSources: opt('int', 20000, 'tracked sources (memory bound)', 100, 10000000),
});

interface St {
  last: number;
  t: SlidingSet<string>;
  newT: SlidingSet<string>;
  firstTs: number;
  base: number;
  baseAt: number;
}

export const adminFanout: DetectionSpec<typeof options> = {
  type: 'lm.admin_fanout',
  category: 'lateral-movement',
  mitre: ['T1021', 'T1570'],
  needsBaseline: true,
  title: 'admin-protocol fan-out above the host’s baseline peak',
  options,
  create(o, baseline) {
    const slot = baseline.metric('lm.admin_fanout.peak');
    const st = new KeyedState<St>(o.maxSources);
    const type = this.type;
    return {
      type,
      flows: true,
      size: () => st.size,
      onFlow(v, fc, ctx) {
        if (!fc.src || !fc.dst || fc.outbound || !v.answered || !v.first) return;
        const adm = adminService(v.dport, v.service, fc.svc);
        if (!adm) return;
        // get first: the factory closure is built only for a new source (hot path)
        const s = st.get(v.src) ?? st.getOr(v.src, () => ({ last: v.ts, t: new SlidingSet(o.windowSec, o.minTargets * 50), newT: new SlidingSet(o.windowSec, o.minTargets * 50), firstTs: v.ts, base: 0, baseAt: NaN }));
        s.last = Math.max(s.last, v.ts);
        if (!s.t.add(v.dst, v.ts)) return;
        if (fc.edge === ABSENT && fc.groupEdge !== KNOWN) s.newT.add(v.dst, v.ts);
        const n = s.t.size;
        const src = fc.src;
        // hosts with less than a day of history borrow their group's peak
        const peak = peakBase(s, ctx.now, () => (ctx.now - src.first < 86400 ? Math.max(src.peaks[slot]!, baseline.groupOf(src).peaks[slot]!) : src.peaks[slot]!));
        const thr = Math.max(o.minTargets, Math.ceil(o.peakFactor * peak));
        if (n < thr || ctx.learning) {
          // learning mode declares everything normal, however large
          baseline.observePeak(fc.src, slot, n);
          return;
        }
        const targets = s.t.keys();
        const nNew = s.newT.size;
        let sev = o.severity;
        if (nNew >= thr) sev += 1;
        if (n >= 2 * thr) sev += 1;
        if (targets.some((t) => isDC(baseline.peekHost(t)) || ctx.zoneOf(t)?.kind === 'medical')) sev += 1;
        const span = v.ts - s.t.oldest();
        ctx.raise({
          type,
          category: 'lateral-movement',
          mitre: [adm.mitre, 'T1570'],
          severity: clampSev(sev),
          src: v.src,
          dst: null,
          target: `admin:${adm.name.split('/')[0]}`,
          port: v.dport,
          summary: `${ctx.describe(v.src)} opened admin connections (latest ${adm.name}) to ${n} internal hosts within ${fmtDur(Math.max(span, 1))}, ${nNew} of them never contacted before in ${ctx.baselineDays().toFixed(1)} days of baseline (its usual peak is ${peak.toFixed(1)} per ${fmtDur(o.windowSec)}).`,
          evidence: {
            uids: [v.uid],
            targets: targets.slice(0, 50),
            distinct_targets: n,
            new_targets: nNew,
            window_sec: o.windowSec,
            baseline_peak: +peak.toFixed(2),
            threshold: thr,
          },
          needsBaseline: true,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec * 2);
      },
      save: () => [...st.m.entries()].map(([k, s]) => [k, s.last, s.firstTs, s.t.toJSON(), s.newT.toJSON(), s.base, s.baseAt]),
      load(x) {
        for (const [k, last, firstTs, t, n, base, baseAt] of (x as any[]) ?? []) st.m.set(k, { last, firstTs, t: SlidingSet.from(t), newT: SlidingSet.from(n), base, baseAt: baseAt ?? NaN });
      },
    };
  },
};
