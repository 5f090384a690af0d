/**
 * The unit of work between capture and decoding: many packets in one buffer plus an index.
 *
 * Every packet source (pcap/pcapng file reader, live libpcap capture) fills this same layout,
 * so the dispatcher and the workers never care where packets came from. Packet bytes stay where
 * the source put them (a SharedArrayBuffer chunk); the index says where each packet starts.
 * Nothing on this path creates an object per packet.
 */

/** Words per packet in {@link PacketBatch.meta}. */
export const META_WORDS = 4;
/** meta[i*4 + META_OFF]: byte offset of the packet's first (link-layer) byte inside `data`. */
export const META_OFF = 0;
/** meta[i*4 + META_CAPLEN]: bytes captured (present in `data`). */
export const META_CAPLEN = 1;
/** meta[i*4 + META_WIRELEN]: original length on the wire (may exceed caplen: snaplen cut). */
export const META_WIRELEN = 2;
/** meta[i*4 + META_LINK]: link type (DLT/LINKTYPE number) in the low 16 bits, interface index in the high 16 bits. */
export const META_LINK = 3;

export interface PacketBatch {
  /** Packet bytes. A SharedArrayBuffer so several workers can read one chunk without copies. */
  data: SharedArrayBuffer;
  /** Packets in this batch. */
  count: number;
  /** Capture timestamp per packet, seconds since the epoch as a double (Zeek's `network_time` is a double too). */
  ts: Float64Array;
  /** META_WORDS words per packet, see the META_* constants. */
  meta: Uint32Array;
}

export function linkTypeOf(metaWord: number): number {
  return metaWord & 0xffff;
}

export function interfaceOf(metaWord: number): number {
  return metaWord >>> 16;
}
