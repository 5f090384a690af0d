/**
 * ARP (RFC 826) over Ethernet/IPv4: validated and counted; no flow record (Zeek's conn.log has
 * none either). Kept as its own layer so asset inventory can use it later.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';

export function decodeArp(pkt: Packet, off: number): number {
  const b = pkt.buf;
  if (off + 8 > pkt.frameEnd) return Reason.ARP_TRUNCATED;
  const hlen = b[off + 4];
  const plen = b[off + 5];
  if (off + 8 + 2 * (hlen + plen) > pkt.frameEnd) return Reason.ARP_TRUNCATED;
  return Reason.NON_IP;
}
