/**
 * Connection-oriented DCE/RPC (C706 ch. 12, [MS-RPCE] §2.2.2) over TCP (135 and the dynamic
 * ports the endpoint mapper hands out) and over SMB named pipes (the SMB parser feeds pipe
 * WRITE/READ/IOCTL payloads into a `DceRpcAssoc` per pipe handle).
 *
 * Emits Zeek's dce_rpc.log — ts, rtt, named_pipe, endpoint, operation — one record per call,
 * written when the (last fragment of the) response or a fault arrives, or at the end of the
 * association without rtt. Bind/alter_context map presentation-context ids to interface UUIDs;
 * request opnums name the operation through `dcerpc-interfaces.ts`. Auth verifiers carrying
 * NTLMSSP produce ntlm.log records. For the few calls detections need to look inside, the stub is
 * decoded (NDR, bounded): svcctl CreateService(W/A/WOW64) and ChangeServiceConfigW (`service_name`,
 * `binary_path`), atsvc NetrJobAdd (`command`), ITaskSchedulerService SchRpcRegisterTask
 * (`task_name`, `command` from the task XML), netlogon ReqChallenge/Authenticate*
 * (`account_name`, `zero_credential` — the Zerologon signature).
 */
import type { AppEvent, AppParser, AppSession, Dir, SessionContext } from './types.js';
import { PduStream, type Framer } from './pdu-stream.js';
import { PIPE_DEFAULT_INTERFACE, RPC_INTERFACES } from './dcerpc-interfaces.js';
import { BLOB_KRB5, BLOB_NTLM, NtlmAuth } from './ntlm.js';

/** What an association reports to its carrier (TCP session or SMB session). */
export interface RpcHost {
  emit(ev: AppEvent): void;
  confirm(service: string): void;
  count(name: string, n?: number): void;
}

/** The carrier's session context as an RpcHost (counting is optional in the contract). */
export function rpcHost(ctx: SessionContext): RpcHost {
  return {
    emit: (ev) => ctx.emit(ev),
    confirm: (s) => ctx.confirm(s),
    count: (name, n) => ctx.count?.(name, n),
  };
}

const PT_REQUEST = 0;
const PT_RESPONSE = 2;
const PT_FAULT = 3;
const PT_BIND = 11;
const PT_BIND_ACK = 12;
const PT_ALTER = 14;
const PT_ALTER_RESP = 15;
const PT_AUTH3 = 16;
const PFC_FIRST = 0x01;
const PFC_LAST = 0x02;
const PFC_OBJECT_UUID = 0x80;

const MAX_CALLS = 256;
const MAX_CONTEXTS = 64;
const MAX_PDU_KEEP = 16384;
const MAX_STUB = 32768;
/** Fragmented requests whose stub is collected at once (memory: MAX_COLLECTING × MAX_STUB). */
const MAX_COLLECTING = 2;

const UUID_SVCCTL = '367abb81-9844-35f1-ad32-98f038001003';
const UUID_ATSVC = '1ff70682-0a51-30e8-076d-740be8cee98b';
const UUID_NETLOGON = '12345678-1234-abcd-ef00-01234567cffb';
const UUID_TSCH = '86d35949-83c9-4044-b424-db363231fd0c';
const NDR64_UUID = '71710533-beba-4937-8319-b5dbef9ccc36';

interface Call {
  ts: number;
  uuid: string | undefined;
  opnum: number;
  extra: Record<string, unknown> | null;
  /** Stub of a fragmented request being collected for `stubFields` (bounded by MAX_STUB). */
  stub?: Uint8Array;
  stubLen?: number;
  ndr64?: boolean;
  le?: boolean;
}

function hex2(v: number): string {
  return (v < 16 ? '0' : '') + v.toString(16);
}

/** Interface UUID at b[p..p+16) in the PDU's integer representation, as Zeek prints it. */
export function uuidAt(b: Uint8Array, p: number, le: boolean): string {
  const d1 = le ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0 : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
  const d2 = le ? b[p + 4] | (b[p + 5] << 8) : (b[p + 4] << 8) | b[p + 5];
  const d3 = le ? b[p + 6] | (b[p + 7] << 8) : (b[p + 6] << 8) | b[p + 7];
  let s = d1.toString(16).padStart(8, '0') + '-' + d2.toString(16).padStart(4, '0') + '-' + d3.toString(16).padStart(4, '0') + '-';
  s += hex2(b[p + 8]) + hex2(b[p + 9]) + '-';
  for (let i = 10; i < 16; i++) s += hex2(b[p + i]);
  return s;
}

function rd16(b: Uint8Array, p: number, le: boolean): number {
  return le ? b[p] | (b[p + 1] << 8) : (b[p] << 8) | b[p + 1];
}

function rd32(b: Uint8Array, p: number, le: boolean): number {
  return le
    ? (b[p] | (b[p + 1] << 8) | (b[p + 2] << 16) | (b[p + 3] << 24)) >>> 0
    : ((b[p] << 24) | (b[p + 1] << 16) | (b[p + 2] << 8) | b[p + 3]) >>> 0;
}

/** Total PDU length at b[off] (common header, C706 §12.6.3.1), 0 = need more, -1 = not DCE/RPC. */
export function dceFrameLength(b: Uint8Array, off: number, avail: number): number {
  if (avail < 10) return avail > 0 && b[off] !== 5 ? -1 : 0;
  if (b[off] !== 5 || b[off + 1] > 1) return -1;
  const pt = b[off + 2];
  if (pt > 19 || (pt !== 0 && pt !== 2 && pt !== 3 && pt < 11)) return -1;
  const drep = b[off + 4];
  if ((drep & 0xee) !== 0) return -1; // integer rep 0/1, ASCII/EBCDIC only
  const len = rd16(b, off + 8, (drep & 0x10) !== 0);
  return len >= 16 ? len : -1;
}

/**
 * NDR cursor over one request stub (C706 ch. 14 NDR, [MS-RPCE] §2.2.5 NDR64). Alignment is
 * relative to the stub start. NDR64 widens pointers (referent ids), conformance/variance counts
 * and DWORD_PTR to 8 bytes aligned to 8.
 */
class Ndr {
  constructor(
    private readonly b: Uint8Array,
    public p: number,
    private readonly start: number,
    private readonly end: number,
    private readonly le: boolean,
    private readonly ndr64: boolean,
  ) {}
  align(n: number): boolean {
    const r = (this.p - this.start) % n;
    if (r) this.p += n - r;
    return this.p <= this.end;
  }
  u16(): number | undefined {
    if (!this.align(2) || this.p + 2 > this.end) return undefined;
    const v = rd16(this.b, this.p, this.le);
    this.p += 2;
    return v;
  }
  u32(): number | undefined {
    if (!this.align(4) || this.p + 4 > this.end) return undefined;
    const v = rd32(this.b, this.p, this.le);
    this.p += 4;
    return v;
  }
  /** Pointer-sized value: referent id, conformance/variance count, DWORD_PTR. */
  wide(): number | undefined {
    if (!this.ndr64) return this.u32();
    if (!this.align(8) || this.p + 8 > this.end) return undefined;
    const lo = rd32(this.b, this.p, this.le);
    const hi = rd32(this.b, this.p + 4, this.le);
    this.p += 8;
    return hi === 0 ? lo : lo + hi * 4294967296;
  }
  skip(n: number): boolean {
    this.p += n;
    return this.p <= this.end;
  }
  /** Conformant varying string (max, offset, actual, chars), `wide` = UTF-16. */
  str(wide: boolean, cap = 2048): string | undefined {
    const max = this.wide();
    const offset = this.wide();
    const actual = this.wide();
    if (max === undefined || offset === undefined || actual === undefined || actual > max || offset > max) return undefined;
    const n = actual * (wide ? 2 : 1);
    if (this.p + n > this.end) return undefined;
    let m = Math.min(n, cap);
    if (wide) m &= ~1;
    let s = Buffer.from(this.b.buffer, this.b.byteOffset + this.p, m).toString(wide ? 'utf16le' : 'latin1');
    if (s.endsWith('\0')) s = s.slice(0, -1);
    this.p += n;
    return s;
  }
  /** [unique] pointer to a string: referent id, then the string if non-null. */
  uniqueStr(wide: boolean): string | null | undefined {
    const ref = this.wide();
    if (ref === undefined) return undefined;
    if (ref === 0) return null;
    return this.str(wide);
  }
}

/**
 * Decode the request stub of the calls detections inspect. Returns extra log fields or null.
 * Layouts: [MS-SCMR] §3.1.4.12/.11/.24, [MS-TSCH] §3.2.5.2.1 (AT_INFO), [MS-NRPC] §3.5.4.4.
 */
function stubFields(uuid: string, opnum: number, b: Uint8Array, start: number, end: number, le: boolean, ndr64: boolean): Record<string, unknown> | null {
  const n = new Ndr(b, start, start, end, le, ndr64);
  if (uuid === UUID_SVCCTL) {
    if (opnum === 12 || opnum === 24 || opnum === 44 || opnum === 45 || opnum === 60) {
      // CreateService{W,A}, CreateServiceWOW64{A,W}, CreateWowService
      const wide = opnum !== 24 && opnum !== 44;
      if (!n.skip(20)) return null; // SC_RPC_HANDLE
      const name = n.str(wide);
      if (name === undefined) return null;
      const display = n.uniqueStr(wide);
      if (display === undefined) return { service_name: name };
      for (let i = 0; i < 4; i++) if (n.u32() === undefined) return { service_name: name };
      const path = n.str(wide);
      return path === undefined ? { service_name: name } : { service_name: name, binary_path: path };
    }
    if (opnum === 11) {
      // ChangeServiceConfigW: handle, type, start, error control, [unique] lpBinaryPathName
      if (!n.skip(20)) return null;
      for (let i = 0; i < 3; i++) if (n.u32() === undefined) return null;
      const path = n.uniqueStr(true);
      return typeof path === 'string' ? { binary_path: path } : null;
    }
    return null;
  }
  if (uuid === UUID_ATSVC && opnum === 0) {
    // NetrJobAdd: [unique,string] ServerName, AT_INFO { JobTime, DaysOfMonth, DaysOfWeek, Flags, [unique,string] Command }
    if (n.uniqueStr(true) === undefined) return null;
    if (n.wide() === undefined || n.u32() === undefined || !n.skip(2)) return null;
    const ref = n.wide();
    if (!ref) return null;
    const cmd = n.str(true);
    return cmd === undefined ? null : { command: cmd };
  }
  if (uuid === UUID_TSCH && opnum === 1) {
    // SchRpcRegisterTask: [unique,string] path, [string] xml (task definition), flags, ...
    const path = n.uniqueStr(true);
    if (path === undefined) return null;
    const xml = n.str(true, 16384);
    const out: Record<string, unknown> = {};
    if (path !== null) out.task_name = path;
    const cmd = xml && taskCommand(xml);
    if (cmd) out.command = cmd;
    return out;
  }
  if (uuid === UUID_NETLOGON && (opnum === 4 || opnum === 5 || opnum === 15 || opnum === 26)) {
    if (n.uniqueStr(true) === undefined) return null; // PrimaryName
    let account: string | undefined;
    if (opnum !== 4) {
      account = n.str(true); // AccountName
      if (account === undefined || n.u16() === undefined) return null; // SecureChannelType
    }
    if (n.str(true) === undefined) return null; // ComputerName
    if (n.p + 8 > end) return null;
    let zero = true;
    for (let i = 0; i < 8; i++) if (b[n.p + i] !== 0) zero = false;
    return account === undefined ? { zero_credential: zero } : { account_name: account, zero_credential: zero };
  }
  return null;
}

const XML_ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** `<Exec><Command>…</Command><Arguments>…</Arguments>` of a task definition ([MS-TSCH] §2.5.8.2). */
function taskCommand(xml: string): string | undefined {
  const tag = (name: string): string | undefined => {
    const m = new RegExp('<' + name + '>([^<]{0,1024})</' + name + '>').exec(xml);
    return m ? m[1].replace(/&(amp|lt|gt|quot|apos);/g, (_, e: string) => XML_ENTITIES[e]).trim() : undefined;
  };
  const cmd = tag('Command');
  if (!cmd) return undefined;
  const args = tag('Arguments');
  return args ? cmd + ' ' + args : cmd;
}

function wantsStub(uuid: string | undefined, opnum: number): boolean {
  if (uuid === UUID_TSCH) return opnum === 1;
  if (uuid === UUID_SVCCTL) return opnum === 11 || opnum === 12 || opnum === 24 || opnum === 44 || opnum === 45 || opnum === 60;
  if (uuid === UUID_ATSVC) return opnum === 0;
  if (uuid === UUID_NETLOGON) return opnum === 4 || opnum === 5 || opnum === 15 || opnum === 26;
  return false;
}

class DirFramer implements Framer {
  readonly peek = 40; // request header with object UUID
  constructor(
    private readonly a: DceRpcAssoc,
    private readonly dir: Dir,
  ) {}
  frameLength(b: Uint8Array, off: number, avail: number): number {
    return dceFrameLength(b, off, avail);
  }
  wanted(b: Uint8Array, off: number, avail: number, total: number): number {
    const pt = b[off + 2];
    if (pt === PT_REQUEST && avail >= 24) {
      const le = (b[off + 4] & 0x10) !== 0;
      const uuid = this.a.uuidFor(rd16(b, off + 20, le));
      return wantsStub(uuid, rd16(b, off + 22, le)) ? total : (b[off + 3] & PFC_OBJECT_UUID ? 40 : 24);
    }
    if (pt === PT_RESPONSE || pt === PT_FAULT) return 24;
    return total; // bind, alter_context, their acks, auth3: small, and carry auth verifiers
  }
  onPdu(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    this.a.pdu(this.dir, b, off, len, total, ts);
  }
  resync(b: Uint8Array, off: number, len: number): number {
    const end = off + len - 10;
    for (let p = off; p <= end; p++) {
      if (b[p] === 5 && b[p + 1] <= 1 && (b[p + 4] === 0x10 || b[p + 4] === 0) && b[p + 6] === 0 && b[p + 7] === 0 && dceFrameLength(b, p, 10) > 0) return p;
    }
    return -1;
  }
}

/** One DCE/RPC association: a TCP connection, or one SMB pipe handle. */
export class DceRpcAssoc {
  /** Zeek's named_pipe: bind_ack secondary address, else what the carrier set (pipe name). */
  namedPipe: string | undefined;
  private readonly ctxUuid = new Map<number, string>();
  /** Contexts whose (first) proposed transfer syntax is NDR64. */
  private readonly ctxNdr64 = new Set<number>();
  private lastUuid: string | undefined;
  private readonly calls = new Map<number, Call>();
  private readonly streams: [PduStream, PduStream];
  private ntlm: NtlmAuth | null = null;
  private confirmed = false;

  /**
   * @param host where events and counters go
   * @param pipe SMB pipe name (as opened, e.g. "svcctl" or "\\PIPE\\svcctl"), for the
   *   named_pipe field and the bind-not-seen fallback; undefined over TCP
   */
  constructor(
    private readonly host: RpcHost,
    maxBuffer: number,
    private readonly pipe?: string,
  ) {
    const cap = Math.max(1024, Math.min(maxBuffer, MAX_PDU_KEEP));
    this.streams = [new PduStream(new DirFramer(this, 0), cap, 16), new PduStream(new DirFramer(this, 1), cap, 16)];
    this.namedPipe = pipe;
  }

  get buffered(): number {
    return this.streams[0].buffered + this.streams[1].buffered;
  }

  /** Both directions lost sync and cannot recover. */
  get broken(): boolean {
    return this.streams[0].broken && this.streams[1].broken;
  }

  data(dir: Dir, b: Uint8Array, off: number, len: number, ts: number): void {
    this.streams[dir].push(b, off, len, ts);
  }

  gap(dir: Dir, len: number): void {
    this.streams[dir].gap(len);
  }

  /** Flush calls that never saw a response (Zeek logs them without rtt at connection end). */
  end(): void {
    for (const [, c] of this.calls) this.emitCall(c, undefined);
    this.calls.clear();
    const ev = this.ntlm?.takeEvent();
    if (ev) this.host.emit(ev);
    const s = this.streams;
    const d = s[0].desyncs + s[1].desyncs;
    if (d) this.host.count('dce_rpc_desync', d);
  }

  private collecting(): number {
    let n = 0;
    for (const [, c] of this.calls) if (c.stub) n++;
    return n;
  }

  /** UUID bound to a presentation context (or the best guess when the bind was not seen). */
  uuidFor(ctxId: number): string | undefined {
    const u = this.ctxUuid.get(ctxId);
    if (u) return u;
    if (this.lastUuid) return this.lastUuid;
    if (this.pipe) {
      const name = this.pipe.toLowerCase().replace(/^.*\\pipe\\/, '').replace(/^\\+/, '');
      return PIPE_DEFAULT_INTERFACE[name];
    }
    return undefined;
  }

  pdu(dir: Dir, b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    if (!this.confirmed) {
      this.confirmed = true;
      this.host.confirm('dce_rpc');
    }
    const pt = b[off + 2];
    const flags = b[off + 3];
    const le = (b[off + 4] & 0x10) !== 0;
    const authLen = rd16(b, off + 10, le);
    const callId = rd32(b, off + 12, le);
    switch (pt) {
      case PT_REQUEST: {
        if (len < 24) return;
        const stub = off + (flags & PFC_OBJECT_UUID ? 40 : 24);
        const stubEnd = off + total - (authLen ? authLen + 8 : 0);
        if (!(flags & PFC_FIRST)) {
          // Later fragment: only stubs we decode are collected (bounded), the rest is ignored.
          const c = this.calls.get(callId);
          if (!c?.stub) return;
          if (len !== total || stubEnd - stub > MAX_STUB - c.stubLen!) {
            c.stub = undefined;
            this.host.count('dce_rpc_stub_too_long');
            return;
          }
          c.stub.set(b.subarray(stub, stubEnd), c.stubLen);
          c.stubLen! += stubEnd - stub;
          if (flags & PFC_LAST) {
            c.extra = stubFields(c.uuid!, c.opnum, c.stub, 0, c.stubLen!, c.le!, c.ndr64!);
            c.stub = undefined;
          }
          return;
        }
        const ctxId = rd16(b, off + 20, le);
        const opnum = rd16(b, off + 22, le);
        const uuid = this.uuidFor(ctxId);
        const call: Call = { ts, uuid, opnum, extra: null };
        if (len === total && stubEnd > stub && wantsStub(uuid, opnum)) {
          const ndr64 = this.ctxNdr64.has(ctxId);
          if (flags & PFC_LAST) call.extra = stubFields(uuid!, opnum, b, stub, stubEnd, le, ndr64);
          else if (stubEnd - stub <= MAX_STUB && this.collecting() < MAX_COLLECTING) {
            call.stub = new Uint8Array(MAX_STUB);
            call.stub.set(b.subarray(stub, stubEnd));
            call.stubLen = stubEnd - stub;
            call.ndr64 = ndr64;
            call.le = le;
          }
        }
        if (this.calls.size >= MAX_CALLS) {
          const first = this.calls.keys().next().value as number;
          this.emitCall(this.calls.get(first)!, undefined);
          this.calls.delete(first);
          this.host.count('dce_rpc_calls_evicted');
        }
        this.calls.set(callId, call);
        return;
      }
      case PT_RESPONSE:
      case PT_FAULT: {
        if (pt === PT_RESPONSE && !(flags & PFC_LAST)) return;
        const c = this.calls.get(callId);
        if (!c) return;
        this.calls.delete(callId);
        this.emitCall(c, ts);
        return;
      }
      case PT_BIND:
      case PT_ALTER:
        this.bind(b, off, len, le);
        this.auth(dir, b, off, len, total, authLen, ts);
        return;
      case PT_BIND_ACK:
      case PT_ALTER_RESP:
        if (pt === PT_BIND_ACK && len >= 26) {
          const n = rd16(b, off + 24, le);
          if (n > 1 && 26 + n <= len) {
            this.namedPipe = Buffer.from(b.buffer, b.byteOffset + off + 26, Math.min(n - 1, 256)).toString('latin1');
          }
        }
        this.auth(dir, b, off, len, total, authLen, ts);
        return;
      case PT_AUTH3:
        this.auth(dir, b, off, len, total, authLen, ts);
        return;
      default:
        return;
    }
  }

  /** p_cont_list of bind/alter_context (C706 §12.6.4.3). */
  private bind(b: Uint8Array, off: number, len: number, le: boolean): void {
    if (len < 28) return;
    const n = b[off + 24];
    let p = off + 28;
    const end = off + len;
    for (let i = 0; i < n && p + 24 <= end; i++) {
      const ctxId = rd16(b, p, le);
      const nts = b[p + 2];
      const uuid = uuidAt(b, p + 4, le);
      if (this.ctxUuid.size < MAX_CONTEXTS || this.ctxUuid.has(ctxId)) {
        this.ctxUuid.set(ctxId, uuid);
        if (nts > 0 && p + 44 <= end && uuidAt(b, p + 24, le) === NDR64_UUID) this.ctxNdr64.add(ctxId);
        else this.ctxNdr64.delete(ctxId);
      }
      this.lastUuid = uuid;
      p += 24 + 20 * nts;
    }
  }

  /** sec_trailer + auth value at the end of the PDU ([MS-RPCE] §2.2.2.11). */
  private auth(dir: Dir, b: Uint8Array, off: number, len: number, total: number, authLen: number, ts: number): void {
    void dir;
    if (!authLen || len !== total || authLen + 8 + 16 > len) return;
    const tr = off + len - authLen - 8;
    const type = b[tr];
    if (type !== 9 && type !== 10 && type !== 16) return; // SPNEGO, NTLMSSP, Kerberos
    if (!this.ntlm) this.ntlm = new NtlmAuth();
    const r = this.ntlm.feedBlob(b, tr + 8, authLen, ts);
    if (this.ntlm.sawSpnego) this.host.confirm('gssapi');
    if (r === BLOB_KRB5) this.host.confirm('krb');
    if (r === BLOB_NTLM) {
      this.host.confirm('ntlm');
      const ev = this.ntlm.takeEvent(); // DCE/RPC carries no verdict: success stays unset
      if (ev) this.host.emit(ev);
    }
  }

  private emitCall(c: Call, respTs: number | undefined): void {
    if (!c.uuid) {
      this.host.count('dce_rpc_unbound_calls');
      return;
    }
    const iface = RPC_INTERFACES[c.uuid];
    const ev: AppEvent = { _path: 'dce_rpc', ts: c.ts };
    if (respTs !== undefined) ev.rtt = respTs - c.ts;
    if (this.namedPipe !== undefined) ev.named_pipe = this.namedPipe;
    ev.endpoint = iface ? iface.name : 'unknown-' + c.uuid;
    ev.operation = (iface && iface.ops[c.opnum]) || 'unknown-' + c.opnum;
    if (c.extra) Object.assign(ev, c.extra);
    this.host.emit(ev);
  }
}

/** TCP session: one association per connection. */
class DceRpcSession implements AppSession {
  private readonly a: DceRpcAssoc;
  constructor(ctx: SessionContext) {
    this.a = new DceRpcAssoc(rpcHost(ctx), ctx.maxBufferBytes);
  }
  get done(): boolean {
    return this.a.broken;
  }
  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    this.a.data(dir, buf, off, len, ts);
  }
  gap(dir: Dir, len: number): void {
    this.a.gap(dir, len);
  }
  end(): void {
    this.a.end();
  }
}

export const dceRpcParser: AppParser = {
  service: 'dce_rpc',
  transport: 'tcp',
  ports: [135, 593],
  probe(_dir, buf, off, len) {
    if (len < 16) return false;
    const pt = buf[off + 2];
    // Only PDUs that open or answer a call: request/response/fault/bind/bind_ack/alter/alter_resp/auth3.
    if (!(pt === 0 || pt === 2 || pt === 3 || (pt >= 11 && pt <= 16 && pt !== 13))) return false;
    if (buf[off + 1] > 1 || (buf[off + 3] & PFC_FIRST) === 0) return false;
    if (buf[off + 5] !== 0 || buf[off + 6] !== 0 || buf[off + 7] !== 0) return false;
    return dceFrameLength(buf, off, len) > 0;
  },
  create(ctx) {
    return new DceRpcSession(ctx);
  },
};
