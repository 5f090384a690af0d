/**
 * msgpack encoding of the records the sensor ships (flow records, events, alerts: plain objects of
 * strings, numbers, booleans, nulls, arrays and nested objects), byte for byte what
 * `new Encoder({ ignoreUndefined: true }).encode()` of @msgpack/msgpack produces.
 *
 * Why not the library alone: on the shipping path it cost ~6.5 µs per flow record (general
 * dispatch per value, a JS UTF-8 encoder, a counting pass over every map), most of the sensor's
 * shipping CPU and the limit of shipping throughput on two cores. Records repeat the same few
 * dozen keys and mostly ASCII values: keys and short ASCII strings are written with a plain loop,
 * maps are walked with for…in (no key array per record), and other strings go to the native
 * UTF-8 writer. Anything that is
 * not plain JSON-like data (typed arrays, Dates, Maps, bigints, very deep nesting) is handed to the
 * library encoder unchanged, so the output never differs from it.
 */
import { Encoder } from '@msgpack/msgpack';
import { grow } from './grow.js';

/** The library's default maximum depth; deeper records go to the library (which throws). */
const MAX_DEPTH = 100;

class Fallback extends Error {}

export class RecordEncoder {
  private buf: Buffer = Buffer.allocUnsafe(64 * 1024);
  private pos = 0;
  private readonly lib = new Encoder({ ignoreUndefined: true });

  /** The encoding of `record`; valid until the next call (a view of a shared buffer). */
  encode(record: unknown): Uint8Array {
    this.pos = 0;
    try {
      this.value(record, 1);
    } catch (e) {
      if (!(e instanceof Fallback)) throw e;
      return this.lib.encodeSharedRef(record);
    }
    return this.buf.subarray(0, this.pos);
  }

  private ensure(n: number): void {
    if (this.pos + n > this.buf.length) this.buf = grow(this.buf, this.pos, n);
  }

  private value(v: unknown, depth: number): void {
    if (depth > MAX_DEPTH) throw new Fallback();
    switch (typeof v) {
      case 'string':
        this.string(v);
        return;
      case 'number':
        this.number(v);
        return;
      case 'boolean':
        this.ensure(1);
        this.buf[this.pos++] = v ? 0xc3 : 0xc2;
        return;
      case 'undefined':
        this.ensure(1);
        this.buf[this.pos++] = 0xc0;
        return;
      case 'object':
        if (v === null) {
          this.ensure(1);
          this.buf[this.pos++] = 0xc0;
        } else if (Array.isArray(v)) {
          this.array(v, depth);
        } else if (Object.getPrototypeOf(v) === Object.prototype || Object.getPrototypeOf(v) === null) {
          this.map(v as Record<string, unknown>, depth);
        } else {
          throw new Fallback(); // Date, Map, typed arrays, class instances: the library's business
        }
        return;
      default:
        throw new Fallback(); // bigint, symbol, function
    }
  }

  private number(n: number): void {
    this.ensure(9);
    const b = this.buf;
    let p = this.pos;
    if (Number.isSafeInteger(n)) {
      if (n >= 0) {
        if (n < 0x80) b[p++] = n;
        else if (n < 0x100) { b[p++] = 0xcc; b[p++] = n; }
        else if (n < 0x10000) { b[p++] = 0xcd; b[p++] = n >>> 8; b[p++] = n & 0xff; }
        else if (n < 0x100000000) { b[p++] = 0xce; b[p++] = n >>> 24; b[p++] = (n >>> 16) & 0xff; b[p++] = (n >>> 8) & 0xff; b[p++] = n & 0xff; }
        else { b[p++] = 0xcf; b.writeUInt32BE(Math.floor(n / 0x100000000), p); b.writeUInt32BE(n >>> 0, p + 4); p += 8; }
      } else if (n >= -0x20) b[p++] = 0xe0 | (n + 0x20);
      else if (n >= -0x80) { b[p++] = 0xd0; b.writeInt8(n, p); p += 1; }
      else if (n >= -0x8000) { b[p++] = 0xd1; b.writeInt16BE(n, p); p += 2; }
      else if (n >= -0x80000000) { b[p++] = 0xd2; b.writeInt32BE(n, p); p += 4; }
      else { b[p++] = 0xd3; b.writeBigInt64BE(BigInt(n), p); p += 8; }
    } else {
      b[p++] = 0xcb;
      b.writeDoubleBE(n, p);
      p += 8;
    }
    this.pos = p;
  }

  private header(len: number, fix: number, fixMax: number, c16: number, c32: number): void {
    this.ensure(5);
    const b = this.buf;
    if (len < fixMax) b[this.pos++] = fix + len;
    else if (len < 0x10000) { b[this.pos++] = c16; b[this.pos++] = len >>> 8; b[this.pos++] = len & 0xff; }
    else { b[this.pos++] = c32; b.writeUInt32BE(len, this.pos); this.pos += 4; }
  }

  private string(s: string): void {
    const n = s.length;
    // Short ASCII strings (almost every value in a record): one pass, bytes written directly.
    if (n < 32) {
      this.ensure(1 + n);
      const b = this.buf;
      const start = this.pos + 1;
      let i = 0;
      for (; i < n; i++) {
        const c = s.charCodeAt(i);
        if (c >= 0x80) break;
        b[start + i] = c;
      }
      if (i === n) {
        b[this.pos] = 0xa0 + n;
        this.pos = start + n;
        return;
      }
    }
    // Lone surrogates: the library writes them as 3-byte sequences (short strings) or U+FFFD (long
    // ones); leave such strings to it rather than guess.
    if (!(s as unknown as { isWellFormed(): boolean }).isWellFormed()) throw new Fallback();
    const len = Buffer.byteLength(s, 'utf8');
    this.ensure(5 + len);
    const b = this.buf;
    if (len < 32) b[this.pos++] = 0xa0 + len;
    else if (len < 0x100) { b[this.pos++] = 0xd9; b[this.pos++] = len; }
    else if (len < 0x10000) { b[this.pos++] = 0xda; b.writeUInt16BE(len, this.pos); this.pos += 2; }
    else { b[this.pos++] = 0xdb; b.writeUInt32BE(len, this.pos); this.pos += 4; }
    this.pos += b.write(s, this.pos, len, 'utf8');
  }

  private array(a: unknown[], depth: number): void {
    this.header(a.length, 0x90, 16, 0xdc, 0xdd);
    for (let i = 0; i < a.length; i++) this.value(a[i], depth + 1);
  }

  private map(o: Record<string, unknown>, depth: number): void {
    // for…in over a plain object uses V8's enum cache: no key array per record.
    let size = 0;
    for (const k in o) if (o[k] !== undefined) size++;
    this.header(size, 0x80, 16, 0xde, 0xdf);
    for (const k in o) {
      const v = o[k];
      if (v === undefined) continue;
      this.string(k);
      this.value(v, depth + 1);
    }
  }
}
