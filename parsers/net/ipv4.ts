/**
 * IPv4 header (RFC 791). Fills addresses (IPv4-mapped), protocol, lengths and fragment fields.
 * Lengths follow Zeek: the datagram length comes from the header's total length and is checked
 * against the *wire* length (a snaplen-cut packet is still accounted in full); a total length of
 * zero (TCP segmentation offload) falls back to what was captured.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';

export function decodeIpv4(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const capEnd = pkt.frameEnd;
  if (off + 20 > capEnd) return Reason.IPV4_TRUNCATED;
  const vihl = b[off];
  if (vihl >> 4 !== 4) return Reason.IPV4_BAD_VERSION;
  const hlen = (vihl & 0x0f) << 2;
  if (hlen < 20) return Reason.IPV4_BAD_HEADER_LEN;
  if (off + hlen > capEnd) return Reason.IPV4_TRUNCATED;
  let total = (b[off + 2] << 8) | b[off + 3];
  // Bytes of this frame from the IP header on, as they were on the wire.
  const wireAvail = pkt.wirelen - (off - pkt.frameOff);
  if (total === 0) total = capEnd - off; // TSO: length field zeroed by the NIC
  if (total < hlen) return Reason.IPV4_BAD_HEADER_LEN;
  if (total > wireAvail) return Reason.IPV4_BAD_TOTAL_LEN;
  const frag = (b[off + 6] << 8) | b[off + 7];
  pkt.ipVersion = 4;
  pkt.l3Off = off;
  pkt.ipHdrLen = hlen;
  pkt.ipTotalLen = total;
  pkt.ttl = b[off + 8];
  pkt.ipProto = b[off + 9];
  pkt.flowLabel = 0;
  pkt.src0 = 0; pkt.src1 = 0; pkt.src2 = 0xffff;
  pkt.src3 = ((b[off + 12] << 24) | (b[off + 13] << 16) | (b[off + 14] << 8) | b[off + 15]) >>> 0;
  pkt.dst0 = 0; pkt.dst1 = 0; pkt.dst2 = 0xffff;
  pkt.dst3 = ((b[off + 16] << 24) | (b[off + 17] << 16) | (b[off + 18] << 8) | b[off + 19]) >>> 0;
  const fragOffset = (frag & 0x1fff) << 3;
  const mf = (frag & 0x2000) !== 0;
  pkt.isFragment = mf || fragOffset !== 0;
  pkt.fragOffset = fragOffset;
  pkt.moreFragments = mf;
  pkt.fragId = (b[off + 4] << 8) | b[off + 5];
  pkt.fragPayloadOff = off + hlen;
  const end = off + total;
  pkt.l3Truncated = end > capEnd;
  pkt.l3End = end > capEnd ? capEnd : end;
  pkt.l4Off = off + hlen;
  return Reason.OK;
}
