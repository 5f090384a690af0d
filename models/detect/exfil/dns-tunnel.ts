/**
 * exfil.dns_tunnel — DNS used as a data channel: many unique, long, high-entropy subdomains
 * under one registered domain from one client, or TXT/NULL query volume. Domains that behaved
 * like that across many hosts while learning (antivirus reputation lookups, CDNs) are reported
 * at low severity; resolvers' forwarded queries are skipped (the client is the one to blame).
 */
import { KNOWN } from '../../baseline/baseline.js';
import { entropy, normName, registeredDomain, subdomainOf } from '../../core/names.js';
import { field } from '../../core/records.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, opt, schema } from '../util.js';
import { KeyedState, SlidingSet, fmtDur } from '../window.js';

const options = schema({
  windowSec: opt('int', 600, 'sliding window', 10, 86400),
  minUnique: opt('int', 40, 'unique subdomains under one domain in the window', 5, 1000000),
  minAvgLen: opt('num', 18, 'average subdomain length', 1, 253),
  minEntropy: opt('num', 3.3, 'average subdomain entropy (bits/char)', 0, 8),
  minTxtNull: opt('int', 40, 'TXT/NULL queries under one domain in the window', 5, 1000000),
  longLabel: opt('int', 12, 'subdomains at least this long (or TXT/NULL) are tracked at all', 1, 253),
  severity: opt('int', 7, 'base severity', 1, 10),
  knownPrevalence: opt('int', 3, 'hosts that showed the pattern for a domain while learning before it counts as normal', 1, 1000),
  maxPairs: opt('int', 20000, 'tracked (client, domain) pairs (memory bound)', 100, 10000000),
});

interface St {
  last: number;
  subs: SlidingSet<string>;
  lenSum: number;
  entSum: number;
  n: number;
  txt: number;
  uids: string[];
}

export const dnsTunnel: DetectionSpec<typeof options> = {
  type: 'exfil.dns_tunnel',
  category: 'exfiltration',
  mitre: ['T1071.004', 'T1048.003'],
  needsBaseline: false,
  title: 'DNS tunnelling: unique long high-entropy subdomains / TXT volume under one domain',
  options,
  create(o, baseline) {
    const st = new KeyedState<St>(o.maxPairs);
    const type = this.type;
    return {
      type,
      paths: ['dns'],
      size: () => st.size,
      onEvent(ev, ctx) {
        const q = field(ev, 'query');
        if (!q) return;
        const h = evHosts(ev);
        if (!h.src || ctx.isResolver(h.src)) return;
        const name = normName(q);
        if (ctx.isInternalName(name) || name.endsWith('.arpa')) return;
        const qt = field(ev, 'qtype_name', 'qtype').toUpperCase();
        const txt = qt === 'TXT' || qt === 'NULL' || qt === '16' || qt === '10';
        const reg = registeredDomain(name);
        const sub = subdomainOf(name, reg);
        if (!txt && sub.length < o.longLabel) return;
        const s = st.getOr(`${h.src}|${reg}`, () => ({ last: h.ts, subs: new SlidingSet(o.windowSec, o.minUnique * 4), lenSum: 0, entSum: 0, n: 0, txt: 0, uids: [] }));
        s.last = Math.max(s.last, h.ts);
        if (txt) s.txt++;
        if (s.uids.length < 10 && h.uid && !s.uids.includes(h.uid)) s.uids.push(h.uid);
        if (!s.subs.add(sub, h.ts) && !txt) return;
        s.n++;
        s.lenSum += sub.length;
        s.entSum += entropy(sub.replace(/\./g, ''));
        const uniq = s.subs.size;
        const avgLen = s.lenSum / s.n;
        const avgEnt = s.entSum / s.n;
        const byNames = uniq >= o.minUnique && avgLen >= o.minAvgLen && avgEnt >= o.minEntropy;
        const byTxt = s.txt >= o.minTxtNull && uniq >= o.minUnique / 2;
        if (!byNames && !byTxt) return;
        const info = baseline.nameInfo(`dns:${reg}`, ctx.now);
        // continuous learning: the domain's prevalence and its peak of unique names per window
        const entry = baseline.touchName(`dns:${reg}`, h.src, ctx.now);
        const peakBefore = entry.p;
        entry.p = Math.max(entry.p, uniq);
        if (ctx.learning) return;
        // a pattern many hosts showed while it was learned (AV reputation lookups, CDNs)
        // a pattern several hosts showed while it was learned (AV reputation lookups): normal
        if (info.state === KNOWN && info.prevalence >= o.knownPrevalence && peakBefore * 2 >= uniq) return;
        const sev = o.severity + (uniq >= 3 * o.minUnique ? 1 : 0) + (info.state !== KNOWN ? 1 : 0);
        ctx.raise({
          type,
          category: 'exfiltration',
          mitre: ['T1071.004', 'T1048.003'],
          severity: clampSev(sev),
          src: h.src,
          dst: h.dst || null,
          target: reg,
          names: [reg],
          summary: `${ctx.describe(h.src)} queried ${uniq} unique subdomains of ${reg} within ${fmtDur(Math.max(1, h.ts - s.subs.oldest()))} (average length ${avgLen.toFixed(0)}, entropy ${avgEnt.toFixed(1)} bits/char, ${s.txt} TXT/NULL queries)${info.prevalence > 1 ? `; ${info.prevalence} host(s) showed this pattern for the domain` : ''}: DNS tunnelling pattern.`,
          evidence: { uids: s.uids.slice(), domain: reg, unique_subdomains: uniq, avg_length: +avgLen.toFixed(1), avg_entropy: +avgEnt.toFixed(2), txt_null_queries: s.txt, sample: s.subs.keys().slice(-3), domain_prevalence: info.prevalence, window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, { ...v, subs: v.subs.toJSON() }]),
      load(x) {
        for (const [k, v] of (x as any[]) ?? []) st.m.set(k, { ...v, subs: SlidingSet.from(v.subs) });
      },
    };
  },
};
