// @ts-check
/** Tiny byte-building helpers for the protocol encoders. */

export class W {
  constructor() {
    /** @type {Buffer[]} */
    this.parts = [];
    this.length = 0;
  }
  /** @param {Buffer | Uint8Array} b */
  bytes(b) {
    const buf = Buffer.isBuffer(b) ? b : Buffer.from(b);
    this.parts.push(buf);
    this.length += buf.length;
    return this;
  }
  u8(v) {
    return this.bytes(Buffer.of(v & 255));
  }
  u16le(v) {
    const b = Buffer.alloc(2);
    b.writeUInt16LE(v >>> 0 & 0xffff);
    return this.bytes(b);
  }
  u16be(v) {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(v >>> 0 & 0xffff);
    return this.bytes(b);
  }
  u32le(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0);
    return this.bytes(b);
  }
  u32be(v) {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(v >>> 0);
    return this.bytes(b);
  }
  u64le(v) {
    const b = Buffer.alloc(8);
    b.writeBigUInt64LE(BigInt(v));
    return this.bytes(b);
  }
  zeros(n) {
    return this.bytes(Buffer.alloc(n));
  }
  ascii(s) {
    return this.bytes(Buffer.from(s, 'latin1'));
  }
  utf16(s) {
    return this.bytes(Buffer.from(s, 'utf16le'));
  }
  /** pad to a multiple of n (relative to the start of this writer) */
  align(n) {
    const r = this.length % n;
    return r ? this.zeros(n - r) : this;
  }
  build() {
    return Buffer.concat(this.parts, this.length);
  }
}

/** UUID text → 16 bytes in DCE/RPC (little-endian first three fields) order. @param {string} u */
export function uuidLE(u) {
  const h = u.replace(/-/g, '');
  const b = Buffer.from(h, 'hex');
  const out = Buffer.alloc(16);
  out.writeUInt32LE(b.readUInt32BE(0), 0);
  out.writeUInt16LE(b.readUInt16BE(4), 4);
  out.writeUInt16LE(b.readUInt16BE(6), 6);
  b.copy(out, 8, 8, 16);
  return out;
}

/** Windows FILETIME for a unix time in seconds. @param {number} t */
export function filetime(t) {
  return BigInt(Math.round(t * 1e7)) + 116444736000000000n;
}
