// @ts-check
/** Tiny byte-building helpers for the protocol encoders. */

export class W {
  constructor() {
    this.buf = Buffer.allocUnsafe(256);
    this.length = 0;
  }
  /** @param {number} n */
  room(n) {
    if (this.length + n > this.buf.length) {
      const b = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
      this.buf.copy(b, 0, 0, this.length);
      this.buf = b;
    }
    const o = this.length;
    this.length += n;
    return o;
  }
  /** @param {Buffer | Uint8Array} b */
  bytes(b) {
    const o = this.room(b.length);
    this.buf.set(b, o);
    return this;
  }
  u8(v) {
    this.buf[this.room(1)] = v & 255;
    return this;
  }
  u16le(v) {
    this.buf.writeUInt16LE((v >>> 0) & 0xffff, this.room(2));
    return this;
  }
  u16be(v) {
    this.buf.writeUInt16BE((v >>> 0) & 0xffff, this.room(2));
    return this;
  }
  u32le(v) {
    this.buf.writeUInt32LE(v >>> 0, this.room(4));
    return this;
  }
  u32be(v) {
    this.buf.writeUInt32BE(v >>> 0, this.room(4));
    return this;
  }
  u64le(v) {
    this.buf.writeBigUInt64LE(BigInt(v), this.room(8));
    return this;
  }
  zeros(n) {
    this.buf.fill(0, this.room(n), this.length);
    return this;
  }
  ascii(s) {
    const o = this.room(s.length);
    this.buf.write(s, o, 'latin1');
    return this;
  }
  utf16(s) {
    const o = this.room(s.length * 2);
    this.buf.write(s, o, 'utf16le');
    return this;
  }
  /** pad to a multiple of n (relative to the start of this writer) */
  align(n) {
    const r = this.length % n;
    return r ? this.zeros(n - r) : this;
  }
  build() {
    return Buffer.from(this.buf.subarray(0, this.length));
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
