/**
 * Link-layer dispatch by LINKTYPE number (https://www.tcpdump.org/linktypes.html).
 * Returns the network-layer EtherType with `pkt.l3Off` set, or `-Reason`.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';
import { decodeEthernet, decodeEtherType } from './ethernet.js';
import { decodeSll, decodeSll2 } from './linux-sll.js';
import { decodeNull, decodeRawIp, decodeRawIpv4, decodeRawIpv6 } from './raw.js';
import { decodeNflog } from './nflog.js';
import { decode80211, decodeRadiotap } from './ieee80211.js';

export const LINKTYPE_NULL = 0;
export const LINKTYPE_ETHERNET = 1;
export const LINKTYPE_RAW_OLD1 = 12;
export const LINKTYPE_RAW_OLD2 = 14;
export const LINKTYPE_RAW = 101;
export const LINKTYPE_IEEE802_11 = 105;
export const LINKTYPE_LOOP = 108;
export const LINKTYPE_LINUX_SLL = 113;
export const LINKTYPE_RADIOTAP = 127;
export const LINKTYPE_IPV4 = 228;
export const LINKTYPE_IPV6 = 229;
export const LINKTYPE_NFLOG = 239;
export const LINKTYPE_ETHERNET_MPACKET = 274;
export const LINKTYPE_LINUX_SLL2 = 276;
export const LINKTYPE_DSA_TAG_BRCM = 281;
export const LINKTYPE_DSA_TAG_BRCM_PREPEND = 282;

export function decodeLink(pkt: Packet, linktype: number): number {
  const off = pkt.frameOff;
  switch (linktype) {
    case LINKTYPE_ETHERNET:
      return decodeEthernet(pkt, off);
    case LINKTYPE_LINUX_SLL:
      return decodeSll(pkt, off);
    case LINKTYPE_LINUX_SLL2:
      return decodeSll2(pkt, off);
    case LINKTYPE_RAW:
    case LINKTYPE_RAW_OLD1:
    case LINKTYPE_RAW_OLD2:
      return decodeRawIp(pkt, off);
    case LINKTYPE_IPV4:
      return decodeRawIpv4(pkt, off);
    case LINKTYPE_IPV6:
      return decodeRawIpv6(pkt, off);
    case LINKTYPE_NULL:
    case LINKTYPE_LOOP:
      return decodeNull(pkt, off);
    case LINKTYPE_NFLOG:
      return decodeNflog(pkt, off);
    case LINKTYPE_RADIOTAP:
      return decodeRadiotap(pkt, off);
    case LINKTYPE_IEEE802_11:
      return decode80211(pkt, off);
    case LINKTYPE_ETHERNET_MPACKET: {
      // IEEE 802.3br mPacket: 7-byte preamble + SMD, then an Ethernet frame (with FCS).
      if (off + 8 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
      const smd = pkt.buf[off + 7];
      // Only express frames (SMD-E) and preemptable starts carry a full MAC header.
      if (smd !== 0xd5 && smd !== 0xe6 && smd !== 0x4c && smd !== 0x7f && smd !== 0xb3) {
        return -Reason.ETHERTYPE_UNSUPPORTED;
      }
      return decodeEthernet(pkt, off + 8);
    }
    case LINKTYPE_DSA_TAG_BRCM: {
      // Broadcom switch tag: 4 bytes between the source MAC and the EtherType.
      const b = pkt.buf;
      if (off + 18 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
      return decodeEtherType(pkt, (b[off + 16] << 8) | b[off + 17], off + 18);
    }
    case LINKTYPE_DSA_TAG_BRCM_PREPEND: {
      if (off + 4 + 14 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
      return decodeEthernet(pkt, off + 4);
    }
    default:
      return -Reason.LINK_UNSUPPORTED;
  }
}
