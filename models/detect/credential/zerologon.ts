/**
 * cred.zerologon — CVE-2020-1472: a burst of Netlogon NetrServerReqChallenge /
 * NetrServerAuthenticate calls from one host to a DC (the exploit needs ~256 tries on average),
 * worst when followed by NetrServerPasswordSet2 (the machine password of the DC is reset).
 */
import type { DetectionSpec } from '../types.js';
import { classifyRpc } from '../rpc.js';
import { clampSev, evHosts, opt, schema } from '../util.js';
import { BucketSum, KeyedState, fmtDur } from '../window.js';

const options = schema({
  windowSec: opt('int', 120, 'window for counting authentication attempts', 5, 3600),
  minAttempts: opt('int', 20, 'challenge/authenticate calls in the window that alert', 3, 100000),
  severity: opt('int', 9, 'severity of the burst', 1, 10),
  passwordSetSeverity: opt('int', 10, 'severity when NetrServerPasswordSet follows the burst', 1, 10),
  maxPairs: opt('int', 20000, 'tracked source→DC pairs (memory bound)', 100, 10000000),
});

export const zerologon: DetectionSpec<typeof options> = {
  type: 'cred.zerologon',
  category: 'credential-access',
  mitre: ['T1210'],
  needsBaseline: false,
  title: 'Netlogon authentication burst (Zerologon)',
  options,
  create(o) {
    const st = new KeyedState<{ last: number; c: BucketSum; burstAt: number; total: number }>(o.maxPairs);
    const type = this.type;
    return {
      type,
      paths: ['dce_rpc'],
      size: () => st.size,
      onEvent(ev, ctx) {
        const k = classifyRpc(ev);
        if (k !== 'netlogon_auth' && k !== 'netlogon_challenge' && k !== 'netlogon_pwset') return;
        const h = evHosts(ev);
        const s = st.getOr(`${h.src}>${h.dst}`, () => ({ last: h.ts, c: new BucketSum(o.windowSec, 6), burstAt: -Infinity, total: 0 }));
        s.last = Math.max(s.last, h.ts);
        if (k === 'netlogon_pwset') {
          if (ctx.now - s.burstAt > 3600) return;
          ctx.raise({
            type,
            category: 'credential-access',
            mitre: ['T1210'],
            severity: clampSev(o.passwordSetSeverity),
            src: h.src,
            dst: h.dst,
            port: h.dport,
            summary: `${ctx.describe(h.src)} reset a machine password on ${ctx.describe(h.dst)} via Netlogon ${String(ev.operation ?? 'NetrServerPasswordSet2')} right after ${s.total} authentication attempts: Zerologon exploitation.`,
            evidence: { uids: h.uid ? [h.uid] : [], attempts: s.total, operation: ev.operation ?? null },
            needsBaseline: false,
          });
          return;
        }
        s.c.add(h.ts, 1);
        s.total++;
        const n = s.c.sum(h.ts);
        if (n < o.minAttempts) return;
        s.burstAt = ctx.now;
        ctx.raise({
          type,
          category: 'credential-access',
          mitre: ['T1210'],
          severity: clampSev(o.severity),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} made ${n} Netlogon challenge/authenticate calls to ${ctx.describe(h.dst)} within ${fmtDur(o.windowSec)} (a normal secure-channel setup needs one or two): Zerologon-style brute force.`,
          evidence: { uids: h.uid ? [h.uid] : [], attempts_in_window: n, window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - 3600);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, v.last, v.c.toJSON(), v.burstAt, v.total]),
      load(x) {
        for (const [k, last, c, burstAt, total] of (x as any[]) ?? []) st.m.set(k, { last, c: BucketSum.from(c), burstAt: burstAt ?? -Infinity, total });
      },
    };
  },
};
