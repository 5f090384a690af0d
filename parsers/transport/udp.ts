/** UDP header (RFC 768). Payload length is the IP payload minus 8; the length field is kept too. */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';

export function decodeUdp(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const ipPayloadLen = pkt.ipTotalLen - pkt.ipHdrLen;
  if (ipPayloadLen < 8 || off + 8 > pkt.frameEnd) return Reason.UDP_TRUNCATED;
  pkt.sport = (b[off] << 8) | b[off + 1];
  pkt.dport = (b[off + 2] << 8) | b[off + 3];
  pkt.udpLen = (b[off + 4] << 8) | b[off + 5];
  pkt.payloadOff = off + 8;
  pkt.payloadLen = ipPayloadLen - 8;
  const avail = pkt.l3End - pkt.payloadOff;
  pkt.payloadCapLen = avail < 0 ? 0 : avail < pkt.payloadLen ? avail : pkt.payloadLen;
  return Reason.OK;
}
