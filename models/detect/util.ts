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

/** Admin / remote-access protocols and their ATT&CK sub-technique. */
export function adminService(port: number, service: string, svcKey: string): { name: string; mitre: string } | null {
  if (port === 445 || port === 139 || service.includes('smb')) return { name: `SMB/${port}`, mitre: 'T1021.002' };
  if (port === 135 || svcKey.endsWith('/dce_rpc')) return { name: port === 135 ? 'RPC/135' : 'RPC/dynamic', mitre: 'T1021.003' };
  if (port === 3389 || service.includes('rdp')) return { name: `RDP/${port}`, mitre: 'T1021.001' };
  if (port === 5985 || port === 5986) return { name: `WinRM/${port}`, mitre: 'T1021.006' };
  if (port === 22 || service.includes('ssh')) return { name: `SSH/${port}`, mitre: 'T1021.004' };
  if (port >= 5900 && port <= 5903) return { name: `VNC/${port}`, mitre: 'T1021.005' };
  if (port === 23) return { name: 'Telnet/23', mitre: 'T1021' };
  return null;
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

export function clampSev(x: number): number {
  return Math.max(1, Math.min(10, Math.round(x)));
}
