/**
 * Kerberos V5 (RFC 4120) over UDP 88 and TCP 88 (RFC 4120 §7.2.2 record marking: 4-byte
 * big-endian length, top bit reserved). Emits Zeek's kerberos.log, one record per KDC exchange:
 * request_type (AS/TGS), client ("name/realm"), service (sname components joined by "/"),
 * success, error_msg, from, till, cipher, forwardable, renewable — with Zeek's semantics:
 * `cipher` is the etype of the *ticket's* enc-part (encrypted in the service key; rc4-hmac here
 * is what Kerberoasting harvests), KRB-ERRORs with KDC_ERR_PREAUTH_REQUIRED ("NEEDED_PREAUTH")
 * are not logged (counted as `krb_preauth_required`). Extension fields: `reply_cipher` (etype of
 * the reply enc-part), `requested_ciphers` (the request's etype list, in order), `error_code`,
 * `preauth` (AS-REQ carried PA-ENC-TIMESTAMP or PKINIT).
 *
 * Zeek differs in logging only the first exchange of a connection; here every exchange is logged
 * (Windows clients reuse one TCP connection for AS and several TGS exchanges).
 */
import type { AppEvent, AppParser, AppSession, Dir, SessionContext } from './types.js';
import { APPLICATION, CONTEXT, Tlv, asciiValue, findChild, generalizedTime, intValue, readTlv, tlvSize } from './ber.js';
import { PduStream, type Framer } from './pdu-stream.js';

/** Zeek's KRB::error_msg (RFC 4120 §7.5.9, RFC 4556 §3.1.3). */
const ERRORS: Record<number, string> = {
  0: 'KDC_ERR_NONE', 1: 'KDC_ERR_NAME_EXP', 2: 'KDC_ERR_SERVICE_EXP', 3: 'KDC_ERR_BAD_PVNO', 4: 'KDC_ERR_C_OLD_MAST_KVNO',
  5: 'KDC_ERR_S_OLD_MAST_KVNO', 6: 'KDC_ERR_C_PRINCIPAL_UNKNOWN', 7: 'KDC_ERR_S_PRINCIPAL_UNKNOWN',
  8: 'KDC_ERR_PRINCIPAL_NOT_UNIQUE', 9: 'KDC_ERR_NULL_KEY', 10: 'KDC_ERR_CANNOT_POSTDATE', 11: 'KDC_ERR_NEVER_VALID',
  12: 'KDC_ERR_POLICY', 13: 'KDC_ERR_BADOPTION', 14: 'KDC_ERR_ETYPE_NOSUPP', 15: 'KDC_ERR_SUMTYPE_NOSUPP',
  16: 'KDC_ERR_PADATA_TYPE_NOSUPP', 17: 'KDC_ERR_TRTYPE_NOSUPP', 18: 'KDC_ERR_CLIENT_REVOKED', 19: 'KDC_ERR_SERVICE_REVOKED',
  20: 'KDC_ERR_TGT_REVOKED', 21: 'KDC_ERR_CLIENT_NOTYET', 22: 'KDC_ERR_SERVICE_NOTYET', 23: 'KDC_ERR_KEY_EXPIRED',
  24: 'KDC_ERR_PREAUTH_FAILED', 25: 'KDC_ERR_PREAUTH_REQUIRED', 26: 'KDC_ERR_SERVER_NOMATCH', 27: 'KDC_ERR_MUST_USE_USER2USER',
  28: 'KDC_ERR_PATH_NOT_ACCEPTED', 29: 'KDC_ERR_SVC_UNAVAILABLE', 31: 'KRB_AP_ERR_BAD_INTEGRITY', 32: 'KRB_AP_ERR_TKT_EXPIRED',
  33: 'KRB_AP_ERR_TKT_NYV', 34: 'KRB_AP_ERR_REPEAT', 35: 'KRB_AP_ERR_NOT_US', 36: 'KRB_AP_ERR_BADMATCH', 37: 'KRB_AP_ERR_SKEW',
  38: 'KRB_AP_ERR_BADADDR', 39: 'KRB_AP_ERR_BADVERSION', 40: 'KRB_AP_ERR_MSG_TYPE', 41: 'KRB_AP_ERR_MODIFIED',
  42: 'KRB_AP_ERR_BADORDER', 44: 'KRB_AP_ERR_BADKEYVER', 45: 'KRB_AP_ERR_NOKEY', 46: 'KRB_AP_ERR_MUT_FAIL',
  47: 'KRB_AP_ERR_BADDIRECTION', 48: 'KRB_AP_ERR_METHOD', 49: 'KRB_AP_ERR_BADSEQ', 50: 'KRB_AP_ERR_INAPP_CKSUM',
  51: 'KRB_AP_PATH_NOT_ACCEPTED', 52: 'KRB_ERR_RESPONSE_TOO_BIG', 60: 'KRB_ERR_GENERIC', 61: 'KRB_ERR_FIELD_TOOLONG',
  62: 'KDC_ERROR_CLIENT_NOT_TRUSTED', 63: 'KDC_ERROR_KDC_NOT_TRUSTED', 64: 'KDC_ERROR_INVALID_SIG', 65: 'KDC_ERR_KEY_TOO_WEAK',
  66: 'KDC_ERR_CERTIFICATE_MISMATCH', 67: 'KRB_AP_ERR_NO_TGT', 68: 'KDC_ERR_WRONG_REALM', 69: 'KRB_AP_ERR_USER_TO_USER_REQUIRED',
  70: 'KDC_ERR_CANT_VERIFY_CERTIFICATE', 71: 'KDC_ERR_INVALID_CERTIFICATE', 72: 'KDC_ERR_REVOKED_CERTIFICATE',
  73: 'KDC_ERR_REVOCATION_STATUS_UNKNOWN', 74: 'KDC_ERR_REVOCATION_STATUS_UNAVAILABLE', 75: 'KDC_ERR_CLIENT_NAME_MISMATCH',
  76: 'KDC_ERR_KDC_NAME_MISMATCH',
};

/** Zeek's KRB::cipher_name (RFC 3961 §8, RFC 4757, RFC 6803, RFC 8009). */
const CIPHERS: Record<number, string> = {
  1: 'des-cbc-crc', 2: 'des-cbc-md4', 3: 'des-cbc-md5', 5: 'des3-cbc-md5', 7: 'des3-cbc-sha1', 9: 'dsaWithSHA1-CmsOID',
  10: 'md5WithRSAEncryption-CmsOID', 11: 'sha1WithRSAEncryption-CmsOID', 12: 'rc2CBC-EnvOID', 13: 'rsaEncryption-EnvOID',
  14: 'rsaES-OAEP-ENV-OID', 15: 'des-ede3-cbc-Env-OID', 16: 'des3-cbc-sha1-kd', 17: 'aes128-cts-hmac-sha1-96',
  18: 'aes256-cts-hmac-sha1-96', 19: 'aes128-cts-hmac-sha256-128', 20: 'aes256-cts-hmac-sha384-192', 23: 'rc4-hmac',
  24: 'rc4-hmac-exp', 25: 'camellia128-cts-cmac', 26: 'camellia256-cts-cmac', 65: 'subkey-keymaterial',
};

export function cipherName(e: number): string {
  return CIPHERS[e] ?? 'unknown-' + e;
}

const AS_REQ = 10, AS_REP = 11, TGS_REQ = 12, TGS_REP = 13, KRB_ERROR = 30;
const MAX_PENDING = 32;
const MAX_MSG = 65536;

interface Request {
  ts: number;
  type: string;
  client?: string;
  service?: string;
  from?: number;
  till?: number;
  forwardable?: boolean;
  renewable?: boolean;
  requested: string[];
  preauth?: boolean;
}

/** Scratch headers for one message walk. */
class Walk {
  a = new Tlv();
  b = new Tlv();
  c = new Tlv();
  d = new Tlv();
}

/** PrincipalName ::= SEQUENCE { name-type [0], name-string [1] SEQUENCE OF KerberosString } → "a/b". */
function principal(buf: Uint8Array, start: number, end: number, w: Walk): string | undefined {
  if (!readTlv(buf, start, end, w.c) || w.c.tag !== 16) return undefined;
  if (!findChild(buf, w.c.body, w.c.end, CONTEXT, 1, w.d)) return undefined;
  if (!readTlv(buf, w.d.body, w.d.end, w.c) || w.c.tag !== 16) return undefined;
  const parts: string[] = [];
  let p = w.c.body;
  const e = w.c.end;
  while (p < e && parts.length < 8) {
    if (!readTlv(buf, p, e, w.d)) break;
    parts.push(asciiValue(buf, w.d.body, w.d.end, 256));
    p = w.d.end;
  }
  return parts.join('/');
}

function ctxField(buf: Uint8Array, start: number, end: number, tag: number, w: Walk, out: Tlv): boolean {
  return findChild(buf, start, end, CONTEXT, tag, out);
}

function intIn(buf: Uint8Array, t: Tlv, w: Walk): number | undefined {
  if (!readTlv(buf, t.body, t.end, w.d) || w.d.tag !== 2) return undefined;
  return intValue(buf, w.d.body, w.d.end);
}

function strIn(buf: Uint8Array, t: Tlv, w: Walk): string | undefined {
  if (!readTlv(buf, t.body, t.end, w.d)) return undefined;
  return asciiValue(buf, w.d.body, w.d.end, 256);
}

function timeIn(buf: Uint8Array, t: Tlv, w: Walk): number | undefined {
  if (!readTlv(buf, t.body, t.end, w.d) || w.d.tag !== 24) return undefined;
  return generalizedTime(buf, w.d.body, w.d.end);
}

/** EncryptedData ::= SEQUENCE { etype [0] Int32, kvno [1] OPTIONAL, cipher [2] } → etype. */
function etypeOf(buf: Uint8Array, t: Tlv, w: Walk): number | undefined {
  if (!readTlv(buf, t.body, t.end, w.b, true) || w.b.tag !== 16) return undefined;
  const tmp = new Tlv();
  if (!findChild(buf, w.b.body, w.b.end, CONTEXT, 0, tmp)) return undefined;
  if (!readTlv(buf, tmp.body, tmp.end, w.d) || w.d.tag !== 2) return undefined;
  return intValue(buf, w.d.body, w.d.end);
}

/** Kerberos exchange tracker shared by the UDP and TCP sessions. */
class KrbExchanges {
  private readonly pending: Request[] = [];
  private readonly w = new Walk();
  constructor(private readonly ctx: SessionContext) {}

  /** One complete (or truncated: len < total) Kerberos message at buf[off, off+len). */
  message(buf: Uint8Array, off: number, len: number, ts: number): void {
    const w = this.w;
    const top = new Tlv();
    if (!readTlv(buf, off, off + len, top, true) || top.cls !== APPLICATION) {
      this.ctx.count?.('krb_malformed');
      return;
    }
    if (!readTlv(buf, top.body, top.end, w.a, true) || w.a.tag !== 16) {
      this.ctx.count?.('krb_malformed');
      return;
    }
    const s = w.a.body;
    const e = w.a.end;
    switch (top.tag) {
      case AS_REQ:
      case TGS_REQ:
        this.request(buf, s, e, top.tag, ts);
        return;
      case AS_REP:
      case TGS_REP:
        this.reply(buf, s, e, top.tag);
        return;
      case KRB_ERROR:
        this.error(buf, s, e, ts);
        return;
      default:
        return; // AP-REQ etc. on port 88 (kpasswd uses 464) — not a KDC exchange
    }
  }

  /** KDC-REQ ::= SEQUENCE { pvno [1], msg-type [2], padata [3] OPTIONAL, req-body [4] } */
  private request(buf: Uint8Array, s: number, e: number, tag: number, ts: number): void {
    const w = this.w;
    const r: Request = { ts, type: tag === AS_REQ ? 'AS' : 'TGS', requested: [] };
    const t = new Tlv();
    if (tag === AS_REQ && ctxField(buf, s, e, 3, w, t) && readTlv(buf, t.body, t.end, w.b, true)) {
      // padata: SEQUENCE OF PA-DATA { padata-type [1], padata-value [2] }
      r.preauth = false;
      let p = w.b.body;
      const pe = w.b.end;
      const pa = new Tlv();
      for (let i = 0; i < 16 && p < pe && readTlv(buf, p, pe, pa, true); i++) {
        const ty = new Tlv();
        if (findChild(buf, pa.body, pa.end, CONTEXT, 1, ty)) {
          const v = intIn(buf, ty, w);
          if (v === 2 || v === 16 || v === 15) r.preauth = true; // ENC-TIMESTAMP, PK-AS-REQ(_OLD)
        }
        p = pa.end;
      }
    }
    if (ctxField(buf, s, e, 4, w, t) && readTlv(buf, t.body, t.end, w.b, true) && w.b.tag === 16) {
      const bs = w.b.body;
      const be = w.b.end;
      const f = new Tlv();
      if (ctxField(buf, bs, be, 0, w, f) && readTlv(buf, f.body, f.end, w.d) && w.d.tag === 3 && w.d.end - w.d.body >= 3) {
        const opts = w.d.body + 1; // skip the unused-bits octet
        r.forwardable = (buf[opts] & 0x40) !== 0;
        r.renewable = (buf[opts + 1] & 0x80) !== 0;
      }
      let cname: string | undefined;
      let realm: string | undefined;
      if (ctxField(buf, bs, be, 1, w, f)) cname = principal(buf, f.body, f.end, w);
      if (ctxField(buf, bs, be, 2, w, f)) realm = strIn(buf, f, w);
      if (ctxField(buf, bs, be, 3, w, f)) r.service = principal(buf, f.body, f.end, w);
      if (ctxField(buf, bs, be, 4, w, f)) r.from = timeIn(buf, f, w);
      if (ctxField(buf, bs, be, 5, w, f)) r.till = timeIn(buf, f, w);
      if (ctxField(buf, bs, be, 8, w, f) && readTlv(buf, f.body, f.end, w.c, true)) {
        let p = w.c.body;
        for (let i = 0; i < 32 && p < w.c.end && readTlv(buf, p, w.c.end, w.d); i++) {
          r.requested.push(cipherName(intValue(buf, w.d.body, w.d.end)));
          p = w.d.end;
        }
      }
      if (tag === AS_REQ) r.client = (cname ?? '') + '/' + (realm ?? '');
    }
    if (this.pending.length >= MAX_PENDING) {
      this.log(this.pending.shift()!, {});
      this.ctx.count?.('krb_unanswered');
    }
    this.pending.push(r);
  }

  /** KDC-REP ::= SEQUENCE { pvno [0], msg-type [1], padata [2], crealm [3], cname [4], ticket [5], enc-part [6] } */
  private reply(buf: Uint8Array, s: number, e: number, tag: number): void {
    const w = this.w;
    const req = this.take(tag === AS_REP ? 'AS' : 'TGS');
    const out: Partial<AppEvent> = { success: true };
    const f = new Tlv();
    let cname: string | undefined;
    let crealm: string | undefined;
    if (ctxField(buf, s, e, 4, w, f)) cname = principal(buf, f.body, f.end, w);
    if (ctxField(buf, s, e, 3, w, f)) crealm = strIn(buf, f, w);
    if (!req.client && (cname !== undefined || crealm !== undefined)) out.client = (cname ?? '') + '/' + (crealm ?? '');
    if (ctxField(buf, s, e, 5, w, f) && readTlv(buf, f.body, f.end, w.b, true) && w.b.cls === APPLICATION && w.b.tag === 1) {
      // Ticket ::= [APPLICATION 1] SEQUENCE { tkt-vno [0], realm [1], sname [2], enc-part [3] }
      const tk = new Tlv();
      if (readTlv(buf, w.b.body, w.b.end, tk, true) && tk.tag === 16) {
        const x = new Tlv();
        if (findChild(buf, tk.body, tk.end, CONTEXT, 2, x)) out.service = principal(buf, x.body, x.end, w);
        if (findChild(buf, tk.body, tk.end, CONTEXT, 3, x)) {
          const et = etypeOf(buf, x, w);
          if (et !== undefined) out.cipher = cipherName(et);
        }
      }
    }
    if (ctxField(buf, s, e, 6, w, f)) {
      const et = etypeOf(buf, f, w);
      if (et !== undefined) out.reply_cipher = cipherName(et);
    }
    this.log(req, out);
  }

  /** KRB-ERROR ::= SEQUENCE { ..., error-code [6], crealm [7], cname [8], realm [9], sname [10], e-text [11] } */
  private error(buf: Uint8Array, s: number, e: number, ts: number): void {
    const w = this.w;
    const f = new Tlv();
    const code = ctxField(buf, s, e, 6, w, f) ? intIn(buf, f, w) : undefined;
    const req = this.take(undefined, ts);
    if (code === 25) {
      // Zeek's ignored_errors ("NEEDED_PREAUTH"): the normal first leg of a Windows AS exchange.
      this.ctx.count?.('krb_preauth_required');
      return;
    }
    const out: Partial<AppEvent> = { success: false };
    let cname: string | undefined;
    let crealm: string | undefined;
    if (ctxField(buf, s, e, 8, w, f)) cname = principal(buf, f.body, f.end, w);
    if (ctxField(buf, s, e, 7, w, f)) crealm = strIn(buf, f, w);
    if (!req.client && (cname !== undefined || crealm !== undefined)) out.client = (cname !== undefined ? cname + '/' : '') + (crealm ?? '');
    if (ctxField(buf, s, e, 10, w, f)) {
      const sn = principal(buf, f.body, f.end, w);
      if (sn !== undefined) out.service = sn;
    }
    let text: string | undefined;
    if (ctxField(buf, s, e, 11, w, f)) text = strIn(buf, f, w);
    if (code !== undefined) {
      out.error_code = code;
      out.error_msg = text || (ERRORS[code] ?? 'unknown-' + code);
    } else if (text) {
      out.error_msg = text;
    }
    this.log(req, out);
  }

  /** The oldest pending request (of the given type when known), or a stub for an unseen one. */
  private take(type: string | undefined, ts?: number): Request {
    const i = type === undefined ? 0 : this.pending.findIndex((r) => r.type === type);
    if (i >= 0 && i < this.pending.length) return this.pending.splice(i, 1)[0];
    return { ts: ts ?? 0, type: type ?? '', requested: [] };
  }

  private log(r: Request, out: Partial<AppEvent>): void {
    const ev: AppEvent = { _path: 'kerberos' };
    if (r.ts) ev.ts = r.ts;
    if (r.type) ev.request_type = r.type;
    const client = r.client ?? out.client;
    if (client !== undefined) ev.client = client;
    const service = out.service ?? r.service;
    if (service !== undefined) ev.service = service;
    if (out.success !== undefined) ev.success = out.success;
    if (out.error_msg !== undefined) ev.error_msg = out.error_msg;
    if (r.from !== undefined) ev.from = r.from;
    if (r.till !== undefined) ev.till = r.till;
    if (out.cipher !== undefined) ev.cipher = out.cipher;
    if (r.forwardable !== undefined) ev.forwardable = r.forwardable;
    if (r.renewable !== undefined) ev.renewable = r.renewable;
    if (out.reply_cipher !== undefined) ev.reply_cipher = out.reply_cipher;
    if (r.requested.length) ev.requested_ciphers = r.requested;
    if (out.error_code !== undefined) ev.error_code = out.error_code;
    if (r.preauth !== undefined) ev.preauth = r.preauth;
    this.ctx.emit(ev);
  }

  /** Requests never answered (Zeek logs them at connection end). */
  flush(): void {
    while (this.pending.length) this.log(this.pending.shift()!, {});
  }
}

const KDC_TAGS = new Set([0x6a, 0x6b, 0x6c, 0x6d, 0x7e]);

class KrbUdpSession implements AppSession {
  readonly done = false;
  private readonly x: KrbExchanges;
  private confirmed = false;
  constructor(private readonly ctx: SessionContext) {
    this.x = new KrbExchanges(ctx);
  }
  data(_dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (len < 2 || !KDC_TAGS.has(buf[off])) {
      this.ctx.count?.('krb_malformed');
      return;
    }
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('krb');
    }
    this.x.message(buf, off, len, ts);
  }
  gap(): void {}
  end(): void {
    this.x.flush();
  }
}

class KrbFramer implements Framer {
  readonly peek = 4;
  constructor(private readonly s: KrbTcpSession) {}
  frameLength(b: Uint8Array, off: number, avail: number): number {
    if (avail < 4) return 0;
    if (b[off] & 0x80) return -1; // reserved bit: multi-record extension, never used
    const n = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
    return n >= 2 && n <= 1 << 24 ? 4 + n : -1;
  }
  wanted(_b: Uint8Array, _off: number, _avail: number, total: number): number {
    return total;
  }
  onPdu(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    this.s.record(b, off + 4, len - 4, total - 4, ts);
  }
}

class KrbTcpSession implements AppSession {
  private readonly x: KrbExchanges;
  private readonly streams: [PduStream, PduStream];
  private confirmed = false;
  constructor(private readonly ctx: SessionContext) {
    this.x = new KrbExchanges(ctx);
    const cap = Math.max(4096, Math.min(ctx.maxBufferBytes, MAX_MSG));
    this.streams = [new PduStream(new KrbFramer(this), cap, 4), new PduStream(new KrbFramer(this), cap, 4)];
  }
  get done(): boolean {
    return this.streams[0].broken && this.streams[1].broken;
  }
  record(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    if (len < total) this.ctx.count?.('krb_truncated');
    if (len < 2 || !KDC_TAGS.has(b[off])) {
      this.ctx.count?.('krb_malformed');
      return;
    }
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('krb_tcp');
    }
    this.x.message(b, off, len, ts);
  }
  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    this.streams[dir].push(buf, off, len, ts);
  }
  gap(dir: Dir, len: number): void {
    this.streams[dir].gap(len);
  }
  end(): void {
    this.x.flush();
  }
}

/** A KDC message's BER size equals the datagram / record length. */
function looksKdc(b: Uint8Array, off: number, len: number): boolean {
  if (len < 10 || !KDC_TAGS.has(b[off])) return false;
  return tlvSize(b, off, len) === len && b[off + (b[off + 1] & 0x80 ? 2 + (b[off + 1] & 0x7f) : 2)] === 0x30;
}

export const kerberosUdpParser: AppParser = {
  service: 'krb',
  transport: 'udp',
  ports: [88],
  probe(_dir, buf, off, len) {
    return looksKdc(buf, off, len);
  },
  create(ctx) {
    return new KrbUdpSession(ctx);
  },
};

export const kerberosTcpParser: AppParser = {
  service: 'krb_tcp',
  transport: 'tcp',
  ports: [88],
  probe(_dir, buf, off, len) {
    if (len < 14 || buf[off] & 0x80) return false;
    const n = ((buf[off] << 24) | (buf[off + 1] << 16) | (buf[off + 2] << 8) | buf[off + 3]) >>> 0;
    if (n < 10 || n > 1 << 24 || !KDC_TAGS.has(buf[off + 4])) return false;
    return tlvSize(buf, off + 4, len - 4) === n;
  },
  create(ctx) {
    return new KrbTcpSession(ctx);
  },
};
