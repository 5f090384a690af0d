// @ts-check
/**
 * SMB2 over NetBIOS session framing ([MS-SMB2]): a conversation builder that produces request /
 * response byte messages with consistent message ids, tree ids and file ids, plus the Zeek-style
 * events a correct parser would log for them (smb_mapping, smb_files with Zeek's semantics:
 * FILE_OPEN on CREATE outside IPC$, FILE_RENAME/FILE_DELETE on SET_INFO, FILE_READ/FILE_WRITE per
 * handle at CLOSE) and dce_rpc records for DCE/RPC carried over named pipes.
 */
import { W, filetime } from './bytes.mjs';
import { dceBind, dceBindAck, dceRequest, dceResponse } from './dcerpc.mjs';

const CMD = { NEGOTIATE: 0, SESSION_SETUP: 1, LOGOFF: 2, TREE_CONNECT: 3, TREE_DISCONNECT: 4, CREATE: 5, CLOSE: 6, READ: 8, WRITE: 9, IOCTL: 11, SET_INFO: 17 };
const FSCTL_PIPE_TRANSCEIVE = 0x0011c017;

/** @param {Buffer} smb */
function netbios(smb) {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(smb.length & 0xffffff);
  return Buffer.concat([h, smb]);
}

function header(cmd, mid, { resp = false, status = 0, tid = 0, sid = 0n } = {}) {
  const w = new W();
  w.bytes(Buffer.from([0xfe, 0x53, 0x4d, 0x42])).u16le(64).u16le(1).u32le(status).u16le(cmd).u16le(resp ? 32 : 1);
  w.u32le(resp ? 1 : 0).u32le(0).u64le(mid).u32le(0xfeff).u32le(tid).u64le(sid).zeros(16);
  return w.build();
}

/**
 * @typedef {{ d: 0|1, dt: number, data: Buffer, len?: number }} Msg
 * @typedef {Record<string, unknown> & { _path: string, _dt?: number }} Ev
 */

export class Smb2Session {
  /**
   * @param {{ server: string, user: string, domain: string, t0: number }} o
   *   events carry `_i`: the index of the message (request) they belong to; the flow model turns
   *   that into the capture time
   */
  constructor(o) {
    this.o = o;
    this.mid = 0n;
    this.sid = 0x0000400000000041n + BigInt(o.user.length * 977);
    this.nextTid = 1;
    this.nextFid = 0x100n;
    /** @type {Msg[]} */
    this.msgs = [];
    /** @type {Ev[]} */
    this.events = [];
    /** @type {Map<number, {path: string, pipe: boolean}>} */
    this.trees = new Map();
    this.gap = 0.0004;
  }

  /** @param {number} cmd @param {Buffer} reqBody @param {Buffer} respBody */
  pair(cmd, reqBody, respBody, { tid = 0, status = 0, think = this.gap, rtt = 0.0004, dataLen = 0, respDataLen = 0 } = {}) {
    const mid = this.mid++;
    const sid = cmd === CMD.NEGOTIATE ? 0n : this.sid;
    const req = netbios(Buffer.concat([header(cmd, mid, { tid, sid }), reqBody]));
    const resp = netbios(Buffer.concat([header(cmd, mid, { resp: true, status, tid, sid }), respBody]));
    // bulk WRITE/READ data is accounted in len (wire) beyond the captured header bytes
    if (dataLen) req.writeUInt32BE((req.length - 4 + dataLen) & 0xffffff, 0);
    if (respDataLen) resp.writeUInt32BE((resp.length - 4 + respDataLen) & 0xffffff, 0);
    this.msgs.push({ d: 0, dt: think, data: req, len: req.length + dataLen });
    this.msgs.push({ d: 1, dt: rtt, data: resp, len: resp.length + respDataLen });
  }

  negotiate() {
    const req = new W().u16le(36).u16le(4).u16le(1).u16le(0).u32le(0x7f).zeros(16).u64le(0);
    for (const d of [0x202, 0x210, 0x300, 0x302]) req.u16le(d);
    const resp = new W().u16le(65).u16le(1).u16le(0x302).u16le(0).zeros(16).u32le(0x2f).u32le(8388608).u32le(8388608).u32le(8388608).u64le(filetime(this.o.t0)).u64le(0).u16le(128).u16le(0).u32le(0);
    this.pair(CMD.NEGOTIATE, req.build(), resp.build());
    return this;
  }

  /** Kerberos-authenticated session setup (opaque AP-REQ blob inside SPNEGO-like wrapper). */
  sessionSetup() {
    const blob = Buffer.concat([Buffer.from('6082', 'hex'), Buffer.alloc(62, 0x41)]);
    const req = new W().u16le(25).u8(0).u8(1).u32le(1).u32le(0).u16le(88).u16le(blob.length).u64le(0).bytes(blob);
    const resp = new W().u16le(9).u16le(0).u16le(72).u16le(0);
    this.pair(CMD.SESSION_SETUP, req.build(), resp.build());
    return this;
  }

  /** @param {string} share e.g. "C$", "IPC$", "ADMIN$", "home" @returns {number} tid */
  treeConnect(share) {
    const path = `\\\\${this.o.server}\\${share}`;
    const p = Buffer.from(path, 'utf16le');
    const tid = this.nextTid++;
    const pipe = share.toUpperCase() === 'IPC$';
    const req = new W().u16le(9).u16le(0).u16le(72).u16le(p.length).bytes(p).build();
    const resp = new W().u16le(16).u8(pipe ? 2 : 1).u8(0).u32le(pipe ? 0x30 : 0x800).u32le(0).u32le(0x1f01ff).build();
    this.pair(CMD.TREE_CONNECT, req, resp, { tid: 0 });
    // the response carries the tree id
    const last = this.msgs[this.msgs.length - 1].data;
    last.writeUInt32LE(tid, 4 + 36);
    this.trees.set(tid, { path, pipe });
    this.events.push({ _path: 'smb_mapping', _i: this.msgs.length - 2, path, share_type: pipe ? 'PIPE' : 'DISK' });
    return tid;
  }

  /**
   * @param {number} tid @param {string} name @param {{size?: number, create?: boolean, deleteOnClose?: boolean}} [o]
   * @returns {{fid: bigint, name: string, tid: number, size: number, read: number, written: number, openIdx: number}}
   */
  create(tid, name, o = {}) {
    const n = Buffer.from(name, 'utf16le');
    const fid = this.nextFid++;
    const req = new W().u16le(57).u8(0).u8(0).u32le(2).u64le(0).u64le(0).u32le(o.create ? 0x12019f : 0x120089).u32le(0x80).u32le(7).u32le(o.create ? 5 : 1).u32le(0x40).u16le(120).u16le(n.length).u32le(0).u32le(0).bytes(n.length ? n : Buffer.alloc(1)).build();
    const now = filetime(this.o.t0);
    const size = o.size ?? 0;
    const resp = new W().u16le(89).u8(0).u8(0).u32le(o.create ? 2 : 1).u64le(now).u64le(now).u64le(now).u64le(now).u64le(BigInt(Math.ceil(size / 4096) * 4096)).u64le(BigInt(size)).u32le(0x80).u32le(0).u64le(fid).u64le(fid | 0x1000000n).u32le(0).u32le(0).build();
    this.pair(CMD.CREATE, req, resp, { tid });
    const t = this.trees.get(tid);
    const f = { fid, name, tid, size, read: 0, written: 0, openIdx: this.msgs.length - 2 };
    if (t && !t.pipe) this.events.push({ _path: 'smb_files', _i: f.openIdx, action: 'SMB::FILE_OPEN', path: t.path, name, size });
    return f;
  }

  fidBytes(f) {
    return new W().u64le(f.fid).u64le(f.fid | 0x1000000n).build();
  }

  /** Write `len` bytes (captured: headers only when large). */
  write(f, len, data) {
    if (data && len < data.length) len = data.length;
    const body = data ?? Buffer.alloc(Math.min(len, 64));
    const req = new W().u16le(49).u16le(0x70).u32le(len).u64le(f.written).bytes(this.fidBytes(f)).u32le(0).u32le(0).u16le(0).u16le(0).u32le(0).bytes(body).build();
    const resp = new W().u16le(17).u16le(0).u32le(len).u32le(0).u16le(0).u16le(0).build();
    this.pair(CMD.WRITE, req, resp, { tid: f.tid, dataLen: len - body.length });
    f.written += len;
  }

  read(f, len, data) {
    if (data && len < data.length) len = data.length;
    const body = data ?? Buffer.alloc(Math.min(len, 64));
    const req = new W().u16le(49).u8(0x50).u8(0).u32le(len).u64le(f.read).bytes(this.fidBytes(f)).u32le(0).u32le(0).u32le(0).u16le(0).u16le(0).u8(0).build();
    const resp = new W().u16le(17).u8(0x50).u8(0).u32le(len).u32le(0).u32le(0).bytes(body).build();
    this.pair(CMD.READ, req, resp, { tid: f.tid, respDataLen: len - body.length });
    f.read += len;
  }

  /** FSCTL_PIPE_TRANSCEIVE with DCE/RPC in and out. */
  transceive(f, input, output) {
    const req = new W().u16le(57).u16le(0).u32le(FSCTL_PIPE_TRANSCEIVE).bytes(this.fidBytes(f)).u32le(120).u32le(input.length).u32le(0).u32le(0).u32le(0).u32le(4280).u32le(1).u32le(0).bytes(input).build();
    const resp = new W().u16le(49).u16le(0).u32le(FSCTL_PIPE_TRANSCEIVE).bytes(this.fidBytes(f)).u32le(112).u32le(0).u32le(112).u32le(output.length).u32le(0).u32le(0).bytes(output).build();
    this.pair(CMD.IOCTL, req, resp, { tid: f.tid });
  }

  rename(f, newName) {
    const n = Buffer.from(newName, 'utf16le');
    const info = new W().u8(0).zeros(7).u64le(0).u32le(n.length).bytes(n).build();
    const req = new W().u16le(33).u8(1).u8(10).u32le(info.length).u16le(96).u16le(0).u32le(0).bytes(this.fidBytes(f)).bytes(info).build();
    this.pair(CMD.SET_INFO, req, new W().u16le(2).build(), { tid: f.tid });
    const t = this.trees.get(f.tid);
    if (t && !t.pipe) this.events.push({ _path: 'smb_files', _i: this.msgs.length - 2, action: 'SMB::FILE_RENAME', path: t.path, name: newName, prev_name: f.name, size: f.size });
    f.name = newName;
  }

  remove(f) {
    const req = new W().u16le(33).u8(1).u8(13).u32le(1).u16le(96).u16le(0).u32le(0).bytes(this.fidBytes(f)).u8(1).build();
    this.pair(CMD.SET_INFO, req, new W().u16le(2).build(), { tid: f.tid });
    const t = this.trees.get(f.tid);
    if (t && !t.pipe) this.events.push({ _path: 'smb_files', _i: this.msgs.length - 2, action: 'SMB::FILE_DELETE', path: t.path, name: f.name, size: f.size });
  }

  close(f) {
    const req = new W().u16le(24).u16le(0).u32le(0).bytes(this.fidBytes(f)).build();
    const now = filetime(this.o.t0);
    const resp = new W().u16le(60).u16le(0).u32le(0).u64le(now).u64le(now).u64le(now).u64le(now).u64le(0).u64le(BigInt(Math.max(f.size, f.written))).u32le(0x80).build();
    this.pair(CMD.CLOSE, req, resp, { tid: f.tid });
    const t = this.trees.get(f.tid);
    if (t && !t.pipe) {
      if (f.read) this.events.push({ _path: 'smb_files', _i: f.openIdx, action: 'SMB::FILE_READ', path: t.path, name: f.name, size: f.size, bytes_read: f.read });
      if (f.written) this.events.push({ _path: 'smb_files', _i: f.openIdx, action: 'SMB::FILE_WRITE', path: t.path, name: f.name, size: Math.max(f.size, f.written), bytes_written: f.written });
    }
  }

  treeDisconnect(tid) {
    this.pair(CMD.TREE_DISCONNECT, new W().u16le(4).u16le(0).build(), new W().u16le(4).u16le(0).build(), { tid });
  }

  logoff() {
    this.pair(CMD.LOGOFF, new W().u16le(4).u16le(0).build(), new W().u16le(4).u16le(0).build());
  }

  /**
   * Open a named pipe on IPC$, bind `iface`, and make calls. Emits dce_rpc events like Zeek
   * (named_pipe = the pipe name as opened, endpoint = interface name, operation = op name).
   * @param {number} ipc tid of IPC$ @param {string} pipe e.g. "svcctl"
   * @param {{uuid: string, ver: number, name: string}} iface
   * @param {{opnum: number, op: string, stub?: number, respStub?: number}[]} calls
   */
  rpcOverPipe(ipc, pipe, iface, calls) {
    const f = this.create(ipc, pipe);
    let callId = 2;
    this.write(f, 0, dceBind(callId, iface));
    this.read(f, 0, dceBindAck(callId, `\\PIPE\\${pipe}`));
    for (const c of calls) {
      callId++;
      const idx = this.msgs.length;
      this.transceive(f, dceRequest(callId, c.opnum, c.stub ?? 64), dceResponse(callId, c.respStub ?? 32));
      this.events.push({ _path: 'dce_rpc', _i: idx, rtt: 0.0004, named_pipe: pipe, endpoint: iface.name, operation: c.op });
    }
    this.close(f);
    return this;
  }
}
