/**
 * Privilege drop for the appliance: open every capture as root (or with CAP_NET_RAW +
 * CAP_NET_ADMIN), then become an unprivileged user before touching any packet content.
 *
 * An open packet socket keeps working after setuid: the kernel checks the capability at socket
 * creation/bind, not per read. Changing uid from 0 to non-zero clears the permitted and effective
 * capability sets (no SECBIT_KEEP_CAPS here), so after the drop the process cannot open new
 * captures or regain root — which is the point.
 *
 * Not needed when started unprivileged with file capabilities
 * (`setcap cap_net_raw,cap_net_admin=eip $(readlink -f $(which node))`) or systemd's
 * AmbientCapabilities=CAP_NET_RAW CAP_NET_ADMIN with User=ndr (deploy/ndr-sensor.service).
 */
import { execFileSync } from 'node:child_process';

export interface DroppedTo {
  uid: number;
  gid: number;
  user: string;
}

function lookupId(db: 'passwd' | 'group', name: string): string[] | undefined {
  try {
    const line = execFileSync('getent', [db, name], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    return line ? line.split(':') : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Switches to `user` (name or numeric uid) and its primary group, or `group` if given, with no
 * supplementary groups. Call after all captures are open and the metrics port is bound. Throws a
 * clear error (never continues half-dropped) if the user is unknown or the switch did not stick.
 */
export function dropPrivileges(user: string, group?: string): DroppedTo {
  if (typeof process.setuid !== 'function' || typeof process.getuid !== 'function') {
    throw new Error('--user: this platform has no setuid');
  }
  const pw = lookupId('passwd', user);
  if (!pw) throw new Error(`--user ${user}: no such user`);
  const uid = Number(pw[2]);
  let gid = Number(pw[3]);
  if (group !== undefined) {
    const gr = lookupId('group', group);
    if (!gr) throw new Error(`--group ${group}: no such group`);
    gid = Number(gr[2]);
  }
  if (process.getuid() !== 0) {
    if (process.getuid() === uid) return { uid, gid, user: pw[0] };
    throw new Error(`--user ${user}: only root can switch user (running as uid ${process.getuid()})`);
  }
  // Order matters: supplementary groups and gid first, while we are still allowed to change them.
  process.setgroups?.([gid]);
  process.setgid?.(gid);
  process.setuid(uid);
  if (process.getuid() !== uid || process.geteuid?.() !== uid || process.getgid?.() !== gid) {
    throw new Error(`--user ${user}: privilege drop did not take effect`);
  }
  let regained = false;
  try {
    process.setuid(0);
    regained = true;
  } catch {
    /* expected: root is gone for good */
  }
  if (regained) throw new Error(`--user ${user}: could switch back to root after dropping; refusing to run`);
  return { uid, gid, user: pw[0] };
}
