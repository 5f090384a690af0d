/**
 * pcapng (draft-ietf-opsawg-pcapng): sections with their own byte order (SHB), interfaces with
 * their own link type, `if_tsresol` and `if_tsoffset` (IDB), Enhanced, Simple and obsolete Packet
 * Blocks; every other block type is skipped by its length. Interface numbers restart with each
 * section; the packet index gets a global interface number so several sections and files never
 * collide. Damaged block framing starts a bounded search for the next well-formed block.
 */
import { CaptureDamage } from './damage.js';
import { MAX_CAPLEN, RESYNC_WINDOW } from './pcap-format.js';
import type { FormatParser, ParseProgress, RecordSink } from './record-sink.js';

const SHB = 0x0a0d0d0a;
const IDB = 0x00000001;
const PB = 0x00000002;
const SPB = 0x00000003;
const EPB = 0x00000006;
const BOM = 0x1a2b3c4d;
/** Blocks we must hold in memory (SHB/IDB/packet blocks) are never larger than this. */
const MAX_HELD_BLOCK = MAX_CAPLEN + 64 * 1024;
/** Blocks above this are treated as damage rather than skipped. */
const MAX_BLOCK = 256 << 20;

const KNOWN_TYPES = new Set([SHB, IDB, PB, SPB, 4, 5, EPB, 7, 8, 9, 10, 0x0bad, 0x40000bad]);

export function isPcapngMagic(b: Uint8Array): boolean {
  return b.length >= 4 && b[0] === 0x0a && b[1] === 0x0d && b[2] === 0x0d && b[3] === 0x0a;
}

interface Iface {
  linkWord: number;
  snaplen: number;
  /** Timestamp units per second when the resolution is a power of ten (exact split), else 0. */
  unitsPerSecDec: number;
  /** Units per second for power-of-two resolutions. */
  unitsPerSecBin: number;
  tsOffset: number;
}

export class PcapngParser implements FormatParser {
  /** The largest block held in one window (a resynchronisation consumes what it rules out). */
  readonly maxRecordBytes = MAX_HELD_BLOCK;
  /** Searching for the next well-formed block after damage; `resyncSkipped` bytes ruled out so far. */
  private resyncing = false;
  private resyncSkipped = 0;
  private le = true;
  private inSection = false;
  private ifaces: Iface[] = [];
  private lastTs = 0;
  /** Link types seen, for the summary. */
  readonly linktypes = new Set<number>();

  constructor(
    private readonly file: string,
    private readonly damage: CaptureDamage,
    /** Allocates global interface numbers (shared across files and sections). */
    private readonly nextIfaceIndex: () => number,
  ) {}

  parse(buf: Uint8Array, pos: number, end: number, eof: boolean, sink: RecordSink): ParseProgress {
    const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
    while (!sink.full) {
      if (this.resyncing) {
        const r = this.continueResync(dv, pos, end, eof);
        if (r.stop || this.resyncing) return r;
        pos = r.pos;
        continue;
      }
      const avail = end - pos;
      if (avail < 12) {
        if (eof) {
          if (avail > 0) {
            this.damage.truncatedRecords++;
            this.damage.note(this.file, `file ends inside a block header (${avail} bytes)`);
          }
          if (!this.inSection && pos === 0) this.unreadable('file too short for a pcapng section header');
          return { pos: end, skip: 0, stop: true };
        }
        break;
      }
      const type = dv.getUint32(pos, this.le);
      if (type === SHB) {
        // The byte-order magic decides how to read this block's length and everything after it.
        const bom = dv.getUint32(pos + 8, false);
        if (bom === BOM) this.le = false;
        else if (bom === 0x4d3c2b1a) this.le = true;
        else {
          if (!this.inSection) return this.unreadable('bad byte-order magic in section header');
          pos = this.startResync(pos);
          continue;
        }
      } else if (!this.inSection) {
        return this.unreadable('first block is not a section header');
      }
      const len = dv.getUint32(pos + 4, this.le);
      if (len < 12 || (len & 3) !== 0 || len > MAX_BLOCK) {
        this.damage.badRecordHeaders++;
        this.damage.note(this.file, `block of type 0x${type.toString(16)} with impossible length ${len}`);
        pos = this.startResync(pos);
        continue;
      }
      const held = type === SHB || type === IDB || type === EPB || type === SPB || type === PB;
      if (!held) {
        // Skip blocks we have no use for by their length, without buffering them.
        if (!KNOWN_TYPES.has(type)) this.damage.unknownBlocks++;
        if (len > avail) {
          if (eof) return this.truncated(end, len, avail);
          return { pos, skip: len, stop: false };
        }
        pos += len;
        continue;
      }
      if (len > MAX_HELD_BLOCK) {
        this.damage.badRecordHeaders++;
        this.damage.note(this.file, `block of type 0x${type.toString(16)} too large (${len} bytes)`);
        pos = this.startResync(pos);
        continue;
      }
      if (len > avail) {
        if (eof) return this.truncated(end, len, avail);
        break;
      }
      if (dv.getUint32(pos + len - 4, this.le) !== len) {
        this.damage.badRecordHeaders++;
        this.damage.note(this.file, `block of type 0x${type.toString(16)}: trailing length differs from leading length`);
        pos = this.startResync(pos);
        continue;
      }
      switch (type) {
        case SHB:
          this.inSection = true;
          this.ifaces = [];
          break;
        case IDB:
          this.addInterface(dv, pos, len);
          break;
        case EPB:
          this.enhancedPacket(dv, pos, len, sink);
          break;
        case SPB:
          this.simplePacket(dv, pos, len, sink);
          break;
        case PB:
          this.obsoletePacket(dv, pos, len, sink);
          break;
      }
      pos += len;
    }
    return { pos, skip: 0, stop: false };
  }

  private unreadable(msg: string): ParseProgress {
    this.damage.unreadableFiles++;
    this.damage.note(this.file, msg);
    return { pos: 0, skip: 0, stop: true };
  }

  private truncated(end: number, len: number, avail: number): ParseProgress {
    this.damage.truncatedRecords++;
    this.damage.note(this.file, `last block cut: length ${len}, file holds ${avail}`);
    return { pos: end, skip: 0, stop: true };
  }

  private addInterface(dv: DataView, pos: number, len: number): void {
    const linktype = dv.getUint16(pos + 8, this.le);
    const snaplen = dv.getUint32(pos + 12, this.le);
    let unitsDec = 1e6;
    let unitsBin = 0;
    let tsOffset = 0;
    // Options: code(2) length(2) value padded to 4 bytes; opt_endofopt (0) ends the list.
    let p = pos + 16;
    const optEnd = pos + len - 4;
    while (p + 4 <= optEnd) {
      const code = dv.getUint16(p, this.le);
      const olen = dv.getUint16(p + 2, this.le);
      if (code === 0) break;
      if (p + 4 + olen > optEnd) break;
      if (code === 9 && olen >= 1) {
        const r = dv.getUint8(p + 4);
        const exp = r & 0x7f;
        if (r & 0x80) { unitsBin = 2 ** exp; unitsDec = 0; } else { unitsDec = 10 ** exp; unitsBin = 0; }
      } else if (code === 14 && olen >= 8) {
        tsOffset = Number(dv.getBigInt64(p + 4, this.le));
      }
      p += 4 + ((olen + 3) & ~3);
    }
    const idx = this.nextIfaceIndex();
    this.linktypes.add(linktype);
    this.ifaces.push({
      linkWord: (linktype | ((idx & 0xffff) << 16)) >>> 0,
      snaplen,
      unitsPerSecDec: unitsDec,
      unitsPerSecBin: unitsBin,
      tsOffset,
    });
  }

  private timestamp(ifc: Iface, hi: number, lo: number): number {
    let ts: number;
    if (ifc.unitsPerSecDec > 0) {
      // Exact split into seconds and remainder by long division in 16-bit digits, so a
      // nanosecond count near 2^61 loses nothing before the final conversion to a double.
      const d = ifc.unitsPerSecDec;
      if (d > 2 ** 36) {
        ts = (hi * 4294967296 + lo) / d;
      } else {
        let cur = hi >>> 16;
        let q = Math.floor(cur / d);
        let rem = cur - q * d;
        cur = rem * 65536 + (hi & 0xffff);
        let qd = Math.floor(cur / d);
        rem = cur - qd * d;
        q = q * 65536 + qd;
        cur = rem * 65536 + (lo >>> 16);
        qd = Math.floor(cur / d);
        rem = cur - qd * d;
        q = q * 65536 + qd;
        cur = rem * 65536 + (lo & 0xffff);
        qd = Math.floor(cur / d);
        rem = cur - qd * d;
        q = q * 65536 + qd;
        ts = q + rem / d;
      }
    } else {
      ts = (hi * 4294967296 + lo) / ifc.unitsPerSecBin;
    }
    return ts + ifc.tsOffset;
  }

  private enhancedPacket(dv: DataView, pos: number, len: number, sink: RecordSink): void {
    if (len < 32) { this.badPacketBlock('enhanced packet block too short'); return; }
    const ifIdx = dv.getUint32(pos + 8, this.le);
    const ifc = this.ifaces[ifIdx];
    if (ifc === undefined) { this.damage.badInterfaceIds++; return; }
    const hi = dv.getUint32(pos + 12, this.le);
    const lo = dv.getUint32(pos + 16, this.le);
    const caplen = dv.getUint32(pos + 20, this.le);
    const wirelen = dv.getUint32(pos + 24, this.le);
    if (caplen > len - 32 || caplen > MAX_CAPLEN) { this.badPacketBlock(`enhanced packet block caplen ${caplen} exceeds its block`); return; }
    const ts = this.timestamp(ifc, hi, lo);
    this.lastTs = ts;
    sink.add(pos + 28, caplen, wirelen, ifc.linkWord, ts);
  }

  private simplePacket(dv: DataView, pos: number, len: number, sink: RecordSink): void {
    if (len < 16) { this.badPacketBlock('simple packet block too short'); return; }
    const ifc = this.ifaces[0];
    if (ifc === undefined) { this.damage.badInterfaceIds++; return; }
    const wirelen = dv.getUint32(pos + 8, this.le);
    let caplen = len - 16;
    if (wirelen < caplen) caplen = wirelen;
    if (ifc.snaplen > 0 && ifc.snaplen < caplen) caplen = ifc.snaplen;
    // A simple packet block carries no timestamp: it inherits the previous packet's time.
    sink.add(pos + 12, caplen, wirelen, ifc.linkWord, this.lastTs);
  }

  private obsoletePacket(dv: DataView, pos: number, len: number, sink: RecordSink): void {
    if (len < 32) { this.badPacketBlock('packet block too short'); return; }
    const ifIdx = dv.getUint16(pos + 8, this.le);
    const ifc = this.ifaces[ifIdx];
    if (ifc === undefined) { this.damage.badInterfaceIds++; return; }
    const hi = dv.getUint32(pos + 12, this.le);
    const lo = dv.getUint32(pos + 16, this.le);
    const caplen = dv.getUint32(pos + 20, this.le);
    const wirelen = dv.getUint32(pos + 24, this.le);
    if (caplen > len - 32 || caplen > MAX_CAPLEN) { this.badPacketBlock(`packet block caplen ${caplen} exceeds its block`); return; }
    const ts = this.timestamp(ifc, hi, lo);
    this.lastTs = ts;
    sink.add(pos + 28, caplen, wirelen, ifc.linkWord, ts);
  }

  private badPacketBlock(msg: string): void {
    this.damage.badRecordHeaders++;
    this.damage.note(this.file, msg);
  }

  /** Damage at `pos` (already counted): rule out its first word and search on from there. */
  private startResync(pos: number): number {
    this.resyncing = true;
    this.resyncSkipped = 4;
    return pos + 4;
  }

  /**
   * Search `[pos, end)` for the next well-formed block (known type, sane length, matching
   * trailer). Ruled-out bytes are consumed, so the search continues in the next window without
   * the reader holding them; it gives up after RESYNC_WINDOW bytes in total.
   */
  private continueResync(dv: DataView, pos: number, end: number, eof: boolean): ParseProgress {
    const budget = RESYNC_WINDOW - this.resyncSkipped;
    const limit = Math.min(end - 12, pos + budget - 1);
    let q = pos;
    for (; q <= limit; q += 4) {
      const type = dv.getUint32(q, this.le);
      if (!KNOWN_TYPES.has(type)) continue;
      const len = dv.getUint32(q + 4, this.le);
      if (len < 12 || (len & 3) !== 0 || len > MAX_HELD_BLOCK) continue;
      if (q + len > end) {
        if (eof) continue;
        // Candidate not checkable in this window: keep it for the next one.
        this.resyncSkipped += q - pos;
        return { pos: q, skip: 0, stop: false };
      }
      if (dv.getUint32(q + len - 4, this.le) !== len) continue;
      this.damage.resyncs++;
      this.damage.bytesSkipped += this.resyncSkipped + (q - pos);
      this.resyncing = false;
      return { pos: q, skip: 0, stop: false };
    }
    this.resyncSkipped += q - pos;
    if (eof || this.resyncSkipped >= RESYNC_WINDOW) {
      this.resyncing = false;
      this.damage.bytesSkipped += this.resyncSkipped;
      this.damage.abandonedFiles++;
      this.damage.note(this.file, 'no well-formed block found after damage; rest of file skipped');
      return { pos: end, skip: 0, stop: true };
    }
    return { pos: q, skip: 0, stop: false };
  }
}
