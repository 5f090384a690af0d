/**
 * UDP-borne encapsulations a mirror port delivers: VXLAN (RFC 7348, port 4789), Geneve
 * (RFC 8926, 6081), GTP-U (3GPP TS 29.281, 2152), Teredo (RFC 4380, 3544) and GRE-in-UDP
 * (RFC 8086, 4754). Each returns the encapsulated EtherType with `pkt.l3Off` set, `-Reason` on a
 * broken tunnel header, or NOT_A_TUNNEL when the datagram on that port does not look like the
 * tunnel at all (then it stays an ordinary UDP packet, as in Zeek).
 */
import { Packet, TunnelType } from '../packet.js';
import { Reason } from '../reasons.js';
import { ETH_IPV4, ETH_IPV6, ETH_TEB, decodeEthernet } from '../link/ethernet.js';
import { decodeGre } from './gre.js';

export const NOT_A_TUNNEL = -0x10000;

export const PORT_VXLAN = 4789;
export const PORT_GENEVE = 6081;
export const PORT_GTPU = 2152;
export const PORT_TEREDO = 3544;
export const PORT_GRE_UDP = 4754;

/**
 * Which tunnel a UDP datagram would be: by port, and for Teredo also by content on any port —
 * relays talk to clients from arbitrary ports, and Zeek detects Teredo the same way.
 */
export function udpTunnelType(pkt: Packet): TunnelType {
  const sport = pkt.sport;
  const dport = pkt.dport;
  if (dport === PORT_VXLAN) return TunnelType.VXLAN;
  if (dport === PORT_GENEVE) return TunnelType.GENEVE;
  if (dport === PORT_GTPU || sport === PORT_GTPU) return TunnelType.GTPV1;
  if (dport === PORT_TEREDO || sport === PORT_TEREDO) return TunnelType.TEREDO;
  if (dport === PORT_GRE_UDP) return TunnelType.GRE_UDP;
  if (looksLikeTeredo(pkt)) return TunnelType.TEREDO;
  return TunnelType.NONE;
}

/** Cheap content test: an IPv6 header (possibly behind Teredo's indicator headers) whose payload length accounts for the datagram exactly. */
function looksLikeTeredo(pkt: Packet): boolean {
  const b = pkt.buf;
  let p = pkt.payloadOff;
  const end = pkt.payloadOff + pkt.payloadLen;
  if (end - p < 40 || pkt.l3End < p + 8) return false;
  const first = b[p];
  if (first >> 4 !== 6 && first !== 0) return false;
  if (first === 0) {
    if (b[p + 1] === 0x01) {
      const idLen = b[p + 2];
      const authLen = b[p + 3];
      p += 4 + idLen + authLen + 9;
    }
    if (p + 2 <= pkt.l3End && b[p] === 0 && b[p + 1] === 0) p += 8;
  }
  if (p + 40 > pkt.l3End || b[p] >> 4 !== 6) return false;
  const plen = (b[p + 4] << 8) | b[p + 5];
  if (p + 40 + plen !== end) return false;
  // Off port 3544 demand a Teredo address (2001:0::/32, RFC 4380) on one side: a DNS reply or
  // other datagram that happens to start like an IPv6 header must not become a tunnel.
  return isTeredoAddr(b, p + 8) || isTeredoAddr(b, p + 24);
}

function isTeredoAddr(b: Uint8Array, o: number): boolean {
  return b[o] === 0x20 && b[o + 1] === 0x01 && b[o + 2] === 0x00 && b[o + 3] === 0x00;
}

export function decodeUdpTunnel(pkt: Packet, type: TunnelType, off: number, end: number): number {
  switch (type) {
    case TunnelType.VXLAN: return decodeVxlan(pkt, off, end);
    case TunnelType.GENEVE: return decodeGeneve(pkt, off, end);
    case TunnelType.GTPV1: return decodeGtpU(pkt, off, end);
    case TunnelType.TEREDO: return decodeTeredo(pkt, off, end);
    case TunnelType.GRE_UDP: return decodeGre(pkt, off, end);
    default: return NOT_A_TUNNEL;
  }
}

function decodeVxlan(pkt: Packet, off: number, end: number): number {
  const b = pkt.buf;
  if (off + 8 > end) return NOT_A_TUNNEL;
  if ((b[off] & 0x08) === 0) return NOT_A_TUNNEL; // VNI-valid flag must be set
  if (off + 8 + 14 > end) return -Reason.TUNNEL_TRUNCATED;
  return decodeEthernet(pkt, off + 8);
}

function decodeGeneve(pkt: Packet, off: number, end: number): number {
  const b = pkt.buf;
  if (off + 8 > end) return NOT_A_TUNNEL;
  if (b[off] >> 6 !== 0) return NOT_A_TUNNEL; // version 0 only
  const optLen = (b[off] & 0x3f) << 2;
  const proto = (b[off + 2] << 8) | b[off + 3];
  const p = off + 8 + optLen;
  if (p > end) return -Reason.TUNNEL_TRUNCATED;
  if (proto === ETH_TEB) return decodeEthernet(pkt, p);
  if (proto === ETH_IPV4 || proto === ETH_IPV6) {
    pkt.l3Off = p;
    return proto;
  }
  return -Reason.TUNNEL_UNSUPPORTED;
}

function decodeGtpU(pkt: Packet, off: number, end: number): number {
  const b = pkt.buf;
  if (off + 8 > end) return NOT_A_TUNNEL;
  const flags = b[off];
  if (flags >> 5 !== 1 || (flags & 0x10) === 0) return NOT_A_TUNNEL; // GTPv1, protocol type GTP
  const msgType = b[off + 1];
  let p = off + 8;
  if (flags & 0x07) {
    // Sequence number, N-PDU number and next-extension type are present together.
    if (p + 4 > end) return -Reason.TUNNEL_TRUNCATED;
    let next = b[p + 3];
    p += 4;
    for (let i = 0; next !== 0 && i < 8; i++) {
      if (p + 1 > end) return -Reason.TUNNEL_TRUNCATED;
      const len = b[p] << 2;
      if (len === 0 || p + len > end) return -Reason.TUNNEL_TRUNCATED;
      next = b[p + len - 1];
      p += len;
    }
    if (next !== 0) return -Reason.TOO_DEEP;
  }
  if (msgType !== 0xff) return NOT_A_TUNNEL; // signalling (echo, error indication …), no user packet
  if (p >= end) return -Reason.TUNNEL_TRUNCATED;
  const v = b[p] >> 4;
  pkt.l3Off = p;
  if (v === 4) return ETH_IPV4;
  if (v === 6) return ETH_IPV6;
  return -Reason.TUNNEL_UNSUPPORTED;
}

function decodeTeredo(pkt: Packet, off: number, end: number): number {
  const b = pkt.buf;
  let p = off;
  // Optional authentication (0x0001) and origin indication (0x0000) headers precede IPv6.
  if (p + 2 <= end && b[p] === 0x00 && b[p + 1] === 0x01) {
    if (p + 4 > end) return NOT_A_TUNNEL;
    const idLen = b[p + 2];
    const authLen = b[p + 3];
    p += 4 + idLen + authLen + 8 + 1;
  }
  if (p + 2 <= end && b[p] === 0x00 && b[p + 1] === 0x00) p += 8;
  if (p + 40 > end) return NOT_A_TUNNEL;
  if (b[p] >> 4 !== 6) return NOT_A_TUNNEL;
  // The IPv6 payload length must account exactly for the rest of the datagram, else this is
  // some other protocol that happens to use the port.
  const plen = (b[p + 4] << 8) | b[p + 5];
  const wireEnd = pkt.payloadOff + pkt.payloadLen;
  if (p + 40 + plen !== wireEnd) return NOT_A_TUNNEL;
  pkt.l3Off = p;
  return ETH_IPV6;
}
