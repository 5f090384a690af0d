/**
 * LDAPv3 (RFC 4511) over TCP 389/3268 and CLDAP (RFC 1798 / [MS-ADTS] §6.3.3) over UDP 389.
 * Emits Zeek's two logs with Zeek's semantics and value spellings:
 *  - ldap: one record per message id of a non-search operation, written when the response
 *    arrives (or at the end): message_id, version, opcode ("bind simple", "bind SASL", "modify",
 *    "unbind", "extended", …), result, diagnostic_message, object (bind DN, entry DN, extended
 *    request OID + name), argument (SASL mechanism; simple-bind passwords are "REDACTED"; modify
 *    changes as `op(attr=values)` with password attributes redacted).
 *  - ldap_search: one record per search, written at searchResDone: message_id, scope,
 *    deref_aliases, base_object, result_count, result, diagnostic_message, filter (rendered as
 *    Zeek renders it), attributes (Zeek logs these only when configured to; always here).
 * SASL binds feed their credentials to the NTLM parser (ntlm log, success from the bind result).
 * After a successful SASL bind whose later messages are SASL-wrapped (sealed or signed), or after
 * StartTLS, nothing more is readable: the session counts it and sets `done`.
 */
import type { AppEvent, AppParser, AppSession, Dir, SessionContext } from './types.js';
import { APPLICATION, CONTEXT, Tlv, UNIVERSAL, intValue, readTlv, strValue, tlvSize } from './ber.js';
import { PduStream, type Framer } from './pdu-stream.js';
import { BLOB_KRB5, BLOB_NTLM, NtlmAuth } from './ntlm.js';

const RESULT: Record<number, string> = {
  0: 'success', 1: 'operations error', 2: 'protocol error', 3: 'time limit exceeded', 4: 'size limit exceeded',
  5: 'compare false', 6: 'compare true', 7: 'auth method not supported', 8: 'stronger auth required',
  9: 'partial results', 10: 'referral', 11: 'admin limit exceeded', 12: 'unavailable critical extension',
  13: 'confidentiality required', 14: 'SASL bind in progress', 16: 'no such attribute', 17: 'undefined attribute type',
  18: 'inappropriate matching', 19: 'constraint violation', 20: 'attribute or value exists', 21: 'invalid attribute syntax',
  32: 'no such object', 33: 'alias problem', 34: 'invalid DN syntax', 36: 'alias dereferencing problem',
  48: 'inappropriate authentication', 49: 'invalid credentials', 50: 'insufficient access rights', 51: 'busy',
  52: 'unavailable', 53: 'unwilling to perform', 54: 'loop detect', 60: 'sort control missing', 61: 'offset range error',
  64: 'naming violation', 65: 'object class violation', 66: 'not allowed on non-leaf', 67: 'not allowed on RDN',
  68: 'entry already exists', 69: 'object class mods prohibited', 70: 'results too large', 71: 'affects multiple DSAs',
  76: 'control error', 80: 'other', 81: 'server down', 82: 'local error', 83: 'encoding error', 84: 'decoding error',
  85: 'timeout', 86: 'auth unknown', 87: 'filter error', 88: 'user canceled', 89: 'param error', 90: 'no memory',
  91: 'connect error', 92: 'not supported', 93: 'control not found', 94: 'no results returned',
  95: 'more results to return', 96: 'client loop', 97: 'referral limit exceeded', 100: 'invalid response',
  101: 'ambiguous response', 112: 'TLS not supported', 113: 'intermediate response', 114: 'unknown type',
  115: 'LCUP invalid data', 116: 'LCUP unsupported scheme', 117: 'LCUP reload required', 118: 'canceled',
  119: 'no such operation', 120: 'too late', 121: 'cannot cancel', 122: 'assertion failed', 123: 'authorization denied',
};

/** protocolOp application tag → Zeek's normalised opcode. */
const OPCODE: Record<number, string> = {
  0: 'bind', 1: 'bind', 2: 'unbind', 3: 'search', 4: 'search', 5: 'search', 6: 'modify', 7: 'modify', 8: 'add', 9: 'add',
  10: 'delete', 11: 'delete', 12: 'modify', 13: 'modify', 14: 'compare', 15: 'compare', 16: 'abandon', 19: 'search',
  23: 'extended', 24: 'extended', 25: 'intermediate',
};
/** Operations whose arrival completes a message (Zeek's OPCODES_FINISHED). */
const FINISHED = new Set([1, 2, 7, 9, 11, 13, 15, 16, 24]);
const SCOPES = ['base', 'single', 'tree'];
const DEREF = ['never', 'searching', 'finding', 'always'];
const EXTENDED: Record<string, string> = { '1.3.6.1.4.1.1466.20037': 'StartTLS', '1.3.6.1.4.1.4203.1.11.3': 'whoami' };
const MODIFY_OPS = ['add', 'delete', 'replace', 'increment'];
const SECRET_ATTRS = new Set(['unicodepwd', 'userpassword', 'ntpwdhistory', 'lmpwdhistory', 'supplementalcredentials', 'dbcspwd']);

const MAX_OPEN = 256;
const MAX_FILTER_DEPTH = 16;
const MAX_FILTER_NODES = 256;
const MAX_FILTER_LEN = 4096;
const MAX_ATTRS = 64;
const MAX_MSG = 65536;

interface Message {
  ts: number;
  id: number;
  version?: number;
  opcode?: string;
  result?: string;
  diag?: string;
  object?: string;
  argument?: string;
}

interface Search {
  ts: number;
  id: number;
  scope?: string;
  deref?: string;
  base?: string;
  count: number;
  result?: string;
  diag?: string;
  filter?: string;
  attributes?: string[];
}

function hex2(v: number): string {
  return (v < 16 ? '0' : '') + v.toString(16);
}

/** Filter assertion values Zeek decodes specially (CLDAP netlogon pings, [MS-ADTS] §6.3.3). */
function assertionValue(attr: string, b: Uint8Array, s: number, e: number): string {
  const n = e - s;
  switch (attr) {
    case 'DomainGuid': {
      if (n !== 16) return 'GUID_FORMAT_FAILED';
      let r = '';
      for (const grp of [[3, 2, 1, 0], [5, 4], [7, 6], [8, 9], [10, 11, 12, 13, 14, 15]]) {
        if (r) r += '-';
        for (const j of grp) r += hex2(b[s + j]);
      }
      return r;
    }
    case 'objectSid':
    case 'AAC': {
      const parts: string[] = [];
      for (let i = s; i < e && parts.length < 64; i++) parts.push(hex2(b[i]));
      return parts.join(':');
    }
    case 'DomainSid': {
      if (n !== 24) return 'SID_FORMAT_FAILED';
      let r = 'S-' + b[s];
      let auth = 0;
      for (let i = 2; i < 8; i++) auth = auth * 256 + b[s + i];
      r += '-' + auth;
      for (let i = 8; i < 24; i += 4) r += '-' + ((b[s + i] | (b[s + i + 1] << 8) | (b[s + i + 2] << 16) | (b[s + i + 3] << 24)) >>> 0);
      return r;
    }
    case 'NtVer':
      if (n !== 4) return 'HEX_FORMAT_FAILED';
      return '0x' + hex2(b[s + 3]) + hex2(b[s + 2]) + hex2(b[s + 1]) + hex2(b[s]);
    default:
      return strValue(b, s, e, 1024);
  }
}

/** Render a search Filter (RFC 4511 §4.5.1) the way Zeek's LDAP analyzer does. */
class FilterRenderer {
  nodes = 0;
  render(b: Uint8Array, s: number, e: number, depth: number): string | undefined {
    if (depth > MAX_FILTER_DEPTH || ++this.nodes > MAX_FILTER_NODES) return undefined;
    const t = new Tlv();
    if (!readTlv(b, s, e, t) || t.cls !== CONTEXT) return undefined;
    switch (t.tag) {
      case 0:
      case 1: {
        // and/or: Zeek nests from the third operand on: (&(&AB)C)
        const ch = t.tag === 0 ? '&' : '|';
        const subs: string[] = [];
        let p = t.body;
        const c = new Tlv();
        while (p < t.end) {
          if (!readTlv(b, p, t.end, c)) return undefined;
          const r = this.render(b, p, c.end, depth + 1);
          if (r === undefined) return undefined;
          subs.push(r);
          p = c.end;
        }
        if (subs.length === 0) return '(' + ch + ')';
        let repr = '(' + ch + subs[0] + (subs.length === 1 ? ')' : '');
        for (let i = 1; i < subs.length; i++) repr = i === 1 ? repr + subs[1] + ')' : '(' + ch + repr + subs[i] + ')';
        return repr;
      }
      case 2: {
        const r = this.render(b, t.body, t.end, depth + 1);
        return r === undefined ? undefined : '(!' + r + ')';
      }
      case 3:
      case 5:
      case 6:
      case 8: {
        const a = new Tlv();
        const v = new Tlv();
        if (!readTlv(b, t.body, t.end, a) || !readTlv(b, a.end, t.end, v)) return undefined;
        const attr = strValue(b, a.body, a.end, 256);
        const op = t.tag === 3 ? '=' : t.tag === 5 ? '>=' : t.tag === 6 ? '<=' : '~=';
        return '(' + attr + op + assertionValue(attr, b, v.body, v.end) + ')';
      }
      case 4: {
        // SubstringFilter { type, substrings SEQUENCE OF CHOICE { initial [0], any [1], final [2] } }
        const a = new Tlv();
        const seq = new Tlv();
        if (!readTlv(b, t.body, t.end, a) || !readTlv(b, a.end, t.end, seq)) return undefined;
        let initial = '';
        let fin = '';
        const anys: string[] = [];
        let p = seq.body;
        const x = new Tlv();
        while (p < seq.end && readTlv(b, p, seq.end, x)) {
          const v = strValue(b, x.body, x.end, 1024);
          if (x.tag === 0) initial = v;
          else if (x.tag === 1) anys.push(v);
          else if (x.tag === 2) fin = v;
          p = x.end;
        }
        return '(' + strValue(b, a.body, a.end, 256) + '=' + initial + '*' + (anys.length ? anys.join('*') + '*' : '') + fin + ')';
      }
      case 7:
        return '(' + strValue(b, t.body, t.end, 256) + '=*)';
      case 9: {
        // MatchingRuleAssertion { matchingRule [1], type [2], matchValue [3], dnAttributes [4] }
        let rule = '';
        let type = '';
        let value = '';
        let dn = false;
        let p = t.body;
        const x = new Tlv();
        while (p < t.end && readTlv(b, p, t.end, x)) {
          if (x.tag === 1) rule = strValue(b, x.body, x.end, 256);
          else if (x.tag === 2) type = strValue(b, x.body, x.end, 256);
          else if (x.tag === 3) value = strValue(b, x.body, x.end, 1024);
          else if (x.tag === 4) dn = x.end > x.body && b[x.body] !== 0;
          p = x.end;
        }
        return '(' + type + (dn ? ':dn' : '') + (rule ? ':' + rule : '') + ':=' + value + ')';
      }
      default:
        return undefined;
    }
  }
}

/** LDAPResult fields at [s, e): resultCode, matchedDN, diagnosticMessage. */
function ldapResult(b: Uint8Array, s: number, e: number): { code?: number; diag?: string; end: number } {
  const t = new Tlv();
  if (!readTlv(b, s, e, t) || t.tag !== 10) return { end: s };
  const code = intValue(b, t.body, t.end);
  if (!readTlv(b, t.end, e, t)) return { code, end: e };
  const afterDn = t.end;
  if (!readTlv(b, afterDn, e, t)) return { code, end: afterDn };
  const diag = t.end > t.body ? strValue(b, t.body, t.end, 1024) : undefined;
  return { code, diag, end: t.end };
}

class LdapCore {
  private readonly messages = new Map<number, Message>();
  private readonly searches = new Map<number, Search>();
  private readonly ntlm = new NtlmAuth();
  private saslMech = '';
  /** Set after a successful SASL bind: later PDUs may be SASL-wrapped. */
  saslActive = false;
  /** StartTLS requested (message id) — a success switches the connection to TLS. */
  private startTlsId = -1;
  finished = false;
  private confirmed = false;

  constructor(
    private readonly ctx: SessionContext,
    private readonly service: string,
  ) {}

  /** One LDAPMessage at b[off, off+len) (len < total: truncated delivery). */
  message(dir: Dir, b: Uint8Array, off: number, len: number, ts: number): void {
    const end = off + len;
    const seq = new Tlv();
    const t = new Tlv();
    if (!readTlv(b, off, end, seq, true) || seq.tag !== 16 || seq.cls !== UNIVERSAL) {
      this.ctx.count?.('ldap_malformed');
      return;
    }
    if (!readTlv(b, seq.body, seq.end, t) || t.tag !== 2) {
      this.ctx.count?.('ldap_malformed');
      return;
    }
    const id = intValue(b, t.body, t.end);
    const op = new Tlv();
    if (!readTlv(b, t.end, seq.end, op, true) || op.cls !== APPLICATION) {
      this.ctx.count?.('ldap_malformed');
      return;
    }
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm(this.service);
    }
    void dir;
    const tag = op.tag;
    if (tag === 3) return this.searchRequest(id, b, op, ts);
    if (tag === 4) {
      const s = this.search(id, ts);
      if (s) s.count++;
      return;
    }
    if (tag === 19) {
      this.search(id, ts);
      return;
    }
    if (tag === 5) {
      const s = this.search(id, ts);
      if (!s) return;
      const r = ldapResult(b, op.body, op.end);
      if (r.code !== undefined) s.result = RESULT[r.code] ?? 'unknown';
      if (r.diag) s.diag = r.diag;
      this.searches.delete(id);
      this.logSearch(s);
      return;
    }
    const opcode = OPCODE[tag];
    if (opcode === undefined) {
      this.ctx.count?.('ldap_unknown_op');
      return;
    }
    const m = this.msg(id, ts);
    if (!m) return;
    if (tag !== 0 && tag !== 1) m.opcode = opcode;
    else if (tag === 1 && !m.opcode) m.opcode = opcode;
    switch (tag) {
      case 0:
        this.bindRequest(m, b, op, ts);
        break;
      case 1: {
        const r = ldapResult(b, op.body, op.end);
        this.setResult(m, r);
        // serverSaslCreds [7]
        const x = new Tlv();
        let p = r.end;
        while (p < op.end && readTlv(b, p, op.end, x)) {
          if (x.cls === CONTEXT && x.tag === 7) this.credentials(b, x.body, x.end - x.body, ts);
          p = x.end;
        }
        if (r.code !== 14) {
          const ev = this.ntlm.takeEvent(r.code === 0);
          if (ev) this.ctx.emit(ev);
        }
        if (r.code === 0 && this.saslMech) this.saslActive = true;
        break;
      }
      case 6:
      case 8:
      case 10:
      case 12:
      case 14: {
        // modify/add/modDN/compare: entry DN first; delRequest is a primitive LDAPDN
        if (tag === 10) m.object = strValue(b, op.body, op.end, 1024);
        else if (readTlv(b, op.body, op.end, t)) {
          m.object = strValue(b, t.body, t.end, 1024);
          if (tag === 6) m.argument = this.changes(b, t.end, op.end);
        }
        break;
      }
      case 16:
        m.object = String(intValue(b, op.body, op.end));
        break;
      case 23: {
        const x = new Tlv();
        if (readTlv(b, op.body, op.end, x) && x.cls === CONTEXT && x.tag === 0) {
          const oid = strValue(b, x.body, x.end, 256);
          m.object = oid + ' (' + (EXTENDED[oid] ?? 'unknown') + ')';
          if (oid === '1.3.6.1.4.1.1466.20037') this.startTlsId = id;
        }
        break;
      }
      case 7:
      case 9:
      case 11:
      case 13:
      case 15:
      case 24: {
        const r = ldapResult(b, op.body, op.end);
        this.setResult(m, r);
        if (tag === 24 && id === this.startTlsId && r.code === 0) {
          this.ctx.count?.('ldap_starttls');
          this.finished = true;
        }
        break;
      }
      default:
        break;
    }
    if (FINISHED.has(tag)) {
      this.messages.delete(id);
      this.logMessage(m);
    }
  }

  private setResult(m: Message, r: { code?: number; diag?: string }): void {
    if (r.code !== undefined) m.result = RESULT[r.code] ?? 'unknown';
    if (r.diag) m.diag = r.diag;
  }

  /** BindRequest ::= [APPLICATION 0] SEQUENCE { version, name, authentication CHOICE } */
  private bindRequest(m: Message, b: Uint8Array, op: Tlv, ts: number): void {
    const t = new Tlv();
    if (!readTlv(b, op.body, op.end, t) || t.tag !== 2) return;
    m.version = intValue(b, t.body, t.end);
    const nameEnd = readTlv(b, t.end, op.end, t) ? t.end : op.end;
    if (t.end > t.body) m.object = strValue(b, t.body, t.end, 1024);
    const auth = new Tlv();
    if (!readTlv(b, nameEnd, op.end, auth, true) || auth.cls !== CONTEXT) return;
    switch (auth.tag) {
      case 0:
        m.opcode = 'bind simple';
        if (auth.end > auth.body) m.argument = 'REDACTED';
        return;
      case 3: {
        m.opcode = 'bind SASL';
        if (!readTlv(b, auth.body, auth.end, t)) return;
        this.saslMech = strValue(b, t.body, t.end, 64);
        m.argument = this.saslMech;
        if (t.end < auth.end && readTlv(b, t.end, auth.end, t, true)) this.credentials(b, t.body, t.end - t.body, ts);
        return;
      }
      case 9:
        m.opcode = 'bind sicily_package_discovery';
        return;
      case 10:
      case 11:
        m.opcode = auth.tag === 10 ? 'bind sicily_negotiate' : 'bind sicily_response';
        this.credentials(b, auth.body, auth.end - auth.body, ts);
        return;
      default:
        m.opcode = String(auth.tag);
    }
  }

  private credentials(b: Uint8Array, off: number, len: number, ts: number): void {
    const r = this.ntlm.feedBlob(b, off, len, ts);
    if (this.ntlm.sawSpnego) this.ctx.confirm('gssapi');
    if (r === BLOB_NTLM) this.ctx.confirm('ntlm');
    else if (r === BLOB_KRB5) this.ctx.confirm('krb');
  }

  /** ModifyRequest changes → "replace(attr=v1,v2), add(attr2=v)"; secrets redacted. */
  private changes(b: Uint8Array, s: number, e: number): string | undefined {
    const seq = new Tlv();
    if (!readTlv(b, s, e, seq) || seq.tag !== 16) return undefined;
    const out: string[] = [];
    const ch = new Tlv();
    const x = new Tlv();
    const y = new Tlv();
    let p = seq.body;
    while (p < seq.end && out.length < 32 && readTlv(b, p, seq.end, ch)) {
      p = ch.end;
      if (!readTlv(b, ch.body, ch.end, x) || x.tag !== 10) continue;
      const op = MODIFY_OPS[intValue(b, x.body, x.end)] ?? 'unknown';
      if (!readTlv(b, x.end, ch.end, x) || !readTlv(b, x.body, x.end, y)) continue;
      const attr = strValue(b, y.body, y.end, 256);
      const vals: string[] = [];
      const set = new Tlv();
      if (readTlv(b, y.end, x.end, set)) {
        let q = set.body;
        while (q < set.end && vals.length < 16 && readTlv(b, q, set.end, y)) {
          vals.push(SECRET_ATTRS.has(attr.toLowerCase()) ? 'REDACTED' : strValue(b, y.body, y.end, 256));
          q = y.end;
        }
      }
      out.push(op + '(' + attr + '=' + vals.join(',') + ')');
    }
    return out.length ? out.join(', ') : undefined;
  }

  private searchRequest(id: number, b: Uint8Array, op: Tlv, ts: number): void {
    const s = this.search(id, ts);
    if (!s) return;
    const t = new Tlv();
    let p = op.body;
    const e = op.end;
    if (!readTlv(b, p, e, t)) return;
    if (t.end > t.body) s.base = strValue(b, t.body, t.end, 1024);
    p = t.end;
    if (!readTlv(b, p, e, t)) return;
    s.scope = SCOPES[intValue(b, t.body, t.end)] ?? 'unknown';
    p = t.end;
    if (!readTlv(b, p, e, t)) return;
    s.deref = DEREF[intValue(b, t.body, t.end)] ?? 'unknown';
    p = t.end;
    for (let i = 0; i < 3; i++) {
      if (!readTlv(b, p, e, t)) return; // sizeLimit, timeLimit, typesOnly
      p = t.end;
    }
    if (!readTlv(b, p, e, t)) return;
    let f = new FilterRenderer().render(b, p, t.end, 0);
    if (f !== undefined && f.length > MAX_FILTER_LEN) f = f.slice(0, MAX_FILTER_LEN);
    s.filter = f ?? 'FILTER_PARSING_ERROR';
    p = t.end;
    if (readTlv(b, p, e, t) && t.tag === 16) {
      const attrs: string[] = [];
      let q = t.body;
      const a = new Tlv();
      while (q < t.end && attrs.length < MAX_ATTRS && readTlv(b, q, t.end, a)) {
        attrs.push(strValue(b, a.body, a.end, 256));
        q = a.end;
      }
      s.attributes = attrs;
    }
  }

  private msg(id: number, ts: number): Message | undefined {
    let m = this.messages.get(id);
    if (!m) {
      if (this.messages.size >= MAX_OPEN) {
        const k = this.messages.keys().next().value as number;
        this.logMessage(this.messages.get(k)!);
        this.messages.delete(k);
        this.ctx.count?.('ldap_open_evicted');
      }
      m = { ts, id };
      this.messages.set(id, m);
    }
    return m;
  }

  private search(id: number, ts: number): Search | undefined {
    let s = this.searches.get(id);
    if (!s) {
      if (this.searches.size >= MAX_OPEN) {
        const k = this.searches.keys().next().value as number;
        this.logSearch(this.searches.get(k)!);
        this.searches.delete(k);
        this.ctx.count?.('ldap_open_evicted');
      }
      s = { ts, id, count: 0 };
      this.searches.set(id, s);
    }
    return s;
  }

  private logMessage(m: Message): void {
    const ev: AppEvent = { _path: 'ldap', ts: m.ts, message_id: m.id };
    if (m.version !== undefined) ev.version = m.version;
    if (m.opcode !== undefined) ev.opcode = m.opcode;
    if (m.result !== undefined) ev.result = m.result;
    if (m.diag !== undefined) ev.diagnostic_message = m.diag;
    if (m.object !== undefined) ev.object = m.object;
    if (m.argument !== undefined) ev.argument = m.argument;
    this.ctx.emit(ev);
  }

  private logSearch(s: Search): void {
    const ev: AppEvent = { _path: 'ldap_search', ts: s.ts, message_id: s.id };
    if (s.scope !== undefined) ev.scope = s.scope;
    if (s.deref !== undefined) ev.deref_aliases = s.deref;
    if (s.base !== undefined) ev.base_object = s.base;
    ev.result_count = s.count;
    if (s.result !== undefined) ev.result = s.result;
    if (s.diag !== undefined) ev.diagnostic_message = s.diag;
    if (s.filter !== undefined) ev.filter = s.filter;
    if (s.attributes !== undefined) ev.attributes = s.attributes;
    this.ctx.emit(ev);
  }

  /** Zeek's finalize: pending messages/searches with id > 0 are logged at the end. */
  flush(): void {
    for (const [id, m] of this.messages) if (id > 0) this.logMessage(m);
    for (const [id, s] of this.searches) if (id > 0) this.logSearch(s);
    this.messages.clear();
    this.searches.clear();
    const ev = this.ntlm.takeEvent();
    if (ev) this.ctx.emit(ev);
  }
}

class LdapFramer implements Framer {
  readonly peek = 6;
  constructor(
    private readonly s: LdapTcpSession,
    private readonly dir: Dir,
  ) {}
  frameLength(b: Uint8Array, off: number, avail: number): number {
    if (b[off] !== 0x30) {
      // After a SASL bind, PDUs are SASL buffers: 4-byte length + mechanism wrapping (RFC 4422 §3.7).
      if (!this.s.core.saslActive) return -1;
      if (avail < 4) return 0;
      const n = ((b[off] << 24) | (b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]) >>> 0;
      return n > 0 && n <= 1 << 24 ? 4 + n : -1;
    }
    const n = tlvSize(b, off, avail);
    return n === 0 ? 0 : n < 0 || n > 1 << 24 ? -1 : n;
  }
  wanted(_b: Uint8Array, _off: number, _avail: number, total: number): number {
    return total;
  }
  /** After capture loss: the next well-formed LDAPMessage header (SEQUENCE, INTEGER id, protocolOp). */
  resync(b: Uint8Array, off: number, len: number): number {
    if (this.s.core.saslActive) return -1; // SASL buffers have no recognisable start
    for (let p = off, e = off + len - 7; p <= e; p++) if (b[p] === 0x30 && looksLdap(b, p, off + len - p, false)) return p;
    return -1;
  }
  onPdu(b: Uint8Array, off: number, len: number, total: number, ts: number): void {
    if (len < total) this.s.count('ldap_truncated');
    if (b[off] === 0x30) this.s.core.message(this.dir, b, off, len, ts);
    else if (len === total) this.s.saslBuffer(this.dir, b, off + 4, len - 4, ts);
    else this.s.sealed();
  }
}

class LdapTcpSession implements AppSession {
  readonly core: LdapCore;
  private readonly streams: [PduStream, PduStream];
  constructor(private readonly ctx: SessionContext) {
    this.core = new LdapCore(ctx, 'ldap_tcp');
    const cap = Math.max(4096, Math.min(ctx.maxBufferBytes, MAX_MSG));
    this.streams = [new PduStream(new LdapFramer(this, 0), cap, 6), new PduStream(new LdapFramer(this, 1), cap, 6)];
  }
  get done(): boolean {
    return this.core.finished;
  }
  count(name: string): void {
    this.ctx.count?.(name);
  }
  /** Encrypted SASL layer: nothing more to read on this connection. */
  sealed(): void {
    if (!this.core.finished) {
      this.ctx.count?.('ldap_sasl_sealed');
      this.core.finished = true;
    }
  }

  /**
   * One SASL buffer. Integrity-only wrapping leaves the LDAPMessage in clear: Kerberos GSS wrap
   * tokens (RFC 4121 §4.2.6.2: 16-byte header, body rotated right by RRC, EC checksum bytes) and
   * NTLM signatures ([MS-NLMP] §2.2.2.9: 16 bytes). Sealed (encrypted) buffers end the session.
   */
  saslBuffer(dir: Dir, b: Uint8Array, p: number, n: number, ts: number): void {
    let s = -1;
    let e = p + n;
    if (n >= 16 && b[p] === 0x05 && b[p + 1] === 0x04 && !(b[p + 2] & 0x02)) {
      const ec = (b[p + 4] << 8) | b[p + 5];
      const rrc = (b[p + 6] << 8) | b[p + 7];
      const body = n - 16;
      if (rrc <= ec && ec <= body) {
        s = p + 16 + rrc;
        e = s + body - ec;
      }
    } else if (n >= 20 && b[p] === 0x01 && b[p + 1] === 0 && b[p + 2] === 0 && b[p + 3] === 0) {
      s = p + 16;
    }
    if (s < 0 || b[s] !== 0x30 || tlvSize(b, s, e - s) !== e - s) {
      this.sealed();
      return;
    }
    this.ctx.count?.('ldap_sasl_integrity_only');
    this.core.message(dir, b, s, e - s, ts);
  }
  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.core.finished) return;
    this.streams[dir].push(buf, off, len, ts);
  }
  gap(dir: Dir, len: number): void {
    this.streams[dir].gap(len);
  }
  end(): void {
    this.core.flush();
    const d = this.streams[0].desyncs + this.streams[1].desyncs;
    if (d && !this.core.finished) this.ctx.count?.('ldap_desync', d);
  }
}

class LdapUdpSession implements AppSession {
  readonly done = false;
  private readonly core: LdapCore;
  constructor(ctx: SessionContext) {
    this.core = new LdapCore(ctx, 'ldap_udp');
  }
  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    // A CLDAP datagram holds one or more LDAPMessages (a searchResEntry and its searchResDone).
    const end = off + len;
    for (let i = 0; i < 64 && off < end; i++) {
      const n = tlvSize(buf, off, end - off);
      if (n <= 0 || off + n > end || buf[off] !== 0x30) return;
      this.core.message(dir, buf, off, n, ts);
      off += n;
    }
  }
  gap(): void {}
  end(): void {
    this.core.flush();
  }
}

/** SEQUENCE { INTEGER messageID, [APPLICATION n] protocolOp } with consistent lengths. */
function looksLdap(b: Uint8Array, off: number, len: number, whole: boolean): boolean {
  if (len < 7 || b[off] !== 0x30) return false;
  const n = tlvSize(b, off, len);
  if (n <= 0 || (whole && n !== len) || n > 1 << 24) return false;
  const t = new Tlv();
  if (!readTlv(b, off, off + len, t, true)) return false;
  const id = new Tlv();
  if (!readTlv(b, t.body, t.end, id) || id.cls !== UNIVERSAL || id.tag !== 2 || id.end - id.body > 4) return false;
  if (id.end >= t.end) return false;
  const op = b[id.end];
  return (op & 0xc0) === APPLICATION && OPCODE[op & 0x1f] !== undefined;
}

export const ldapTcpParser: AppParser = {
  service: 'ldap_tcp',
  transport: 'tcp',
  ports: [389, 3268],
  probe(_dir, buf, off, len) {
    return looksLdap(buf, off, len, false);
  },
  create(ctx) {
    return new LdapTcpSession(ctx);
  },
};

export const ldapUdpParser: AppParser = {
  service: 'ldap_udp',
  transport: 'udp',
  ports: [389],
  probe(_dir, buf, off, len) {
    return looksLdap(buf, off, len, false);
  },
  create(ctx) {
    return new LdapUdpSession(ctx);
  },
};
