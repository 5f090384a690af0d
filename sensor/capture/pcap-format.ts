/**
 * Classic libpcap files: both byte orders, microsecond (a1b2c3d4) and nanosecond (a1b23c4d)
 * magic. Damaged files are handled the way an analyst needs: a record header with an impossible
 * length starts a bounded search for the next plausible record (two consecutive sane headers),
 * a record cut by the end of the file is counted and dropped (as libpcap does), and nothing is
 * ever allocated from a length read out of the file.
 */
import { CaptureDamage } from './damage.js';
import type { FormatParser, ParseProgress, RecordSink } from './record-sink.js';

/** libpcap's MAXIMUM_SNAPLEN: no legitimate record is longer. */
export const MAX_CAPLEN = 262144;
/** How far the reader searches for the next plausible record after a bad header. */
export const RESYNC_WINDOW = 1 << 20;
/** Wire lengths beyond this are implausible even for TSO/jumbo captures. */
const MAX_WIRELEN = 1 << 24;

const LT_FCS_PRESENT = 0x04000000;

export function isPcapMagic(b: Uint8Array): boolean {
  if (b.length < 4) return false;
  const m = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
  return m === 0xa1b2c3d4 || m === 0xd4c3b2a1 || m === 0xa1b23c4d || m === 0x4d3cb2a1;
}

export class PcapParser implements FormatParser {
  /**
   * A record, or a resynchronisation candidate with the header that confirms it. The search
   * itself consumes the garbage it has ruled out, so it never needs the whole RESYNC_WINDOW in
   * one window (the reader's chunks may be smaller than that).
   */
  readonly maxRecordBytes = 2 * 16 + MAX_CAPLEN;
  /** Searching for the next plausible record after damage; `resyncSkipped` bytes ruled out so far. */
  private resyncing = false;
  private resyncSkipped = 0;
  private haveHeader = false;
  private le = true;
  private fracDiv = 1e6;
  private linkWord = 1;
  private fcsBytes = 0;
  private lastSec = -1;
  /** The header's snaplen when it is sane, else MAX_CAPLEN (used only to judge resync candidates). */
  private snaplen = MAX_CAPLEN;
  linktype = -1;

  constructor(
    private readonly file: string,
    private readonly damage: CaptureDamage,
    /** Interface index to put in the packet index (files are numbered in reading order). */
    private readonly ifaceIndex: number,
  ) {}

  parse(buf: Uint8Array, pos: number, end: number, eof: boolean, sink: RecordSink): ParseProgress {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    if (!this.haveHeader) {
      if (end - pos < 24) {
        if (eof) {
          this.damage.unreadableFiles++;
          this.damage.note(this.file, 'file shorter than a pcap header');
          return { pos: end, skip: 0, stop: true };
        }
        return { pos, skip: 0, stop: false };
      }
      const m = dv.getUint32(pos, false);
      if (m === 0xa1b2c3d4 || m === 0xa1b23c4d) this.le = false;
      else if (m === 0xd4c3b2a1 || m === 0x4d3cb2a1) this.le = true;
      else {
        this.damage.unreadableFiles++;
        this.damage.note(this.file, 'not a pcap file (bad magic)');
        return { pos: end, skip: 0, stop: true };
      }
      this.fracDiv = m === 0xa1b23c4d || m === 0x4d3cb2a1 ? 1e9 : 1e6;
      const lt = dv.getUint32(pos + 20, this.le);
      const reserved = (lt & 0x03ff0000) !== 0 || ((lt & 0xf0000000) !== 0 && (lt & LT_FCS_PRESENT) === 0);
      if (reserved) {
        this.damage.linktypeUpperBits++;
        this.damage.note(this.file, `link-type field 0x${lt.toString(16)} has reserved bits set; using ${lt & 0xffff}`);
      }
      this.linktype = lt & 0xffff;
      this.fcsBytes = lt & LT_FCS_PRESENT ? (lt >>> 28) * 2 : 0;
      this.linkWord = (this.linktype | (this.ifaceIndex << 16)) >>> 0;
      const snap = dv.getUint32(pos + 16, this.le);
      this.snaplen = snap >= 64 && snap <= MAX_CAPLEN ? snap : MAX_CAPLEN;
      this.haveHeader = true;
      pos += 24;
    }

    const le = this.le;
    while (!sink.full) {
      if (this.resyncing) {
        const r = this.continueResync(dv, pos, end, eof);
        if (r.stop || this.resyncing) return r;
        pos = r.pos;
        continue;
      }
      const avail = end - pos;
      if (avail < 16) {
        if (eof) {
          if (avail > 0) {
            this.damage.truncatedRecords++;
            this.damage.note(this.file, `file ends inside a record header (${avail} bytes)`);
          }
          return { pos: end, skip: 0, stop: true };
        }
        break;
      }
      const sec = dv.getUint32(pos, le);
      const frac = dv.getUint32(pos + 4, le);
      const caplen = dv.getUint32(pos + 8, le);
      const wirelen = dv.getUint32(pos + 12, le);
      if (caplen > MAX_CAPLEN || wirelen > MAX_WIRELEN) {
        // Counted once here; the search below may span several windows.
        this.damage.badRecordHeaders++;
        this.damage.note(this.file, `record header with caplen ${caplen}, wire length ${wirelen}: searching for the next record`);
        this.resyncing = true;
        this.resyncSkipped = 1;
        pos += 1;
        continue;
      }
      if (avail < 16 + caplen) {
        if (eof) {
          this.damage.truncatedRecords++;
          this.damage.note(this.file, `last record cut: header says ${caplen} bytes, file holds ${avail - 16}`);
          return { pos: end, skip: 0, stop: true };
        }
        break;
      }
      if (frac >= this.fracDiv) this.damage.badTimestamps++;
      let cap = caplen;
      if (this.fcsBytes > 0 && cap === wirelen && cap >= this.fcsBytes) cap -= this.fcsBytes;
      sink.add(pos + 16, cap, wirelen, this.linkWord, sec + frac / this.fracDiv);
      this.lastSec = sec;
      pos += 16 + caplen;
    }
    return { pos, skip: 0, stop: false };
  }

  /**
   * Is there a plausible record header at `q`? Stricter than the normal path: after damage the
   * bytes are suspect, so a candidate must look like a record of this very capture (length within
   * the snaplen, wire length at least the captured length, time within a day of the last record).
   */
  private plausible(dv: DataView, q: number): boolean {
    const le = this.le;
    const sec = dv.getUint32(q, le);
    const frac = dv.getUint32(q + 4, le);
    const caplen = dv.getUint32(q + 8, le);
    const wirelen = dv.getUint32(q + 12, le);
    if (caplen > this.snaplen || wirelen > MAX_WIRELEN || caplen < 14) return false;
    if (frac >= this.fracDiv) return false;
    if (caplen > wirelen) return false;
    if (this.lastSec >= 0 && Math.abs(sec - this.lastSec) > 86400) return false;
    return true;
  }

  private resyncFound(q: number, pos: number): ParseProgress {
    this.damage.resyncs++;
    this.damage.bytesSkipped += this.resyncSkipped + (q - pos);
    this.resyncing = false;
    return { pos: q, skip: 0, stop: false };
  }

  /** A candidate that cannot be confirmed in this window: keep it (and what follows) for the next one. */
  private resyncKeep(q: number, pos: number): ParseProgress {
    this.resyncSkipped += q - pos;
    return { pos: q, skip: 0, stop: false };
  }

  /**
   * Search `[pos, end)` for the next plausible record (a sane header followed by another sane
   * header, or by the end of the file). Bytes ruled out are consumed, so the search goes on in
   * the next window without the reader having to hold them; it gives up after RESYNC_WINDOW
   * bytes in total.
   */
  private continueResync(dv: DataView, pos: number, end: number, eof: boolean): ParseProgress {
    const budget = RESYNC_WINDOW - this.resyncSkipped;
    const limit = Math.min(end - 16, pos + budget - 1);
    let q = pos;
    for (; q <= limit; q++) {
      if (!this.plausible(dv, q)) continue;
      // Two consecutive plausible headers (or one that ends exactly at the end of the file).
      const next = q + 16 + dv.getUint32(q + 8, this.le);
      if (next === end && eof) return this.resyncFound(q, pos);
      if (next + 16 <= end) {
        if (!this.plausible(dv, next)) continue;
        const after = next + 16 + dv.getUint32(next + 8, this.le);
        if ((after === end && eof) || (after + 16 <= end && this.plausible(dv, after))) return this.resyncFound(q, pos);
        if (after + 16 > end && !eof) return this.resyncKeep(q, pos);
        continue;
      }
      if (!eof) return this.resyncKeep(q, pos);
    }
    // Everything before q is ruled out.
    this.resyncSkipped += q - pos;
    if (eof || this.resyncSkipped >= RESYNC_WINDOW) {
      this.resyncing = false;
      this.damage.bytesSkipped += this.resyncSkipped;
      this.damage.abandonedFiles++;
      this.damage.note(this.file, 'no plausible record found after damage: rest of file skipped');
      return { pos: end, skip: 0, stop: true };
    }
    return { pos: q, skip: 0, stop: false };
  }
}
