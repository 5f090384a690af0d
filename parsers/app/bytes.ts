/**
 * Bounded byte helpers shared by the application parsers: big-endian reads that never read past
 * an end, latin1 text extraction with a length cap, and a capped per-direction stream buffer for
 * messages split across segments.
 *
 * Why a buffer class of our own: the engine hands us views into a batch that is reused after the
 * call, so partial messages must be copied; the copy must be bounded (`ctx.maxBufferBytes`) and
 * the common case (a whole message inside one segment) must not copy at all.
 */

export function u16(b: Uint8Array, o: number): number {
  return (b[o] << 8) | b[o + 1];
}

export function u24(b: Uint8Array, o: number): number {
  return (b[o] << 16) | (b[o + 1] << 8) | b[o + 2];
}

export function u32(b: Uint8Array, o: number): number {
  return ((b[o] << 24) >>> 0) + ((b[o + 1] << 16) | (b[o + 2] << 8) | b[o + 3]);
}

export function u16le(b: Uint8Array, o: number): number {
  return b[o] | (b[o + 1] << 8);
}

export function u32le(b: Uint8Array, o: number): number {
  return (b[o] | (b[o + 1] << 8) | (b[o + 2] << 16)) + ((b[o + 3] << 24) >>> 0);
}

/** Latin-1 text of b[start, end), at most `max` characters (the rest is cut, never copied). */
export function latin1(b: Uint8Array, start: number, end: number, max = 4096): string {
  if (end > b.length) end = b.length;
  if (end - start > max) end = start + max;
  if (end <= start) return '';
  let s = '';
  // Chunked String.fromCharCode: cheap for the short fields parsers extract (names, banners).
  for (let i = start; i < end; i += 1024) {
    const j = Math.min(end, i + 1024);
    s += String.fromCharCode.apply(null, b.subarray(i, j) as unknown as number[]);
  }
  return s;
}

/** Index of the first `byte` in b[start, end), or -1. */
export function indexOf(b: Uint8Array, byte: number, start: number, end: number): number {
  const i = b.indexOf(byte, start);
  return i >= 0 && i < end ? i : -1;
}

/** Does b[off..] start with the ASCII string `s` (exact bytes)? */
export function startsWith(b: Uint8Array, off: number, len: number, s: string): boolean {
  if (len < s.length) return false;
  for (let i = 0; i < s.length; i++) if (b[off + i] !== s.charCodeAt(i)) return false;
  return true;
}

/** "00" … "ff": a byte's hex in one lookup (character-wise concatenation allocated per digit). */
const HEX2: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

/** 4-digit lower-case hex of a 16-bit value (JA4 style). */
export function hex4(v: number): string {
  return HEX2[(v >> 8) & 255] + HEX2[v & 255];
}

/** Lower-case hex of b[start, end) (clamped to the array), encoded natively in one string. */
export function hexOf(b: Uint8Array, start: number, end: number): string {
  if (end > b.length) end = b.length;
  if (end <= start) return '';
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('hex');
}

/**
 * Bytes of one direction not yet consumed by a parser. `feed` returns the data to parse: the
 * caller's own view when nothing is pending (no copy), else pending + new bytes. After parsing,
 * `keep(buf, from, end)` stores the unconsumed tail (copied) or returns false when that tail
 * would exceed the cap — the caller then gives up on the direction.
 */
export class StreamBuffer {
  private pend: Uint8Array | null = null;
  constructor(private readonly cap: number) {}

  get pending(): number {
    return this.pend ? this.pend.length : 0;
  }

  /** Returns [buffer, start, end] covering pending bytes followed by buf[off, off+len). */
  feed(buf: Uint8Array, off: number, len: number): [Uint8Array, number, number] {
    if (!this.pend) return [buf, off, off + len];
    const p = this.pend;
    const n = new Uint8Array(p.length + len);
    n.set(p, 0);
    n.set(buf.subarray(off, off + len), p.length);
    this.pend = null;
    return [n, 0, n.length];
  }

  keep(buf: Uint8Array, from: number, end: number): boolean {
    const n = end - from;
    if (n <= 0) {
      this.pend = null;
      return true;
    }
    if (n > this.cap) {
      this.pend = null;
      return false;
    }
    this.pend = buf.slice(from, end);
    return true;
  }

  clear(): void {
    this.pend = null;
  }
}

/**
 * Assembles text lines of one direction across segments. A line longer than `max` marks the
 * reader broken (the protocol is not line-based after all); lines come out without CR/LF.
 */
export class LineReader {
  private part = '';
  broken = false;
  constructor(private readonly max = 4096) {}

  /** Calls `onLine` for each complete line in b[s, e); returns false once broken. */
  push(b: Uint8Array, s: number, e: number, onLine: (line: string) => boolean | void): boolean {
    let p = s;
    while (p < e && !this.broken) {
      const nl = indexOf(b, 0x0a, p, e);
      const stop = nl >= 0 ? nl : e;
      if (this.part.length + (stop - p) > this.max) { this.broken = true; this.part = ''; return false; }
      this.part += latin1(b, p, stop, this.max);
      if (nl < 0) return true;
      p = nl + 1;
      const line = this.part.endsWith('\r') ? this.part.slice(0, -1) : this.part;
      this.part = '';
      if (onLine(line) === false) return true;
    }
    return !this.broken;
  }
}
