/**
 * Ethernet II and the shims a switch or a mirror session stacks between the MAC header and the
 * network layer: 802.1Q / 802.1ad / QinQ VLAN tags, MPLS label stacks, 802.1ah PBB (MAC-in-MAC),
 * Cisco VN-Tag. Returns the EtherType of the network layer (IPv4/IPv6/ARP/…) and leaves its
 * offset in `pkt.l3Off`; a negative return value is `-Reason`.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';

export const ETH_IPV4 = 0x0800;
export const ETH_ARP = 0x0806;
export const ETH_IPV6 = 0x86dd;
export const ETH_VLAN = 0x8100;
export const ETH_QINQ = 0x88a8;
export const ETH_QINQ_OLD = 0x9100;
export const ETH_MPLS = 0x8847;
export const ETH_MPLS_MC = 0x8848;
export const ETH_PBB = 0x88e7;
export const ETH_VNTAG = 0x8926;
export const ETH_ERSPAN_II = 0x88be;
export const ETH_ERSPAN_III = 0x22eb;
export const ETH_TEB = 0x6558;
export const ETH_PPP_SES = 0x8864;

/** Shims stacked deeper than this are refused (a hostile frame could otherwise loop long). */
const MAX_SHIMS = 8;

/** Decode an Ethernet II header at `off`. */
export function decodeEthernet(pkt: Packet, off: number): number {
  const b = pkt.buf;
  if (off + 14 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
  const type = (b[off + 12] << 8) | b[off + 13];
  return decodeEtherType(pkt, type, off + 14);
}

/**
 * Follow an EtherType through VLAN/MPLS/PBB/VN-Tag shims. `off` is where the payload of `type`
 * starts. Returns the final EtherType (IPv4, IPv6, ARP or something we do not decode).
 */
export function decodeEtherType(pkt: Packet, type: number, off: number): number {
  const b = pkt.buf;
  const end = pkt.frameEnd;
  for (let depth = 0; depth < MAX_SHIMS; depth++) {
    switch (type) {
      case ETH_IPV4:
      case ETH_IPV6:
      case ETH_ARP:
        pkt.l3Off = off;
        return type;
      case ETH_VLAN:
      case ETH_QINQ:
      case ETH_QINQ_OLD: {
        if (off + 4 > end) return -Reason.LINK_TRUNCATED;
        const vid = ((b[off] << 8) | b[off + 1]) & 0x0fff;
        if (pkt.vlan < 0) pkt.vlan = vid;
        else if (pkt.innerVlan < 0) pkt.innerVlan = vid;
        type = (b[off + 2] << 8) | b[off + 3];
        off += 4;
        break;
      }
      case ETH_MPLS:
      case ETH_MPLS_MC: {
        // Labels until the bottom-of-stack bit; the payload carries no type, so guess it
        // from the IP version nibble as Zeek and Suricata do.
        let bos = 0;
        let labels = 0;
        while (bos === 0) {
          if (off + 4 > end) return -Reason.LINK_TRUNCATED;
          bos = b[off + 2] & 0x01;
          off += 4;
          if (++labels > 16) return -Reason.TOO_DEEP;
        }
        pkt.mplsDepth += labels;
        if (off >= end) return -Reason.LINK_TRUNCATED;
        const nib = b[off] >> 4;
        if (nib === 4) type = ETH_IPV4;
        else if (nib === 6) type = ETH_IPV6;
        else if (nib === 0) {
          // Pseudowire control word (RFC 4385) followed by an Ethernet frame.
          if (off + 4 + 14 > end) return -Reason.LINK_TRUNCATED;
          off += 4;
          type = (b[off + 12] << 8) | b[off + 13];
          off += 14;
        } else return -Reason.ETHERTYPE_UNSUPPORTED;
        break;
      }
      case ETH_PBB: {
        // 802.1ah I-TAG (4 bytes) followed by the customer MAC header.
        if (off + 4 + 14 > end) return -Reason.LINK_TRUNCATED;
        off += 4;
        type = (b[off + 12] << 8) | b[off + 13];
        off += 14;
        break;
      }
      case ETH_VNTAG: {
        if (off + 6 > end) return -Reason.LINK_TRUNCATED;
        type = (b[off + 4] << 8) | b[off + 5];
        off += 6;
        break;
      }
      case ETH_PPP_SES: {
        // PPPoE session: 6-byte header + 2-byte PPP protocol.
        if (off + 8 > end) return -Reason.LINK_TRUNCATED;
        const proto = (b[off + 6] << 8) | b[off + 7];
        off += 8;
        if (proto === 0x0021) type = ETH_IPV4;
        else if (proto === 0x0057) type = ETH_IPV6;
        else return -Reason.ETHERTYPE_UNSUPPORTED;
        break;
      }
      default:
        pkt.l3Off = off;
        return type;
    }
  }
  return -Reason.TOO_DEEP;
}
