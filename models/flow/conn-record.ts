/**
 * Zeek conn.log records (JSON form, Zeek's field names) built from the flow store, plus the
 * sensor's additions: community_id, vlan, inner_vlan, direction, interim.
 */
import { FlowStore, FL_ORIG_IS_A, KEY_WORDS } from './flow-store.js';
import { tcpSize } from './tcp-session.js';
import {
  TCP_CLOSED, TCP_ESTABLISHED, TCP_INACTIVE, TCP_PARTIAL, TCP_RESET, TCP_SYN_ACK_SENT, TCP_SYN_SENT,
} from './tcp-constants.js';
import { formatAddr } from '../net/addr-format.js';
import { communityId } from './community-id.js';
import type { NetworkSet } from '../net/network-set.js';

export type Direction = 'internal' | 'outbound' | 'inbound' | 'external';

export interface ConnRecord {
  ts: number;
  uid: string;
  'id.orig_h': string;
  'id.orig_p': number;
  'id.resp_h': string;
  'id.resp_p': number;
  proto: 'tcp' | 'udp' | 'icmp' | 'unknown_transport';
  service?: string;
  duration?: number;
  orig_bytes?: number;
  resp_bytes?: number;
  conn_state: string;
  local_orig: boolean;
  local_resp: boolean;
  missed_bytes: number;
  history?: string;
  orig_pkts: number;
  orig_ip_bytes: number;
  resp_pkts: number;
  resp_ip_bytes: number;
  tunnel_parents?: string[];
  /** IP protocol number from the header (Zeek's ip_proto). */
  ip_proto: number;
  community_id: string;
  vlan?: number;
  inner_vlan?: number;
  direction: Direction;
  interim?: true;
}

const RSTOS0 = /^\^?S[^HAFGIQ]*R.*$/;

/** Zeek's conn_state() from the endpoint states (orig first). */
export function tcpConnState(os: number, rs: number, origSize: number, respSize: number, history: string): string {
  const oInactive = os === TCP_INACTIVE || os === TCP_PARTIAL;
  const rInactive = rs === TCP_INACTIVE || rs === TCP_PARTIAL;
  if (rs === TCP_RESET) {
    if (os === TCP_SYN_SENT || os === TCP_SYN_ACK_SENT || (os === TCP_RESET && origSize === 0 && respSize === 0)) return 'REJ';
    return oInactive ? 'RSTRH' : 'RSTR';
  }
  if (os === TCP_RESET) {
    if (rInactive) return RSTOS0.test(history) ? 'RSTOS0' : 'OTH';
    return 'RSTO';
  }
  if (rs === TCP_CLOSED && os === TCP_CLOSED) return 'SF';
  if (os === TCP_CLOSED) return rInactive ? 'SH' : 'S2';
  if (rs === TCP_CLOSED) return oInactive ? 'SHR' : 'S3';
  if (os === TCP_SYN_SENT && rs === TCP_INACTIVE) return 'S0';
  if (os === TCP_ESTABLISHED && rs === TCP_ESTABLISHED) return 'S1';
  return 'OTH';
}

const PROTO_NAMES: Record<number, 'tcp' | 'udp' | 'icmp'> = { 6: 'tcp', 17: 'udp', 1: 'icmp', 58: 'icmp' };
const KNOWN_TRANSPORTS = new Set([6, 17, 1, 58]);

/** The record's `proto` for an IP protocol number. */
export function protoName(ipProto: number): ConnRecord['proto'] {
  return PROTO_NAMES[ipProto] ?? 'unknown_transport';
}

export function buildConnRecord(s: FlowStore, f: number, internal: NetworkSet, interim: boolean, cidSeed = 0): ConnRecord {
  const k = f * KEY_WORDS;
  const keys = s.keys;
  const origA = (s.flags[f] & FL_ORIG_IS_A) !== 0;
  const oo = origA ? k : k + 4;
  const ro = origA ? k + 4 : k;
  const ports = keys[k + 8];
  const origPort = origA ? ports >>> 16 : ports & 0xffff;
  const respPort = origA ? ports & 0xffff : ports >>> 16;
  const oe = 2 * f + (origA ? 0 : 1);
  const re = oe ^ 1;
  const proto = s.proto[f];
  const history = s.history[f];

  let origSize: number;
  let respSize: number;
  let state: string;
  if (proto === 6) {
    origSize = tcpSize(s, oe);
    respSize = tcpSize(s, re);
    state = tcpConnState(s.state[oe], s.state[re], origSize, respSize, history);
  } else if (!KNOWN_TRANSPORTS.has(proto)) {
    origSize = 0;
    respSize = 0;
    state = 'OTH';
  } else {
    origSize = s.size[oe] < 0 ? 0 : s.size[oe];
    respSize = s.size[re] < 0 ? 0 : s.size[re];
    if (proto === 17) {
      const oa = s.size[oe] >= 0;
      const ra = s.size[re] >= 0;
      state = oa ? (ra ? 'SF' : 'S0') : ra ? 'SHR' : 'OTH';
    } else {
      state = 'OTH';
    }
  }

  const o0 = keys[oo], o1 = keys[oo + 1], o2 = keys[oo + 2], o3 = keys[oo + 3];
  const r0 = keys[ro], r1 = keys[ro + 1], r2 = keys[ro + 2], r3 = keys[ro + 3];
  const localOrig = internal.contains(o0, o1, o2, o3);
  const localResp = internal.contains(r0, r1, r2, r3);
  const rec: ConnRecord = {
    ts: s.startTs[f],
    uid: s.uid[f],
    'id.orig_h': formatAddr(o0, o1, o2, o3),
    'id.orig_p': origPort,
    'id.resp_h': formatAddr(r0, r1, r2, r3),
    'id.resp_p': respPort,
    proto: protoName(proto),
    conn_state: state,
    local_orig: localOrig,
    local_resp: localResp,
    missed_bytes: s.missedBytes[f],
    orig_pkts: s.pkts[oe],
    orig_ip_bytes: s.ipBytes[oe],
    resp_pkts: s.pkts[re],
    resp_ip_bytes: s.ipBytes[re],
    ip_proto: proto,
    community_id: communityId(proto, [o0, o1, o2, o3], origPort, [r0, r1, r2, r3], respPort, cidSeed),
    direction: localOrig ? (localResp ? 'internal' : 'outbound') : localResp ? 'inbound' : 'external',
  };
  const svc = s.service[f];
  if (svc !== undefined) rec.service = svc;
  const duration = s.lastTs[f] - s.startTs[f];
  if (duration > 0) {
    rec.duration = Math.round(duration * 1e6) / 1e6;
    rec.orig_bytes = origSize;
    rec.resp_bytes = respSize;
  }
  if (history !== '') rec.history = history;
  const tp = s.tunnelParents[f];
  if (tp !== undefined) rec.tunnel_parents = tp.slice();
  const vw = s.vlans[f];
  if (vw !== 0) {
    if (vw >>> 16 !== 0) rec.vlan = (vw >>> 16) - 1;
    if ((vw & 0xffff) !== 0) rec.inner_vlan = (vw & 0xffff) - 1;
  }
  if (interim) rec.interim = true;
  return rec;
}
