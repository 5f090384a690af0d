/**
 * c2.dga — a burst of NXDOMAIN answers for many distinct random-looking registered domains from
 * one client: malware walking a domain-generation algorithm's list until one resolves. Typos,
 * WPAD/ISATAP probes and search-suffix misses under the site's own domains do not count.
 */
import { normName, randomness, registeredDomain } from '../../core/names.js';
import { field } from '../../core/records.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, opt, schema } from '../util.js';
import { KeyedState, SlidingSet, fmtDur } from '../window.js';

const options = schema({
  windowSec: opt('int', 600, 'sliding window', 10, 86400),
  minDomains: opt('int', 12, 'distinct random-looking NXDOMAIN registered domains that alert', 2, 100000),
  minRandomness: opt('num', 0.6, 'randomness score (0..1) of the domain label', 0, 1),
  severity: opt('int', 7, 'base severity', 1, 10),
  maxClients: opt('int', 20000, 'tracked clients (memory bound)', 100, 10000000),
});

export const dga: DetectionSpec<typeof options> = {
  type: 'c2.dga',
  category: 'command-and-control',
  mitre: ['T1568.002'],
  needsBaseline: false,
  title: 'NXDOMAIN burst for random-looking domains (DGA)',
  options,
  create(o) {
    const st = new KeyedState<{ last: number; s: SlidingSet<string>; uids: string[] }>(o.maxClients);
    const type = this.type;
    return {
      type,
      paths: ['dns'],
      size: () => st.size,
      onEvent(ev, ctx) {
        const rc = field(ev, 'rcode_name', 'rcode').toUpperCase();
        if (rc !== 'NXDOMAIN' && rc !== '3') return;
        const h = evHosts(ev);
        if (!h.src || ctx.isResolver(h.src)) return;
        const q = normName(field(ev, 'query'));
        if (!q.includes('.') || ctx.isInternalName(q) || q.endsWith('.arpa')) return;
        const reg = registeredDomain(q);
        const label = reg.split('.')[0]!;
        if (randomness(label) < o.minRandomness) return;
        const s = st.getOr(h.src, () => ({ last: h.ts, s: new SlidingSet(o.windowSec, o.minDomains * 20), uids: [] }));
        s.last = Math.max(s.last, h.ts);
        if (s.uids.length < 10 && h.uid) s.uids.push(h.uid);
        if (!s.s.add(reg, h.ts)) return;
        const n = s.s.size;
        if (n < o.minDomains) return;
        const doms = s.s.keys();
        ctx.raise({
          type,
          category: 'command-and-control',
          mitre: ['T1568.002'],
          severity: clampSev(o.severity + (n >= 3 * o.minDomains ? 1 : 0)),
          src: h.src,
          dst: null,
          target: 'nxdomain',
          summary: `${ctx.describe(h.src)} got NXDOMAIN for ${n} distinct random-looking domains within ${fmtDur(Math.max(1, h.ts - s.s.oldest()))} (e.g. ${doms.slice(-3).join(', ')}): domain-generation-algorithm pattern.`,
          evidence: { uids: s.uids.slice(), distinct_domains: n, sample: doms.slice(-10), window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, v.last, v.s.toJSON(), v.uids]),
      load(x) {
        for (const [k, last, s, uids] of (x as any[]) ?? []) st.m.set(k, { last, s: SlidingSet.from(s), uids });
      },
    };
  },
};
