/**
 * Bounded BER/DER reader (X.690) for Kerberos, LDAP and GSS-API/SPNEGO.
 *
 * Why hand-written: the parsers walk a handful of known structures and need only tag, length
 * and content bounds; every read here is checked against an explicit `end`, so a hostile
 * length can never reach past the buffer or allocate. There is no recursion in this module:
 * callers descend structure by structure (LDAP filters bound their own depth).
 *
 * Indefinite lengths (0x80) are rejected: Kerberos is DER and LDAP (RFC 4511 §5.1) forbids them.
 */

/** Tag classes as they appear in the identifier octet's top two bits. */
export const UNIVERSAL = 0x00;
export const APPLICATION = 0x40;
export const CONTEXT = 0x80;

/** One decoded TLV header. Reused by callers to avoid allocating per element. */
export class Tlv {
  /** Class bits (UNIVERSAL/APPLICATION/CONTEXT/PRIVATE). */
  cls = 0;
  constructed = false;
  /** Tag number (low-tag form 0..30, or high-tag form up to 2^28). */
  tag = 0;
  /** Offset of the identifier octet. */
  start = 0;
  /** Offset of the first content octet. */
  body = 0;
  /** Offset one past the last content octet (≤ the bound it was read against). */
  end = 0;
  /** Declared content length (may exceed what the buffer holds when read with `allowShort`). */
  len = 0;
}

/**
 * Read one TLV header at `off`, bounded by `end`. Returns false on malformed or truncated input
 * (content running past `end`), unless `allowShort` is set: then a content that runs past
 * `end` is accepted with `t.end` clamped to `end` (used for PDUs delivered truncated).
 */
export function readTlv(b: Uint8Array, off: number, end: number, t: Tlv, allowShort = false): boolean {
  if (off + 2 > end) return false;
  const id = b[off];
  let p = off + 1;
  let tag = id & 0x1f;
  if (tag === 0x1f) {
    tag = 0;
    for (let i = 0; ; i++) {
      if (p >= end || i >= 4) return false;
      const c = b[p++];
      tag = tag * 128 + (c & 0x7f);
      if ((c & 0x80) === 0) break;
    }
  }
  if (p >= end) return false;
  let len = b[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || p + n > end) return false; // indefinite or absurd
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++];
  }
  t.cls = id & 0xc0;
  t.constructed = (id & 0x20) !== 0;
  t.tag = tag;
  t.start = off;
  t.body = p;
  t.len = len;
  if (p + len > end) {
    if (!allowShort) return false;
    t.end = end;
  } else {
    t.end = p + len;
  }
  return true;
}

/**
 * Total encoded size (header + content) of the TLV at `off` from the bytes available, or
 * 0 if more bytes are needed to tell, or -1 if the header is malformed.
 */
export function tlvSize(b: Uint8Array, off: number, avail: number): number {
  if (avail < 2) return 0;
  let p = off + 1;
  if ((b[off] & 0x1f) === 0x1f) {
    for (let i = 0; ; i++) {
      if (i >= 4) return -1;
      if (p >= off + avail) return 0;
      if ((b[p++] & 0x80) === 0) break;
    }
  }
  if (p >= off + avail) return 0;
  let len = b[p++];
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) return -1;
    if (p + n > off + avail) return 0;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[p++];
  }
  return p - off + len;
}

/** Signed INTEGER content (up to 6 octets; longer values are clamped to their low 48 bits). */
export function intValue(b: Uint8Array, start: number, end: number): number {
  if (end <= start) return 0;
  const from = end - start > 6 ? end - 6 : start;
  let u = 0;
  for (let i = from; i < end; i++) u = u * 256 + b[i];
  if (b[from] & 0x80) u -= 2 ** (8 * (end - from));
  return u;
}

/** OCTET STRING / string-ish content as UTF-8 (invalid sequences become U+FFFD), capped. */
export function strValue(b: Uint8Array, start: number, end: number, max = 4096): string {
  if (end - start > max) end = start + max;
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('utf8');
}

/** Latin-1 content (GeneralString in Kerberos is effectively ASCII), capped. */
export function asciiValue(b: Uint8Array, start: number, end: number, max = 1024): string {
  if (end - start > max) end = start + max;
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** OBJECT IDENTIFIER content as dotted decimal (bounded: at most 32 arcs). */
export function oidValue(b: Uint8Array, start: number, end: number): string {
  if (start >= end) return '';
  const parts: number[] = [];
  let v = 0;
  let first = true;
  for (let i = start; i < end && parts.length < 32; i++) {
    v = v * 128 + (b[i] & 0x7f);
    if ((b[i] & 0x80) === 0) {
      if (first) {
        const x = v < 40 ? 0 : v < 80 ? 1 : 2;
        parts.push(x, v - 40 * x);
        first = false;
      } else {
        parts.push(v);
      }
      v = 0;
    }
  }
  return parts.join('.');
}

/**
 * Find the first child with the given class and tag among the TLVs inside [start, end).
 * Linear scan, bounded by the content size; `t` receives the child on success.
 */
export function findChild(b: Uint8Array, start: number, end: number, cls: number, tag: number, t: Tlv): boolean {
  let p = start;
  while (p < end) {
    if (!readTlv(b, p, end, t)) return false;
    if (t.cls === cls && t.tag === tag) return true;
    p = t.end;
  }
  return false;
}

/** KerberosTime / GeneralizedTime "YYYYMMDDHHMMSS[.f]Z" to epoch seconds, or undefined. */
export function generalizedTime(b: Uint8Array, start: number, end: number): number | undefined {
  if (end - start < 15) return undefined;
  const d = (i: number, n: number): number => {
    let v = 0;
    for (let k = 0; k < n; k++) {
      const c = b[start + i + k] - 48;
      if (c < 0 || c > 9) return NaN;
      v = v * 10 + c;
    }
    return v;
  };
  const ms = Date.UTC(d(0, 4), d(4, 2) - 1, d(6, 2), d(8, 2), d(10, 2), d(12, 2));
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}
