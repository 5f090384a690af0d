/**
 * SMB2/3 ([MS-SMB2]) over the NetBIOS session service framing of TCP 445/139 ([MS-SMB2] §2.1:
 * a zero byte + 24-bit length; RFC 1002 §4.3.1 on 139). SMB1 is recognised (service id, smb_cmd
 * with version "SMB1") but not parsed further; SMB3 encrypted (0xFD 'SMB' transform) and
 * compressed (0xFC) PDUs are counted and skipped by length.
 *
 * Logs (Zeek names):
 *  - smb_cmd: one record per answered command of SMB2_LOGGED_COMMANDS (READ/WRITE/CLOSE are
 *    aggregated into smb_files instead; SESSION_SETUP legs answered MORE_PROCESSING_REQUIRED are
 *    skipped as in Zeek) — command, sub_command, argument, status, rtt, version, username, tree,
 *    tree_service, referenced_file.{action,path,name,size}.
 *  - smb_files: SMB::FILE_OPEN on a successful CREATE outside IPC$ (deduplicated like Zeek's
 *    recent_files), SMB::FILE_RENAME / SMB::FILE_DELETE when SET_INFO succeeds, and per file
 *    handle on CLOSE (or connection end) one SMB::FILE_READ and/or SMB::FILE_WRITE carrying the
 *    aggregated `bytes_read` / `bytes_written` (extension fields; Zeek does not log reads/writes).
 *  - smb_mapping: one record per successful TREE_CONNECT (path, share_type).
 *  - ntlm: from the SESSION_SETUP security blobs, success from the final status.
 *  - dce_rpc: named-pipe WRITE/READ/IOCTL(FSCTL_PIPE_TRANSCEIVE) payloads feed one DceRpcAssoc per
 *    pipe handle.
 *
 * State per connection: tree id → share path/type, file id → name/path/aggregates, message id →
 * pending request, session id → user. All tables are capped; evictions are counted.
 */
import type { AppEvent, AppParser, AppSession, Dir, SessionContext } from './types.js';
import { PduStream, type Framer } from './pdu-stream.js';
import { DceRpcAssoc, dceFrameLength, rpcHost, type RpcHost } from './dcerpc.js';
import { BLOB_KRB5, BLOB_NTLM, NtlmAuth } from './ntlm.js';
import {
  FSCTL_NAMES,
  FSCTL_PIPE_TRANSCEIVE,
  SMB1_COMMANDS,
  SMB2_COMMANDS,
  SMB2_DIALECTS,
  SMB2_LOGGED_COMMANDS,
  SMB2_SHARE_TYPES,
  ntStatusName,
} from './smb-tables.js';

const HDR = 64;
const NEGOTIATE = 0, SESSION_SETUP = 1, LOGOFF = 2, TREE_CONNECT = 3, TREE_DISCONNECT = 4, CREATE = 5, CLOSE = 6;
const READ = 8, WRITE = 9, IOCTL = 11, QUERY_DIRECTORY = 14, CHANGE_NOTIFY = 15, QUERY_INFO = 16, SET_INFO = 17;
const FLAG_RESPONSE = 0x1, FLAG_ASYNC = 0x2, FLAG_SIGNED = 0x8;
const ST_SUCCESS = 0, ST_PENDING = 0x103, ST_BUFFER_OVERFLOW = 0x80000005, ST_MORE_PROCESSING = 0xc0000016;
const FILE_DELETE_ON_CLOSE = 0x1000;

const MAX_PENDING = 512;
const MAX_FILES = 1024;
const MAX_TREES = 128;
const MAX_SESSIONS = 64;
const MAX_RECENT = 512;
const MAX_PIPES = 16;
const RECENT_WINDOW = 180; // s, Zeek's recent_files expiry
const KEEP_CAP = 65536;

/** Info classes ([MS-FSCC] §2.4) that SET_INFO is logged with. */
const INFO_CLASS: Record<number, string> = {
  4: 'FILE_BASIC_INFO', 10: 'FILE_RENAME_INFO', 11: 'FILE_LINK_INFO', 13: 'FILE_DISPOSITION_INFO',
  19: 'FILE_ALLOCATION_INFO', 20: 'FILE_END_OF_FILE_INFO', 64: 'FILE_DISPOSITION_INFO_EX',
};

function u16(b: Uint8Array, p: number): number {
  return b[p] | (b[p + 1] << 8);
}
function u32(b: Uint8Array, p: number): number {
  return (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0;
}
/** 64-bit little-endian value folded to a safe integer key (low 53 bits). */
function key64(b: Uint8Array, p: number): number {
  return u32(b, p) + (u32(b, p + 4) & 0x1fffff) * 4294967296;
}
/** FILETIME (100 ns since 1601) → epoch seconds, undefined for 0. */
function filetime(b: Uint8Array, p: number): number | undefined {
  const lo = u32(b, p);
  const hi = u32(b, p + 4);
  if (lo === 0 && hi === 0) return undefined;
  // Same double arithmetic as Zeek's filetime2zeektime (uint64 → double, /1e7, − epoch offset),
  // so values agree with smb_files.log to the microsecond (the exact value can differ by ~1 µs).
  return (hi * 4294967296 + lo) / 1e7 - 11644473600;
}
function utf16(b: Uint8Array, p: number, n: number): string {
  return Buffer.from(b.buffer, b.byteOffset + p, Math.min(n, 2048) & ~1).toString('utf16le');
}
function treeKey(sid: number, tid: number): string {
  return sid + ':' + tid;
}

/** File id key: the volatile half identifies an open on Windows and Samba; all-ones = "related". */
function fidKey(b: Uint8Array, p: number): number {
  let ones = true;
  for (let i = 0; i < 16; i++) if (b[p + i] !== 0xff) ones = false;
  return ones ? -1 : key64(b, p + 8);
}

class SmbFile {
  bytesRead = 0;
  bytesWritten = 0;
  readTs = 0;
  writeTs = 0;
  deleteOnClose = false;
  dce: DceRpcAssoc | null = null;
  constructor(
    public name: string,
    public path: string | undefined,
    public size: number,
    /** true: pipe; false: disk/print; undefined: tree unknown (capture started mid-session). */
    public pipe: boolean | undefined,
  ) {}
}

interface Tree {
  path?: string;
  type?: string;
}

interface Pending {
  cmd: number;
  ts: number;
  tid: number;
  sid: number;
  file?: SmbFile;
  fid?: number;
  name?: string;
  treePath?: string;
  sub?: string;
  arg?: string;
  createOptions?: number;
  renameTo?: string;
  deleteFlag?: boolean;
  transceive?: boolean;
}

function looksDce(b: Uint8Array, p: number, n: number): boolean {
  return n >= 16 && b[p] === 5 && b[p + 1] <= 1 && dceFrameLength(b, p, n) > 0;
}

class SmbFramer implements Framer {
  /** NBSS + SMB2 header + the largest fixed body we look at + 16 bytes of READ/WRITE data. */
  readonly peek = 4 + HDR + 48 + 16;
  constructor(
    private readonly s: SmbSession,
    private readonly dir: Dir,
  ) {}
  frameLength(b: Uint8Array, off: number, avail: number): number {
    if (avail < 4) return 0;
    const t = b[off];
    if (t === 0x00) return 4 + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
    if (t >= 0x81 && t <= 0x85) return 4 + (((b[off + 1] & 1) << 16) | (b[off + 2] << 8) | b[off + 3]);
    return -1;
  }
  wanted(b: Uint8Array, off: number, avail: number, total: number): number {
    return this.s.wanted(this.dir, b, off, avail, total);
  }
  onPdu(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    this.s.pdu(this.dir, b, off, len, total, ts);
  }
  resync(b: Uint8Array, off: number, len: number): number {
    for (let p = off + 4; p + 4 <= off + len; p++) {
      if (b[p + 1] === 0x53 && b[p + 2] === 0x4d && b[p + 3] === 0x42 && (b[p] === 0xfe || b[p] === 0xfd || b[p] === 0xff) && b[p - 4] === 0) {
        return p - 4;
      }
    }
    return -1;
  }
}

class SmbSession implements AppSession {
  /** Where events go — also handed to the DCE/RPC associations of named pipes. */
  private readonly host: RpcHost;
  private readonly streams: [PduStream, PduStream];
  private readonly pending = new Map<number, Pending>();
  private readonly files = new Map<number, SmbFile>();
  /** Keyed by session and tree id: tree ids are allocated per session ([MS-SMB2] §3.3.5.7). */
  private readonly trees = new Map<string, Tree>();
  private readonly users = new Map<number, string>();
  private readonly recent = new Map<string, number>();
  private readonly ntlm = new NtlmAuth();
  private lastCreated: SmbFile | undefined;
  /** Pipe handles with a DCE/RPC association (each holds up to ~100 KiB of buffers). */
  private livePipes = 0;
  private confirmed = false;
  private encryptedRun = 0;
  private finished = false;
  private lastTs = 0;

  constructor(private readonly ctx: SessionContext) {
    this.host = rpcHost(ctx);
    const cap = Math.max(4096, Math.min(ctx.maxBufferBytes, KEEP_CAP));
    this.streams = [new PduStream(new SmbFramer(this, 0), cap, 4), new PduStream(new SmbFramer(this, 1), cap, 4)];
  }

  get done(): boolean {
    return this.finished;
  }

  // AppSession ------------------------------------------------------------------------------
  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.finished) return;
    this.lastTs = ts;
    this.streams[dir].push(buf, off, len, ts);
  }

  gap(dir: Dir, len: number): void {
    this.streams[dir].gap(len);
  }

  end(ts: number): void {
    for (const [, f] of this.files) this.closeFile(f, ts);
    this.files.clear();
    const ev = this.ntlm.takeEvent();
    if (ev) this.host.emit(ev);
    const s = this.streams;
    const d = s[0].desyncs + s[1].desyncs;
    if (d) this.host.count('smb_desync', d);
    const t = s[0].truncated + s[1].truncated;
    if (t) this.host.count('smb_truncated_pdus', t);
  }

  // Framing ---------------------------------------------------------------------------------
  /** How much of one NBSS PDU to keep: headers always, data only where DCE/RPC may ride in it. */
  wanted(dir: Dir, b: Uint8Array, off: number, avail: number, total: number): number {
    if (b[off] !== 0 || avail < 8) return Math.min(total, 8);
    const m = off + 4;
    if (b[m] !== 0xfe || b[m + 1] !== 0x53) return b[m] === 0xff ? Math.min(total, 4 + 40) : 8;
    if (avail < 4 + HDR || u32(b, m + 20) !== 0) return total; // compound: keep all (small)
    const cmd = u16(b, m + 12);
    const resp = (u32(b, m + 16) & FLAG_RESPONSE) !== 0;
    const body = m + HDR;
    switch (cmd) {
      case READ: {
        if (!resp) return total;
        const f = this.pending.get(key64(b, m + 24))?.file;
        if (f?.pipe) return total;
        if (f?.pipe === false) return 4 + HDR + 16;
        // Unknown handle (opened before the capture) or unknown tree: keep the data only if it
        // is a DCE/RPC PDU (a pipe). `peek` guarantees the data's first bytes are here.
        const d = m + (b[body + 2] || HDR + 16);
        return avail >= d - off + 16 && looksDce(b, d, off + avail - d) ? total : 4 + HDR + 16;
      }
      case WRITE: {
        if (resp || avail < 4 + HDR + 32) return total;
        const f = this.files.get(fidKey(b, body + 16));
        if (f?.pipe) return total;
        if (f?.pipe === false) return 4 + HDR + 48;
        const d = m + u16(b, body + 2);
        return avail >= d - off + 16 && looksDce(b, d, off + avail - d) ? total : 4 + HDR + 48;
      }
      case IOCTL:
        if (avail >= 4 + HDR + 8 && u32(b, body + 4) === FSCTL_PIPE_TRANSCEIVE) return total;
        return 4 + HDR + 56;
      case QUERY_DIRECTORY:
      case QUERY_INFO:
      case CHANGE_NOTIFY:
        return resp ? 4 + HDR + 8 : total;
      default:
        return total;
    }
  }

  pdu(dir: Dir, b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    if (b[off] !== 0 || len < 8) return; // NBSS session request/keepalive etc.
    const m = off + 4;
    if (b[m + 1] !== 0x53 || b[m + 2] !== 0x4d || b[m + 3] !== 0x42) {
      this.host.count('smb_unknown_pdus');
      return;
    }
    const proto = b[m];
    if (proto === 0xfd || proto === 0xfc) {
      this.host.count(proto === 0xfd ? 'smb_encrypted_pdus' : 'smb_compressed_pdus');
      this.seen();
      // An encrypted session stays encrypted: once both sides have sent only ciphertext for a
      // while there is nothing left to learn from this connection.
      if (proto === 0xfd && ++this.encryptedRun >= 16) this.finished = true;
      return;
    }
    this.encryptedRun = 0;
    if (proto === 0xff) {
      this.seen();
      this.smb1(b, m, len - 4, ts);
      return;
    }
    if (proto !== 0xfe) return;
    this.seen();
    // Walk the compound chain (NextCommand), bounded by what was delivered.
    let p = m;
    const end = off + len;
    for (let i = 0; i < 32; i++) {
      if (p + HDR > end) {
        this.host.count('smb_truncated_headers');
        return;
      }
      if (b[p] !== 0xfe || b[p + 1] !== 0x53 || u16(b, p + 4) !== HDR) return;
      const next = u32(b, p + 20);
      const msgEnd = next >= HDR && p + next <= end ? p + next : end;
      this.smb2(b, p, msgEnd, end, ts);
      if (next < HDR || (next & 7) !== 0 || p + next >= end) return;
      p += next;
    }
  }

  private seen(): void {
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('smb');
    }
  }

  // SMB1 ------------------------------------------------------------------------------------
  private smb1(b: Uint8Array, m: number, len: number, ts: number): void {
    this.host.count('smb1_pdus');
    if (len < 32 || !(b[m + 9] & 0x80)) return; // log replies only
    const cmd = b[m + 4];
    if (cmd === 0x2e || cmd === 0x2f || cmd === 0x2b) return; // READ_ANDX, WRITE_ANDX, ECHO
    const nt = (u16(b, m + 10) & 0x4000) !== 0;
    const status = nt ? ntStatusName(u32(b, m + 5)) : 'DOS-' + b[m + 5] + '-' + u16(b, m + 7);
    this.host.emit({
      _path: 'smb_cmd',
      ts,
      command: SMB1_COMMANDS.get(cmd) ?? 'SMB1-0x' + cmd.toString(16),
      status,
      version: 'SMB1',
    });
  }

  // SMB2 ------------------------------------------------------------------------------------
  /**
   * One SMB2 message at b[m, msgEnd); `end` bounds the delivered bytes (a READ/WRITE body beyond
   * it was skipped unbuffered).
   */
  private smb2(b: Uint8Array, m: number, msgEnd: number, end: number, ts: number): void {
    const flags = u32(b, m + 16);
    const cmd = u16(b, m + 12);
    const mid = key64(b, m + 24);
    const body = m + HDR;
    if (flags & FLAG_SIGNED) this.host.count('smb_signed_pdus');
    // Request or response by the header flag, not by direction: a capture that starts mid-session
    // may have made the server the originator.
    if (!(flags & FLAG_RESPONSE)) {
      this.request(b, m, body, msgEnd, end, cmd, mid, flags, ts);
      return;
    }
    const status = u32(b, m + 8);
    const p = this.pending.get(mid);
    if (status === ST_PENDING && flags & FLAG_ASYNC) return; // interim; the final answer follows
    if (p) this.pending.delete(mid);
    this.response(b, m, body, msgEnd, end, cmd, status, p, ts);
  }

  private addPending(mid: number, p: Pending): void {
    if (this.pending.size >= MAX_PENDING) {
      this.pending.delete(this.pending.keys().next().value as number);
      this.host.count('smb_pending_evicted');
    }
    this.pending.set(mid, p);
  }

  private request(b: Uint8Array, m: number, body: number, msgEnd: number, end: number, cmd: number, mid: number, flags: number, ts: number): void {
    const tid = flags & FLAG_ASYNC ? 0 : u32(b, m + 36);
    const sid = key64(b, m + 40);
    const bl = msgEnd - body;
    switch (cmd) {
      case WRITE: {
        if (bl < 48) return;
        const dOff = u16(b, body + 2);
        const n = u32(b, body + 4);
        const f = this.fileFor(b, body + 16, treeKey(sid, tid), m + dOff, end, n);
        if (!f) return;
        if (f.bytesWritten === 0) f.writeTs = ts;
        f.bytesWritten += n;
        if (f.pipe) this.pipeData(f, 0, b, m + dOff, n, end, ts);
        return;
      }
      case READ: {
        if (bl < 32) return;
        const fk = fidKey(b, body + 16);
        this.addPending(mid, { cmd, ts, tid, sid, fid: fk, file: this.files.get(fk) });
        return;
      }
      case SESSION_SETUP: {
        if (bl >= 16) this.secBlob(b, m, u16(b, body + 12), u16(b, body + 14), end, ts);
        this.addPending(mid, { cmd, ts, tid, sid });
        return;
      }
      case TREE_CONNECT: {
        const p: Pending = { cmd, ts, tid, sid };
        if (bl >= 8) {
          const o = u16(b, body + 4);
          const n = u16(b, body + 6);
          if (n > 0 && m + o + n <= end) p.treePath = utf16(b, m + o, n);
        }
        this.addPending(mid, p);
        return;
      }
      case TREE_DISCONNECT:
        this.addPending(mid, { cmd, ts, tid, sid });
        return;
      case CREATE: {
        const p: Pending = { cmd, ts, tid, sid, name: '' };
        if (bl >= 56) {
          p.createOptions = u32(b, body + 40);
          const o = u16(b, body + 44);
          const n = u16(b, body + 46);
          if (n > 0 && m + o + n <= end) p.name = utf16(b, m + o, n);
        }
        this.addPending(mid, p);
        return;
      }
      case CLOSE:
        // Resolved when answered: in a CREATE+…+CLOSE compound the handle exists only then.
        if (bl >= 24) this.addPending(mid, { cmd, ts, tid, sid, fid: fidKey(b, body + 8) });
        return;
      case IOCTL: {
        if (bl < 56) return;
        const code = u32(b, body + 4);
        const p: Pending = { cmd, ts, tid, sid, sub: FSCTL_NAMES.get(code) ?? '0x' + code.toString(16).padStart(8, '0') };
        if (code === FSCTL_PIPE_TRANSCEIVE) {
          p.transceive = true;
          const inOff = u32(b, body + 24);
          const inLen = u32(b, body + 28);
          const f = this.fileFor(b, body + 8, treeKey(sid, tid), m + inOff, end, inLen);
          if (f) {
            p.file = f;
            if (f.pipe) this.pipeData(f, 0, b, m + inOff, inLen, end, ts);
          }
        }
        this.addPending(mid, p);
        return;
      }
      case QUERY_DIRECTORY: {
        const p: Pending = { cmd, ts, tid, sid };
        if (bl >= 32) {
          p.fid = fidKey(b, body + 8);
          const o = u16(b, body + 24);
          const n = u16(b, body + 26);
          if (n > 0 && m + o + n <= end) p.arg = utf16(b, m + o, n);
        }
        this.addPending(mid, p);
        return;
      }
      case SET_INFO: {
        if (bl < 32) return;
        const type = b[body + 2];
        const cls = b[body + 3];
        const blen = u32(b, body + 4);
        const bo = m + u16(b, body + 8);
        const p: Pending = { cmd, ts, tid, sid, fid: fidKey(b, body + 16) };
        if (type === 1) {
          p.sub = INFO_CLASS[cls] ?? 'FILE_INFO_' + cls;
          if (cls === 10 && blen >= 20 && bo + 20 <= end) {
            const n = u32(b, bo + 16);
            if (n > 0 && bo + 20 + n <= end) p.renameTo = utf16(b, bo + 20, n);
          } else if (cls === 13 && blen >= 1 && bo < end) {
            p.deleteFlag = b[bo] !== 0;
          } else if (cls === 64 && blen >= 4 && bo + 4 <= end) {
            p.deleteFlag = (u32(b, bo) & 1) !== 0;
          }
        }
        this.addPending(mid, p);
        return;
      }
      case NEGOTIATE:
      case LOGOFF:
        this.addPending(mid, { cmd, ts, tid, sid });
        return;
      default:
        return;
    }
  }

  private response(b: Uint8Array, m: number, body: number, msgEnd: number, end: number, cmd: number, status: number, p: Pending | undefined, ts: number): void {
    const bl = msgEnd - body;
    const ok = status === ST_SUCCESS;
    if (p && !p.file && p.fid !== undefined) p.file = p.fid === -1 ? this.lastCreated : this.files.get(p.fid);
    switch (cmd) {
      case CLOSE: {
        const f = p?.file;
        if (!f) return;
        this.closeFile(f, ts);
        if (p!.fid !== -1) this.files.delete(p!.fid!);
        else for (const [k, v] of this.files) if (v === f) this.files.delete(k);
        return;
      }
      case READ: {
        if ((!ok && status !== ST_BUFFER_OVERFLOW) || bl < 16) return;
        const dOff = u16(b, body + 2) & 0xff;
        const n = u32(b, body + 4);
        let f = p?.file;
        if (!f && p && p.fid !== undefined && p.fid !== -1) {
          f = this.adopt(p.fid, treeKey(p.sid, p.tid), looksDce(b, m + dOff, Math.min(n, end - m - dOff)));
        }
        if (!f) return;
        if (f.pipe === undefined && looksDce(b, m + dOff, Math.min(n, end - m - dOff))) f.pipe = true;
        if (f.bytesRead === 0) f.readTs = p!.ts;
        f.bytesRead += n;
        if (f.pipe) this.pipeData(f, 1, b, m + dOff, n, end, ts);
        return;
      }
      case WRITE:
        return;
      case SESSION_SETUP: {
        if (bl >= 8) this.secBlob(b, m, u16(b, body + 4), u16(b, body + 6), end, ts);
        if (status === ST_MORE_PROCESSING) return;
        const ev = this.ntlm.takeEvent(ok);
        if (ev) {
          this.host.emit(ev);
          if (ok && ev.username) {
            const user = ev.domainname ? ev.domainname + '\\' + ev.username : (ev.username as string);
            if (this.users.size >= MAX_SESSIONS) this.users.delete(this.users.keys().next().value as number);
            this.users.set(key64(b, m + 40), user);
          }
        }
        if (ok && bl >= 4 && u16(b, body + 2) & 0x4) this.host.count('smb_encrypted_sessions');
        break;
      }
      case NEGOTIATE:
        if (p && bl >= 8) p.arg = SMB2_DIALECTS.get(u16(b, body + 4)) ?? '0x' + u16(b, body + 4).toString(16);
        break;
      case TREE_CONNECT: {
        if (!p) break;
        const tid = u32(b, m + 36);
        if (ok && bl >= 8) {
          const t: Tree = { path: p.treePath, type: SMB2_SHARE_TYPES[b[body + 2]] || undefined };
          if (this.trees.size >= MAX_TREES) this.trees.delete(this.trees.keys().next().value as string);
          this.trees.set(treeKey(p.sid, tid), t);
          const ev: AppEvent = { _path: 'smb_mapping', ts: p.ts };
          if (t.path) ev.path = t.path;
          if (t.type) ev.share_type = t.type;
          this.host.emit(ev);
        }
        p.tid = tid;
        break;
      }
      case TREE_DISCONNECT:
        if (p) this.trees.delete(treeKey(p.sid, p.tid));
        break;
      case CREATE: {
        if (!p || !ok || bl < 80) break;
        const tree = this.trees.get(treeKey(p.sid, p.tid));
        const name = p.name || '<share_root>';
        const pipe = tree?.type === 'PIPE' ? true : tree?.type ? false : undefined;
        const f = new SmbFile(name, tree?.path, Number(u32(b, body + 48)) + u32(b, body + 52) * 4294967296, pipe);
        if (p.createOptions !== undefined && p.createOptions & FILE_DELETE_ON_CLOSE) f.deleteOnClose = true;
        const fk = fidKey(b, body + 64);
        if (this.files.size >= MAX_FILES) {
          const k = this.files.keys().next().value as number;
          this.closeFile(this.files.get(k)!, ts);
          this.files.delete(k);
          this.host.count('smb_files_evicted');
        }
        this.files.set(fk, f);
        this.lastCreated = f;
        p.file = f;
        if (!f.pipe) {
          const ev = this.fileEvent('SMB::FILE_OPEN', f, p.ts);
          const mt = filetime(b, body + 24);
          if (mt !== undefined) {
            ev['times.modified'] = mt;
            ev['times.accessed'] = filetime(b, body + 16);
            ev['times.created'] = filetime(b, body + 8);
            ev['times.changed'] = filetime(b, body + 32);
          }
          const ident = f.path + '|' + f.name + '|' + f.size + '|' + mt;
          const last = this.recent.get(ident);
          if (last === undefined || p.ts - last > RECENT_WINDOW) {
            if (this.recent.size >= MAX_RECENT) this.recent.delete(this.recent.keys().next().value as string);
            this.recent.set(ident, p.ts);
            this.host.emit(ev);
          }
        }
        break;
      }
      case IOCTL: {
        if (!p) return;
        if (p.transceive) {
          if ((ok || status === ST_BUFFER_OVERFLOW) && bl >= 40) {
            const oOff = u32(b, body + 32);
            const oLen = u32(b, body + 36);
            let f = p.file;
            if (!f && looksDce(b, m + oOff, Math.min(oLen, end - m - oOff))) f = this.adopt(fidKey(b, body + 8), treeKey(p.sid, p.tid), true);
            if (f?.pipe) this.pipeData(f, 1, b, m + oOff, oLen, end, ts);
          }
          return; // carried DCE/RPC is logged as dce_rpc
        }
        break;
      }
      case SET_INFO: {
        if (!p || !ok) break;
        const f = p.file;
        if (f && p.renameTo !== undefined) {
          const ev = this.fileEvent('SMB::FILE_RENAME', f, p.ts);
          ev.prev_name = f.name;
          ev.name = p.renameTo;
          f.name = p.renameTo;
          this.host.emit(ev);
        } else if (f && p.deleteFlag) {
          f.deleteOnClose = false; // logged now, not again at close
          this.host.emit(this.fileEvent('SMB::FILE_DELETE', f, p.ts));
        }
        break;
      }
      default:
        break;
    }
    if (p && SMB2_LOGGED_COMMANDS.has(cmd) && !(cmd === SESSION_SETUP && status === ST_MORE_PROCESSING)) this.cmdEvent(cmd, status, p, ts, b, m);
  }

  private cmdEvent(cmd: number, status: number, p: Pending, ts: number, b: Uint8Array, m: number): void {
    const ev: AppEvent = { _path: 'smb_cmd', ts: p.ts, command: SMB2_COMMANDS[cmd] };
    if (p.sub) ev.sub_command = p.sub;
    if (p.arg) ev.argument = p.arg;
    ev.status = ntStatusName(status);
    ev.rtt = ts - p.ts;
    ev.version = 'SMB2';
    const user = this.users.get(p.sid) ?? this.users.get(key64(b, m + 40));
    if (user) ev.username = user;
    const tk = treeKey(p.sid, p.tid);
    const tree = cmd === TREE_CONNECT ? { path: p.treePath, type: this.trees.get(tk)?.type } : this.trees.get(tk);
    if (tree?.path) ev.tree = tree.path;
    if (tree?.type) ev.tree_service = tree.type;
    const f = p.file;
    if (f) {
      ev['referenced_file.action'] = f.pipe ? 'SMB::PIPE_OPEN' : 'SMB::FILE_OPEN';
      if (cmd === SET_INFO && p.renameTo !== undefined) ev['referenced_file.action'] = 'SMB::FILE_RENAME';
      else if (cmd === SET_INFO && p.deleteFlag) ev['referenced_file.action'] = 'SMB::FILE_DELETE';
      if (f.path) ev['referenced_file.path'] = f.path;
      ev['referenced_file.name'] = f.name;
      ev['referenced_file.size'] = f.size;
    } else if (cmd === CREATE && p.name !== undefined) {
      ev['referenced_file.name'] = p.name || '<share_root>';
    }
    this.host.emit(ev);
  }

  private fileEvent(action: string, f: SmbFile, ts: number): AppEvent {
    const ev: AppEvent = { _path: 'smb_files', ts, action };
    if (f.path) ev.path = f.path;
    ev.name = f.name;
    ev.size = f.size;
    return ev;
  }

  /** Emit the handle's aggregates (reads, writes, delete-on-close) and release its pipe state. */
  private closeFile(f: SmbFile, ts: number): void {
    if (f.dce) {
      f.dce.end();
      f.dce = null;
      this.livePipes--;
    }
    if (f.pipe) return;
    if (f.bytesRead > 0) {
      const ev = this.fileEvent('SMB::FILE_READ', f, f.readTs);
      ev.bytes_read = f.bytesRead;
      this.host.emit(ev);
      f.bytesRead = 0;
    }
    if (f.bytesWritten > 0) {
      const ev = this.fileEvent('SMB::FILE_WRITE', f, f.writeTs);
      ev.bytes_written = f.bytesWritten;
      if (f.bytesWritten > f.size) ev.size = f.bytesWritten;
      this.host.emit(ev);
      f.bytesWritten = 0;
    }
    if (f.deleteOnClose) {
      this.host.emit(this.fileEvent('SMB::FILE_DELETE', f, ts));
      f.deleteOnClose = false;
    }
  }

  /**
   * The open file for a WRITE/IOCTL, deciding pipe-ness for handles opened before the capture
   * or on an unknown tree by whether the payload is a DCE/RPC PDU.
   */
  private fileFor(b: Uint8Array, fidAt: number, tk: string, data: number, end: number, n: number): SmbFile | undefined {
    const fk = fidKey(b, fidAt);
    let f = fk === -1 ? this.lastCreated : this.files.get(fk);
    const dce = data < end && looksDce(b, data, Math.min(n, end - data));
    if (!f) {
      if (fk === -1) return undefined;
      f = this.adopt(fk, tk, dce);
    }
    if (f.pipe === undefined && dce) f.pipe = true;
    return f;
  }

  /**
   * A handle opened before the capture started (long-lived mapped drives are the norm): track it
   * under the name "<unknown>" so its I/O still aggregates; a DCE/RPC payload marks it a pipe.
   */
  private adopt(fk: number, tk: string, dce: boolean): SmbFile {
    const tree = this.trees.get(tk);
    const f = new SmbFile('<unknown>', tree?.path, 0, dce || tree?.type === 'PIPE' ? true : tree?.type ? false : undefined);
    if (this.files.size < MAX_FILES) this.files.set(fk, f);
    else this.host.count('smb_files_untracked');
    return f;
  }

  /** Feed pipe payload to the handle's DCE/RPC association; bytes not kept count as a gap. */
  private pipeData(f: SmbFile, dir: Dir, b: Uint8Array, p: number, n: number, end: number, ts: number): void {
    if (!f.dce) {
      if (this.livePipes >= MAX_PIPES) {
        this.host.count('smb_pipes_untracked');
        return;
      }
      this.livePipes++;
      const name = f.name.replace(/^\\+/, '');
      f.dce = new DceRpcAssoc(this.host, this.ctx.maxBufferBytes, name.startsWith('<') ? undefined : name);
    }
    const have = Math.max(0, Math.min(n, end - p));
    if (have > 0) f.dce.data(dir, b, p, have, ts);
    if (have < n) f.dce.gap(dir, n - have);
  }

  /** SESSION_SETUP security blob at header-relative offset `o`. */
  private secBlob(b: Uint8Array, m: number, o: number, n: number, end: number, ts: number): void {
    if (n === 0 || m + o + n > end) return;
    const r = this.ntlm.feedBlob(b, m + o, n, ts);
    if (this.ntlm.sawSpnego) this.host.confirm('gssapi');
    if (r === BLOB_NTLM) this.host.confirm('ntlm');
    else if (r === BLOB_KRB5) this.host.confirm('krb');
  }
}

export const smbParser: AppParser = {
  service: 'smb',
  transport: 'tcp',
  ports: [445, 139],
  probe(_dir, buf, off, len) {
    if (len === 4) return buf[off] === 0x82 && buf[off + 1] === 0 && buf[off + 2] === 0 && buf[off + 3] === 0;
    if (len < 8) return false;
    // NetBIOS session request / positive response that opens SMB on port 139 (RFC 1002 §4.3.2):
    // called and calling names, each a 32-byte first-level encoding with its length byte.
    if (buf[off] === 0x81) return len === 72 && buf[off + 3] === 68 && buf[off + 4] === 0x20 && buf[off + 38] === 0x20;
    if (buf[off + 5] !== 0x53 || buf[off + 6] !== 0x4d || buf[off + 7] !== 0x42) return false;
    const p = buf[off + 4];
    if (p !== 0xfe && p !== 0xff && p !== 0xfd && p !== 0xfc) return false;
    return buf[off] === 0 && ((buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >= 32;
  },
  create(ctx: SessionContext) {
    return new SmbSession(ctx);
  },
};
