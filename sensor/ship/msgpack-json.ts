/**
 * msgpack batch → JSON lines, without building objects: the collector's hot path.
 *
 * Decoding every record with @msgpack/msgpack and re-serialising it with JSON.stringify cost the
 * collector ~15 µs per flow record (most of it decoding strings into JS strings only to escape them
 * again). This walks the msgpack bytes once and copies ASCII strings straight into the output.
 *
 * The output is byte-identical to `JSON.stringify(decode(record))` for every record: anything the
 * fast path does not reproduce exactly (non-ASCII strings, binary, extension types, non-string or
 * array-index-like map keys, `__proto__`) makes it fall back to @msgpack/msgpack + JSON.stringify
 * for that one record. Tests compare both paths on the same bytes.
 */
import { Decoder } from '@msgpack/msgpack';
import { grow } from './grow.js';

class Slow extends Error {}
const SLOW = new Slow('slow path');

const decoder = new Decoder();

export class JsonLinesWriter {
  private out: Buffer;
  private o = 0;
  private b!: Buffer;
  private dv!: DataView;

  constructor(initial = 256 * 1024) {
    this.out = Buffer.allocUnsafe(initial);
  }

  /**
   * Transcodes a msgpack array of records into JSON lines. Returns a view of an internal buffer,
   * valid until the next call. Throws on malformed msgpack.
   */
  transcode(raw: Buffer): { text: Buffer; count: number } {
    this.b = raw;
    this.dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    this.o = 0;
    let p = 0;
    const t = raw[p++];
    let n: number;
    if (t >= 0x90 && t <= 0x9f) n = t & 0x0f;
    else if (t === 0xdc) { n = this.u16(p); p += 2; }
    else if (t === 0xdd) { n = this.u32(p); p += 4; }
    else throw new Error('batch payload is not an array');
    for (let i = 0; i < n; i++) {
      const lineStart = this.o;
      let end: number;
      try {
        end = this.value(p);
      } catch (e) {
        if (e !== SLOW) throw e;
        this.o = lineStart;
        end = skip(raw, p);
        this.ascii(JSON.stringify(decoder.decode(raw.subarray(p, end))) ?? 'null', true);
      }
      p = end;
      this.byte(0x0a);
    }
    if (p !== raw.length) throw new Error(`batch payload has ${raw.length - p} trailing byte(s)`);
    return { text: this.out.subarray(0, this.o), count: n };
  }

  private u16(p: number): number {
    if (p + 2 > this.b.length) throw new RangeError('truncated msgpack');
    return this.dv.getUint16(p);
  }
  private u32(p: number): number {
    if (p + 4 > this.b.length) throw new RangeError('truncated msgpack');
    return this.dv.getUint32(p);
  }

  private reserve(n: number): void {
    if (this.o + n > this.out.length) this.out = grow(this.out, this.o, n);
  }
  private byte(c: number): void {
    this.reserve(1);
    this.out[this.o++] = c;
  }
  /** Writes a string known to be ASCII (or any string when utf8 is set). */
  private ascii(s: string, utf8 = false): void {
    this.reserve(utf8 ? s.length * 3 : s.length);
    this.o += this.out.write(s, this.o, utf8 ? 'utf8' : 'latin1');
  }
  private num(v: number): void {
    if (v >= 0 && v < 4294967296 && (v >>> 0) === v) {
      // Small non-negative integers: digits by hand, no string.
      this.reserve(10);
      const o = this.out;
      if (v < 10) {
        o[this.o++] = 0x30 + v;
        return;
      }
      let n = v, len = 0;
      while (n > 0) { n = Math.floor(n / 10); len++; }
      let w = this.o + len;
      this.o = w;
      n = v;
      while (n > 0) { const q = Math.floor(n / 10); o[--w] = 0x30 + (n - q * 10); n = q; }
      return;
    }
    this.ascii(Number.isFinite(v) ? String(v) : 'null');
  }

  /** Writes one value as JSON; returns the position after it. Throws SLOW for what it does not reproduce. */
  private value(p: number): number {
    const b = this.b;
    if (p >= b.length) throw new RangeError('truncated msgpack');
    const t = b[p++];
    if (t <= 0x7f) { this.num(t); return p; }
    if (t >= 0xe0) { this.num(t - 0x100); return p; }
    if (t >= 0xa0 && t <= 0xbf) return this.str(p, t & 0x1f, false);
    if (t >= 0x80 && t <= 0x8f) return this.map(p, t & 0x0f);
    if (t >= 0x90 && t <= 0x9f) return this.arr(p, t & 0x0f);
    switch (t) {
      case 0xc0: this.ascii('null'); return p;
      case 0xc2: this.ascii('false'); return p;
      case 0xc3: this.ascii('true'); return p;
      case 0xca: this.need(p, 4); this.num(this.dv.getFloat32(p)); return p + 4;
      case 0xcb: this.need(p, 8); this.num(this.dv.getFloat64(p)); return p + 8;
      case 0xcc: this.need(p, 1); this.num(b[p]); return p + 1;
      case 0xcd: this.num(this.u16(p)); return p + 2;
      case 0xce: this.num(this.u32(p)); return p + 4;
      case 0xcf: this.need(p, 8); this.num(this.dv.getUint32(p) * 4294967296 + this.dv.getUint32(p + 4)); return p + 8;
      case 0xd0: this.need(p, 1); this.num(this.dv.getInt8(p)); return p + 1;
      case 0xd1: this.need(p, 2); this.num(this.dv.getInt16(p)); return p + 2;
      case 0xd2: this.need(p, 4); this.num(this.dv.getInt32(p)); return p + 4;
      case 0xd3: this.need(p, 8); this.num(this.dv.getInt32(p) * 4294967296 + this.dv.getUint32(p + 4)); return p + 8;
      case 0xd9: this.need(p, 1); return this.str(p + 1, b[p], false);
      case 0xda: return this.str(p + 2, this.u16(p), false);
      case 0xdb: return this.str(p + 4, this.u32(p), false);
      case 0xdc: return this.arr(p + 2, this.u16(p));
      case 0xdd: return this.arr(p + 4, this.u32(p));
      case 0xde: return this.map(p + 2, this.u16(p));
      case 0xdf: return this.map(p + 4, this.u32(p));
      default: throw SLOW; // bin, ext, never-used 0xc1
    }
  }

  private need(p: number, n: number): void {
    if (p + n > this.b.length) throw new RangeError('truncated msgpack');
  }

  private arr(p: number, n: number): number {
    this.byte(0x5b);
    for (let i = 0; i < n; i++) {
      if (i) this.byte(0x2c);
      p = this.value(p);
    }
    this.byte(0x5d);
    return p;
  }

  private map(p: number, n: number): number {
    this.byte(0x7b);
    let first = true;
    for (let i = 0; i < n; i++) {
      const t = this.b[p];
      let len: number;
      if (t >= 0xa0 && t <= 0xbf) { len = t & 0x1f; p += 1; }
      else if (t === 0xd9) { this.need(p, 2); len = this.b[p + 1]; p += 2; }
      else throw SLOW; // non-string (or long) key
      this.need(p, len);
      // A map entry whose value is nil stays (JSON.stringify keeps null); undefined cannot occur.
      const keyStart = this.o;
      if (!first) this.byte(0x2c);
      first = false;
      this.str(p, len, true);
      this.byte(0x3a);
      p = this.value(p + len);
      void keyStart;
    }
    this.byte(0x7d);
    return p;
  }

  /** Copies a string; escapes ASCII specials; non-ASCII goes to the slow path. */
  private str(p: number, len: number, isKey: boolean): number {
    const b = this.b;
    this.need(p, len);
    const end = p + len;
    // Copy while scanning (a JS loop beats Buffer.copy's native call for these short strings).
    this.reserve(len + 2);
    const o = this.out;
    const start = this.o;
    let w = start;
    o[w++] = 0x22;
    let plain = true;
    let digits = isKey && len > 0;
    for (let i = p; i < end; i++) {
      const c = b[i];
      if (c >= 0x80) throw SLOW;
      if (c < 0x20 || c === 0x22 || c === 0x5c) plain = false;
      if (c < 0x30 || c > 0x39) digits = false;
      o[w++] = c;
    }
    o[w++] = 0x22;
    // Keys that JS objects reorder (array indices) or treat specially change JSON.stringify's output.
    if (isKey && (digits || (len === 9 && isProto(b, p)))) throw SLOW;
    if (plain) this.o = w;
    else this.ascii(JSON.stringify(b.toString('latin1', p, end)));
    return end;
  }
}

const PROTO = Buffer.from('__proto__', 'latin1');
function isProto(b: Buffer, p: number): boolean {
  for (let i = 0; i < 9; i++) if (b[p + i] !== PROTO[i]) return false;
  return true;
}

/** Position after the msgpack value at p (for the slow path). */
function skip(b: Buffer, p: number): number {
  let pending = 1;
  while (pending > 0) {
    if (p >= b.length) throw new RangeError('truncated msgpack');
    const t = b[p++];
    pending--;
    if (t <= 0x7f || t >= 0xe0 || t === 0xc0 || t === 0xc2 || t === 0xc3) continue;
    if (t >= 0xa0 && t <= 0xbf) { p += t & 0x1f; continue; }
    if (t >= 0x80 && t <= 0x8f) { pending += 2 * (t & 0x0f); continue; }
    if (t >= 0x90 && t <= 0x9f) { pending += t & 0x0f; continue; }
    const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
    switch (t) {
      case 0xcc: case 0xd0: p += 1; break;
      case 0xcd: case 0xd1: p += 2; break;
      case 0xca: case 0xce: case 0xd2: p += 4; break;
      case 0xcb: case 0xcf: case 0xd3: p += 8; break;
      case 0xc4: case 0xd9: p += 1 + b[p]; break;
      case 0xc5: case 0xda: p += 2 + dv.getUint16(p); break;
      case 0xc6: case 0xdb: p += 4 + dv.getUint32(p); break;
      case 0xd4: p += 2; break;
      case 0xd5: p += 3; break;
      case 0xd6: p += 5; break;
      case 0xd7: p += 9; break;
      case 0xd8: p += 17; break;
      case 0xc7: p += 2 + b[p]; break;
      case 0xc8: p += 3 + dv.getUint16(p); break;
      case 0xc9: p += 5 + dv.getUint32(p); break;
      case 0xdc: pending += dv.getUint16(p); p += 2; break;
      case 0xdd: pending += dv.getUint32(p); p += 4; break;
      case 0xde: pending += 2 * dv.getUint16(p); p += 2; break;
      case 0xdf: pending += 2 * dv.getUint32(p); p += 4; break;
      default: throw new Error(`invalid msgpack byte 0x${t.toString(16)}`);
    }
  }
  if (p > b.length) throw new RangeError('truncated msgpack');
  return p;
}
