// @ts-check
/** Kerberos V5 messages in DER (RFC 4120): AS-REQ/REP, TGS-REQ/REP, KRB-ERROR; TCP framing. */

/** @param {number} n */
function len(n) {
  if (n < 128) return Buffer.of(n);
  const b = [];
  while (n > 0) (b.unshift(n & 255), (n >>>= 8));
  return Buffer.from([0x80 | b.length, ...b]);
}
/** @param {number} tag @param {Buffer} content */
function tlv(tag, content) {
  return Buffer.concat([Buffer.of(tag), len(content.length), content]);
}
const seq = (...items) => tlv(0x30, Buffer.concat(items));
const ctx = (n, content) => tlv(0xa0 + n, content);
const app = (n, content) => tlv(0x60 + n, content);
/** @param {number} v */
function int(v) {
  const b = [];
  let x = v;
  do {
    b.unshift(x & 255);
    x = Math.floor(x / 256);
  } while (x > 0);
  if (b[0] & 0x80) b.unshift(0);
  return tlv(0x02, Buffer.from(b));
}
const gstr = (s) => tlv(0x1b, Buffer.from(s, 'latin1'));
const octets = (b) => tlv(0x04, b);
/** @param {number} t unix seconds */
function ktime(t) {
  const d = new Date(t * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';
  return tlv(0x18, Buffer.from(d, 'latin1'));
}
const bits = (v) => tlv(0x03, Buffer.from([0, (v >>> 24) & 255, (v >>> 16) & 255, (v >>> 8) & 255, v & 255]));
/** @param {number} type @param {string[]} names */
const principal = (type, names) => seq(ctx(0, int(type)), ctx(1, seq(...names.map(gstr))));
/** @param {number} etype @param {number} n */
const encData = (etype, n, kvno = 2) => seq(ctx(0, int(etype)), ctx(1, int(kvno)), ctx(2, octets(Buffer.alloc(n, 0x5a))));

export const ETYPE = { 'aes256-cts-hmac-sha1-96': 18, 'aes128-cts-hmac-sha1-96': 17, 'rc4-hmac': 23 };
export const KRB_ERR = { KDC_ERR_C_PRINCIPAL_UNKNOWN: 6, KDC_ERR_PREAUTH_FAILED: 24, KDC_ERR_PREAUTH_REQUIRED: 25 };

/** @param {string} spn "cifs/fs01.x" → ["cifs","fs01.x"] */
const spnParts = (spn) => spn.split('/');

/**
 * @param {{type:'AS'|'TGS', user?:string, realm:string, service:string, nonce:number, t:number, etypes:number[], preauth?:boolean}} o
 */
export function kdcReq(o) {
  const padata = [];
  if (o.type === 'TGS') padata.push(seq(ctx(1, int(1)), ctx(2, octets(app(14, seq(ctx(0, int(5)), ctx(1, int(14)), ctx(2, bits(0)), ctx(3, app(1, seq(ctx(0, int(5)), ctx(1, gstr(o.realm)), ctx(2, principal(2, ['krbtgt', o.realm])), ctx(3, encData(18, 900))))), ctx(4, encData(18, 120))))))));
  else if (o.preauth) padata.push(seq(ctx(1, int(2)), ctx(2, octets(encData(18, 56)))));
  padata.push(seq(ctx(1, int(128)), ctx(2, octets(seq(ctx(0, tlv(0x01, Buffer.of(0xff))))))));
  const body = seq(
    ctx(0, bits(0x40810010)),
    ...(o.type === 'AS' ? [ctx(1, principal(1, [o.user ?? 'user']))] : []),
    ctx(2, gstr(o.realm)),
    ctx(3, principal(o.type === 'AS' ? 2 : 2, spnParts(o.service))),
    ctx(5, ktime(o.t + 36000)),
    ctx(7, int(o.nonce >>> 0)),
    ctx(8, seq(...o.etypes.map(int))),
  );
  const req = seq(ctx(1, int(5)), ctx(2, int(o.type === 'AS' ? 10 : 12)), ctx(3, seq(...padata)), ctx(4, body));
  return app(o.type === 'AS' ? 10 : 12, req);
}

/**
 * @param {{type:'AS'|'TGS', user:string, realm:string, service:string, ticketEtype:number, replyEtype?:number}} o
 */
export function kdcRep(o) {
  const ticket = app(1, seq(ctx(0, int(5)), ctx(1, gstr(o.realm)), ctx(2, principal(2, spnParts(o.service))), ctx(3, encData(o.ticketEtype, 1000, 5))));
  const rep = seq(ctx(0, int(5)), ctx(1, int(o.type === 'AS' ? 11 : 13)), ctx(3, gstr(o.realm)), ctx(4, principal(1, [o.user])), ctx(5, ticket), ctx(6, encData(o.replyEtype ?? 18, 300)));
  return app(o.type === 'AS' ? 11 : 13, rep);
}

/** @param {{code:number, realm:string, user?:string, service:string, t:number}} o */
export function krbError(o) {
  const e = seq(
    ctx(0, int(5)),
    ctx(1, int(30)),
    ctx(4, ktime(o.t)),
    ctx(5, int(123456)),
    ctx(6, int(o.code)),
    ...(o.user ? [ctx(7, gstr(o.realm)), ctx(8, principal(1, [o.user]))] : []),
    ctx(9, gstr(o.realm)),
    ctx(10, principal(2, spnParts(o.service))),
  );
  return app(30, e);
}

/** Kerberos over TCP: 4-byte big-endian record length. @param {Buffer} m */
export function krbTcp(m) {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(m.length);
  return Buffer.concat([h, m]);
}
