/**
 * lm.new_admin_edge — an admin-protocol connection (SMB, RPC, RDP, WinRM, SSH, VNC, Telnet)
 * between internal hosts that neither the source nor its peer group has in its baseline.
 * Only answered connections count (failed attempts are scans, handled by recon.scan).
 */
import { KNOWN, YOUNG } from '../../baseline/baseline.js';
import { isDC } from '../../baseline/hosts.js';
import { Baseline } from '../../baseline/baseline.js';
import type { DetectionSpec } from '../types.js';
import { adminService, clampSev, opt, schema } from '../util.js';
import { fmtDur } from '../window.js';

const options = schema({
  severity: opt('int', 5, 'base severity of a new admin edge', 1, 10),
  serverBonus: opt('int', 1, 'added when the destination is a server/DC', 0, 5),
  workstationPeerBonus: opt('int', 1, 'added for workstation → workstation edges (classic lateral movement)', 0, 5),
  medicalBonus: opt('int', 2, 'added when the destination is in a medical zone', 0, 5),
});

export const newAdminEdge: DetectionSpec<typeof options> = {
  type: 'lm.new_admin_edge',
  category: 'lateral-movement',
  mitre: ['T1021'],
  needsBaseline: true,
  title: 'admin-protocol edge not in the source’s or its peer group’s baseline',
  options,
  create(o) {
    return {
      type: this.type,
      flows: true,
      onFlow(v, fc, ctx) {
        if (!fc.src || !fc.dst || fc.outbound || !v.answered || !v.first || v.src === v.dst) return;
        if (fc.edge === KNOWN || fc.groupEdge === KNOWN || fc.zoneEdge === KNOWN) return;
        const adm = adminService(v.dport, v.service, fc.svc);
        if (!adm) return;
        // DC ↔ DC replication and DC-initiated management are the directory's own business
        if (isDC(fc.src) && isDC(fc.dst)) return;
        const dz = ctx.zoneOf(v.dst);
        const sz = ctx.zoneOf(v.src);
        let sev = o.severity;
        if (isDC(fc.dst) || dz?.kind === 'server') sev += o.serverBonus;
        if (sz?.kind === 'workstation' && dz?.kind === 'workstation') sev += o.workstationPeerBonus;
        if (dz?.kind === 'medical') sev += o.medicalBonus;
        const days = ctx.baselineDays();
        const seen = fc.edge === YOUNG ? `first seen only ${fmtDur(ctx.now - fc.edgeFirst)} ago` : `never seen in ${days.toFixed(1)} days of baseline`;
        ctx.raise({
          type: this.type,
          category: 'lateral-movement',
          mitre: [adm.mitre],
          severity: clampSev(sev),
          src: v.src,
          dst: v.dst,
          port: v.dport,
          summary: `${ctx.describe(v.src)} opened ${adm.name} to ${ctx.describe(v.dst)}: an edge ${seen}, for neither the host nor its peer group ${Baseline.describeGroup(fc.src.group)}.`,
          evidence: {
            uids: [v.uid],
            service: adm.name,
            edge_state: fc.edge === YOUNG ? 'young' : 'new',
            edge_first_seen: fc.edge === YOUNG ? fc.edgeFirst : null,
            peer_group: fc.src.group,
            baseline_days: +days.toFixed(2),
          },
          needsBaseline: true,
        });
      },
    };
  },
};
