/**
 * Length-framed PDU splitter for one direction of a byte stream (SMB/NetBIOS, DCE-RPC,
 * Kerberos record marking, LDAP BER, DICOM PDUs).
 *
 * Why: every TCP parser here faces the same three problems — PDUs split across segments,
 * several PDUs in one segment, and bulk PDUs (an SMB READ of 1 MiB, a DICOM P-DATA fragment)
 * whose body the parser does not need. The framer asks the protocol for the PDU length and for
 * how many leading bytes it wants; it hands over exactly that prefix (zero-copy when the prefix
 * is contiguous in the input, else from a bounded buffer) and skips the rest without buffering.
 * Lost bytes that fall inside a skipped body cost nothing; a loss anywhere else desynchronises
 * the direction until the protocol's optional `resync` finds a plausible header again.
 */

export interface Framer {
  /** Bytes needed before `wanted` can decide (e.g. transport header + protocol header). */
  readonly peek: number;
  /**
   * Length of the PDU starting at b[off] given `avail` readable bytes: > 0 total bytes,
   * 0 if more bytes are needed to tell, -1 if this is not a valid PDU header (desync).
   */
  frameLength(b: Uint8Array, off: number, avail: number): number;
  /** How many leading bytes (≤ total) of this PDU the parser wants; b holds ≥ min(total, peek). */
  wanted(b: Uint8Array, off: number, avail: number, total: number): number;
  /** One PDU, or its first `len` bytes when `len < total`. `b` is only valid during the call. */
  onPdu(b: Uint8Array, off: number, len: number, total: number, ts: number): void;
  /** After a desync: offset in [off, off+len) where a PDU plausibly starts, or -1. */
  resync?(b: Uint8Array, off: number, len: number): number;
}

/** Counters a stream keeps for its owner (reported through the session's counters). */
export interface PduStreamStats {
  pdus: number;
  truncated: number;
  desyncs: number;
  resyncs: number;
}

export class PduStream implements PduStreamStats {
  pdus = 0;
  truncated = 0;
  desyncs = 0;
  resyncs = 0;
  /** True while desynchronised (waiting for `resync`, or for good if the framer has none). */
  broken = false;

  private buf: Uint8Array | null = null;
  private have = 0;
  private total = -1;
  private want = 0;
  private skip = 0;

  /**
   * @param f the protocol
   * @param cap most bytes of one PDU ever held (wanted prefixes are clamped to it)
   * @param maxHeader most bytes `frameLength` may need before it must decide
   */
  constructor(
    private readonly f: Framer,
    private readonly cap: number,
    private readonly maxHeader: number,
  ) {}

  /** Bytes currently held (for memory accounting). */
  get buffered(): number {
    return this.buf ? this.buf.length : 0;
  }

  push(b: Uint8Array, off: number, len: number, ts: number): void {
    const end = off + len;
    const f = this.f;
    while (off < end) {
      if (this.skip > 0) {
        const n = Math.min(this.skip, end - off);
        this.skip -= n;
        off += n;
        continue;
      }
      if (this.broken) {
        if (!f.resync) return;
        const r = f.resync(b, off, end - off);
        if (r < off || r >= end) return;
        off = r;
        this.broken = false;
        this.resyncs++;
        continue;
      }
      if (this.have === 0) {
        // Fast path: frame straight from the input.
        const avail = end - off;
        const t = f.frameLength(b, off, avail);
        if (t < 0) {
          this.desync();
          continue;
        }
        if (t > 0 && avail >= Math.min(t, f.peek)) {
          const w = this.clampWant(f.wanted(b, off, avail, t), t);
          if (avail >= w) {
            this.deliver(b, off, w, t, ts);
            const c = Math.min(t, avail);
            off += c;
            this.skip = t - c;
            continue;
          }
          this.total = t;
          this.want = w;
        } else if (t > 0) {
          this.total = t;
          this.want = -1; // decide after `peek` bytes
        }
        const lim = this.total > 0 ? (this.want > 0 ? this.want : Math.min(this.total, f.peek)) : this.maxHeader;
        const n = Math.min(avail, lim);
        this.append(b, off, n);
        off += n;
        continue;
      }
      // Buffered path.
      if (this.total < 0) {
        const n = Math.min(end - off, this.maxHeader - this.have);
        this.append(b, off, n);
        off += n;
        const buf = this.buf!;
        const t = f.frameLength(buf, 0, this.have);
        if (t < 0) {
          this.have = 0;
          this.desync();
          continue;
        }
        if (t === 0) {
          if (this.have >= this.maxHeader) {
            this.have = 0;
            this.desync();
          }
          continue;
        }
        this.total = t;
        this.want = -1;
        // We may hold bytes beyond this PDU (short PDU, header-sized read): hand them back.
        if (this.have > t) {
          const extra = this.have - t;
          off -= extra;
          this.have = t;
        }
      } else {
        const lim = this.want > 0 ? this.want : Math.min(this.total, f.peek);
        const n = Math.min(end - off, lim - this.have);
        this.append(b, off, n);
        off += n;
      }
      const buf = this.buf!;
      if (this.want < 0) {
        if (this.have < Math.min(this.total, f.peek)) continue;
        this.want = this.clampWant(f.wanted(buf, 0, this.have, this.total), this.total);
      }
      if (this.have >= this.want) {
        const t = this.total;
        const got = this.have;
        this.have = 0;
        this.total = -1;
        this.skip = t - got;
        this.deliver(buf, 0, this.want, t, ts);
        if (buf.length > 16384) this.buf = null; // do not keep a large buffer around idle
      }
    }
  }

  /** `len` bytes of this direction were lost. */
  gap(len: number): void {
    if (this.skip >= len && this.have === 0) {
      this.skip -= len; // inside a body we skip anyway
      return;
    }
    this.have = 0;
    this.total = -1;
    this.skip = 0;
    this.desync();
  }

  private desync(): void {
    if (!this.broken) this.desyncs++;
    this.broken = true;
  }

  private clampWant(w: number, t: number): number {
    if (!(w >= 1)) w = 1;
    if (w > t) w = t;
    if (w > this.cap) w = this.cap;
    return w;
  }

  private deliver(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    this.pdus++;
    if (len < total) this.truncated++;
    this.f.onPdu(b, off, len, total, ts);
  }

  private append(b: Uint8Array, off: number, n: number): void {
    if (n <= 0) return;
    const need = this.have + n;
    let buf = this.buf;
    if (!buf || buf.length < need) {
      let size = buf ? buf.length * 2 : 256;
      while (size < need) size *= 2;
      if (size > this.cap && need <= this.cap) size = this.cap;
      if (size < need) size = need; // cannot happen: callers never exceed cap or maxHeader
      const nb = new Uint8Array(size);
      if (buf && this.have > 0) nb.set(buf.subarray(0, this.have));
      buf = this.buf = nb;
    }
    buf.set(b.subarray(off, off + n), this.have);
    this.have = need;
  }
}
