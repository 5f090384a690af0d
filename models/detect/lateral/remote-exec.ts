/**
 * Remote execution over DCE-RPC — technique detections that need no baseline:
 *  - lm.remote_service: svcctl CreateService* (PsExec, Impacket smbexec/psexec)   T1569.002
 *  - lm.remote_task: atsvc NetrJobAdd ("at"), ITaskSchedulerService
 *    SchRpcRegisterTask/SchRpcRun (schtasks /s, atexec)                              T1053.002/.005
 *  - lm.wmi_exec: IWbemServices ExecMethod(Async) (wmic process call create, wmiexec) T1047
 * Severity rises when the same source wrote to the target's ADMIN$/C$ shortly before (the PsExec
 * pattern) or the target is a DC / medical device. A source that did the same to several hosts
 * while learning (a software-deployment server) is reported at reduced severity, still reported.
 */
import { isDC } from '../../baseline/hosts.js';
import type { ProtoEvent } from '../../core/records.js';
import type { AlertCandidate } from '../../alerts/types.js';
import type { DetectContext, DetectionSpec, Options } from '../types.js';
import { classifyRpc, rpcOpLabel, type RpcKind } from '../rpc.js';
import { clampSev, evHosts, isAdminShare, opt, schema, smbAction } from '../util.js';
import { KeyedState, SlidingSet, fmtDur } from '../window.js';
import { techniqueHabit } from '../habits.js';

const options = schema({
  severity: opt('int', 8, 'base severity', 1, 10),
  adminShareWindowSec: opt('int', 900, 'an ADMIN$/C$ write from the same source this recently raises severity', 0, 86400),
  knownManagerTargets: opt('int', 3, 'distinct targets learned for a source that mark it as a management host (severity reduced)', 1, 10000),
  managerSeverity: opt('int', 5, 'severity for known management hosts', 1, 10),
  maxTracked: opt('int', 20000, 'tracked sources (memory bound)', 100, 10000000),
});

interface Variant {
  type: string;
  kinds: readonly RpcKind[];
  mitre: (k: RpcKind) => string[];
  what: string;
  title: string;
}

interface St {
  last: number;
  targets: SlidingSet<string>;
}

function makeSpec(variant: Variant): DetectionSpec<typeof options> {
  return {
    type: variant.type,
    category: 'lateral-movement',
    mitre: variant.mitre(variant.kinds[0]!),
    needsBaseline: false,
    title: variant.title,
    options,
    create(o: Options<typeof options>, baseline) {
      const recentShareWrite = new KeyedState<{ last: number }>(o.maxTracked);
      const bySrc = new KeyedState<St>(o.maxTracked);
      return {
        type: variant.type,
        paths: ['dce_rpc', 'smb_files'],
        size: () => recentShareWrite.size + bySrc.size,
        onEvent(ev: ProtoEvent, ctx: DetectContext) {
          const h = evHosts(ev);
          if (ev._path === 'smb_files') {
            const path = String(ev.path ?? '');
            const act = smbAction(ev);
            if (isAdminShare(path) && (act === 'write' || act === 'open' || act === 'create')) {
              recentShareWrite.getOr(`${h.src}>${h.dst}`, () => ({ last: h.ts })).last = Math.max(h.ts, ctx.now);
            }
            return;
          }
          const kind = classifyRpc(ev);
          if (!kind || !variant.kinds.includes(kind)) return;
          const s = bySrc.getOr(h.src, () => ({ last: h.ts, targets: new SlidingSet(86400, 1000) }));
          s.last = Math.max(s.last, h.ts);
          s.targets.add(h.dst, h.ts);
          const learnedPeak = techniqueHabit(baseline, variant.type, h.src, h.dst, ctx.now);
          const manager = learnedPeak >= o.knownManagerTargets;
          const sw = recentShareWrite.get(`${h.src}>${h.dst}`);
          const shareFirst = !!sw && ctx.now - sw.last <= o.adminShareWindowSec;
          let sev = o.severity;
          const notes: string[] = [];
          if (shareFirst) {
            sev += 1;
            notes.push(`it wrote to an administrative share on the target ${fmtDur(Math.max(0, ctx.now - sw!.last))} earlier`);
          }
          const dstHost = baseline.peekHost(h.dst);
          if (isDC(dstHost)) {
            sev += 1;
            notes.push('the target is a domain controller');
          } else if (ctx.zoneOf(h.dst)?.kind === 'medical') {
            sev += 1;
            notes.push('the target is a medical device');
          }
          if (manager) {
            sev = o.managerSeverity;
            notes.push(`the source did this to ${learnedPeak.toFixed(0)} hosts while learning (management host?)`);
          }
          const pipe = String(ev.named_pipe ?? '');
          // some parsers decode the job's command line (atsvc NetrJobAdd): quote it
          const command = typeof ev.command === 'string' && ev.command ? ev.command.slice(0, 200) : '';
          const c: AlertCandidate = {
            type: variant.type,
            category: 'lateral-movement',
            mitre: variant.mitre(kind),
            severity: clampSev(sev),
            src: h.src,
            dst: h.dst,
            port: h.dport,
            summary: `${ctx.describe(h.src)} called ${rpcOpLabel(ev)} on ${ctx.describe(h.dst)}${pipe && !/^\d+$/.test(pipe) ? ` over ${pipe}` : ''}${command ? ` (command "${command}")` : ''}: ${variant.what}${notes.length ? `; ${notes.join('; ')}` : ''}.`,
            evidence: {
              uids: h.uid ? [h.uid] : [],
              endpoint: ev.endpoint ?? null,
              operation: ev.operation ?? null,
              named_pipe: ev.named_pipe ?? null,
              command: command || null,
              admin_share_write_before: shareFirst,
              targets_24h: s.targets.size,
              learned_targets: learnedPeak,
            },
            needsBaseline: false,
          };
          ctx.raise(c);
        },
        tick(ctx: DetectContext) {
          recentShareWrite.expire(ctx.now - o.adminShareWindowSec);
          bySrc.expire(ctx.now - 86400);
        },
        save: () => ({ w: [...recentShareWrite.m.entries()], s: [...bySrc.m.entries()].map(([k, v]) => [k, v.last, v.targets.toJSON()]) }),
        load(x: any) {
          for (const [k, v] of x?.w ?? []) recentShareWrite.m.set(k, v);
          for (const [k, last, t] of x?.s ?? []) bySrc.m.set(k, { last, targets: SlidingSet.from(t) });
        },
      };
    },
  };
}

export const remoteService = makeSpec({
  type: 'lm.remote_service',
  kinds: ['svc_create'],
  mitre: () => ['T1569.002', 'T1021.002'],
  what: 'remote service creation, the way PsExec and Impacket run commands on another host',
  title: 'remote service creation over svcctl (PsExec-style)',
});

export const remoteTask = makeSpec({
  type: 'lm.remote_task',
  kinds: ['at_job', 'task_register', 'task_run'],
  mitre: (k) => (k === 'at_job' ? ['T1053.002'] : ['T1053.005']),
  what: 'a scheduled job/task created or started remotely, a common way to execute commands laterally',
  title: 'remote scheduled job/task via atsvc or ITaskSchedulerService',
});

export const wmiExec = makeSpec({
  type: 'lm.wmi_exec',
  kinds: ['wmi_exec'],
  mitre: () => ['T1047'],
  what: 'a remote WMI method execution (e.g. Win32_Process.Create)',
  title: 'remote WMI IWbemServices::ExecMethod',
});
