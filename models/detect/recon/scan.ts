/**
 * recon.scan — address and port scans in the style of Zeek's simple-scan: per scanner and
 * window, distinct (host, port) attempts that got no answer or a reset. Address scan: many hosts
 * on one port; port scan: many ports on one host. Internal scanners get higher thresholds than
 * external ones (internal noise: stale mappings, printers, discovery); thresholds halve once the
 * scanner has hit addresses that were never seen alive (unused space is a scanner's fingerprint).
 */
import { F_ALIVE } from '../../baseline/hosts.js';
import type { DetectionSpec } from '../types.js';
import { adminService, clampSev, opt, schema } from '../util.js';
import { KeyedState, SlidingSet, fmtDur } from '../window.js';

const options = schema({
  windowSec: opt('int', 300, 'sliding window', 10, 86400),
  internalAddrThreshold: opt('int', 25, 'distinct hosts on one port (internal scanner)', 2, 100000),
  internalPortThreshold: opt('int', 15, 'distinct ports on one host (internal scanner)', 2, 65536),
  externalAddrThreshold: opt('int', 10, 'distinct hosts on one port (external scanner)', 2, 100000),
  externalPortThreshold: opt('int', 10, 'distinct ports on one host (external scanner)', 2, 65536),
  darkHitsToLower: opt('int', 3, 'attempts to never-alive addresses after which thresholds halve', 1, 100000),
  minBaselineDaysForDark: opt('num', 1, 'baseline age before "never alive" is trusted', 0, 365),
  severity: opt('int', 6, 'base severity (internal scanner)', 1, 10),
  externalSeverity: opt('int', 4, 'base severity (external scanner)', 1, 10),
  maxScanners: opt('int', 20000, 'tracked sources (memory bound)', 100, 10000000),
  maxKeysPerScanner: opt('int', 256, 'ports/hosts tracked per scanner', 16, 100000),
});

interface St {
  last: number;
  byPort: Map<number, SlidingSet<string>>;
  byHost: Map<string, SlidingSet<number>>;
  dark: SlidingSet<string>;
  uids: string[];
}

export const scan: DetectionSpec<typeof options> = {
  type: 'recon.scan',
  category: 'reconnaissance',
  mitre: ['T1046'],
  needsBaseline: false,
  title: 'address/port scan (failed connection counting)',
  options,
  create(o, baseline) {
    const st = new KeyedState<St>(o.maxScanners);
    const type = this.type;
    const cap = o.maxKeysPerScanner;
    return {
      type,
      flows: true,
      size: () => st.size,
      onFlow(v, fc, ctx) {
        if (!v.failed || !v.first || !ctx.isInternal(v.dst) || v.proto === 'icmp') return;
        const internalSrc = !!fc.src;
        const s = st.get(v.src) ?? st.getOr(v.src, () => ({ last: v.ts, byPort: new Map(), byHost: new Map(), dark: new SlidingSet(o.windowSec, cap), uids: [] }));
        s.last = Math.max(s.last, v.ts);
        if (s.uids.length < 10) s.uids.push(v.uid);
        let ps = s.byPort.get(v.dport);
        if (!ps) {
          if (s.byPort.size >= cap) return;
          ps = new SlidingSet(o.windowSec, cap * 4);
          s.byPort.set(v.dport, ps);
        }
        let hs = s.byHost.get(v.dst);
        if (!hs) {
          if (s.byHost.size >= cap * 4) s.byHost.clear();
          hs = new SlidingSet(o.windowSec, cap);
          s.byHost.set(v.dst, hs);
        }
        const newAddr = ps.add(v.dst, v.ts);
        const newPort = hs.add(v.dport, v.ts);
        const dh = baseline.peekHost(v.dst);
        if (ctx.baselineDays() >= o.minBaselineDaysForDark && (!dh || (dh.flags & F_ALIVE) === 0)) s.dark.add(v.dst, v.ts);
        const darkN = s.dark.size;
        const lower = darkN >= o.darkHitsToLower ? 0.5 : 1;
        const addrThr = Math.max(2, Math.ceil((internalSrc ? o.internalAddrThreshold : o.externalAddrThreshold) * lower));
        const portThr = Math.max(2, Math.ceil((internalSrc ? o.internalPortThreshold : o.externalPortThreshold) * lower));
        const base = internalSrc ? o.severity : o.externalSeverity;
        const proto = v.proto || 'tcp';
        if (newAddr && ps.size >= addrThr) {
          const n = ps.size;
          const adm = adminService(v.dport, '', '');
          const sev = base + (n >= 2 * addrThr ? 1 : 0) + (adm ? 1 : 0) + (darkN >= n / 2 ? 1 : 0);
          ctx.raise({
            type,
            category: 'reconnaissance',
            mitre: ['T1046'],
            severity: clampSev(sev),
            src: v.src,
            dst: null,
            target: `addr:${v.dport}/${proto}`,
            port: v.dport,
            summary: `${ctx.describe(v.src)} probed ${n} internal hosts on ${v.dport}/${proto} within ${fmtDur(Math.max(1, v.ts - ps.oldest()))} without an answer or with a reset (${darkN} of its targets were never seen alive): address scan.`,
            evidence: { uids: s.uids.slice(), kind: 'address', port: v.dport, proto, distinct_hosts: n, dark_hits: darkN, threshold: addrThr, sample_targets: ps.keys().slice(0, 20), window_sec: o.windowSec },
            needsBaseline: false,
          });
        }
        if (newPort && hs.size >= portThr) {
          const n = hs.size;
          ctx.raise({
            type,
            category: 'reconnaissance',
            mitre: ['T1046'],
            severity: clampSev(base + (n >= 3 * portThr ? 1 : 0)),
            src: v.src,
            dst: v.dst,
            target: 'ports',
            summary: `${ctx.describe(v.src)} probed ${n} ports on ${ctx.describe(v.dst)} within ${fmtDur(Math.max(1, v.ts - hs.oldest()))} without an answer or with a reset: port scan.`,
            evidence: { uids: s.uids.slice(), kind: 'port', distinct_ports: n, threshold: portThr, sample_ports: hs.keys().slice(0, 30), window_sec: o.windowSec },
            needsBaseline: false,
          });
        }
      },
      tick(ctx) {
        st.expire(ctx.now - o.windowSec);
        for (const s of st.m.values()) {
          for (const [p, ps] of s.byPort) if (ps.idle(ctx.now)) s.byPort.delete(p);
          for (const [h, hs] of s.byHost) if (hs.idle(ctx.now)) s.byHost.delete(h);
        }
      },
      save: () =>
        [...st.m.entries()].map(([k, v]) => [k, v.last, [...v.byPort].map(([p, s]) => [p, s.toJSON()]), [...v.byHost].map(([h, s]) => [h, s.toJSON()]), v.dark.toJSON(), v.uids]),
      load(x) {
        for (const [k, last, bp, bh, dark, uids] of (x as any[]) ?? []) {
          st.m.set(k, {
            last,
            byPort: new Map(bp.map(([p, s]: [number, unknown]) => [p, SlidingSet.from(s)])),
            byHost: new Map(bh.map(([h, s]: [string, unknown]) => [h, SlidingSet.from(s)])),
            dark: SlidingSet.from(dark),
            uids,
          });
        }
      },
    };
  },
};
