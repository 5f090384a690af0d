/**
 * IPv4 and IPv6 fragment reassembly with bounded memory.
 *
 * Fragments are rare on a campus network but attackers use them to hide transport headers, so
 * every datagram is rebuilt before its transport header is read. Memory is capped three ways:
 * number of datagrams in progress, total bytes held, and a timeout on capture time; when a cap is
 * hit the oldest datagram is dropped and counted. Overlapping fragments keep the bytes that
 * arrived first (and are counted), so a later fragment cannot rewrite what was already seen.
 *
 * This runs on the dispatching thread, before flow hashing, because a non-first fragment has no
 * ports: the flow (and the worker) is known only once the datagram is whole.
 */
import { Packet } from '../packet.js';
import { Reason } from '../reasons.js';

export interface DefragLimits {
  /** Datagrams in progress at once. */
  maxDatagrams: number;
  /** Bytes of fragment payload held in total. */
  maxBytes: number;
  /** Seconds (capture time) after the first fragment before an incomplete datagram is dropped. */
  timeout: number;
}

export const DEFAULT_DEFRAG_LIMITS: DefragLimits = { maxDatagrams: 4096, maxBytes: 32 << 20, timeout: 30 };

const MAX_DATAGRAM = 65535 + 40;

interface Pending {
  key: string;
  firstTs: number;
  /** Copy of the header bytes of the offset-0 fragment (IP header incl. unfragmentable part). */
  header: Uint8Array | null;
  /** For IPv6: offset within `header` of the next-header byte that names the fragment header. */
  nhOff: number;
  /** Protocol after the fragment header (IPv6) or IPv4 protocol. */
  proto: number;
  version: number;
  /** Total payload length once the last fragment (MF=0) was seen, else -1. */
  total: number;
  /** Fragment payload pieces, sorted by offset; non-overlapping after trimming. */
  pieces: { off: number; data: Uint8Array }[];
  bytes: number;
}

export class Defragmenter {
  readonly limits: DefragLimits;
  private readonly pending = new Map<string, Pending>();
  private held = 0;
  /** Counters by outcome (Reason values), read by the dispatcher for metrics. */
  readonly counts = new Float64Array(Reason.COUNT);
  reassembled = 0;

  constructor(limits: Partial<DefragLimits> = {}) {
    this.limits = { ...DEFAULT_DEFRAG_LIMITS, ...limits };
  }

  get datagramsInProgress(): number {
    return this.pending.size;
  }

  get bytesHeld(): number {
    return this.held;
  }

  /**
   * Add the fragment currently decoded in `pkt` (IP layer decoded, `isFragment` set). Returns a
   * complete, self-contained IP datagram when this fragment completes one, else null.
   */
  add(pkt: Packet, ts: number): Uint8Array | null {
    this.expire(ts);
    const b = pkt.buf;
    const key = this.keyOf(pkt);
    // Payload of this fragment per the IP header (wire), limited to what was captured.
    const start = pkt.fragPayloadOff;
    const wireEnd = pkt.l3Off + pkt.ipTotalLen;
    const capEnd = pkt.l3End;
    const len = wireEnd - start;
    if (len < 0 || capEnd < wireEnd) {
      // Checked before any state exists, so a stream of broken fragments holds no memory.
      this.counts[Reason.FRAGMENT_BAD]++;
      return null;
    }
    const off = pkt.fragOffset;
    let d = this.pending.get(key);
    if (off + len > MAX_DATAGRAM || (pkt.moreFragments && (len & 7) !== 0)) {
      this.counts[Reason.FRAGMENT_BAD]++;
      if (d !== undefined) this.remove(d);
      return null;
    }
    if (d === undefined) {
      if (this.pending.size >= this.limits.maxDatagrams) this.dropOldest(Reason.FRAGMENT_LIMIT);
      d = {
        key, firstTs: ts, header: null, nhOff: 0, proto: pkt.ipProto, version: pkt.ipVersion,
        total: -1, pieces: [], bytes: 0,
      };
      this.pending.set(key, d);
    }
    if (off === 0 && d.header === null) {
      // IPv6: keep the unfragmentable part but not the 8-byte fragment header itself.
      d.header = b.slice(pkt.l3Off, pkt.ipVersion === 6 ? start - 8 : start);
      d.nhOff = pkt.ipVersion === 6 ? pkt.fragNextHdr - pkt.l3Off : 0;
      d.proto = pkt.ipProto;
    }
    if (!pkt.moreFragments) {
      const total = off + len;
      if (d.total >= 0 && d.total !== total) {
        this.counts[Reason.FRAGMENT_BAD]++;
        this.remove(d);
        return null;
      }
      d.total = total;
    }
    this.insertPiece(d, off, b, start, len);
    while (this.held > this.limits.maxBytes && this.pending.size > 0) this.dropOldest(Reason.FRAGMENT_LIMIT);
    if (!this.pending.has(key)) return null;
    return this.tryComplete(d);
  }

  /** Drop datagrams whose first fragment is older than the timeout (capture time). */
  expire(now: number): void {
    for (const d of this.pending.values()) {
      if (now - d.firstTs <= this.limits.timeout) break; // Map keeps insertion order: oldest first
      this.counts[Reason.FRAGMENT_TIMEOUT]++;
      this.remove(d);
    }
  }

  private keyOf(pkt: Packet): string {
    // Fragments of one datagram share addresses, id and (IPv4) protocol (RFC 791 / 8200).
    return `${pkt.ipVersion}|${pkt.src0},${pkt.src1},${pkt.src2},${pkt.src3}|${pkt.dst0},${pkt.dst1},${pkt.dst2},${pkt.dst3}|${pkt.fragId}|${pkt.ipVersion === 4 ? pkt.ipProto : 0}|${pkt.vlan}`;
  }

  private insertPiece(d: Pending, off: number, b: Uint8Array, start: number, len: number): void {
    let lo = off;
    const hi = off + len;
    // Trim the new piece against existing ones: earlier bytes win.
    const add: { off: number; data: Uint8Array }[] = [];
    for (const p of d.pieces) {
      const pEnd = p.off + p.data.length;
      if (pEnd <= lo || p.off >= hi) continue;
      this.counts[Reason.FRAGMENT_OVERLAP]++;
      if (p.off > lo) add.push({ off: lo, data: b.slice(start + (lo - off), start + (p.off - off)) });
      lo = pEnd > lo ? pEnd : lo;
      if (lo >= hi) break;
    }
    if (lo < hi) add.push({ off: lo, data: b.slice(start + (lo - off), start + (hi - off)) });
    for (const a of add) {
      d.pieces.push(a);
      d.bytes += a.data.length;
      this.held += a.data.length;
    }
    d.pieces.sort((x, y) => x.off - y.off);
  }

  private tryComplete(d: Pending): Uint8Array | null {
    if (d.total < 0 || d.header === null) return null;
    let covered = 0;
    for (const p of d.pieces) {
      if (p.off > covered) return null;
      const e = p.off + p.data.length;
      if (e > covered) covered = e;
    }
    if (covered < d.total) return null;
    const h = d.header;
    // The rebuilt header's 16-bit length must describe the datagram: IPv4 total length counts
    // the header, IPv6 payload length the unfragmentable extension headers. A larger one
    // ("ping of death") is hostile and would wrap the length field.
    if (h.length + d.total > (d.version === 4 ? 65535 : 65535 + 40)) {
      this.counts[Reason.FRAGMENT_BAD]++;
      this.remove(d);
      return null;
    }
    const out = new Uint8Array(h.length + d.total);
    out.set(h, 0);
    for (const p of d.pieces) {
      const n = Math.min(p.data.length, d.total - p.off);
      if (n > 0) out.set(p.data.subarray(0, n), h.length + p.off);
    }
    if (d.version === 4) {
      const tl = out.length;
      out[2] = tl >> 8; out[3] = tl & 0xff;
      out[6] = 0; out[7] = 0; // clear MF and offset (keep nothing of DF: the datagram is whole)
      out[10] = 0; out[11] = 0; // header checksum no longer meaningful
    } else {
      const plen = out.length - 40;
      out[4] = plen >> 8; out[5] = plen & 0xff;
      // The header that named the fragment header now names what followed it.
      out[d.nhOff] = d.proto;
    }
    this.remove(d);
    this.reassembled++;
    return out;
  }

  private dropOldest(reason: Reason): void {
    const first = this.pending.values().next();
    if (first.done) return;
    this.counts[reason]++;
    this.remove(first.value);
  }

  private remove(d: Pending): void {
    this.held -= d.bytes;
    this.pending.delete(d.key);
  }
}
