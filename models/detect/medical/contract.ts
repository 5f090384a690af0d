/**
 * med.contract_violation — a host in a `medical` zone (modality, lab analyser, monitor) talks to
 * a peer or service outside its learned contract. Devices run for years with the same few peers,
 * so every new edge is notable; severity depends on how bad the new peer is (external, admin
 * protocol, untrusted zone). Host-level only: a device does not inherit its zone's habits.
 */
import { KNOWN } from '../../baseline/baseline.js';
import type { DetectionSpec } from '../types.js';
import { adminService, clampSev, opt, schema } from '../util.js';
import { fmtDur } from '../window.js';

const options = schema({
  severity: opt('int', 5, 'new internal peer on a clinical/infrastructure service', 1, 10),
  untrustedZoneSeverity: opt('int', 7, 'peer outside server/medical/workstation zones', 1, 10),
  adminSeverity: opt('int', 8, 'admin/remote-access protocol on the new edge', 1, 10),
  externalSeverity: opt('int', 9, 'device talking to an external address', 1, 10),
});

const TRUSTED = new Set(['server', 'medical', 'workstation']);

export const medicalContract: DetectionSpec<typeof options> = {
  type: 'med.contract_violation',
  category: 'policy',
  mitre: ['T1210', 'T1041'],
  needsBaseline: true,
  title: 'medical device edge outside its learned contract',
  options,
  create(o, baseline) {
    const type = this.type;
    return {
      type,
      flows: true,
      onFlow(v, fc, ctx) {
        if (!v.answered || !v.first) return;
        const srcMed = !!fc.src && ctx.zoneOf(v.src)?.kind === 'medical';
        const dstMed = !!fc.dst && ctx.zoneOf(v.dst)?.kind === 'medical';
        if (!srcMed && !dstMed) return;
        let state: number;
        let first = 0;
        if (fc.src && fc.dst) {
          state = fc.edge;
          first = fc.edgeFirst;
        } else {
          // device ↔ outside: contract edges kept under the device's key
          const key = `med:${v.src}>${v.dst}>${fc.svc}`;
          state = baseline.touchKey(key, ctx.now);
          first = baseline.keyEntry(key)?.f ?? ctx.now;
        }
        if (state === KNOWN || ctx.learning) return;
        const dev = srcMed ? v.src : v.dst;
        const peer = srcMed ? v.dst : v.src;
        const external = !ctx.isInternal(peer);
        const adm = adminService(v.dport, v.service, fc.svc);
        const pz = ctx.zoneOf(peer);
        let sev = o.severity;
        let why = 'a peer/service outside its learned contract';
        const mitre: string[] = [];
        if (external) {
          sev = o.externalSeverity;
          why = 'an external address: data leaving the device zone';
          mitre.push('T1041');
        } else if (adm) {
          sev = o.adminSeverity;
          why = `an admin protocol (${adm.name})`;
          mitre.push(adm.mitre, 'T1210');
        } else if (!pz || !TRUSTED.has(pz.kind)) {
          sev = o.untrustedZoneSeverity;
          why = `a peer in ${pz ? `zone ${pz.name} (${pz.kind})` : 'no configured zone'}`;
          mitre.push('T1210');
        } else mitre.push(srcMed ? 'T1041' : 'T1210');
        ctx.raise({
          type,
          category: 'policy',
          mitre,
          severity: clampSev(sev),
          src: v.src,
          dst: v.dst,
          port: v.dport,
          summary: `Medical device ${ctx.describe(dev)} ${srcMed ? 'connected to' : 'was contacted by'} ${ctx.describe(peer)} on ${v.proto}/${v.dport}${v.service ? ` (${v.service})` : ''}: ${why}, ${state === 0 ? `never seen in ${ctx.baselineDays().toFixed(1)} days of baseline` : `first seen only ${fmtDur(ctx.now - first)} ago`}.`,
          evidence: { uids: [v.uid], device: dev, peer, service: fc.svc, direction: srcMed ? 'from-device' : 'to-device', peer_zone: pz?.name ?? null, external },
          needsBaseline: true,
        });
      },
    };
  },
};
