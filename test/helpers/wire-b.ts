/**
 * Byte builders for hand-made fixtures (part B parsers), written from the specifications —
 * [MS-SMB2] §2.2, C706 §12.6 / [MS-RPCE] §2.2.2, NDR (C706 ch. 14, [MS-RPCE] §2.2.5),
 * [MS-NLMP] §2.2.1, X.690 DER, RFC 4120, RFC 4511, DICOM PS3.8 §9.3 / PS3.7 annex E, HL7 MLLP —
 * independently of the parser code they feed.
 */

export const cat = (...p: Uint8Array[]): Buffer => Buffer.concat(p);
export const u8 = (v: number): Buffer => Buffer.from([v & 0xff]);
export function u16le(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(v);
  return b;
}
export function u32le(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(v >>> 0);
  return b;
}
export function u64le(v: number | bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(v));
  return b;
}
export function u16be(v: number): Buffer {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(v);
  return b;
}
export function u32be(v: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(v >>> 0);
  return b;
}
export const utf16 = (s: string): Buffer => Buffer.from(s, 'utf16le');
export const pad = (n: number): Buffer => Buffer.alloc(n);

// ---- SMB2 ----------------------------------------------------------------------------------

export const SMB2 = { NEGOTIATE: 0, SESSION_SETUP: 1, LOGOFF: 2, TREE_CONNECT: 3, TREE_DISCONNECT: 4, CREATE: 5, CLOSE: 6, READ: 8, WRITE: 9, IOCTL: 11, QUERY_DIRECTORY: 14, QUERY_INFO: 16, SET_INFO: 17 };

export interface Smb2Hdr {
  resp?: boolean;
  mid: number;
  status?: number;
  tid?: number;
  sid?: number;
  flags?: number;
  next?: number;
}

/** 64-byte SMB2 sync header ([MS-SMB2] §2.2.1.2). */
export function smb2Header(cmd: number, h: Smb2Hdr): Buffer {
  return cat(
    Buffer.from([0xfe, 0x53, 0x4d, 0x42]), u16le(64), u16le(1), u32le(h.status ?? 0), u16le(cmd), u16le(1),
    u32le((h.resp ? 1 : 0) | (h.flags ?? 0)), u32le(h.next ?? 0), u64le(h.mid), u32le(0xfeff), u32le(h.tid ?? 0),
    u64le(h.sid ?? 0), pad(16),
  );
}

/** NetBIOS session message around one or more SMB2 messages (direct TCP: 0x00 + 24-bit length). */
export function nbss(...msgs: Uint8Array[]): Buffer {
  const body = cat(...msgs);
  return cat(u8(0), Buffer.from([(body.length >> 16) & 0xff, (body.length >> 8) & 0xff, body.length & 0xff]), body);
}

/** A 16-byte FileId with the given volatile part. */
export const fileId = (v: number): Buffer => cat(u64le(0x1000 + v), u64le(v));

export function smbMsg(cmd: number, h: Smb2Hdr, body: Buffer): Buffer {
  return cat(smb2Header(cmd, h), body);
}

export function treeConnectReq(h: Smb2Hdr, path: string): Buffer {
  const p = utf16(path);
  return smbMsg(SMB2.TREE_CONNECT, h, cat(u16le(9), u16le(0), u16le(64 + 8), u16le(p.length), p));
}
export function treeConnectResp(h: Smb2Hdr, shareType: number): Buffer {
  return smbMsg(SMB2.TREE_CONNECT, { ...h, resp: true }, cat(u16le(16), u8(shareType), u8(0), u32le(0), u32le(0), u32le(0x1f01ff)));
}
export function sessionSetupReq(h: Smb2Hdr, blob: Buffer): Buffer {
  return smbMsg(SMB2.SESSION_SETUP, h, cat(u16le(25), u8(0), u8(1), u32le(1), u32le(0), u16le(64 + 24), u16le(blob.length), u64le(0), blob));
}
export function sessionSetupResp(h: Smb2Hdr, blob: Buffer, flags = 0): Buffer {
  return smbMsg(SMB2.SESSION_SETUP, { ...h, resp: true }, cat(u16le(9), u16le(flags), u16le(blob.length ? 64 + 8 : 0), u16le(blob.length), blob));
}
export function createReq(h: Smb2Hdr, name: string, options = 0): Buffer {
  const n = utf16(name);
  return smbMsg(SMB2.CREATE, h, cat(
    u16le(57), u8(0), u8(0), u32le(2), u64le(0), u64le(0), u32le(0x12019f), u32le(0x80), u32le(7), u32le(1),
    u32le(options), u16le(64 + 56), u16le(n.length), u32le(0), u32le(0), n.length ? n : pad(1),
  ));
}
/** CREATE response; FILETIMEs are 100 ns units since 1601. */
export function createResp(h: Smb2Hdr, fid: Buffer, size: number, ft = 133547544000000000n, action = 1): Buffer {
  return smbMsg(SMB2.CREATE, { ...h, resp: true }, cat(
    u16le(89), u8(0), u8(0), u32le(action), u64le(ft), u64le(ft), u64le(ft), u64le(ft), u64le(size), u64le(size),
    u32le(0x20), u32le(0), fid, u32le(0), u32le(0),
  ));
}
export function closeReq(h: Smb2Hdr, fid: Buffer): Buffer {
  return smbMsg(SMB2.CLOSE, h, cat(u16le(24), u16le(0), u32le(0), fid));
}
export function closeResp(h: Smb2Hdr): Buffer {
  return smbMsg(SMB2.CLOSE, { ...h, resp: true }, cat(u16le(60), u16le(0), u32le(0), pad(56)));
}
export function writeReq(h: Smb2Hdr, fid: Buffer, data: Buffer, offset = 0): Buffer {
  return smbMsg(SMB2.WRITE, h, cat(u16le(49), u16le(64 + 48), u32le(data.length), u64le(offset), fid, u32le(0), u32le(0), u16le(0), u16le(0), u32le(0), data));
}
export function writeResp(h: Smb2Hdr, count: number): Buffer {
  return smbMsg(SMB2.WRITE, { ...h, resp: true }, cat(u16le(17), u16le(0), u32le(count), u32le(0), u16le(0), u16le(0)));
}
export function readReq(h: Smb2Hdr, fid: Buffer, length: number, offset = 0): Buffer {
  return smbMsg(SMB2.READ, h, cat(u16le(49), u8(0x50), u8(0), u32le(length), u64le(offset), fid, u32le(0), u32le(0), u32le(0), u16le(0), u16le(0), u8(0)));
}
export function readResp(h: Smb2Hdr, data: Buffer): Buffer {
  return smbMsg(SMB2.READ, { ...h, resp: true }, cat(u16le(17), u8(0x50), u8(0), u32le(data.length), u32le(0), u32le(0), data));
}
export function ioctlReq(h: Smb2Hdr, code: number, fid: Buffer, input: Buffer): Buffer {
  return smbMsg(SMB2.IOCTL, h, cat(
    u16le(57), u16le(0), u32le(code), fid, u32le(64 + 56), u32le(input.length), u32le(0), u32le(0), u32le(0),
    u32le(4280), u32le(1), u32le(0), input,
  ));
}
export function ioctlResp(h: Smb2Hdr, code: number, fid: Buffer, output: Buffer): Buffer {
  return smbMsg(SMB2.IOCTL, { ...h, resp: true }, cat(
    u16le(49), u16le(0), u32le(code), fid, u32le(64 + 48), u32le(0), u32le(64 + 48), u32le(output.length), u32le(0), u32le(0), output,
  ));
}
export function setInfoReq(h: Smb2Hdr, fid: Buffer, cls: number, buf: Buffer): Buffer {
  return smbMsg(SMB2.SET_INFO, h, cat(u16le(33), u8(1), u8(cls), u32le(buf.length), u16le(64 + 32), u16le(0), u32le(0), fid, buf));
}
export function renameInfo(newName: string): Buffer {
  const n = utf16(newName);
  return cat(u8(0), pad(7), u64le(0), u32le(n.length), n);
}
export function emptyResp(cmd: number, h: Smb2Hdr, status = 0): Buffer {
  return smbMsg(cmd, { ...h, resp: true, status }, cat(u16le(9), u16le(0), u32le(0), u8(0)));
}

// ---- DCE/RPC -------------------------------------------------------------------------------

/** UUID string → 16 bytes in little-endian NDR representation. */
export function uuidLE(u: string): Buffer {
  const h = u.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  return cat(Buffer.from(b.subarray(0, 4)).reverse(), Buffer.from(b.subarray(4, 6)).reverse(), Buffer.from(b.subarray(6, 8)).reverse(), b.subarray(8));
}

export const NDR32 = '8a885d04-1ceb-11c9-9fe8-08002b104860';
export const NDR64 = '71710533-beba-4937-8319-b5dbef9ccc36';

export function dcePdu(ptype: number, flags: number, callId: number, body: Buffer, auth?: { type: number; level: number; value: Buffer }): Buffer {
  let trailer: Buffer = Buffer.alloc(0);
  let padded: Buffer = body;
  if (auth) {
    const padLen = (4 - ((16 + body.length) % 4)) % 4;
    padded = cat(body, pad(padLen));
    trailer = cat(u8(auth.type), u8(auth.level), u8(padLen), u8(0), u32le(0), auth.value);
  }
  const len = 16 + padded.length + trailer.length;
  return cat(Buffer.from([5, 0, ptype, flags, 0x10, 0, 0, 0]), u16le(len), u16le(auth ? auth.value.length : 0), u32le(callId), padded, trailer);
}

export function dceBind(callId: number, ctxs: Array<{ id: number; uuid: string; ver?: number; syntax?: string }>, auth?: { type: number; level: number; value: Buffer }, alter = false): Buffer {
  const items = ctxs.map((c) => cat(u16le(c.id), u8(1), u8(0), uuidLE(c.uuid), u16le(c.ver ?? 1), u16le(0), uuidLE(c.syntax ?? NDR32), u32le(c.syntax === NDR64 ? 1 : 2)));
  return dcePdu(alter ? 14 : 11, 3, callId, cat(u16le(4280), u16le(4280), u32le(0), u8(ctxs.length), pad(3), ...items), auth);
}

export function dceBindAck(callId: number, secAddr: string, nResults: number): Buffer {
  const sa = Buffer.from(secAddr + '\0', 'latin1');
  let body = cat(u16le(4280), u16le(4280), u32le(0x1234), u16le(sa.length), sa);
  body = cat(body, pad((4 - ((16 + body.length) % 4)) % 4));
  const results = Array.from({ length: nResults }, () => cat(u16le(0), u16le(0), uuidLE(NDR32), u32le(2)));
  return dcePdu(12, 3, callId, cat(body, u8(nResults), pad(3), ...results));
}

export function dceRequest(callId: number, ctx: number, opnum: number, stub: Buffer, flags = 3): Buffer {
  return dcePdu(0, flags, callId, cat(u32le(stub.length), u16le(ctx), u16le(opnum), stub));
}

export function dceResponse(callId: number, ctx: number, stub: Buffer, flags = 3): Buffer {
  return dcePdu(2, flags, callId, cat(u32le(stub.length), u16le(ctx), u8(0), u8(0), stub));
}

/** NDR stub writer (alignment relative to the stub start). */
export class NdrWriter {
  private parts: Buffer[] = [];
  private len = 0;
  constructor(private readonly ndr64 = false) {}
  private put(b: Buffer): this {
    this.parts.push(b);
    this.len += b.length;
    return this;
  }
  align(n: number): this {
    const r = this.len % n;
    return r ? this.put(pad(n - r)) : this;
  }
  u16(v: number): this {
    return this.align(2).put(u16le(v));
  }
  u32(v: number): this {
    return this.align(4).put(u32le(v));
  }
  /** Pointer-sized: referent id or conformance count. */
  wide(v: number): this {
    return this.ndr64 ? this.align(8).put(u64le(v)) : this.u32(v);
  }
  raw(b: Buffer): this {
    return this.put(b);
  }
  /** [string] wchar_t* (conformant varying, NUL included). */
  wstr(s: string): this {
    const n = s.length + 1;
    return this.wide(n).wide(0).wide(n).put(utf16(s + '\0'));
  }
  uniqueWstr(s: string | null, ref = 0x20000): this {
    if (s === null) return this.wide(0);
    return this.wide(ref).wstr(s);
  }
  done(): Buffer {
    return cat(...this.parts);
  }
}

// ---- NTLMSSP -------------------------------------------------------------------------------

const SIG = Buffer.from('NTLMSSP\0', 'latin1');
export function ntlmNegotiate(): Buffer {
  return cat(SIG, u32le(1), u32le(0xe2088297), pad(16), pad(8));
}
export function ntlmChallenge(nb: string, dns: string, tree: string): Buffer {
  const av = cat(
    u16le(2), u16le(utf16('CORP').length), utf16('CORP'), u16le(1), u16le(utf16(nb).length), utf16(nb),
    u16le(3), u16le(utf16(dns).length), utf16(dns), u16le(5), u16le(utf16(tree).length), utf16(tree), u16le(0), u16le(0),
  );
  const target = utf16('CORP');
  return cat(SIG, u32le(2), u16le(target.length), u16le(target.length), u32le(56), u32le(0xe2898215), pad(8), pad(8),
    u16le(av.length), u16le(av.length), u32le(56 + target.length), pad(8), target, av);
}
export function ntlmAuthenticate(domain: string, user: string, host: string): Buffer {
  const blobs = [pad(24), pad(24), utf16(domain), utf16(user), utf16(host), pad(16)];
  let off = 88;
  const fields: Buffer[] = [];
  for (const b of blobs) {
    fields.push(cat(u16le(b.length), u16le(b.length), u32le(off)));
    off += b.length;
  }
  return cat(SIG, u32le(3), ...fields, u32le(0xe2898215), pad(8), pad(16), ...blobs);
}

// ---- DER / BER -------------------------------------------------------------------------------

export function derLen(n: number): Buffer {
  if (n < 128) return u8(n);
  const bytes: number[] = [];
  while (n > 0) {
    bytes.unshift(n & 0xff);
    n = Math.floor(n / 256);
  }
  return cat(u8(0x80 | bytes.length), Buffer.from(bytes));
}
export const tlv = (tag: number, ...content: Uint8Array[]): Buffer => {
  const c = cat(...content);
  return cat(u8(tag), derLen(c.length), c);
};
export const seq = (...items: Uint8Array[]): Buffer => tlv(0x30, ...items);
export const ctx = (n: number, ...items: Uint8Array[]): Buffer => tlv(0xa0 | n, ...items);
export function dint(v: number): Buffer {
  const bytes: number[] = [];
  let x = v;
  do {
    bytes.unshift(x & 0xff);
    x = Math.floor(x / 256);
  } while (x !== 0 && x !== -1);
  if (v >= 0 && bytes[0] & 0x80) bytes.unshift(0);
  if (v < 0 && !(bytes[0] & 0x80)) bytes.unshift(0xff);
  return tlv(2, Buffer.from(bytes));
}
export const gstr = (s: string): Buffer => tlv(0x1b, Buffer.from(s, 'latin1'));
export const octs = (b: Uint8Array | string): Buffer => tlv(4, typeof b === 'string' ? Buffer.from(b, 'utf8') : b);
export const enumv = (v: number): Buffer => tlv(0x0a, Buffer.from([v]));

// ---- DICOM ---------------------------------------------------------------------------------

export function dcmItem(type: number, body: Buffer): Buffer {
  return cat(u8(type), u8(0), u16be(body.length), body);
}
export function ae(s: string): Buffer {
  return Buffer.from(s.padEnd(16, ' ').slice(0, 16), 'latin1');
}
export function dcmAssociate(rq: boolean, called: string, calling: string, items: Buffer[]): Buffer {
  const body = cat(u16be(1), u16be(0), ae(called), ae(calling), pad(32), ...items);
  return cat(u8(rq ? 1 : 2), u8(0), u32be(body.length), body);
}
export function dcmPctxRq(id: number, abstract: string, transfers: string[]): Buffer {
  return dcmItem(0x20, cat(u8(id), u8(0), u8(0), u8(0), dcmItem(0x30, Buffer.from(abstract)), ...transfers.map((t) => dcmItem(0x40, Buffer.from(t)))));
}
export function dcmPctxAc(id: number, result: number, transfer: string): Buffer {
  return dcmItem(0x21, cat(u8(id), u8(0), u8(result), u8(0), dcmItem(0x40, Buffer.from(transfer))));
}
export function dcmUserInfo(maxPdu: number, implUid: string, implVer: string, identity?: { type: number; user: string; pass?: string }): Buffer {
  const subs = [dcmItem(0x51, u32be(maxPdu)), dcmItem(0x52, Buffer.from(implUid)), dcmItem(0x55, Buffer.from(implVer))];
  if (identity) {
    const u = Buffer.from(identity.user);
    const p = Buffer.from(identity.pass ?? '');
    subs.push(dcmItem(0x58, cat(u8(identity.type), u8(0), u16be(u.length), u, u16be(p.length), p)));
  }
  return dcmItem(0x50, cat(...subs));
}
/** Implicit VR little-endian element. */
export function dcmEl(g: number, e: number, v: Buffer): Buffer {
  const val = v.length & 1 ? cat(v, pad(1)) : v;
  return cat(u16le(g), u16le(e), u32le(val.length), val);
}
export function dcmCommand(els: Buffer[]): Buffer {
  const body = cat(...els);
  return cat(dcmEl(0, 0, u32le(body.length)), body);
}
export function dcmPdata(...pdvs: Array<{ ctx: number; mch: number; data: Buffer }>): Buffer {
  const items = pdvs.map((p) => cat(u32be(p.data.length + 2), u8(p.ctx), u8(p.mch), p.data));
  const body = cat(...items);
  return cat(u8(4), u8(0), u32be(body.length), body);
}

// ---- HL7 / MLLP ----------------------------------------------------------------------------

export function mllp(segments: string[]): Buffer {
  return cat(Buffer.from([0x0b]), Buffer.from(segments.join('\r') + '\r', 'latin1'), Buffer.from([0x1c, 0x0d]));
}
