/**
 * cred.password_spray — one source fails authentication for many distinct account names within
 * a window: Kerberos AS-REQ pre-authentication failures / unknown principals, or NTLM failures.
 * KDC_ERR_PREAUTH_REQUIRED is the normal first round-trip of every logon and is not a failure.
 */
import { field, type ProtoEvent } from '../../core/records.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, opt, schema } from '../util.js';
import { KeyedState, SlidingSet, fmtDur } from '../window.js';

const options = schema({
  windowSec: opt('int', 900, 'sliding window', 10, 86400),
  minAccounts: opt('int', 10, 'distinct failing account names that alert', 2, 100000),
  severity: opt('int', 7, 'base severity', 1, 10),
  maxSources: opt('int', 20000, 'tracked sources (memory bound)', 100, 10000000),
});

function failedAuth(ev: ProtoEvent): { user: string; why: string } | null {
  if (ev._path === 'kerberos') {
    if (field(ev, 'request_type').toUpperCase() !== 'AS') return null;
    const err = field(ev, 'error_msg', 'error_code').toUpperCase();
    const succ = ev.success;
    if (err.includes('PREAUTH_REQUIRED')) return null;
    const failed = succ === false || succ === 'F' || (err !== '' && !err.includes('NONE'));
    if (!failed) return null;
    const user = field(ev, 'client').toLowerCase().replace(/\/.*$/, '');
    return user ? { user, why: err || 'failed' } : null;
  }
  if (ev._path === 'ntlm') {
    const succ = ev.success;
    if (!(succ === false || succ === 'F')) return null;
    const user = `${field(ev, 'domainname').toLowerCase()}\\${field(ev, 'username').toLowerCase()}`;
    return user.length > 1 ? { user, why: 'NTLM failure' } : null;
  }
  return null;
}

export const passwordSpray: DetectionSpec<typeof options> = {
  type: 'cred.password_spray',
  category: 'credential-access',
  mitre: ['T1110.003'],
  needsBaseline: false,
  title: 'authentication failures for many accounts from one source (password spraying)',
  options,
  create(o) {
    const st = new KeyedState<{ last: number; s: SlidingSet<string>; why: Map<string, number> }>(o.maxSources);
    const type = this.type;
    return {
      type,
      paths: ['kerberos', 'ntlm'],
      size: () => st.size,
      onEvent(ev, ctx) {
        const f = failedAuth(ev);
        if (!f) return;
        const h = evHosts(ev);
        const s = st.getOr(h.src, () => ({ last: h.ts, s: new SlidingSet(o.windowSec, o.minAccounts * 100), why: new Map() }));
        s.last = Math.max(s.last, h.ts);
        if (s.why.size < 8) s.why.set(f.why, (s.why.get(f.why) ?? 0) + 1);
        if (!s.s.add(f.user, h.ts)) return;
        const n = s.s.size;
        if (n < o.minAccounts) return;
        const users = s.s.keys();
        ctx.raise({
          type,
          category: 'credential-access',
          mitre: ['T1110.003'],
          severity: clampSev(o.severity + (n >= 3 * o.minAccounts ? 1 : 0)),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} failed authentication (${ev._path === 'kerberos' ? 'Kerberos AS-REQ' : 'NTLM'}) for ${n} distinct accounts within ${fmtDur(Math.max(1, h.ts - s.s.oldest()))} against ${ctx.describe(h.dst)} (e.g. ${users.slice(0, 3).join(', ')}): password spraying.`,
          evidence: { uids: h.uid ? [h.uid] : [], accounts: users.slice(0, 30), distinct_accounts: n, errors: Object.fromEntries(s.why), window_sec: o.windowSec },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec * 2);
      },
      save: () => [...st.m.entries()].map(([k, v]) => [k, v.last, v.s.toJSON(), [...v.why]]),
      load(x) {
        for (const [k, last, s, why] of (x as any[]) ?? []) st.m.set(k, { last, s: SlidingSet.from(s), why: new Map(why) });
      },
    };
  },
};
