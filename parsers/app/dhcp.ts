/**
 * DHCP (BOOTP + options, RFC 2131/2132) for asset inventory.
 *
 * A DHCP exchange spans several UDP "connections" (0.0.0.0→broadcast, server→client, …), so a
 * per-connection session cannot build Zeek's dhcp.log record alone. The session therefore emits
 * one `dhcp_msg` event per message (with the flow's id fields added by the engine), and
 * `DhcpAggregator` — pure, bounded, no I/O — merges them by transaction id into Zeek dhcp.log
 * records (uids, client_addr, server_addr, mac, host_name, client_fqdn, domain, requested_addr,
 * assigned_addr, lease_time, client_message, server_message, msg_types, duration), following
 * base/protocols/dhcp: values from client messages vs server messages, later ones win, the
 * assigned address from the ACK.
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { latin1, u32 } from './bytes.js';

export const DHCP_MSG_TYPES: Record<number, string> = {
  1: 'DISCOVER', 2: 'OFFER', 3: 'REQUEST', 4: 'DECLINE', 5: 'ACK', 6: 'NAK', 7: 'RELEASE', 8: 'INFORM',
  9: 'FORCERENEW', 10: 'LEASEQUERY', 11: 'LEASEUNASSIGNED', 12: 'LEASEUNKNOWN', 13: 'LEASEACTIVE',
  14: 'BULKLEASEQUERY', 15: 'LEASEQUERYDONE', 16: 'ACTIVELEASEQUERY', 17: 'LEASEQUERYSTATUS', 18: 'TLS',
};

const MAGIC = 0x63825363;
const ip4 = (b: Uint8Array, o: number) => `${b[o]}.${b[o + 1]}.${b[o + 2]}.${b[o + 3]}`;

/** Parses one BOOTP/DHCP datagram into a `dhcp_msg` event, or null if it is not one. */
export function parseDhcp(b: Uint8Array, s: number, e: number, ts: number): AppEvent | null {
  if (e - s < 240 || u32(b, s + 236) !== MAGIC) return null;
  const op = b[s];
  if (op !== 1 && op !== 2) return null;
  const hlen = b[s + 2];
  const ev: AppEvent = { _path: 'dhcp_msg', ts, trans_id: u32(b, s + 4), is_client: op === 1 };
  const ci = ip4(b, s + 12), yi = ip4(b, s + 16);
  if (ci !== '0.0.0.0') ev.ciaddr = ci;
  if (yi !== '0.0.0.0') ev.yiaddr = yi;
  if (hlen === 6) {
    const m: string[] = [];
    for (let i = 0; i < 6; i++) m.push(b[s + 28 + i].toString(16).padStart(2, '0'));
    ev.mac = m.join(':');
  }
  let p = s + 240;
  for (let n = 0; p < e && n < 255; n++) {
    const code = b[p];
    if (code === 255) break;
    if (code === 0) { p++; continue; }
    if (p + 2 > e) break;
    const l = b[p + 1];
    const d = p + 2;
    if (d + l > e) break;
    switch (code) {
      case 53: if (l >= 1) ev.msg_type = DHCP_MSG_TYPES[b[d]] ?? `unknown-${b[d]}`; break;
      case 12: ev.host_name = latin1(b, d, d + l, 255); break;
      case 15: ev.domain = latin1(b, d, d + l, 255).replace(/\0+$/, ''); break;
      case 50: if (l === 4) ev.requested_addr = ip4(b, d); break;
      case 51: if (l === 4) ev.lease_time = u32(b, d); break;
      case 54: if (l === 4) ev.server_id = ip4(b, d); break;
      case 56: ev.message = latin1(b, d, d + l, 255); break;
      case 81: if (l >= 3) ev.client_fqdn = latin1(b, d + 3, d + l, 255); break;
    }
    p = d + l;
  }
  return ev;
}

export class DhcpSession implements AppSession {
  private confirmed = false;
  constructor(private readonly ctx: SessionContext) {}
  get done(): boolean { return false; } // datagrams only: nothing to reassemble
  data(_dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    const ev = parseDhcp(buf, off, off + len, ts);
    if (!ev) return;
    if (!this.confirmed) { this.confirmed = true; this.ctx.confirm('dhcp'); }
    this.ctx.emit(ev);
  }
  gap(): void {}
  end(): void {}
}

export const dhcpParser: AppParser = {
  service: 'dhcp',
  transport: 'udp',
  ports: [67, 68],
  probe(_dir: Dir, buf: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    const p = ports.origPort, q = ports.respPort;
    if (!(p === 67 || p === 68 || q === 67 || q === 68)) return false;
    return len >= 240 && (buf[off] === 1 || buf[off] === 2) && u32(buf, off + 236) === MAGIC;
  },
  create: (ctx) => new DhcpSession(ctx),
};

interface Pending {
  first: number;
  last: number;
  rec: AppEvent;
  uids: string[];
  types: [number, string][];
}

const unusable = (ip: unknown) => typeof ip !== 'string' || ip === '0.0.0.0' || ip === '255.255.255.255';

/**
 * Merges `dhcp_msg` events (with `uid` and `id.*` fields) into Zeek dhcp.log records by
 * transaction id + MAC. Records are released by `flush(now)` after `idleSeconds` without a
 * message (Zeek waits for stray DECLINE/RELEASE too) or by `flushAll()`. At most `maxPending`
 * transactions are held; the oldest is released early beyond that.
 */
export class DhcpAggregator {
  private readonly pending = new Map<string, Pending>();
  constructor(private readonly idleSeconds = 30, private readonly maxPending = 10000) {}

  add(m: AppEvent): AppEvent[] {
    const out: AppEvent[] = [];
    const ts = Number(m.ts);
    const key = `${m.trans_id}|${m.mac ?? ''}`;
    let p = this.pending.get(key);
    if (!p) {
      if (this.pending.size >= this.maxPending) {
        const [k0, p0] = this.pending.entries().next().value as [string, Pending];
        this.pending.delete(k0);
        out.push(this.finish(p0));
      }
      p = { first: ts, last: ts, rec: { _path: 'dhcp' }, uids: [], types: [] };
      this.pending.set(key, p);
    }
    p.first = Math.min(p.first, ts);
    p.last = Math.max(p.last, ts);
    const r = p.rec;
    if (typeof m.uid === 'string' && !p.uids.includes(m.uid)) p.uids.push(m.uid);
    if (typeof m.msg_type === 'string') p.types.push([ts, m.msg_type]);
    if (m.mac !== undefined) r.mac = m.mac;
    // The client side of the flow is the port-68 end (or the sender of a client message).
    const origIsClient = m['id.orig_p'] === 68 || (m['id.resp_p'] !== 68 && m['id.orig_p'] !== 67);
    const cli = origIsClient ? m['id.orig_h'] : m['id.resp_h'];
    const srv = origIsClient ? m['id.resp_h'] : m['id.orig_h'];
    if (r.client_addr === undefined && !unusable(cli)) r.client_addr = cli;
    if (r.server_addr === undefined && !unusable(srv)) r.server_addr = srv;
    if (m.is_client) {
      if (m.host_name !== undefined) r.host_name = m.host_name;
      if (m.client_fqdn !== undefined) r.client_fqdn = m.client_fqdn;
      if (m.requested_addr !== undefined) r.requested_addr = m.requested_addr;
      if (m.message !== undefined) r.client_message = m.message;
    } else {
      if (m.domain !== undefined) r.domain = m.domain;
      if (m.lease_time !== undefined) r.lease_time = m.lease_time;
      if (m.message !== undefined) r.server_message = m.message;
      if (m.msg_type === 'ACK' && m.yiaddr !== undefined) r.assigned_addr = m.yiaddr;
    }
    return out;
  }

  flush(now: number): AppEvent[] {
    const out: AppEvent[] = [];
    for (const [k, p] of this.pending) {
      if (now - p.last >= this.idleSeconds) {
        this.pending.delete(k);
        out.push(this.finish(p));
      }
    }
    return out;
  }

  flushAll(): AppEvent[] {
    const out = [...this.pending.values()].map((p) => this.finish(p));
    this.pending.clear();
    return out;
  }

  private finish(p: Pending): AppEvent {
    const r = p.rec;
    r.ts = p.first;
    r.uids = p.uids;
    r.msg_types = p.types.sort((a, b) => a[0] - b[0]).map((t) => t[1]);
    r.duration = p.last - p.first;
    return r;
  }
}
