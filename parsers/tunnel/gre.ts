/**
 * GRE (RFC 2784/2890), enhanced GRE for PPTP (RFC 2637, version 1 with PPP), and ERSPAN type I,
 * II and III (Cisco's remote SPAN — what a mirror session across the campus delivers).
 * Returns the EtherType of the encapsulated packet with `pkt.l3Off` at its first byte, or
 * `-Reason`. The caller has already recorded the outer header as a tunnel level.
 */
import { Packet, TunnelType } from '../packet.js';
import { Reason } from '../reasons.js';
import { ETH_ERSPAN_II, ETH_ERSPAN_III, ETH_IPV4, ETH_IPV6, ETH_TEB, decodeEthernet } from '../link/ethernet.js';

const GRE_C = 0x8000;
const GRE_R = 0x4000;
const GRE_K = 0x2000;
const GRE_S = 0x1000;
const GRE_A = 0x0080;
const ETH_PPP = 0x880b;

/** Which tunnel type the GRE payload turned out to be (ERSPAN is reported separately). */
export function greTunnelType(pkt: Packet, off: number): TunnelType {
  const b = pkt.buf;
  if (off + 4 > pkt.frameEnd) return TunnelType.GRE;
  const proto = (b[off + 2] << 8) | b[off + 3];
  return proto === ETH_ERSPAN_II || proto === ETH_ERSPAN_III ? TunnelType.ERSPAN : TunnelType.GRE;
}

export function decodeGre(pkt: Packet, off: number, end: number): number {
  const b = pkt.buf;
  if (off + 4 > end) return -Reason.TUNNEL_TRUNCATED;
  const flags = (b[off] << 8) | b[off + 1];
  const version = flags & 0x7;
  const proto = (b[off + 2] << 8) | b[off + 3];
  let p = off + 4;
  if (version === 0) {
    if (flags & GRE_R) return -Reason.TUNNEL_UNSUPPORTED; // RFC 1701 source routing
    if (flags & GRE_C) p += 4;
    if (flags & GRE_K) p += 4;
    if (flags & GRE_S) p += 4;
  } else if (version === 1) {
    // Enhanced GRE (PPTP): key field always present (payload length + call id).
    if (proto !== ETH_PPP) return -Reason.TUNNEL_UNSUPPORTED;
    p += 4;
    if (flags & GRE_S) p += 4;
    if (flags & GRE_A) p += 4;
  } else {
    return -Reason.TUNNEL_UNSUPPORTED;
  }
  if (p > end) return -Reason.TUNNEL_TRUNCATED;

  switch (proto) {
    case ETH_IPV4:
    case ETH_IPV6:
      pkt.l3Off = p;
      return proto;
    case ETH_TEB:
      return decodeEthernet(pkt, p);
    case ETH_ERSPAN_II: {
      // Type I has no sequence number and no ERSPAN header; type II has both (8-byte header).
      if (flags & GRE_S) {
        if (p + 8 > end) return -Reason.TUNNEL_TRUNCATED;
        p += 8;
      }
      return decodeEthernet(pkt, p);
    }
    case ETH_ERSPAN_III: {
      if (p + 12 > end) return -Reason.TUNNEL_TRUNCATED;
      const hasSubheader = (b[p + 11] & 0x01) !== 0;
      p += hasSubheader ? 20 : 12;
      return decodeEthernet(pkt, p);
    }
    case ETH_PPP: {
      // PPP in HDLC-like framing; address/control (ff 03) may be omitted, protocol may be 1 byte.
      if (p + 1 > end) return -Reason.TUNNEL_TRUNCATED;
      if (b[p] === 0xff) {
        // A lone 0xff is a cut address field, not a compressed protocol number.
        if (p + 2 > end) return -Reason.TUNNEL_TRUNCATED;
        if (b[p + 1] === 0x03) p += 2;
      }
      if (p >= end) return -Reason.TUNNEL_TRUNCATED;
      let pppProto: number;
      if (b[p] & 0x01) { pppProto = b[p]; p += 1; } else {
        if (p + 2 > end) return -Reason.TUNNEL_TRUNCATED;
        pppProto = (b[p] << 8) | b[p + 1];
        p += 2;
      }
      pkt.l3Off = p;
      if (pppProto === 0x21) return ETH_IPV4;
      if (pppProto === 0x57) return ETH_IPV6;
      return -Reason.ETHERTYPE_UNSUPPORTED; // LCP, CCP, compressed data …
    }
    default:
      pkt.l3Off = p;
      return -Reason.ETHERTYPE_UNSUPPORTED;
  }
}
