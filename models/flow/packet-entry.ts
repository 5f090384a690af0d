/**
 * The packet entry: what the dispatching thread has already decoded about one packet (flow key
 * and its hash, transport fields, payload offsets), in a row of 32-bit words. Shard workers read
 * flows' updates from it instead of decoding headers a second time; the packet bytes themselves
 * stay in the shared capture chunk.
 */
import type { Packet } from '../../parsers/packet.js';
import { hashFlowKey, writeFlowKey } from './flow-key.js';

/** Words per packet entry. */
export const ENT_WORDS = 26;
/** Offset of the IP header (in `data`, or in `side` when INFO_IN_SIDE is set). */
export const ENT_L3_OFF = 0;
/** Bytes captured from the IP header on. */
export const ENT_L3_CAPLEN = 1;
/** Bytes on the wire from the IP header on. */
export const ENT_L3_WIRELEN = 2;
export const ENT_INFO = 3;
/** (vlan+1) << 16 | (inner_vlan+1), 0 when untagged (reported even when not part of the key). */
export const ENT_VLAN = 4;
/** Tunnel uid references: parent index+1 in the low 16 bits, own uid index+1 in the high 16. */
export const ENT_TUNNEL = 5;
/** The flow key (KEY_WORDS words, see models/flow/flow-key.ts). */
export const ENT_KEY = 6;
/** Hash of the key. */
export const ENT_HASH = 17;
/** TCP flags (bits 0-7), ICMP type (8-15), ICMP code (16-23). */
export const ENT_FLAGS = 18;
export const ENT_SEQ = 19;
export const ENT_ACK = 20;
export const ENT_WIN = 21;
/** Transport payload length per the IP header (wire). */
export const ENT_PAYLOAD_LEN = 22;
/** Transport payload bytes present in the capture. */
export const ENT_PAYLOAD_CAPLEN = 23;
/** Zeek's IP_Hdr::TotalLen(). */
export const ENT_IP_LEN = 24;
/** Offset of the transport payload (same buffer as the IP header). */
export const ENT_PAYLOAD_OFF = 25;

export const INFO_V4 = 0x1;
export const INFO_V6 = 0x2;
/** The packet bytes are in the task's side buffer (a reassembled datagram). */
export const INFO_IN_SIDE = 0x4;
/** Outer UDP header of a tunnel: this entry accounts the outer flow only. */
export const INFO_OUTER_ONLY = 0x8;
/** The sender is side A of the key. */
export const INFO_SRC_IS_A = 0x20;
/** UDP length field in bits 16-31 (what Zeek counts as UDP payload). */
export const INFO_UDPLEN_SHIFT = 16;

/**
 * Write the entry for `pkt` at `e[o …]`. `base` is added to the packet's offsets (non-zero when
 * the bytes are copied into a side buffer). Returns the key hash as a signed int32 (see
 * hashFlowKey; `>>> 0` gives the unsigned value that picks the shard).
 */
export function writeEntry(pkt: Packet, e: Uint32Array, o: number, base: number, info: number,
  vlanWord: number, vlanInKey: boolean, tref: number): number {
  const srcIsA = writeFlowKey(pkt, e, o + ENT_KEY, vlanInKey ? vlanWord : 0);
  const h = hashFlowKey(e, o + ENT_KEY);
  const l3 = pkt.l3Off;
  e[o + ENT_L3_OFF] = base + l3;
  e[o + ENT_L3_CAPLEN] = pkt.frameEnd - l3;
  e[o + ENT_L3_WIRELEN] = pkt.wirelen - (l3 - pkt.frameOff);
  e[o + ENT_INFO] = info | (pkt.ipVersion === 4 ? INFO_V4 : INFO_V6) | (srcIsA ? INFO_SRC_IS_A : 0) |
    ((pkt.udpLen & 0xffff) << INFO_UDPLEN_SHIFT);
  e[o + ENT_VLAN] = vlanWord;
  e[o + ENT_TUNNEL] = tref;
  e[o + ENT_HASH] = h;
  e[o + ENT_FLAGS] = pkt.tcpFlags | (pkt.icmpType << 8) | (pkt.icmpCode << 16);
  e[o + ENT_SEQ] = pkt.seq;
  e[o + ENT_ACK] = pkt.ack;
  e[o + ENT_WIN] = pkt.win;
  e[o + ENT_PAYLOAD_LEN] = pkt.payloadLen;
  e[o + ENT_PAYLOAD_CAPLEN] = pkt.payloadCapLen;
  e[o + ENT_IP_LEN] = pkt.ipTotalLen;
  e[o + ENT_PAYLOAD_OFF] = base + pkt.payloadOff;
  return h;
}
