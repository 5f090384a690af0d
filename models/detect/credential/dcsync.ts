/**
 * cred.dcsync — drsuapi DRSGetNCChanges (directory replication) requested by a host that is not a
 * domain controller: Mimikatz/Impacket DCSync pulling password hashes. DCs are configured
 * (`roles.domainControllers`) or recognised on the wire (they answer Kerberos and LDAP).
 */
import { isDC } from '../../baseline/hosts.js';
import type { DetectionSpec } from '../types.js';
import { classifyRpc, rpcOpLabel } from '../rpc.js';
import { clampSev, evHosts, opt, schema } from '../util.js';

const options = schema({
  severity: opt('int', 9, 'severity', 1, 10),
});

export const dcsync: DetectionSpec<typeof options> = {
  type: 'cred.dcsync',
  category: 'credential-access',
  mitre: ['T1003.006'],
  needsBaseline: false,
  title: 'DRSGetNCChanges from a host that is no domain controller',
  options,
  create(o, baseline) {
    const type = this.type;
    return {
      type,
      paths: ['dce_rpc'],
      onEvent(ev, ctx) {
        if (classifyRpc(ev) !== 'dcsync') return;
        const h = evHosts(ev);
        if (ctx.isDC(h.src)) return;
        const dcKnown = isDC(baseline.peekHost(h.dst));
        ctx.raise({
          type,
          category: 'credential-access',
          mitre: ['T1003.006'],
          severity: clampSev(o.severity),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} requested directory replication (${rpcOpLabel(ev)}) from ${ctx.describe(h.dst)}${dcKnown ? ', a domain controller,' : ''} although it is not a domain controller itself: DCSync-style credential theft.`,
          evidence: { uids: h.uid ? [h.uid] : [], endpoint: ev.endpoint ?? null, operation: ev.operation ?? null, src_is_dc: false, dst_is_dc: dcKnown },
          needsBaseline: false,
        });
      },
    };
  },
};
