/**
 * exfil.volume — outbound upload volume in the current hour far above both the host's own
 * hour-of-day profile and its peer group's, with the upload/download ratio quoted (exfiltration
 * uploads much more than it downloads). Evaluated on every flow and interim record, so a long
 * transfer alerts while it runs, not when it ends.
 */
import { KNOWN } from '../../baseline/baseline.js';
import { OUT_DOWN, OUT_UP, volIndex } from '../../baseline/hosts.js';
import { typicalBytes, upperBytes } from '../../baseline/robust.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, opt, schema } from '../util.js';
import { fmtBytes } from '../window.js';

const options = schema({
  k: opt('num', 4, 'deviations (EW mean absolute deviation of log-bytes) above the hour-of-day mean', 1, 20),
  minDev: opt('num', 0.75, 'floor of the deviation in log units (protects flat profiles)', 0.05, 10),
  minBytes: opt('num', 300e6, 'never alert below this upload volume in one hour', 1e5, 1e13),
  minBytesNoHistory: opt('num', 2e9, 'threshold when neither host nor group has ≥ minDays of this hour', 1e5, 1e14),
  minDays: opt('int', 3, 'observations of an hour-of-day slot before its profile is used', 1, 365),
  ratioForBonus: opt('num', 3, 'upload/download ratio that raises severity', 1, 1e6),
  severity: opt('int', 6, 'base severity', 1, 10),
});

export const exfilVolume: DetectionSpec<typeof options> = {
  type: 'exfil.volume',
  category: 'exfiltration',
  mitre: ['T1048', 'T1041'],
  needsBaseline: true,
  title: 'outbound volume anomaly against host and group hour-of-day baseline',
  options,
  create(o, baseline) {
    // per host: hourStart of the last alert and the volume it quoted (re-raise on doubling)
    const alerted = new Map<string, [number, number]>();
    const type = this.type;
    return {
      type,
      flows: true,
      size: () => alerted.size,
      onFlow(v, fc, ctx) {
        const h = fc.outbound ? fc.src : !fc.src && fc.dst ? fc.dst : undefined;
        if (!h || v.origBytes + v.respBytes === 0) return;
        const up = h.cur[OUT_UP]!;
        if (up < o.minBytes) return;
        const hour = baseline.localHour();
        const i = volIndex(OUT_UP, hour);
        const g = baseline.groupOf(h);
        const hostOk = h.volN[hour]! >= o.minDays;
        const groupOk = g.volN[hour]! >= o.minDays;
        const hostThr = hostOk ? upperBytes(h.vol, i, o.k, o.minDev) : 0;
        const groupThr = groupOk ? upperBytes(g.vol, i, o.k, o.minDev) : 0;
        // the host's own profile decides when it has one; the group's stands in for new hosts
        const thr = Math.max(o.minBytes, hostOk ? hostThr : groupOk ? groupThr : o.minBytesNoHistory);
        if (up < thr) return;
        const aboveGroup = groupOk && up > groupThr;
        const prev = alerted.get(h.ip);
        if (prev && prev[0] === baseline.hourStart && up < prev[1] * 2) return;
        alerted.set(h.ip, [baseline.hourStart, up]);
        const down = h.cur[OUT_DOWN]!;
        const ratio = up / Math.max(1, down);
        const over = up / thr;
        let sev = o.severity;
        if (over >= 3) sev += 1;
        if (over >= 10) sev += 1;
        if (ratio >= o.ratioForBonus) sev += 1;
        if (hostOk && aboveGroup) sev += 1;
        const peer = fc.outbound ? v.dst : v.src;
        const name = fc.name || ctx.nameFor(v.uid, peer);
        if (fc.ext !== KNOWN && fc.extPrev <= 1 && fc.nameState !== KNOWN) sev += 1;
        const typical = hostOk ? typicalBytes(h.vol, i) : groupOk ? typicalBytes(g.vol, i) : 0;
        ctx.raise({
          type,
          category: 'exfiltration',
          mitre: ['T1048', 'T1041'],
          severity: clampSev(sev),
          src: h.ip,
          dst: peer,
          port: v.dport,
          names: name ? [name] : undefined,
          summary: `${ctx.describe(h.ip)} uploaded ${fmtBytes(up)} to external destinations this hour (latest ${peer}${name ? ` / ${name}` : ''}), ${over.toFixed(1)}× its threshold of ${fmtBytes(thr)} (typical for ${String(hour).padStart(2, '0')}:00 ${fmtBytes(typical)}); upload/download ratio ${ratio.toFixed(1)}.`,
          evidence: {
            uids: [v.uid],
            upload_bytes_hour: Math.round(up),
            download_bytes_hour: Math.round(down),
            ratio: +ratio.toFixed(2),
            threshold_bytes: Math.round(thr),
            host_threshold_bytes: Math.round(hostThr),
            group_threshold_bytes: Math.round(groupThr),
            above_group_threshold: aboveGroup,
            typical_bytes: Math.round(typical),
            hour_of_day: hour,
            host_days_for_hour: h.volN[hour],
            group: h.group,
            dst_name: name || null,
            dst_prevalence: fc.extPrev,
          },
          needsBaseline: true,
        });
      },
      tick() {
        for (const [k, [hs]] of alerted) if (hs < baseline.hourStart) alerted.delete(k);
      },
      save: () => [...alerted],
      load(x) {
        for (const [k, v] of (x as any[]) ?? []) alerted.set(k, v);
      },
    };
  },
};
