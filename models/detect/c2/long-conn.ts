/**
 * c2.long_connection — a connection open for hours to an external destination few or no other
 * internal hosts use and that was not part of the baseline (reverse shells, SSH/TLS tunnels,
 * remote-access tools). Works on interim records, so it fires while the connection is open.
 */
import { KNOWN } from '../../baseline/baseline.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, opt, schema } from '../util.js';
import { fmtBytes, fmtDur } from '../window.js';

const options = schema({
  minDurationSec: opt('int', 3600, 'connection age that counts as long-lived', 60, 30 * 86400),
  maxPrevalence: opt('int', 2, 'destinations used by more internal hosts are not rare', 1, 1000),
  severity: opt('int', 6, 'base severity', 1, 10),
  bigBytes: opt('num', 100e6, 'bytes in either direction that raise severity', 1, 1e14),
});

export const longConn: DetectionSpec<typeof options> = {
  type: 'c2.long_connection',
  category: 'command-and-control',
  mitre: ['T1071', 'T1573'],
  needsBaseline: true,
  title: 'long-lived connection to a rare external destination',
  options,
  create(o, baseline) {
    const done = new Map<string, number>(); // uid → when alerted (bounded by expiry)
    const type = this.type;
    return {
      type,
      flows: true,
      size: () => done.size,
      onFlow(v, fc, ctx) {
        if (!fc.outbound || !fc.src || v.duration < o.minDurationSec || done.has(v.uid)) return;
        if (fc.dst) return; // via proxy: the proxy's own session is what is long-lived
        const name = fc.name || ctx.nameFor(v.uid, v.dst);
        const ei = baseline.extInfo(v.dst, ctx.now);
        const ni = name ? baseline.nameInfo(name, ctx.now) : undefined;
        const learnedIp = ei.entry?.L === 1;
        const learnedName = ni?.entry?.L === 1;
        if (learnedIp || learnedName) return;
        // mature and shared destinations are part of normal life
        if (ei.state === KNOWN && ei.prevalence > o.maxPrevalence) return;
        if (ni && ni.state === KNOWN && ni.prevalence > o.maxPrevalence) return;
        if (ctx.learning) return;
        done.set(v.uid, ctx.now);
        const bytes = v.origTotal + v.respTotal;
        let sev = o.severity;
        if (bytes >= o.bigBytes) sev += 1;
        const kind = ctx.zoneOf(v.src)?.kind;
        if (kind === 'medical' || kind === 'server') sev += 1;
        ctx.raise({
          type,
          category: 'command-and-control',
          mitre: v.dport === 443 || v.dport === 22 || v.service.includes('ssl') || v.service.includes('ssh') ? ['T1071', 'T1573'] : ['T1071'],
          severity: clampSev(sev),
          src: v.src,
          dst: v.dst,
          port: v.dport,
          names: name ? [name] : undefined,
          summary: `${ctx.describe(v.src)} has kept a connection to ${name ? `${name} (${v.dst})` : v.dst}:${v.dport}/${v.proto} open for ${fmtDur(v.duration)} (${fmtBytes(v.origTotal)} out, ${fmtBytes(v.respTotal)} in); ${ei.prevalence} internal host(s) use this destination and it is not in the baseline.`,
          evidence: { uids: [v.uid], duration_sec: Math.round(v.duration), orig_bytes: v.origTotal, resp_bytes: v.respTotal, prevalence: ei.prevalence, dst_name: name || null, interim: !v.final },
          needsBaseline: true,
        });
      },
      tick(ctx) {
        for (const [k, t] of done) if (ctx.now - t > 7 * 86400) done.delete(k);
      },
      save: () => [...done],
      load(x) {
        for (const [k, v] of (x as any[]) ?? []) done.set(k, v);
      },
    };
  },
};
