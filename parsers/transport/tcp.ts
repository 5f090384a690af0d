/**
 * TCP header (RFC 9293) with the options the flow engine needs (window scale on SYNs).
 * Payload length comes from the IP lengths, not from what was captured.
 */
import { Packet, TCP_SYN } from '../packet.js';
import { Reason } from '../reasons.js';

export function decodeTcp(pkt: Packet, off: number): number {
  const b = pkt.buf;
  const ipPayloadLen = pkt.ipTotalLen - pkt.ipHdrLen;
  if (ipPayloadLen < 20) return Reason.TCP_TRUNCATED;
  if (off + 20 > pkt.frameEnd) return Reason.TCP_TRUNCATED;
  const hlen = (b[off + 12] >> 4) << 2;
  if (hlen < 20) return Reason.TCP_BAD_HEADER_LEN;
  if (hlen > ipPayloadLen || off + hlen > pkt.frameEnd) return Reason.TCP_TRUNCATED;
  pkt.sport = (b[off] << 8) | b[off + 1];
  pkt.dport = (b[off + 2] << 8) | b[off + 3];
  pkt.seq = ((b[off + 4] << 24) | (b[off + 5] << 16) | (b[off + 6] << 8) | b[off + 7]) >>> 0;
  pkt.ack = ((b[off + 8] << 24) | (b[off + 9] << 16) | (b[off + 10] << 8) | b[off + 11]) >>> 0;
  const flags = b[off + 13];
  pkt.tcpFlags = flags;
  pkt.win = (b[off + 14] << 8) | b[off + 15];
  pkt.tcpHdrLen = hlen;
  pkt.tcpWscale = -1;
  if ((flags & TCP_SYN) !== 0 && hlen > 20) pkt.tcpWscale = windowScale(b, off + 20, off + hlen);
  pkt.payloadOff = off + hlen;
  pkt.payloadLen = ipPayloadLen - hlen;
  const capEnd = pkt.l3End;
  const avail = capEnd - pkt.payloadOff;
  pkt.payloadCapLen = avail < 0 ? 0 : avail < pkt.payloadLen ? avail : pkt.payloadLen;
  return Reason.OK;
}

/** Window-scale option value, -1 when absent or malformed (parsing stops at the first bad length). */
function windowScale(b: Uint8Array, p: number, end: number): number {
  while (p < end) {
    const kind = b[p];
    if (kind === 0) break;
    if (kind === 1) { p++; continue; }
    if (p + 1 >= end) break;
    const len = b[p + 1];
    if (len < 2 || p + len > end) break;
    if (kind === 3 && len >= 3) return b[p + 2];
    p += len;
  }
  return -1;
}
