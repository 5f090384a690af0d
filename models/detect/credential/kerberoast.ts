/**
 * cred.kerberoast — a burst of Kerberos TGS requests for RC4-encrypted service tickets for many
 * distinct services from one client: Kerberoasting (the tickets are cracked offline). RC4 is the
 * tell: modern AD issues AES tickets unless the requester asks for RC4 only.
 */
import { field, type ProtoEvent } from '../../core/records.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, opt, schema } from '../util.js';
import { KeyedState, SlidingSet, fmtDur, peakBase } from '../window.js';

const options = schema({
  windowSec: opt('int', 600, 'sliding window', 10, 86400),
  minServices: opt('int', 5, 'distinct RC4 service tickets that alert even without a baseline', 2, 10000),
  peakFactor: opt('num', 2, 'and above this multiple of the client’s learned peak', 1, 100),
  severity: opt('int', 7, 'base severity', 1, 10),
  maxClients: opt('int', 20000, 'tracked clients (memory bound)', 100, 10000000),
});

export function isRc4(ev: ProtoEvent): boolean {
  const c = field(ev, 'cipher', 'etype', 'ticket_etype').toLowerCase();
  return c.includes('rc4') || c.includes('arcfour') || c === '23' || c === '24';
}

export const kerberoast: DetectionSpec<typeof options> = {
  type: 'cred.kerberoast',
  category: 'credential-access',
  mitre: ['T1558.003'],
  needsBaseline: false,
  title: 'burst of RC4 TGS requests for many services (Kerberoasting)',
  options,
  create(o, baseline) {
    const slot = baseline.metric('cred.kerberoast.peak');
    const st = new KeyedState<{ last: number; s: SlidingSet<string>; base: number; baseAt: number }>(o.maxClients);
    const type = this.type;
    return {
      type,
      paths: ['kerberos'],
      size: () => st.size,
      onEvent(ev, ctx) {
        if (field(ev, 'request_type').toUpperCase() !== 'TGS' || !isRc4(ev)) return;
        const svc = field(ev, 'service').toLowerCase();
        if (!svc || svc.startsWith('krbtgt')) return;
        const h = evHosts(ev);
        const s = st.getOr(h.src, () => ({ last: h.ts, s: new SlidingSet(o.windowSec, o.minServices * 100), base: 0, baseAt: NaN }));
        s.last = Math.max(s.last, h.ts);
        if (!s.s.add(svc, h.ts)) return;
        const n = s.s.size;
        const host = baseline.peekHost(h.src);
        const peak = peakBase(s, ctx.now, () => (host ? host.peaks[slot]! : 0));
        const thr = Math.max(o.minServices, Math.ceil(o.peakFactor * peak));
        if (n < thr || ctx.learning) {
          if (host) baseline.observePeak(host, slot, n);
          if (n < thr) return;
        }
        const svcs = s.s.keys();
        ctx.raise({
          type,
          category: 'credential-access',
          mitre: ['T1558.003'],
          severity: clampSev(o.severity + (n >= 2 * thr ? 1 : 0) + (n >= 4 * thr ? 1 : 0)),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} requested RC4-encrypted service tickets for ${n} distinct services within ${fmtDur(Math.max(1, h.ts - s.s.oldest()))} (e.g. ${svcs.slice(0, 3).join(', ')}); its learned peak is ${peak.toFixed(1)}: Kerberoasting pattern.`,
          evidence: { uids: h.uid ? [h.uid] : [], services: svcs.slice(0, 30), distinct_services: n, threshold: thr, baseline_peak: +peak.toFixed(2), window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec * 2);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, v.last, v.s.toJSON(), v.base, v.baseAt]),
      load(x) {
        for (const [k, last, s, base, baseAt] of (x as any[]) ?? []) st.m.set(k, { last, s: SlidingSet.from(s), base, baseAt: baseAt ?? NaN });
      },
    };
  },
};
