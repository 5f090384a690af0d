/**
 * HL7 v2 over MLLP (HL7 v2.5.1 Appendix C: 0x0B <message> 0x1C 0x0D), TCP 2575 or any port by
 * content. Log `hl7`, one record per message (with its acknowledgement when one comes back):
 * sending/receiving application and facility (MSH-3..6, first component), message_type
 * (MSH-9 code^trigger, e.g. "ADT^A01"), message_control_id (MSH-10), processing_id (MSH-11),
 * version (MSH-12), segment_count, message_bytes, and from the answering ACK: ack_code (MSA-1),
 * rtt.
 *
 * PRIVACY: only the MSH and MSA segments are ever copied out of the stream. Every other segment
 * (PID, PV1, OBX, NK1, …: patient identifiers, names, addresses, results) is skipped byte by
 * byte without being stored, decoded or logged; only the segment count is kept. MSH/MSA fields
 * are length-capped and stripped of control characters.
 */
import type { AppEvent, AppParser, AppSession, Dir, SessionContext } from './types.js';

const SB = 0x0b;
const EB = 0x1c;
const CR = 0x0d;
const LF = 0x0a;
const MAX_SEG = 1024; // bytes of an MSH/MSA segment kept
const MAX_FIELD = 64;
const MAX_PENDING = 64;

interface Hl7Message {
  ts: number;
  sendingApp?: string;
  sendingFacility?: string;
  receivingApp?: string;
  receivingFacility?: string;
  type?: string;
  controlId?: string;
  processingId?: string;
  version?: string;
  ackCode?: string;
  ackControlId?: string;
  segments: number;
  bytes: number;
}

/** Field `i` of a segment split on the field separator; first component only when `comp`. */
function field(parts: string[], i: number, comp: string, firstOnly: boolean): string | undefined {
  let v = parts[i];
  if (v === undefined || v === '') return undefined;
  if (firstOnly) v = v.split(comp)[0];
  v = v.replace(/[\x00-\x1f\x7f]/g, '');
  return v.length > MAX_FIELD ? v.slice(0, MAX_FIELD) : v || undefined;
}

const ID_MSH = 0x4d5348;
const ID_MSA = 0x4d5341;

/** Per-direction MLLP/segment scanner. Holds at most one MSH/MSA segment (≤ MAX_SEG bytes). */
class Direction {
  inMessage = false;
  /** Just saw the end block: a following CR is framing, not stray data. */
  afterEnd = false;
  /** Segment id bytes seen so far (big-endian in an int) and how many (0..3). */
  private head = 0;
  private headLen = 0;
  /** 1: keep (MSH/MSA), 2: skip, 0: not yet classified. */
  private mode = 0;
  /** The kept MSH/MSA segment's bytes; nothing else is ever copied. */
  private readonly seg = new Uint8Array(MAX_SEG);
  private segLen = 0;
  msg: Hl7Message | null = null;

  constructor(private readonly owner: Hl7Session) {}

  feed(b: Uint8Array, off: number, len: number, ts: number): void {
    const end = off + len;
    let p = off;
    while (p < end) {
      if (!this.inMessage) {
        // The CR that closes the frame (0x1C 0x0D) belongs to it.
        if (this.afterEnd) {
          this.afterEnd = false;
          if (b[p] === CR) {
            p++;
            continue;
          }
        }
        // Between messages: find the next start block.
        let s = p;
        while (s < end && b[s] !== SB) s++;
        if (s > p) this.owner.count('hl7_bytes_outside_frames', s - p);
        if (s >= end) return;
        this.inMessage = true;
        this.startSegment();
        this.msg = { ts, segments: 0, bytes: 0 };
        p = s + 1;
        continue;
      }
      const msg = this.msg!;
      let c = 0;
      if (this.mode === 0) {
        // Classify the segment by its 3-byte id (MSH/MSA are kept, everything else skipped).
        c = b[p];
        if (c !== CR && c !== LF && c !== EB) {
          p++;
          msg.bytes++;
          this.head = (this.head << 8) | c;
          if (++this.headLen === 3) {
            this.mode = this.head === ID_MSH || this.head === ID_MSA ? 1 : 2;
            if (this.mode === 1) {
              this.seg[0] = (this.head >> 16) & 0xff;
              this.seg[1] = (this.head >> 8) & 0xff;
              this.seg[2] = this.head & 0xff;
              this.segLen = 3;
            }
          }
          continue;
        }
      } else {
        // Scan to the segment's end without interpreting (or, unless kept, copying) the bytes.
        const from = p;
        while (p < end && (c = b[p]) !== CR && c !== LF && c !== EB) p++;
        msg.bytes += p - from;
        if (this.mode === 1 && p > from) {
          const n = Math.min(p - from, MAX_SEG - this.segLen);
          if (n > 0) {
            this.seg.set(b.subarray(from, from + n), this.segLen);
            this.segLen += n;
          }
        }
        if (p >= end) return;
      }
      c = b[p++];
      if (c === EB) {
        this.endSegment();
        this.owner.messageDone(this, msg);
        this.msg = null;
        this.inMessage = false;
        this.afterEnd = true;
        continue;
      }
      msg.bytes++; // CR or LF: end of segment
      this.endSegment();
    }
  }

  private startSegment(): void {
    this.head = 0;
    this.headLen = 0;
    this.mode = 0;
    this.segLen = 0;
  }

  private endSegment(): void {
    const m = this.msg;
    if (m && this.headLen > 0) {
      m.segments++;
      if (this.mode === 1) this.parseKept(m, Buffer.from(this.seg.buffer, 0, this.segLen).toString('latin1'));
    }
    this.startSegment();
  }

  /** MSH: field separator is MSH-1 (4th char); MSH-2 holds the component separator. */
  private parseKept(m: Hl7Message, s: string): void {
    if (s.startsWith('MSH')) {
      if (s.length < 8) return;
      const fs = s[3];
      const parts = s.split(fs);
      const comp = parts[1]?.[0] ?? '^';
      // parts[n-1] is MSH-n (MSH-1 is the separator itself)
      m.sendingApp = field(parts, 2, comp, true);
      m.sendingFacility = field(parts, 3, comp, true);
      m.receivingApp = field(parts, 4, comp, true);
      m.receivingFacility = field(parts, 5, comp, true);
      const t = parts[8];
      if (t) {
        const c = t.split(comp);
        const v = (c[1] ? c[0] + '^' + c[1] : c[0]).replace(/[\x00-\x1f\x7f]/g, '');
        m.type = v.slice(0, MAX_FIELD) || undefined;
      }
      m.controlId = field(parts, 9, comp, false);
      m.processingId = field(parts, 10, comp, true);
      m.version = field(parts, 11, comp, true);
      this.owner.fieldSep = fs;
    } else if (s.startsWith('MSA')) {
      const parts = s.split(this.owner.fieldSep);
      m.ackCode = field(parts, 1, '^', true);
      m.ackControlId = field(parts, 2, '^', false);
    }
  }
}

class Hl7Session implements AppSession {
  readonly done = false;
  fieldSep = '|';
  private readonly dirs: [Direction, Direction];
  private readonly pending: Array<{ dir: Dir; m: Hl7Message }> = [];
  private confirmed = false;

  constructor(private readonly ctx: SessionContext) {
    this.dirs = [new Direction(this), new Direction(this)];
  }

  count(name: string, n = 1): void {
    this.ctx.count?.(name, n);
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    this.dirs[dir].feed(buf, off, len, ts);
  }

  gap(dir: Dir, len: number): void {
    // Lost bytes: drop the partial message and wait for the next start block.
    const d = this.dirs[dir];
    if (d.inMessage) this.count('hl7_messages_lost');
    d.inMessage = false;
    d.msg = null;
    void len;
  }

  messageDone(d: Direction, m: Hl7Message): void {
    if (!m.type && !m.ackCode) {
      this.count('hl7_frames_without_msh');
      return;
    }
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('hl7');
    }
    const dir: Dir = d === this.dirs[0] ? 0 : 1;
    if (m.ackCode !== undefined) {
      // An acknowledgement: pair it with the message it answers (MSA-2), else the oldest.
      let i = this.pending.findIndex((x) => x.dir !== dir && x.m.controlId !== undefined && x.m.controlId === m.ackControlId);
      if (i < 0) i = this.pending.findIndex((x) => x.dir !== dir);
      if (i >= 0) {
        const orig = this.pending.splice(i, 1)[0].m;
        this.log(orig, m);
        return;
      }
      this.log(m, undefined);
      return;
    }
    if (this.pending.length >= MAX_PENDING) {
      this.log(this.pending.shift()!.m, undefined);
      this.count('hl7_unacknowledged');
    }
    this.pending.push({ dir, m });
  }

  private log(m: Hl7Message, ack: Hl7Message | undefined): void {
    const ev: AppEvent = { _path: 'hl7', ts: m.ts };
    if (m.sendingApp) ev.sending_application = m.sendingApp;
    if (m.sendingFacility) ev.sending_facility = m.sendingFacility;
    if (m.receivingApp) ev.receiving_application = m.receivingApp;
    if (m.receivingFacility) ev.receiving_facility = m.receivingFacility;
    if (m.type) ev.message_type = m.type;
    if (m.controlId) ev.message_control_id = m.controlId;
    if (m.processingId) ev.processing_id = m.processingId;
    if (m.version) ev.version = m.version;
    ev.segment_count = m.segments;
    ev.message_bytes = m.bytes;
    const a = ack ?? (m.ackCode !== undefined ? m : undefined);
    if (a?.ackCode) ev.ack_code = a.ackCode;
    if (ack) ev.rtt = ack.ts - m.ts;
    this.ctx.emit(ev);
  }

  end(): void {
    for (const x of this.pending) this.log(x.m, undefined);
    this.pending.length = 0;
  }
}

export const hl7Parser: AppParser = {
  service: 'hl7',
  transport: 'tcp',
  ports: [2575],
  probe(_dir, b, off, len) {
    if (len < 5 || b[off] !== SB) return false;
    const a = b[off + 1], c = b[off + 2], d = b[off + 3];
    // MSH (message), FHS/BHS (batch headers)
    return ((a === 0x4d && c === 0x53 && d === 0x48) || ((a === 0x46 || a === 0x42) && c === 0x48 && d === 0x53)) && b[off + 4] !== CR;
  },
  create(ctx) {
    return new Hl7Session(ctx);
  },
};
