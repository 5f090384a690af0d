/**
 * DICOM Upper Layer (PS3.8 §9.3) over TCP (104, 11112, or any port: identified by content) and
 * the DIMSE command sets it carries (PS3.7 §9.3, §10.3, annex E). Log `dicom` (no Zeek log
 * exists; fields are documented in README.md), one record per:
 *  - `event: "association"` — A-ASSOCIATE-RQ with its AC/RJ (or abort): AE titles, application
 *    context, proposed/accepted SOP classes and transfer syntaxes, result, implementation ids,
 *    user identity (user name only — never the passcode).
 *  - `event: "command"` — one DIMSE exchange other than C-STORE (C-ECHO, C-FIND, C-MOVE, C-GET,
 *    N-*): command, affected SOP class, final status, number of responses, rtt, C-MOVE
 *    destination, sub-operation counts.
 *  - `event: "release" | "abort" | "close"` — the end of the association with C-STORE counts
 *    (requests, failures, warnings, SOP classes) and P-DATA byte volume. C-STOREs are counted,
 *    not logged one by one: a CT study is hundreds of them.
 * Privacy: data sets (patient demographics, pixel data, C-FIND identifiers) are never parsed or
 * copied: only command sets (group 0000) are read, and of those only the fields above (no SOP
 * instance UIDs). Bulk P-DATA bodies are skipped by length without buffering.
 */
import type { AppEvent, AppParser, AppSession, Dir, SessionContext } from './types.js';
import { PduStream, type Framer } from './pdu-stream.js';
import { DICOM_UID_NAMES, DIMSE_COMMANDS } from './dicom-uids.js';

const A_ASSOCIATE_RQ = 1, A_ASSOCIATE_AC = 2, A_ASSOCIATE_RJ = 3, P_DATA_TF = 4, A_RELEASE_RQ = 5, A_RELEASE_RP = 6, A_ABORT = 7;
const MAX_KEEP = 65536;
const MAX_CONTEXTS = 128;
const MAX_PENDING = 128;
const MAX_CMD_BYTES = 4096;
const MAX_LIST = 64;

const AC_RESULTS = ['acceptance', 'user-rejection', 'no-reason', 'abstract-syntax-not-supported', 'transfer-syntaxes-not-supported'];

function be16(b: Uint8Array, p: number): number {
  return (b[p] << 8) | b[p + 1];
}
function be32(b: Uint8Array, p: number): number {
  return ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}
function le16(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}
function le32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}
/** UIDs and AE titles: ASCII, NUL/space padded. Non-printables are dropped. */
function text(b: Uint8Array, p: number, n: number, max = 128): string {
  let s = '';
  const e = p + Math.min(n, max);
  for (let i = p; i < e; i++) {
    const c = b[i];
    if (c >= 0x20 && c < 0x7f) s += String.fromCharCode(c);
  }
  return s.trim();
}

export function statusCategory(st: number): string {
  if (st === 0) return 'Success';
  if (st === 0xff00 || st === 0xff01) return 'Pending';
  if (st === 0xfe00) return 'Cancel';
  if (st === 0x0001 || st === 0x0107 || st === 0x0116 || (st & 0xf000) === 0xb000) return 'Warning';
  return 'Failure';
}

/** Walk the variable items / sub-items (type, reserved, 16-bit length) of an association PDU. */
function forEachItem(b: Uint8Array, p: number, end: number, f: (type: number, body: number, n: number, iend: number) => void): void {
  for (let i = 0; i < 512 && p + 4 <= end; i++) {
    const n = be16(b, p + 2);
    const body = p + 4;
    f(b[p], body, n, Math.min(body + n, end));
    p = body + n;
  }
}

interface Assoc {
  ts: number;
  calling?: string;
  called?: string;
  appCtx?: string;
  proposed: Map<number, string>; // ctx id → abstract syntax
  transfer: string[];
  accepted: string[];
  acceptedTransfer: string[];
  result?: string;
  rejectResult?: number;
  rejectSource?: number;
  rejectReason?: number;
  maxPdu?: number;
  implClass?: string;
  implVersion?: string;
  respImplVersion?: string;
  user?: string;
  userType?: number;
  logged: boolean;
}

/** The command-set elements read (PS3.7 §E.1); data-set elements are never looked at. */
interface CommandSet {
  field: number;
  msgId: number;
  respTo: number;
  status: number;
  sop?: string;
  moveDest?: string;
  completed?: number;
  failed?: number;
  warning?: number;
}

/** US-valued command elements → field: Command Field, Message ID, Message ID Being Responded To,
 *  Status, Number of Completed/Failed/Warning Sub-operations. */
const US_ELEMENTS: Readonly<Record<number, 'field' | 'msgId' | 'respTo' | 'status' | 'completed' | 'failed' | 'warning'>> = {
  0x0100: 'field', 0x0110: 'msgId', 0x0120: 'respTo', 0x0900: 'status', 0x1021: 'completed', 0x1022: 'failed', 0x1023: 'warning',
};

interface Dimse {
  ts: number;
  cmd: number;
  sop?: string;
  msgId: number;
  responses: number;
  moveDest?: string;
}

class DicomFramer implements Framer {
  readonly peek = 12;
  constructor(
    private readonly s: DicomSession,
    private readonly dir: Dir,
  ) {}
  frameLength(b: Uint8Array, off: number, avail: number): number {
    if (avail < 6) return 0;
    const t = b[off];
    if (t < 1 || t > 7 || b[off + 1] !== 0) return -1;
    const n = be32(b, off + 2);
    return n > 1 << 28 ? -1 : 6 + n;
  }
  wanted(b: Uint8Array, off: number, avail: number, total: number): number {
    if (b[off] !== P_DATA_TF || avail < 12) return total;
    // A P-DATA PDU that is one data-set PDV: only its header matters (never the data set).
    const pdv = be32(b, off + 6);
    if ((b[off + 11] & 1) === 0 && pdv + 4 + 6 >= total) return 12;
    return total;
  }
  onPdu(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    this.s.pdu(this.dir, b, off, len, total, ts);
  }
  /**
   * After capture loss: the next P-DATA-TF whose first PDV fits it (odd context id, valid
   * control header), or a release/abort PDU. Random data matches this with p ≈ 1e-9 per byte.
   */
  resync(b: Uint8Array, off: number, len: number): number {
    for (let p = off, e = off + len - 12; p <= e; p++) {
      if (b[p + 1] !== 0 || b[p + 2] !== 0) continue;
      const t = b[p];
      const n = be32(b, p + 2);
      if (t === P_DATA_TF) {
        const pdv = be32(b, p + 6);
        if (n >= 6 && pdv >= 2 && pdv + 4 <= n && (b[p + 10] & 1) === 1 && b[p + 11] <= 3) return p;
      } else if ((t === A_RELEASE_RQ || t === A_RELEASE_RP || t === A_ABORT) && n === 4) {
        return p;
      }
    }
    return -1;
  }
}

class DicomSession implements AppSession {
  private readonly streams: [PduStream, PduStream];
  private assoc: Assoc | null = null;
  private readonly pending = new Map<number, Dimse>();
  private readonly cmdBuf: [Uint8Array | null, Uint8Array | null] = [null, null];
  private readonly cmdLen = [0, 0];
  private stores = 0;
  private storeFailures = 0;
  private storeWarnings = 0;
  private readonly storeClasses = new Set<string>();
  private pdataBytes = 0;
  private finished = false;
  private confirmed = false;

  constructor(private readonly ctx: SessionContext) {
    const cap = Math.max(4096, Math.min(ctx.maxBufferBytes, MAX_KEEP));
    this.streams = [new PduStream(new DicomFramer(this, 0), cap, 6), new PduStream(new DicomFramer(this, 1), cap, 6)];
  }

  get done(): boolean {
    return this.finished;
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (!this.finished) this.streams[dir].push(buf, off, len, ts);
  }

  gap(dir: Dir, len: number): void {
    this.streams[dir].gap(len);
  }

  end(ts: number): void {
    if (!this.finished) this.finish('close', ts);
    const d = this.streams[0].desyncs + this.streams[1].desyncs;
    if (d) this.ctx.count?.('dicom_desync', d);
  }

  pdu(dir: Dir, b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('dicom');
    }
    const type = b[off];
    const end = off + len;
    switch (type) {
      case A_ASSOCIATE_RQ:
        this.associateRq(b, off, end, ts);
        return;
      case A_ASSOCIATE_AC:
        this.associateAc(b, off, end, ts);
        return;
      case A_ASSOCIATE_RJ: {
        const a = this.assocOrNew(ts);
        if (len >= 10) {
          a.rejectResult = b[off + 7];
          a.rejectSource = b[off + 8];
          a.rejectReason = b[off + 9];
        }
        a.result = 'rejected';
        this.logAssoc();
        this.finished = true;
        return;
      }
      case P_DATA_TF:
        this.pdataBytes += total - 6;
        this.pdata(dir, b, off + 6, end, ts);
        return;
      case A_RELEASE_RQ:
        return;
      case A_RELEASE_RP:
        this.finish('release', ts);
        return;
      case A_ABORT: {
        const source = len >= 10 ? b[off + 8] : undefined;
        const reason = len >= 10 ? b[off + 9] : undefined;
        if (this.assoc && !this.assoc.logged) {
          this.assoc.result = 'aborted';
          this.logAssoc();
        }
        this.finish('abort', ts, source, reason);
        return;
      }
      default:
        return;
    }
  }

  private assocOrNew(ts: number): Assoc {
    if (!this.assoc) this.assoc = { ts, proposed: new Map(), transfer: [], accepted: [], acceptedTransfer: [], logged: false };
    return this.assoc;
  }

  /** A-ASSOCIATE-RQ (PS3.8 §9.3.2): AE titles at 10/26, variable items from 74. */
  private associateRq(b: Uint8Array, off: number, end: number, ts: number): void {
    if (end - off < 74) {
      this.ctx.count?.('dicom_malformed');
      return;
    }
    this.assoc = null;
    const a = this.assocOrNew(ts);
    a.called = text(b, off + 10, 16);
    a.calling = text(b, off + 26, 16);
    forEachItem(b, off + 74, end, (it, body, n, iend) => {
      if (it === 0x10) a.appCtx = text(b, body, n);
      else if (it === 0x20 && n >= 4) {
        const id = b[body];
        forEachItem(b, body + 4, iend, (st, q, _n, qend) => {
          const uid = text(b, q, qend - q, 64);
          if (st === 0x30 && a.proposed.size < MAX_CONTEXTS) a.proposed.set(id, uid);
          else if (st === 0x40 && !a.transfer.includes(uid) && a.transfer.length < MAX_LIST) a.transfer.push(uid);
        });
      } else if (it === 0x50) this.userInfo(a, b, body, iend, true);
    });
  }

  /** A-ASSOCIATE-AC: presentation context results (item 0x21) and responder user info. */
  private associateAc(b: Uint8Array, off: number, end: number, ts: number): void {
    const a = this.assocOrNew(ts);
    a.result = 'accepted';
    forEachItem(b, off + 74, end, (it, body, n, iend) => {
      if (it === 0x21 && n >= 4) {
        const id = b[body];
        const res = b[body + 2];
        if (res !== 0) {
          this.ctx.count?.('dicom_context_' + (AC_RESULTS[res] ?? 'rejected'));
          return;
        }
        const sop = a.proposed.get(id);
        if (sop && !a.accepted.includes(sop) && a.accepted.length < MAX_LIST) a.accepted.push(sop);
        forEachItem(b, body + 4, iend, (st, q, _n, qend) => {
          const ts2 = text(b, q, qend - q, 64);
          if (st === 0x40 && !a.acceptedTransfer.includes(ts2) && a.acceptedTransfer.length < MAX_LIST) a.acceptedTransfer.push(ts2);
        });
      } else if (it === 0x50) this.userInfo(a, b, body, iend, false);
    });
    this.logAssoc();
  }

  /** User Information sub-items (PS3.8 §D.3.3, PS3.7 §D.3.3.7 user identity). */
  private userInfo(a: Assoc, b: Uint8Array, p: number, end: number, rq: boolean): void {
    forEachItem(b, p, end, (st, body, n, iend) => {
      if (body + n > iend) return; // truncated sub-item
      if (st === 0x51 && n === 4 && rq) a.maxPdu = be32(b, body);
      else if (st === 0x52) {
        if (rq) a.implClass = text(b, body, n, 64);
      } else if (st === 0x55) {
        if (rq) a.implVersion = text(b, body, n, 16);
        else a.respImplVersion = text(b, body, n, 16);
      } else if (st === 0x58 && rq && n >= 4) {
        a.userType = b[body];
        const pl = be16(b, body + 2);
        // Types 1 (username) and 2 (username + passcode): log the name; the passcode never.
        if ((a.userType === 1 || a.userType === 2) && body + 4 + pl <= iend) a.user = text(b, body + 4, pl, 64);
      }
    });
  }

  private logAssoc(): void {
    const a = this.assoc;
    if (!a || a.logged) return;
    a.logged = true;
    const ev: AppEvent = { _path: 'dicom', ts: a.ts, event: 'association' };
    if (a.calling !== undefined) ev.calling_ae = a.calling;
    if (a.called !== undefined) ev.called_ae = a.called;
    if (a.appCtx) ev.application_context = a.appCtx;
    const proposed = [...new Set(a.proposed.values())].slice(0, MAX_LIST);
    if (proposed.length) {
      ev.proposed_sop_classes = proposed;
      ev.proposed_sop_class_names = proposed.map((u) => DICOM_UID_NAMES[u] ?? u);
    }
    if (a.transfer.length) ev.proposed_transfer_syntaxes = a.transfer;
    if (a.result === 'accepted') {
      ev.accepted_sop_classes = a.accepted;
      ev.accepted_transfer_syntaxes = a.acceptedTransfer;
    }
    ev.result = a.result ?? 'unanswered';
    if (a.rejectResult !== undefined) {
      ev.reject_result = a.rejectResult;
      ev.reject_source = a.rejectSource;
      ev.reject_reason = a.rejectReason;
    }
    if (a.maxPdu !== undefined) ev.max_pdu_length = a.maxPdu;
    if (a.implClass) ev.implementation_class_uid = a.implClass;
    if (a.implVersion) ev.implementation_version = a.implVersion;
    if (a.respImplVersion) ev.responder_implementation_version = a.respImplVersion;
    if (a.user) ev.user_identity = a.user;
    if (a.userType !== undefined) ev.user_identity_type = a.userType;
    this.ctx.emit(ev);
  }

  /** PDV items of a P-DATA-TF: command fragments are collected, data-set fragments ignored. */
  private pdata(dir: Dir, b: Uint8Array, p: number, end: number, ts: number): void {
    for (let i = 0; i < 256 && p + 6 <= end; i++) {
      const n = be32(b, p);
      if (n < 2) return;
      const mch = b[p + 5];
      const body = p + 6;
      const have = Math.max(0, Math.min(body + n - 2, end) - body);
      if (mch & 1) this.commandFragment(dir, b, body, have, (mch & 2) !== 0, ts);
      p = body + n - 2;
    }
  }

  private commandFragment(dir: Dir, b: Uint8Array, p: number, n: number, last: boolean, ts: number): void {
    if (last && this.cmdLen[dir] === 0) {
      this.command(dir, b, p, p + n, ts); // common case: whole command set in one PDV
      return;
    }
    let buf = this.cmdBuf[dir];
    if (!buf) buf = this.cmdBuf[dir] = new Uint8Array(MAX_CMD_BYTES);
    const room = MAX_CMD_BYTES - this.cmdLen[dir];
    if (n > room) this.ctx.count?.('dicom_command_too_long');
    buf.set(b.subarray(p, p + Math.min(n, room)), this.cmdLen[dir]);
    this.cmdLen[dir] += Math.min(n, room);
    if (last) {
      const len = this.cmdLen[dir];
      this.cmdLen[dir] = 0;
      this.command(dir, buf, 0, len, ts);
    }
  }

  /** Command set: group 0000, implicit VR little endian (PS3.7 §6.3.1). */
  private command(dir: Dir, b: Uint8Array, p: number, end: number, ts: number): void {
    const c: CommandSet = { field: -1, msgId: -1, respTo: -1, status: -1 };
    for (let i = 0; i < 64 && p + 8 <= end; i++) {
      const g = le16(b, p);
      const e = le16(b, p + 2);
      const n = le32(b, p + 4);
      const v = p + 8;
      if (g !== 0 || v + n > end) break;
      const us = US_ELEMENTS[e];
      if (us && n >= 2) c[us] = le16(b, v);
      else if (e === 0x0002 || e === 0x0003) c.sop = text(b, v, n, 64);
      else if (e === 0x0600) c.moveDest = text(b, v, n, 16);
      p = v + n;
    }
    const { field, sop, msgId, respTo, status, moveDest, completed, failed, warning } = c;
    if (field < 0) {
      this.ctx.count?.('dicom_malformed');
      return;
    }
    if (!(field & 0x8000)) {
      // request
      if (field === 0x0001) {
        this.stores++;
        if (sop && this.storeClasses.size < MAX_LIST) this.storeClasses.add(sop);
      }
      if (this.pending.size >= MAX_PENDING) {
        const k = this.pending.keys().next().value as number;
        this.logCommand(this.pending.get(k)!, undefined, undefined, undefined);
        this.pending.delete(k);
      }
      // Either side may issue requests (e.g. N-EVENT-REPORT from the SCP): ids are per sender.
      this.pending.set(dir * 65536 + msgId, { ts, cmd: field, sop, msgId, responses: 0, moveDest });
      return;
    }
    const key = (1 - dir) * 65536 + respTo;
    const req = this.pending.get(key);
    const cat = status >= 0 ? statusCategory(status) : undefined;
    if (field === 0x8001) {
      if (cat === 'Failure') this.storeFailures++;
      else if (cat === 'Warning') this.storeWarnings++;
      if (req) this.pending.delete(key);
      return;
    }
    if (!req) {
      this.logCommand({ ts, cmd: field & 0x7fff, sop, msgId: respTo, responses: 1 }, status, undefined, { completed, failed, warning });
      return;
    }
    req.responses++;
    if (cat === 'Pending') return;
    this.pending.delete(key);
    this.logCommand(req, status, ts, { completed, failed, warning });
  }

  private logCommand(r: Dimse, status: number | undefined, respTs: number | undefined, sub: { completed?: number; failed?: number; warning?: number } | undefined): void {
    if (r.cmd === 0x0001) return; // C-STORE: counted, not logged one by one
    const name = DIMSE_COMMANDS.get(r.cmd) ?? '0x' + r.cmd.toString(16);
    const ev: AppEvent = { _path: 'dicom', ts: r.ts, event: 'command', command: name.replace(/-RQ$/, '') };
    const a = this.assoc;
    if (a?.calling !== undefined) ev.calling_ae = a.calling;
    if (a?.called !== undefined) ev.called_ae = a.called;
    ev.message_id = r.msgId;
    if (r.sop) {
      ev.affected_sop_class = r.sop;
      ev.sop_class_name = DICOM_UID_NAMES[r.sop] ?? r.sop;
    }
    if (status !== undefined && status >= 0) {
      ev.status = '0x' + status.toString(16).padStart(4, '0');
      ev.status_category = statusCategory(status);
    }
    ev.responses = r.responses;
    if (respTs !== undefined) ev.rtt = respTs - r.ts;
    if (r.moveDest) ev.move_destination = r.moveDest;
    if (sub?.completed !== undefined) ev.completed_suboperations = sub.completed;
    if (sub?.failed !== undefined) ev.failed_suboperations = sub.failed;
    if (sub?.warning !== undefined) ev.warning_suboperations = sub.warning;
    this.ctx.emit(ev);
  }

  private finish(how: string, ts: number, source?: number, reason?: number): void {
    if (this.finished) return;
    this.finished = true;
    if (this.assoc && !this.assoc.logged) this.logAssoc();
    for (const [, r] of this.pending) this.logCommand(r, undefined, undefined, undefined);
    this.pending.clear();
    const ev: AppEvent = { _path: 'dicom', ts, event: how };
    const a = this.assoc;
    if (a?.calling !== undefined) ev.calling_ae = a.calling;
    if (a?.called !== undefined) ev.called_ae = a.called;
    if (a) ev.duration = ts - a.ts;
    ev.c_store_requests = this.stores;
    ev.c_store_failures = this.storeFailures;
    ev.c_store_warnings = this.storeWarnings;
    if (this.storeClasses.size) ev.c_store_sop_classes = [...this.storeClasses];
    ev.pdata_bytes = this.pdataBytes;
    if (source !== undefined) ev.abort_source = source;
    if (reason !== undefined) ev.abort_reason = reason;
    this.ctx.emit(ev);
  }
}

export const dicomParser: AppParser = {
  service: 'dicom',
  transport: 'tcp',
  ports: [104, 11112],
  probe(_dir, b, off, len) {
    if (len < 6 || b[off + 1] !== 0) return false;
    const t = b[off];
    const n = be32(b, off + 2);
    if (t === A_ASSOCIATE_RQ || t === A_ASSOCIATE_AC) {
      // fixed part: protocol version 0x0001, then AE titles; first item is the application context
      return len >= 78 && n >= 68 && n < 1 << 20 && b[off + 6] === 0 && b[off + 7] === 1 && b[off + 74] === 0x10;
    }
    if (t === A_ASSOCIATE_RJ || t === A_RELEASE_RQ || t === A_RELEASE_RP || t === A_ABORT) return n === 4 && len === 10;
    if (t === P_DATA_TF) {
      // mid-association: one PDV whose item length fits the PDU, odd presentation context id
      if (len < 12 || n < 6) return false;
      const pdv = be32(b, off + 6);
      return pdv >= 2 && pdv + 4 <= n && (b[off + 10] & 1) === 1 && b[off + 11] <= 3;
    }
    return false;
  },
  create(ctx) {
    return new DicomSession(ctx);
  },
};
