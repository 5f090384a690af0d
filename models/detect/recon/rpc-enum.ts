/**
 * recon.rpc_enum — bursts of DCE-RPC enumeration: SAMR user/group/domain enumeration and LSARPC
 * SID lookups against DCs (BloodHound/SharpHound, net user /domain, enum4linux), SRVSVC share and
 * session enumeration and WKSSVC logged-on-user enumeration across many hosts, endpoint-mapper
 * lookups (rpcdump). Thresholds are the larger of a floor and a multiple of the host's peak.
 */
import type { DetectionSpec } from '../types.js';
import { classifyRpc, type RpcKind } from '../rpc.js';
import { clampSev, evHosts, opt, schema } from '../util.js';
import { BucketSum, KeyedState, SlidingSet, fmtDur, peakBase } from '../window.js';

const options = schema({
  windowSec: opt('int', 300, 'sliding window', 10, 86400),
  minOps: opt('int', 30, 'enumeration calls in the window that alert (SAMR/LSARPC/EPM)', 2, 1000000),
  minTargets: opt('int', 8, 'distinct hosts enumerated (shares/sessions/users) that alert', 2, 100000),
  peakFactor: opt('num', 3, 'and above this multiple of the host’s learned peak', 1, 100),
  severity: opt('int', 6, 'base severity', 1, 10),
  maxSources: opt('int', 20000, 'tracked sources (memory bound)', 100, 10000000),
});

const MITRE: Record<string, string[]> = {
  enum_samr: ['T1087.002', 'T1069.002'],
  enum_lsa: ['T1087.002'],
  enum_share: ['T1135'],
  enum_session: ['T1049', 'T1087'],
  enum_wks: ['T1033', 'T1087'],
  enum_epm: ['T1046'],
};

interface St {
  last: number;
  ops: BucketSum;
  targets: SlidingSet<string>;
  kinds: Map<string, number>;
  uids: string[];
  base: number;
  baseAt: number;
  baseT: number;
}

export const rpcEnum: DetectionSpec<typeof options> = {
  type: 'recon.rpc_enum',
  category: 'reconnaissance',
  mitre: ['T1087', 'T1135'],
  needsBaseline: false,
  title: 'SAMR/LSARPC/SRVSVC/EPM enumeration burst',
  options,
  create(o, baseline) {
    const slotOps = baseline.metric('recon.rpc_enum.ops');
    const slotT = baseline.metric('recon.rpc_enum.targets');
    const st = new KeyedState<St>(o.maxSources);
    const type = this.type;
    return {
      type,
      paths: ['dce_rpc'],
      size: () => st.size,
      onEvent(ev, ctx) {
        const k = classifyRpc(ev) as RpcKind | null;
        if (!k || !k.startsWith('enum_')) return;
        const h = evHosts(ev);
        const s = st.getOr(h.src, () => ({ last: h.ts, ops: new BucketSum(o.windowSec, 10), targets: new SlidingSet(o.windowSec, o.minTargets * 50), kinds: new Map(), uids: [], base: 0, baseAt: NaN, baseT: 0 }));
        s.last = Math.max(s.last, h.ts);
        if (s.uids.length < 10 && h.uid && !s.uids.includes(h.uid)) s.uids.push(h.uid);
        s.kinds.set(k, (s.kinds.get(k) ?? 0) + 1);
        const multiHost = k === 'enum_share' || k === 'enum_session' || k === 'enum_wks';
        let newTarget = false;
        if (multiHost) newTarget = s.targets.add(h.dst, h.ts);
        else s.ops.add(h.ts, 1);
        const nOps = s.ops.sum(h.ts);
        const nT = s.targets.size;
        const host = baseline.peekHost(h.src);
        const pOps = peakBase(s, ctx.now, () => {
          s.baseT = host ? host.peaks[slotT]! : 0;
          return host ? host.peaks[slotOps]! : 0;
        });
        const pT = s.baseT;
        const thrOps = Math.max(o.minOps, Math.ceil(o.peakFactor * pOps));
        const thrT = Math.max(o.minTargets, Math.ceil(o.peakFactor * pT));
        const hitOps = !multiHost && nOps >= thrOps;
        const hitT = multiHost && newTarget && nT >= thrT;
        if ((!hitOps && !hitT) || ctx.learning) {
          if (host) {
            baseline.observePeak(host, slotOps, nOps);
            baseline.observePeak(host, slotT, nT);
          }
          if (!hitOps && !hitT) return;
        }
        const kinds = [...s.kinds.entries()].sort((a, b) => b[1] - a[1]);
        const mitre = [...new Set(kinds.flatMap(([kk]) => MITRE[kk] ?? []))];
        const what = hitT
          ? `enumerated ${k === 'enum_share' ? 'shares' : k === 'enum_session' ? 'sessions' : 'logged-on users'} on ${nT} hosts`
          : `made ${Math.round(nOps)} directory enumeration calls (${kinds.map(([kk, c]) => `${kk.slice(5)} ${c}`).join(', ')}) to ${ctx.describe(h.dst)}`;
        ctx.raise({
          type,
          category: 'reconnaissance',
          mitre,
          severity: clampSev(o.severity + ((hitT ? nT / thrT : nOps / thrOps) >= 3 ? 1 : 0)),
          src: h.src,
          dst: hitT ? null : h.dst,
          target: hitT ? `hosts:${k}` : undefined,
          port: h.dport,
          summary: `${ctx.describe(h.src)} ${what} within ${fmtDur(o.windowSec)}; its learned peak is ${(hitT ? pT : pOps).toFixed(1)}.`,
          evidence: { uids: s.uids.slice(), ops_in_window: Math.round(nOps), distinct_targets: nT, kinds: Object.fromEntries(kinds), targets: s.targets.keys().slice(0, 30), threshold: hitT ? thrT : thrOps, window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec * 2);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, v.last, v.ops.toJSON(), v.targets.toJSON(), [...v.kinds], v.uids, v.base, v.baseAt, v.baseT]),
      load(x) {
        for (const [k, last, ops, t, kinds, uids, base, baseAt, baseT] of (x as any[]) ?? []) st.m.set(k, { last, ops: BucketSum.from(ops), targets: SlidingSet.from(t), kinds: new Map(kinds), uids, base, baseAt: baseAt ?? NaN, baseT });
      },
    };
  },
};
