/** Small helpers shared by detections. */
import { field, num, str, type ProtoEvent } from '../core/records.js';
import type { OptionSchema, OptionSpec } from './types.js';

export interface EvHosts {
  src: string;
  dst: string;
  dport: number;
  uid: string;
  ts: number;
}

const evh: EvHosts = { src: '', dst: '', dport: 0, uid: '', ts: 0 };

/** Endpoints of an event (reused object: copy what you keep). */
export function evHosts(ev: ProtoEvent): EvHosts {
  evh.src = str(ev['id.orig_h']);
  evh.dst = str(ev['id.resp_h']);
  evh.dport = num(ev['id.resp_p']);
  evh.uid = str(ev.uid);
  evh.ts = num(ev.ts);
  return evh;
}

export interface AdminService {
  readonly name: string;
  readonly mitre: string;
}

/**
 * Admin / remote-access protocols and their ATT&CK sub-technique. Several detections ask this for
 * every internal flow: the answers are shared, frozen objects (one per protocol and port), not
 * built per call.
 */
export function adminService(port: number, service: string, svcKey: string): AdminService | null {
  if (port === 445 || port === 139 || service.includes('smb')) return adminOf(SMB, port);
  if (port === 135 || svcKey.endsWith('/dce_rpc')) return port === 135 ? RPC_135 : RPC_DYNAMIC;
  if (port === 3389 || service.includes('rdp')) return adminOf(RDP, port);
  if (port === 5985 || port === 5986) return adminOf(WINRM, port);
  if (port === 22 || service.includes('ssh')) return adminOf(SSH, port);
  if (port >= 5900 && port <= 5903) return adminOf(VNC, port);
  if (port === 23) return TELNET;
  return null;
}

interface AdminKind {
  prefix: string;
  mitre: string;
  byPort: Map<number, AdminService>;
}

const adminKind = (prefix: string, mitre: string): AdminKind => ({ prefix, mitre, byPort: new Map() });
const SMB = adminKind('SMB', 'T1021.002');
const RDP = adminKind('RDP', 'T1021.001');
const WINRM = adminKind('WinRM', 'T1021.006');
const SSH = adminKind('SSH', 'T1021.004');
const VNC = adminKind('VNC', 'T1021.005');
const RPC_135: AdminService = Object.freeze({ name: 'RPC/135', mitre: 'T1021.003' });
const RPC_DYNAMIC: AdminService = Object.freeze({ name: 'RPC/dynamic', mitre: 'T1021.003' });
const TELNET: AdminService = Object.freeze({ name: 'Telnet/23', mitre: 'T1021' });

function adminOf(k: AdminKind, port: number): AdminService {
  let a = k.byPort.get(port);
  if (a === undefined) {
    a = Object.freeze({ name: `${k.prefix}/${port}`, mitre: k.mitre });
    // SMB/SSH/RDP are recognised by service label on any port: keep the table bounded
    if (k.byPort.size < 1024) k.byPort.set(port, a);
  }
  return a;
}

type KindValue<K> = K extends 'int' | 'num' ? number : K extends 'bool' ? boolean : string[];

export function opt<K extends OptionSpec['kind']>(kind: K, def: KindValue<K>, doc: string, min?: number, max?: number): OptionSpec<KindValue<K>> {
  return { kind, default: def, doc, min, max };
}

export function schema<S extends OptionSchema>(s: S): S {
  return s;
}

/** Normalised SMB action: "SMB::FILE_WRITE" / "write" / "FILE_WRITE" → "write". */
export function smbAction(ev: ProtoEvent): string {
  return field(ev, 'action', 'command').toLowerCase().replace(/^smb::/, '').replace(/^file_/, '').replace(/^smb2_command_/, '');
}

/** "\\\\host\\ADMIN$" or "\\\\host\\C$" (any drive letter): an administrative share. */
export function isAdminShare(path: string): boolean {
  return /(^|\\)([a-z]\$|admin\$)\\?$/i.test(path.replace(/\\+$/, '')) || /^\\\\[^\\]+\\([a-z]\$|admin\$)(\\|$)/i.test(path);
}

export function isExecutable(name: string): boolean {
  return /\.(exe|dll|sys|bat|cmd|ps1|vbs|js|hta|scr|msi)$/i.test(name);
}

/**
 * A list of "proto/port" strings (case-insensitive) as a matcher of a flow's proto and port: the
 * same answers as `list.has(`${proto}/${port}`)` without building the string per flow.
 */
export function protoPortMatcher(list: readonly string[]): (proto: string, port: number) => boolean {
  const byProto = new Map<string, Set<number>>();
  for (const item of list) {
    const e = item.toLowerCase();
    // a port's text never holds a '/': the last one separates proto from port
    const i = e.lastIndexOf('/');
    if (i < 0) continue;
    const p = e.slice(i + 1);
    const port = Number(p);
    // only the text a number prints as can equal `${port}`
    if (p === '' || String(port) !== p) continue;
    const proto = e.slice(0, i);
    let s = byProto.get(proto);
    if (!s) byProto.set(proto, (s = new Set()));
    s.add(port);
  }
  return (proto, port) => byProto.get(proto)?.has(port) === true;
}

export function clampSev(x: number): number {
  return Math.max(1, Math.min(10, Math.round(x)));
}
