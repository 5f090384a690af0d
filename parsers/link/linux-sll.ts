/**
 * Linux "cooked" capture headers (LINKTYPE_LINUX_SLL 113 and LINUX_SLL2 276), what `tcpdump -i any`
 * writes. Both carry the protocol as an EtherType, or an ARPHRD-dependent value we skip.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';
import { decodeEtherType } from './ethernet.js';

/** SLL: pkttype(2) hatype(2) halen(2) addr(8) protocol(2) = 16 bytes. */
export function decodeSll(pkt: Packet, off: number): number {
  const b = pkt.buf;
  if (off + 16 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
  const proto = (b[off + 14] << 8) | b[off + 15];
  return sllProtocol(pkt, proto, off + 16);
}

/** SLL2: protocol(2) reserved(2) ifindex(4) hatype(2) pkttype(1) halen(1) addr(8) = 20 bytes. */
export function decodeSll2(pkt: Packet, off: number): number {
  const b = pkt.buf;
  if (off + 20 > pkt.frameEnd) return -Reason.LINK_TRUNCATED;
  const proto = (b[off] << 8) | b[off + 1];
  return sllProtocol(pkt, proto, off + 20);
}

function sllProtocol(pkt: Packet, proto: number, off: number): number {
  // Values below 0x0600 are not EtherTypes (802.2 LLC, Novell raw, CAN …).
  if (proto < 0x0600) return -Reason.ETHERTYPE_UNSUPPORTED;
  return decodeEtherType(pkt, proto, off);
}
