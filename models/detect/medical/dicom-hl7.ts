/**
 * Clinical protocol detections:
 *  - med.dicom_new_ae: a DICOM association with a calling/called AE-title pair (per server) that
 *    is not in the baseline; worse when the calling AE was never seen and it queries/retrieves.
 *  - med.hl7_new_app: an HL7 message between sending/receiving application+facility pairs not in
 *    the baseline (per receiver).
 *  - med.phi_leaving_zone: DICOM or HL7 leaving the trusted zones (to an external address or a
 *    guest/DMZ zone) — a technique check that needs no baseline.
 * Field names follow Zeek-style logs written by parsers/app (dicom: calling_ae, called_ae,
 * command; hl7: sending_application, sending_facility, receiving_application,
 * receiving_facility, message_type); alternatives are accepted.
 */
import { KNOWN } from '../../baseline/baseline.js';
import { field } from '../../core/records.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, opt, schema } from '../util.js';

const aeOptions = schema({
  severity: opt('int', 5, 'new AE pair between known AE titles', 1, 10),
  newCallerQuerySeverity: opt('int', 7, 'never-seen calling AE that queries/retrieves (C-FIND/C-MOVE/C-GET)', 1, 10),
});

export const dicomNewAe: DetectionSpec<typeof aeOptions> = {
  type: 'med.dicom_new_ae',
  category: 'policy',
  mitre: ['T1210'],
  needsBaseline: true,
  title: 'DICOM association with an AE-title pair not in the baseline',
  options: aeOptions,
  create(o, baseline) {
    const type = this.type;
    return {
      type,
      paths: ['dicom'],
      onEvent(ev, ctx) {
        const calling = field(ev, 'calling_ae', 'calling_aet', 'calling').trim();
        const called = field(ev, 'called_ae', 'called_aet', 'called').trim();
        if (!calling && !called) return;
        const h = evHosts(ev);
        const pair = baseline.touchKey(`ae:${h.dst}:${called}<${calling}`, ctx.now);
        const caller = baseline.touchKey(`aecall:${calling}`, ctx.now);
        if (pair === KNOWN || ctx.learning) return;
        const cmd = field(ev, 'command', 'commands', 'dimse').toUpperCase();
        const query = /C-(FIND|MOVE|GET)/.test(cmd);
        const newCaller = caller !== KNOWN;
        const sev = newCaller && query ? o.newCallerQuerySeverity : o.severity;
        ctx.raise({
          type,
          category: 'policy',
          mitre: ['T1210'],
          severity: clampSev(sev),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} opened a DICOM association as "${calling}" to "${called}" on ${ctx.describe(h.dst)}${cmd ? ` (${cmd})` : ''}: ${newCaller ? 'a calling AE title never seen before' : 'an AE-title pair not in the baseline'}.`,
          evidence: { uids: h.uid ? [h.uid] : [], calling_ae: calling, called_ae: called, command: cmd || null, new_calling_ae: newCaller },
          needsBaseline: true,
        });
      },
    };
  },
};

const hl7Options = schema({
  severity: opt('int', 5, 'new application pair', 1, 10),
  untrustedSourceSeverity: opt('int', 7, 'new pair sent from outside server/medical zones', 1, 10),
});

export const hl7NewApp: DetectionSpec<typeof hl7Options> = {
  type: 'med.hl7_new_app',
  category: 'policy',
  mitre: ['T1210'],
  needsBaseline: true,
  title: 'HL7 message between applications not in the baseline',
  options: hl7Options,
  create(o, baseline) {
    const type = this.type;
    return {
      type,
      paths: ['hl7'],
      onEvent(ev, ctx) {
        const sa = field(ev, 'sending_application', 'msh_sending_application', 'sending_app');
        const sf = field(ev, 'sending_facility', 'msh_sending_facility');
        const ra = field(ev, 'receiving_application', 'msh_receiving_application', 'receiving_app');
        const rf = field(ev, 'receiving_facility', 'msh_receiving_facility');
        if (!sa && !ra) return;
        const h = evHosts(ev);
        const st = baseline.touchKey(`hl7:${h.dst}:${sa}|${sf}>${ra}|${rf}`, ctx.now);
        if (st === KNOWN || ctx.learning) return;
        const kind = ctx.zoneOf(h.src)?.kind;
        const untrusted = kind !== 'server' && kind !== 'medical';
        ctx.raise({
          type,
          category: 'policy',
          mitre: ['T1210'],
          severity: clampSev(untrusted ? o.untrustedSourceSeverity : o.severity),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} sent HL7 ${field(ev, 'message_type', 'msg_type') || 'messages'} from ${sa}@${sf} to ${ra}@${rf} on ${ctx.describe(h.dst)}: an application pair not in the baseline${untrusted ? ', from outside the server/medical zones' : ''}.`,
          evidence: { uids: h.uid ? [h.uid] : [], sending_application: sa, sending_facility: sf, receiving_application: ra, receiving_facility: rf, message_type: field(ev, 'message_type', 'msg_type') || null },
          needsBaseline: true,
        });
      },
    };
  },
};

const leaveOptions = schema({
  externalSeverity: opt('int', 8, 'DICOM/HL7 to an external address', 1, 10),
  untrustedSeverity: opt('int', 7, 'DICOM/HL7 to a guest/DMZ/other zone', 1, 10),
  ports: opt('strings', ['104', '11112', '2575', '2761', '2762'], 'ports treated as DICOM/HL7 even without a service label'),
});

export const phiLeaving: DetectionSpec<typeof leaveOptions> = {
  type: 'med.phi_leaving_zone',
  category: 'exfiltration',
  mitre: ['T1041'],
  needsBaseline: false,
  title: 'DICOM/HL7 leaving the trusted zones',
  options: leaveOptions,
  create(o) {
    const ports = new Set(o.ports.map(Number));
    const type = this.type;
    return {
      type,
      flows: true,
      onFlow(v, fc, ctx) {
        if (!v.answered || !v.first) return;
        const clinical = v.service.includes('dicom') || v.service.includes('hl7') || ports.has(v.dport);
        if (!clinical) return;
        const external = !fc.dst && !ctx.isInternal(v.dst);
        const dz = ctx.zoneOf(v.dst);
        const untrusted = !external && !!dz && (dz.kind === 'guest' || dz.kind === 'dmz' || dz.kind === 'other');
        if (!external && !untrusted) return;
        const proto = v.service.includes('hl7') || v.dport === 2575 ? 'HL7' : 'DICOM';
        ctx.raise({
          type,
          category: 'exfiltration',
          mitre: ['T1041'],
          severity: clampSev(external ? o.externalSeverity : o.untrustedSeverity),
          src: v.src,
          dst: v.dst,
          port: v.dport,
          summary: `${ctx.describe(v.src)} sent ${proto} (${v.proto}/${v.dport}) to ${external ? `the external address ${v.dst}` : ctx.describe(v.dst)}: patient data leaving the trusted zones.`,
          evidence: { uids: [v.uid], protocol: proto, external, dst_zone: dz?.name ?? null, orig_bytes: v.origTotal },
          needsBaseline: false,
        });
      },
    };
  },
};
