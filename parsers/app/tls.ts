/**
 * TLS/SSL (record layer, ClientHello/ServerHello, ServerKeyExchange curve, ChangeCipherSpec,
 * alerts; SSLv2-compatible ClientHello) → one Zeek ssl.log record per connection, plus JA3,
 * JA3S, JA4 and the ALPN list the client offered.
 *
 * Streaming without buffering bulk data: the record layer keeps only a 5-byte header and a count
 * of payload bytes still to skip; handshake messages are collected only for the three types we
 * read (ClientHello, ServerHello, ServerKeyExchange) and only up to a cap; everything else,
 * certificates included, is skipped by length. The session is `done` once the handshake is over
 * (both sides encrypting), so reassembly of the bulk stops.
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { hexOf, latin1, u16, u24 } from './bytes.js';
import { CIPHER_NAMES, GROUP_NAMES } from './tls-names.js';
import { ja3, ja3s, ja4, type ClientHelloInfo, type ServerHelloInfo } from './tls-fingerprint.js';

const HS_CAP = 65536; // largest hello/key-exchange message we collect
const MAX_RECORD = 16384 + 2048; // TLSCiphertext limit (RFC 5246 6.2.3)

export function versionName(v: number): string {
  switch (v) {
    case 0x0002: return 'SSLv2';
    case 0x0300: return 'SSLv3';
    case 0x0301: return 'TLSv10';
    case 0x0302: return 'TLSv11';
    case 0x0303: return 'TLSv12';
    case 0x0304: return 'TLSv13';
    case 0xfeff: return 'DTLSv10';
    case 0xfefd: return 'DTLSv12';
    case 0xfefc: return 'DTLSv13';
  }
  if ((v >> 8) === 0x7f) return `TLSv13-draft${v & 0xff}`;
  return `unknown-${v}`;
}

export const cipherName = (c: number): string => CIPHER_NAMES.get(c) ?? `unknown-${c}`;
export const groupName = (g: number): string => GROUP_NAMES.get(g) ?? `unknown-${g}`;

const ALERTS: Record<number, string> = {
  0: 'close_notify', 10: 'unexpected_message', 20: 'bad_record_mac', 21: 'decryption_failed',
  22: 'record_overflow', 30: 'decompression_failure', 40: 'handshake_failure', 41: 'no_certificate',
  42: 'bad_certificate', 43: 'unsupported_certificate', 44: 'certificate_revoked',
  45: 'certificate_expired', 46: 'certificate_unknown', 47: 'illegal_parameter', 48: 'unknown_ca',
  49: 'access_denied', 50: 'decode_error', 51: 'decrypt_error', 60: 'export_restriction',
  70: 'protocol_version', 71: 'insufficient_security', 80: 'internal_error',
  86: 'inappropriate_fallback', 90: 'user_canceled', 100: 'no_renegotiation',
  109: 'missing_extension', 110: 'unsupported_extension', 111: 'certificate_unobtainable',
  112: 'unrecognized_name', 113: 'bad_certificate_status_response',
  114: 'bad_certificate_hash_value', 115: 'unknown_psk_identity', 116: 'certificate_required',
  120: 'no_application_protocol',
};

/**
 * Reads a TLS vector at b[d, d+len): a `lenBytes`-byte length prefix, then `itemBytes`-byte items
 * (1 or 2), clipped to the extension's own length.
 */
function vector(b: Uint8Array, d: number, len: number, lenBytes: 1 | 2, itemBytes: 1 | 2, out: number[]): void {
  if (len < lenBytes) return;
  const l = Math.min(lenBytes === 2 ? u16(b, d) : b[d], len - lenBytes);
  const s = d + lenBytes;
  for (let i = 0; i + itemBytes <= l; i += itemBytes) out.push(itemBytes === 2 ? u16(b, s + i) : b[s + i]);
}

/** Parses a ClientHello body b[s, e) (after the 4-byte handshake header). */
export function parseClientHello(b: Uint8Array, s: number, e: number): ClientHelloInfo | null {
  if (e - s < 38) return null;
  const ch: ClientHelloInfo = {
    version: u16(b, s), ciphers: [], extensions: [], groups: [], pointFormats: [], sigAlgs: [],
    supportedVersions: [], alpn: [], alpnFirstRaw: null, serverName: null, sessionId: '',
  };
  let p = s + 34;
  const sidLen = b[p];
  if (sidLen > 32 || p + 1 + sidLen > e) return null;
  ch.sessionId = hexOf(b, p + 1, p + 1 + sidLen);
  p += 1 + sidLen;
  if (p + 2 > e) return null;
  const csLen = u16(b, p);
  p += 2;
  if (p + csLen > e || csLen % 2) return null;
  for (let i = 0; i < csLen; i += 2) ch.ciphers.push(u16(b, p + i));
  p += csLen;
  if (p + 1 > e) return null;
  const cmLen = b[p];
  p += 1 + cmLen;
  if (p > e) return null;
  if (p + 2 > e) return ch; // no extensions (SSLv3 / early TLS)
  const extEnd = Math.min(e, p + 2 + u16(b, p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const len = u16(b, p + 2);
    const d = p + 4;
    const de = d + len;
    if (de > extEnd) break;
    ch.extensions.push(type);
    switch (type) {
      case 0x0000: { // server_name: list of (type, name); host_name type 0
        if (len >= 5 && b[d + 2] === 0) {
          const nl = u16(b, d + 3);
          ch.serverName = latin1(b, d + 5, Math.min(de, d + 5 + nl), 255);
        } else ch.serverName = '';
        break;
      }
      case 0x000a: vector(b, d, len, 2, 2, ch.groups); break;
      case 0x000b: vector(b, d, len, 1, 1, ch.pointFormats); break;
      case 0x000d: vector(b, d, len, 2, 2, ch.sigAlgs); break;
      case 0x0010: {
        const l = len >= 2 ? Math.min(u16(b, d), len - 2) : 0;
        let q = d + 2;
        const qe = d + 2 + l;
        while (q < qe && ch.alpn.length < 32) {
          const n = b[q];
          if (q + 1 + n > qe) break;
          if (ch.alpnFirstRaw === null) ch.alpnFirstRaw = b.slice(q + 1, q + 1 + n);
          ch.alpn.push(latin1(b, q + 1, q + 1 + n, 255));
          q += 1 + n;
        }
        break;
      }
      case 0x002b: vector(b, d, len, 1, 2, ch.supportedVersions); break;
    }
    p = de;
  }
  return ch;
}

/** Parses a ServerHello body b[s, e). */
export function parseServerHello(b: Uint8Array, s: number, e: number): ServerHelloInfo | null {
  if (e - s < 38) return null;
  const sh: ServerHelloInfo = {
    version: u16(b, s), cipher: 0, extensions: [], selectedVersion: null, alpn: null,
    keyShareGroup: null, sessionId: '', pskSelected: false,
  };
  let p = s + 34;
  const sidLen = b[p];
  if (sidLen > 32 || p + 1 + sidLen + 3 > e) return null;
  sh.sessionId = hexOf(b, p + 1, p + 1 + sidLen);
  p += 1 + sidLen;
  sh.cipher = u16(b, p);
  p += 3; // cipher + compression
  if (p + 2 > e) return sh;
  const extEnd = Math.min(e, p + 2 + u16(b, p));
  p += 2;
  while (p + 4 <= extEnd) {
    const type = u16(b, p);
    const len = u16(b, p + 2);
    const d = p + 4;
    if (d + len > extEnd) break;
    sh.extensions.push(type);
    if (type === 0x002b && len >= 2) sh.selectedVersion = u16(b, d);
    else if (type === 0x0033 && len >= 2) sh.keyShareGroup = u16(b, d);
    else if (type === 0x0029) sh.pskSelected = true;
    else if (type === 0x0010 && len >= 3) {
      const n = b[d + 2];
      if (d + 3 + n <= d + len) sh.alpn = latin1(b, d + 3, d + 3 + n, 255);
    }
    p = d + len;
  }
  return sh;
}

/** Per-direction streaming state of the record and handshake layers. */
class Side {
  hdr = new Uint8Array(5);
  hdrLen = 0;
  recType = 0;
  recLeft = 0;
  encrypted = false; // after this side's ChangeCipherSpec (or TLS 1.3 keys)
  sawCcs = false;
  appData = false;
  records = 0; // well-formed record headers seen
  dead = false;
  // handshake message reassembly
  hsHdr = new Uint8Array(4);
  hsHdrLen = 0;
  hsType = 0;
  hsLeft = 0;
  hsBody: Uint8Array | null = null;
  hsFill = 0;
  // SSLv2 record being collected
  v2: Uint8Array | null = null;
  v2Fill = 0;
  first = true;
}

export class TlsSession implements AppSession {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private ch: ClientHelloInfo | null = null;
  private sh: ServerHelloInfo | null = null;
  private version: number | null = null;
  private curve: number | null = null;
  private lastAlert: string | null = null;
  private established = false;
  private resumed = false;
  private ts: number | null = null;
  private emitted = false;
  private confirmed = false;

  constructor(private readonly ctx: SessionContext, private readonly service = 'ssl') {}

  get done(): boolean {
    return this.emitted;
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.emitted) return;
    const side = this.sides[dir];
    if (side.dead) return;
    if (this.ts === null) this.ts = ts;
    let p = off;
    const end = off + len;
    if (side.first && len > 0) {
      side.first = false;
      // SSLv2-compatible ClientHello: 2-byte header with the high bit set, msg type 1.
      // (TLS record types 20..24 never have the high bit set.)
      if ((buf[p] & 0x80) !== 0) {
        if (len < 2) { side.dead = true; return; }
        side.v2 = new Uint8Array(2 + (((buf[p] & 0x7f) << 8) | buf[p + 1]));
        side.v2Fill = 0;
      }
    }
    if (side.v2) {
      const n = Math.min(end - p, side.v2.length - side.v2Fill);
      side.v2.set(buf.subarray(p, p + n), side.v2Fill);
      side.v2Fill += n;
      p += n;
      if (side.v2Fill < side.v2.length) return;
      this.sslv2(dir, side.v2);
      side.v2 = null;
    }
    while (p < end && !side.dead && !this.emitted) {
      if (side.recLeft === 0) {
        // collect the 5-byte record header
        const n = Math.min(5 - side.hdrLen, end - p);
        side.hdr.set(buf.subarray(p, p + n), side.hdrLen);
        side.hdrLen += n;
        p += n;
        if (side.hdrLen < 5) return;
        side.hdrLen = 0;
        const h = side.hdr;
        const type = h[0];
        const rlen = u16(h, 3);
        if (type < 20 || type > 24 || (h[1] !== 3 && !(h[1] === 0xfe)) || rlen > MAX_RECORD) {
          side.dead = true; // not TLS (any more): stop this direction
          break;
        }
        side.recType = type;
        side.recLeft = rlen;
        side.records++;
        // A handshake record confirms at once; a connection picked up mid-stream (sensor start,
        // long-lived sessions) confirms after two well-formed records in a row.
        if (!this.confirmed && (type === 22 || side.records >= 2)) {
          this.confirmed = true;
          this.ctx.confirm(this.service);
        }
        if (rlen === 0) continue;
      }
      const n = Math.min(side.recLeft, end - p);
      this.recordPayload(dir, side, buf, p, p + n);
      side.recLeft -= n;
      p += n;
    }
    this.checkDone();
  }

  private recordPayload(dir: Dir, side: Side, b: Uint8Array, s: number, e: number): void {
    switch (side.recType) {
      case 20: // change_cipher_spec
        side.sawCcs = true;
        side.encrypted = true;
        return;
      case 21: // alert: readable only before encryption
        if (!side.encrypted && e - s >= 2 && side.recLeft === 2) this.lastAlert = ALERTS[b[s + 1]] ?? `unknown-${b[s + 1]}`;
        return;
      case 22:
        if (side.encrypted) return;
        this.handshakeBytes(dir, side, b, s, e);
        return;
      case 23:
        side.appData = true;
        return;
    }
  }

  private handshakeBytes(dir: Dir, side: Side, b: Uint8Array, s: number, e: number): void {
    let p = s;
    while (p < e) {
      if (side.hsLeft === 0 && side.hsBody === null) {
        const n = Math.min(4 - side.hsHdrLen, e - p);
        side.hsHdr.set(b.subarray(p, p + n), side.hsHdrLen);
        side.hsHdrLen += n;
        p += n;
        if (side.hsHdrLen < 4) return;
        side.hsHdrLen = 0;
        side.hsType = side.hsHdr[0];
        const mlen = u24(side.hsHdr, 1);
        const want = side.hsType === 1 || side.hsType === 2 || side.hsType === 12;
        if (want && mlen <= HS_CAP && mlen <= this.ctx.maxBufferBytes) {
          // Whole message inside this record: parse in place, no copy.
          if (e - p >= mlen) {
            this.handshake(dir, side.hsType, b, p, p + mlen);
            p += mlen;
            continue;
          }
          side.hsBody = new Uint8Array(mlen);
          side.hsFill = 0;
        }
        side.hsLeft = mlen;
        if (mlen === 0) this.handshake(dir, side.hsType, side.hsHdr, 0, 0);
        continue;
      }
      const n = Math.min(side.hsLeft, e - p);
      if (side.hsBody) side.hsBody.set(b.subarray(p, p + n), side.hsFill);
      side.hsFill += n;
      side.hsLeft -= n;
      p += n;
      if (side.hsLeft === 0 && side.hsBody) {
        const body = side.hsBody;
        side.hsBody = null;
        this.handshake(dir, side.hsType, body, 0, body.length);
      }
    }
  }

  private handshake(dir: Dir, type: number, b: Uint8Array, s: number, e: number): void {
    if (type === 1 && !this.ch) {
      this.ch = parseClientHello(b, s, e);
    } else if (type === 2 && !this.sh) {
      const sh = parseServerHello(b, s, e);
      if (!sh) return;
      this.sh = sh;
      this.version = sh.selectedVersion ?? sh.version;
      if (sh.keyShareGroup !== null) this.curve = sh.keyShareGroup;
      if (this.version === 0x0304 || (this.version >> 8) === 0x7f) {
        // TLS 1.3: everything after ServerHello is encrypted in both directions.
        this.sides[dir].encrypted = true;
        this.sides[dir ^ 1].encrypted = true;
        this.resumed = sh.pskSelected;
      } else if (this.ch && this.ch.sessionId !== '' && this.ch.sessionId === sh.sessionId) {
        this.resumed = true;
      }
    } else if (type === 12 && this.sh && e - s >= 3 && b[s] === 3) {
      // ServerKeyExchange, ECDHE with named_curve
      this.curve = u16(b, s + 1);
    }
  }

  private sslv2(dir: Dir, r: Uint8Array): void {
    // r: 2-byte header + body. Client hello: type 1, version, cs_len, sid_len, chal_len, specs.
    if (r.length < 11) { this.sides[dir].dead = true; return; }
    if (r[2] === 1 && !this.ch) {
      const csLen = u16(r, 5);
      const sidLen = u16(r, 7);
      if (11 + csLen + sidLen > r.length) { this.sides[dir].dead = true; return; }
      const ch: ClientHelloInfo = {
        version: u16(r, 3), ciphers: [], extensions: [], groups: [], pointFormats: [], sigAlgs: [],
        supportedVersions: [], alpn: [], alpnFirstRaw: null, serverName: null, sessionId: '',
      };
      for (let i = 0; i + 2 < csLen; i += 3) ch.ciphers.push((r[11 + i] << 16) | u16(r, 12 + i));
      this.ch = ch;
      if (!this.confirmed) { this.confirmed = true; this.ctx.confirm(this.service); }
    } else if (r[2] === 4) {
      // SSLv2 ServerHello: the whole connection is SSLv2.
      this.version = 0x0002;
      this.sh = { version: 2, cipher: 0, extensions: [], selectedVersion: null, alpn: null, keyShareGroup: null, sessionId: '', pskSelected: false };
      this.sides[0].dead = this.sides[1].dead = true;
    }
  }

  private checkDone(): void {
    const [a, b] = this.sides;
    if (!this.sh) {
      // No hello in sight: mid-stream encrypted traffic teaches nothing more once identified.
      const midstream = !this.ch && this.confirmed && a.records + b.records >= 4;
      if ((a.dead && b.dead) || midstream) this.emit();
      return;
    }
    const tls13 = this.version === 0x0304 || (this.version !== null && (this.version >> 8) === 0x7f);
    if (tls13 ? a.appData && b.appData : a.sawCcs && b.sawCcs) this.established = true;
    // Done once both directions are encrypted traffic (or unreadable): nothing more to learn.
    const over = (s: Side) => s.dead || (tls13 ? s.appData : s.sawCcs);
    if (this.established || (over(a) && over(b))) this.emit();
  }

  gap(dir: Dir, _len = 0): void {
    // Record boundaries are lost after a gap.
    this.sides[dir].dead = true;
    this.checkDone();
  }

  end(_ts: number): void {
    if (!this.emitted && (this.ch || this.sh)) this.emit();
    this.emitted = true;
  }

  private emit(): void {
    if (this.emitted) return;
    this.emitted = true;
    if (!this.ch && !this.sh) return;
    const ev: AppEvent = { _path: 'ssl' };
    if (this.ts !== null) ev.ts = this.ts;
    if (this.version !== null) ev.version = versionName(this.version);
    if (this.sh && this.version !== 0x0002) ev.cipher = cipherName(this.sh.cipher);
    if (this.curve !== null) ev.curve = groupName(this.curve);
    if (this.ch?.serverName) ev.server_name = this.ch.serverName;
    ev.resumed = this.resumed;
    if (this.lastAlert !== null) ev.last_alert = this.lastAlert;
    if (this.sh?.alpn) ev.next_protocol = this.sh.alpn;
    ev.established = this.established;
    if (this.ch) {
      if (this.ch.alpn.length) ev.client_alpn = this.ch.alpn;
      if (this.ch.ciphers.every((c) => c <= 0xffff)) {
        ev.ja3 = ja3(this.ch);
        ev.ja4 = ja4(this.ch);
      }
    }
    if (this.sh && this.version !== 0x0002) ev.ja3s = ja3s(this.sh);
    this.ctx.emit(ev);
  }
}

/** A TLS record header: handshake/alert/CCS/app-data type, major version 3, sane length. */
export function looksLikeTlsRecord(b: Uint8Array, o: number, len: number): boolean {
  if (len < 6) return false;
  const t = b[o];
  if (t !== 22) return false;
  if (b[o + 1] !== 3 || b[o + 2] > 4) return false;
  const rl = u16(b, o + 3);
  if (rl < 4 || rl > MAX_RECORD) return false;
  const hs = b[o + 5];
  return hs === 1 || hs === 2; // ClientHello, or ServerHello when only the server side is seen
}

/**
 * Mid-stream TLS: the first bytes are a record header (CCS/alert/handshake/application data,
 * version 3.1–3.4) and, when the buffer holds it, the next record header is well-formed too.
 */
export function looksLikeTlsRecords(b: Uint8Array, o: number, len: number): boolean {
  let p = o;
  const end = o + len;
  for (let n = 0; n < 2; n++) {
    if (end - p < 5) return n > 0;
    const t = b[p];
    if (t < 20 || t > 23 || b[p + 1] !== 3 || b[p + 2] < 1 || b[p + 2] > 4) return false;
    const rl = u16(b, p + 3);
    if (rl === 0 || rl > MAX_RECORD) return false;
    p += 5 + rl;
  }
  return true;
}

/** SSLv2-framed ClientHello offering SSLv2, SSLv3 or TLS. */
export function looksLikeSslv2Hello(b: Uint8Array, o: number, len: number): boolean {
  if (len < 11 || (b[o] & 0x80) === 0) return false;
  const rl = ((b[o] & 0x7f) << 8) | b[o + 1];
  if (rl < 9 || b[o + 2] !== 1) return false;
  const v = u16(b, o + 3);
  return v === 0x0002 || (v >= 0x0300 && v <= 0x0304);
}

export const tlsParser: AppParser = {
  service: 'ssl',
  transport: 'tcp',
  ports: [443, 8443, 636, 853, 993, 995, 465, 5061, 6697, 5986, 8883],
  probe(_dir: Dir, buf: Uint8Array, off: number, len: number, _ports: PortPair): boolean {
    return looksLikeTlsRecord(buf, off, len) || looksLikeSslv2Hello(buf, off, len) || looksLikeTlsRecords(buf, off, len);
  },
  create: (ctx) => new TlsSession(ctx),
};
