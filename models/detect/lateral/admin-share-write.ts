/**
 * lm.admin_share_write — files written to another host's ADMIN$ or drive share (C$, D$, …):
 * how PsExec and most lateral tool transfer drop their payload. Technique detection, no baseline.
 */
import { isDC } from '../../baseline/hosts.js';
import type { DetectionSpec } from '../types.js';
import { clampSev, evHosts, isAdminShare, isExecutable, opt, schema, smbAction } from '../util.js';
import { KeyedState, SlidingSet } from '../window.js';
import { techniqueHabit } from '../habits.js';

const options = schema({
  severity: opt('int', 7, 'base severity', 1, 10),
  executableBonus: opt('int', 1, 'added when the file is an executable/script', 0, 5),
  knownManagerTargets: opt('int', 3, 'distinct targets learned for a source that mark it as a management host', 1, 10000),
  managerSeverity: opt('int', 4, 'severity for known management hosts', 1, 10),
  maxTracked: opt('int', 20000, 'tracked sources (memory bound)', 100, 10000000),
});

const WRITE_ACTIONS = new Set(['write', 'create', 'rename', 'set_attribute', 'delete']);

export const adminShareWrite: DetectionSpec<typeof options> = {
  type: 'lm.admin_share_write',
  category: 'lateral-movement',
  mitre: ['T1570', 'T1021.002'],
  needsBaseline: false,
  title: 'file written to a remote ADMIN$/C$ share',
  options,
  create(o, baseline) {
    const bySrc = new KeyedState<{ last: number; targets: SlidingSet<string> }>(o.maxTracked);
    const type = this.type;
    return {
      type,
      paths: ['smb_files'],
      size: () => bySrc.size,
      onEvent(ev, ctx) {
        const path = String(ev.path ?? '');
        if (!isAdminShare(path)) return;
        const act = smbAction(ev);
        const name = String(ev.name ?? '');
        const exe = isExecutable(name);
        if (!WRITE_ACTIONS.has(act) && !(act === 'open' && exe)) return;
        const h = evHosts(ev);
        const s = bySrc.getOr(h.src, () => ({ last: h.ts, targets: new SlidingSet(86400, 1000) }));
        s.last = Math.max(s.last, h.ts);
        s.targets.add(h.dst, h.ts);
        const peak = techniqueHabit(baseline, type, h.src, h.dst, ctx.now);
        let sev = o.severity + (exe ? o.executableBonus : 0);
        if (isDC(baseline.peekHost(h.dst)) || ctx.zoneOf(h.dst)?.kind === 'medical') sev += 1;
        const manager = peak >= o.knownManagerTargets;
        if (manager) sev = o.managerSeverity;
        const size = typeof ev.size === 'number' ? ev.size : null;
        ctx.raise({
          type,
          category: 'lateral-movement',
          mitre: ['T1570', 'T1021.002'],
          severity: clampSev(sev),
          src: h.src,
          dst: h.dst,
          port: h.dport,
          summary: `${ctx.describe(h.src)} wrote ${name ? `"${name}"` : 'a file'} (${act}) to the administrative share ${path} on ${ctx.describe(h.dst)}${exe ? ', an executable' : ''}${manager ? `; the source did this to ${peak.toFixed(0)} hosts while learning (management host?)` : ''}.`,
          evidence: { uids: h.uid ? [h.uid] : [], path, name, action: ev.action ?? act, size, executable: exe, targets_24h: s.targets.size },
          needsBaseline: false,
        });
      },
      tick(ctx) {
        bySrc.expire(ctx.now - 86400);
      },
      save: () => [...bySrc.m.entries()].map(([k, v]) => [k, v.last, v.targets.toJSON()]),
      load(x) {
        for (const [k, last, t] of (x as any[]) ?? []) bySrc.m.set(k, { last, targets: SlidingSet.from(t) });
      },
    };
  },
};
