/**
 * DNS (UDP datagrams, TCP with 2-byte length framing) → Zeek dns.log records.
 *
 * Follows Zeek's DNS analyzer and base/protocols/dns/main.zeek so records line up with Zeek's:
 * - query/reply pairing by trans_id with a fast-path pending query, per-id FIFO queues, replies
 *   waiting for a late query, caps of 50 per id / 50 ids (Zeek's max_pending_*);
 * - query/qtype/qclass/RD/TC/Z come from the request only; rcode from the reply; AA/RA/rtt and
 *   `answers`/`TTLs` only from answer-section RRs whose type Zeek renders (A, AAAA, NS, CNAME, PTR,
 *   MX, SOA, TXT, SPF, SRV, DNSSEC summaries, `<unknown type=N>`), names lower-cased;
 * - a record is written when both the query and the reply were seen; unmatched ones at `end`.
 * NetBIOS name service (UDP 137) shares the wire format: the query name is decoded and the
 * opcodes get NetBIOS names, as Zeek does.
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { latin1, u16, u32 } from './bytes.js';

const QTYPES: Record<number, string> = {
  1: 'A', 2: 'NS', 3: 'MD', 4: 'MF', 5: 'CNAME', 6: 'SOA', 7: 'MB', 8: 'MG', 9: 'MR', 10: 'NULL',
  11: 'WKS', 12: 'PTR', 13: 'HINFO', 14: 'MINFO', 15: 'MX', 16: 'TXT', 17: 'RP', 18: 'AFSDB',
  19: 'X25', 20: 'ISDN', 21: 'RT', 22: 'NSAP', 23: 'NSAP-PTR', 24: 'SIG', 25: 'KEY', 26: 'PX',
  27: 'GPOS', 28: 'AAAA', 29: 'LOC', 30: 'NXT', 31: 'EID', 32: 'NIMLOC', 33: 'SRV', 34: 'ATMA',
  35: 'NAPTR', 36: 'KX', 37: 'CERT', 38: 'A6', 39: 'DNAME', 40: 'SINK', 41: 'OPT', 42: 'APL',
  43: 'DS', 44: 'SSHFP', 45: 'IPSECKEY', 46: 'RRSIG', 47: 'NSEC', 48: 'DNSKEY', 49: 'DHCID',
  50: 'NSEC3', 51: 'NSEC3PARAM', 52: 'TLSA', 53: 'SMIMEA', 55: 'HIP', 56: 'NINFO', 57: 'RKEY',
  58: 'TALINK', 59: 'CDS', 60: 'CDNSKEY', 61: 'OPENPGPKEY', 62: 'CSYNC', 63: 'ZONEMD', 64: 'SVCB',
  65: 'HTTPS', 99: 'SPF', 100: 'UINFO', 101: 'UID', 102: 'GID', 103: 'UNSPEC', 104: 'NID',
  105: 'L32', 106: 'L64', 107: 'LP', 108: 'EUI48', 109: 'EUI64', 249: 'TKEY', 250: 'TSIG',
  251: 'IXFR', 252: 'AXFR', 253: 'MAILB', 254: 'MAILA', 255: '*', 256: 'URI', 257: 'CAA',
  32768: 'TA', 32769: 'DLV', 65281: 'WINS', 65282: 'WINS-R', 65422: 'XPF', 65521: 'INTEGRITY',
};
const RCODES: Record<number, string> = {
  0: 'NOERROR', 1: 'FORMERR', 2: 'SERVFAIL', 3: 'NXDOMAIN', 4: 'NOTIMP', 5: 'REFUSED',
  6: 'YXDOMAIN', 7: 'YXRRSET', 8: 'NXRRSet', 9: 'NOTAUTH', 10: 'NOTZONE', 16: 'BADVERS',
  17: 'BADKEY', 18: 'BADTIME', 19: 'BADMODE', 20: 'BADNAME', 21: 'BADALG', 22: 'BADTRUNC',
  23: 'BADCOOKIE',
};
const CLASSES: Record<number, string> = {
  1: 'C_INTERNET', 2: 'C_CSNET', 3: 'C_CHAOS', 4: 'C_HESIOD', 254: 'C_NONE', 255: 'C_ANY',
};
const OPCODES: Record<number, string> = {
  0: 'query', 1: 'iquery', 2: 'server-status', 4: 'notify', 5: 'dynamic-update', 6: 'dso',
};
const NB_OPCODES: Record<number, string> = {
  0: 'netbios-query', 5: 'netbios-registration', 6: 'netbios-release', 7: 'netbios-wack',
  8: 'netbios-refresh',
};

export const qtypeName = (t: number): string => QTYPES[t] ?? `query-${t}`;
export const rcodeName = (r: number): string => RCODES[r] ?? (r >= 11 && r <= 15 ? `unassigned-${r}` : `rcode-${r}`);
const className = (c: number): string => CLASSES[c] ?? `qclass-${c}`;

/** Zeek's log writers print non-printable bytes as \xNN. */
function escapeBytes(b: Uint8Array, start: number, end: number, lower: boolean): string {
  // Common case, a plain printable label: one string, not one per character.
  let upper = false;
  let plain = true;
  for (let i = start; i < end; i++) {
    const c = b[i];
    if (c < 0x20 || c > 0x7e || c === 0x5c) { plain = false; break; }
    if (c >= 0x41 && c <= 0x5a) upper = true;
  }
  if (plain) {
    const s = latin1(b, start, end, end - start);
    // ASCII only here, so toLowerCase maps exactly A-Z as the loop below does.
    return lower && upper ? s.toLowerCase() : s;
  }
  let s = '';
  for (let i = start; i < end; i++) {
    let c = b[i];
    if (c < 0x20 || c > 0x7e || c === 0x5c) {
      s += c === 0x5c ? '\\\\' : '\\x' + (c < 16 ? '0' : '') + c.toString(16);
      continue;
    }
    if (lower && c >= 0x41 && c <= 0x5a) c += 32;
    s += String.fromCharCode(c);
  }
  return s;
}

const NAME_MAX = 512; // Zeek's name buffer: longer names are cut

/**
 * Reads a (possibly compressed) domain name at `pos` in msg[0, end). Compression pointers must
 * point strictly backwards (as Zeek requires), which bounds the walk. Returns the offset after
 * the name in the original position, or -1 when the name is cut short by the message end.
 */
function readName(msg: Uint8Array, pos: number, end: number, lower: boolean, nb: boolean, out: { s: string }): number {
  let s = '';
  let next = -1; // position after the name in the original data
  let p = pos;
  let limit = end; // a pointer target may only read up to the pointer's own position
  let budget = NAME_MAX;
  for (let hops = 0; hops < 128; hops++) {
    if (p >= limit) { out.s = trimDot(s); return next >= 0 ? next : -1; }
    const l = msg[p];
    if (l === 0) { out.s = trimDot(s); return next >= 0 ? next : p + 1; }
    if ((l & 0xc0) === 0xc0) {
      if (p + 1 >= limit) { out.s = trimDot(s); return next >= 0 ? next : -1; }
      const target = ((l & 0x3f) << 8) | msg[p + 1];
      if (next < 0) next = p + 2;
      if (target >= p) { out.s = trimDot(s); return next; } // forward/self pointer: stop
      limit = p;
      p = target;
      continue;
    }
    if (l > 63 && !nb) { out.s = trimDot(s); return next >= 0 ? next : -1; }
    if (p + 1 + l > limit) { out.s = trimDot(s); return next >= 0 ? next : -1; }
    if (l >= budget) { out.s = trimDot(s); return next >= 0 ? next : p + 1 + l; }
    s += escapeBytes(msg, p + 1, p + 1 + l, lower) + '.';
    budget -= l + 1;
    p += 1 + l;
  }
  out.s = trimDot(s);
  return next;
}

function trimDot(s: string): string {
  return s.length >= 2 && s.charCodeAt(s.length - 1) === 0x2e ? s.slice(0, -1) : s;
}

/** NetBIOS first-level decoding (RFC 1001 14.1), as Zeek's decode_netbios_name. */
export function decodeNetbiosName(name: string): string {
  const enc = name.split('.')[0].toUpperCase();
  if (enc.length !== 32) return name;
  let out = '';
  for (let i = 0; i < 15; i++) {
    const c = ((enc.charCodeAt(2 * i) - 65) << 4) + (enc.charCodeAt(2 * i + 1) - 65);
    const ch = c & 0xff;
    const printable = ch > 0x20 && ch < 0x7f;
    if (!(printable || ch < 3)) break;
    out += String.fromCharCode(ch);
  }
  return out;
}

function ipv6(b: Uint8Array, o: number): string {
  // IPv4-mapped addresses print as IPv4, as Zeek stores them.
  let mapped = true;
  for (let i = 0; i < 10; i++) if (b[o + i] !== 0) { mapped = false; break; }
  if (mapped && b[o + 10] === 0xff && b[o + 11] === 0xff) return `${b[o + 12]}.${b[o + 13]}.${b[o + 14]}.${b[o + 15]}`;
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push(u16(b, o + 2 * i));
  // longest run (>= 2) of zero words becomes '::' (RFC 5952)
  let bs = -1, bl = 0;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bl && j - i >= 2) { bs = i; bl = j - i; }
    i = j;
  }
  if (bs < 0) return w.map((x) => x.toString(16)).join(':');
  const head = w.slice(0, bs).map((x) => x.toString(16)).join(':');
  const tail = w.slice(bs + bl).map((x) => x.toString(16)).join(':');
  return head + '::' + tail;
}

interface Info {
  ts: number;
  trans_id: number;
  rtt?: number;
  query?: string;
  qclass?: number;
  qclass_name?: string;
  qtype?: number;
  qtype_name?: string;
  rcode?: number;
  rcode_name?: string;
  AA: boolean;
  TC: boolean;
  RD: boolean;
  RA: boolean;
  Z: number;
  answers?: string[];
  TTLs?: number[];
  rejected: boolean;
  opcode?: number;
  opcode_name?: string;
  saw_query: boolean;
  saw_reply: boolean;
}

const MAX_PENDING_MSGS = 50;
const MAX_PENDING_IDS = 50;
const MAX_ANSWERS = 100; // per record; a hostile reply cannot grow a record without bound

/** Types Zeek parses but whose reply events base/protocols/dns ignores: no answer, no AA/RA/rtt. */
const SILENT_TYPES = new Set([13, 32, 41, 249, 250, 257, 64, 65]);

export class DnsSession implements AppSession {
  private pendingQuery: Info | null = null;
  private pendingQueries = new Map<number, Info[]>();
  private pendingReplies = new Map<number, Info[]>();
  private readonly tcpBuf: [Uint8Array | null, Uint8Array | null] = [null, null];
  private dead: [boolean, boolean] = [false, false];
  private confirmed = false;
  private finished = false;
  private readonly nameOut = { s: '' };

  constructor(
    private readonly ctx: SessionContext,
    private readonly proto: 'udp' | 'tcp',
    private readonly netbios: boolean,
  ) {}

  get done(): boolean {
    return this.finished;
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.finished || len <= 0) return;
    if (this.proto === 'udp') {
      this.message(buf, off, off + len, ts);
      return;
    }
    if (this.dead[dir]) return;
    // TCP: 2-byte length prefix per message; messages may span segments.
    let b = buf, p = off, end = off + len;
    const pend = this.tcpBuf[dir];
    if (pend) {
      const n = new Uint8Array(pend.length + len);
      n.set(pend, 0);
      n.set(buf.subarray(off, off + len), pend.length);
      b = n; p = 0; end = n.length;
      this.tcpBuf[dir] = null;
    }
    while (end - p >= 2) {
      const mlen = u16(b, p);
      if (end - p - 2 < mlen) break;
      this.message(b, p + 2, p + 2 + mlen, ts);
      p += 2 + mlen;
    }
    if (end > p) {
      if (end - p > this.ctx.maxBufferBytes) { this.dead[dir] = true; return; }
      this.tcpBuf[dir] = b.slice(p, end);
    }
  }

  gap(dir: Dir): void {
    // TCP framing is lost after a gap: stop this direction (UDP has no gaps).
    this.tcpBuf[dir] = null;
    if (this.proto === 'tcp') this.dead[dir] = true;
  }

  end(_ts: number): void {
    if (this.finished) return;
    if (this.pendingQuery) this.write(this.pendingQuery);
    this.pendingQuery = null;
    for (const q of this.pendingQueries.values()) for (const i of q) this.write(i);
    for (const q of this.pendingReplies.values()) for (const i of q) this.write(i);
    this.pendingQueries.clear();
    this.pendingReplies.clear();
    this.finished = true;
  }

  private newInfo(id: number, ts: number): Info {
    return { ts, trans_id: id, AA: false, TC: false, RD: false, RA: false, Z: 0, rejected: false, saw_query: false, saw_reply: false };
  }

  private enqueue(m: Map<number, Info[]>, id: number, info: Info): void {
    let q = m.get(id);
    if (!q) {
      if (m.size > MAX_PENDING_IDS) {
        for (const x of m.values()) for (const i of x) this.write(i);
        m.clear();
      }
      q = [];
      m.set(id, q);
    } else if (q.length > MAX_PENDING_MSGS) {
      for (const i of q) this.write(i);
      q.length = 0;
    }
    q.push(info);
  }

  private pop(m: Map<number, Info[]>, id: number): Info {
    const q = m.get(id)!;
    const i = q.shift()!;
    if (q.length === 0) m.delete(id);
    return i;
  }

  /** Zeek's DNS::set_session. */
  private session(id: number, isQuery: boolean, ts: number): Info {
    if (isQuery) {
      const pr = this.pendingReplies.get(id);
      if (pr && pr.length > 0) return this.pop(this.pendingReplies, id);
      const info = this.newInfo(id, ts);
      if (!this.pendingQuery) this.pendingQuery = info;
      else this.enqueue(this.pendingQueries, id, info);
      return info;
    }
    if (this.pendingQuery && this.pendingQuery.trans_id === id) {
      const info = this.pendingQuery;
      this.pendingQuery = null;
      if (this.pendingQueries.size > 0) {
        const same = this.pendingQueries.get(id);
        if (same && same.length > 0) this.pendingQuery = this.pop(this.pendingQueries, id);
        else {
          for (const [tid, q] of this.pendingQueries) {
            if (q.length > 0) { this.pendingQuery = this.pop(this.pendingQueries, tid); break; }
          }
        }
      }
      return info;
    }
    const pq = this.pendingQueries.get(id);
    if (pq && pq.length > 0) return this.pop(this.pendingQueries, id);
    const info = this.newInfo(id, ts);
    this.enqueue(this.pendingReplies, id, info);
    return info;
  }

  private message(msg: Uint8Array, start: number, end: number, ts: number): void {
    if (end - start < 12) return;
    // Work on offsets relative to the message start: compression pointers are message offsets.
    const m = start === 0 && end === msg.length ? msg : msg.subarray(start, end);
    const len = m.length;
    const id = u16(m, 0);
    const flags = u16(m, 2);
    const qd = u16(m, 4), an = u16(m, 6), ns = u16(m, 8), ar = u16(m, 10);
    const QR = (flags >> 15) & 1;
    const opcode = (flags >> 11) & 15;
    const rcode = flags & 15;
    const info = this.session(id, QR === 0, ts);
    info.opcode = opcode;
    info.opcode_name = this.netbios ? NB_OPCODES[opcode] ?? `netbios-opcode-${opcode}` : OPCODES[opcode] ?? `opcode-${opcode}`;
    if (QR === 1) {
      info.rcode = rcode;
      info.rcode_name = rcodeName(rcode);
      if (rcode !== 0 && qd === 0) info.rejected = true;
    }
    this.parseBody(m, len, info, flags, qd, an, ns, ar, ts);
    // dns_end
    if (QR === 1) info.saw_reply = true;
    else info.saw_query = true;
    if (info.saw_query && info.saw_reply) this.write(info);
  }

  private parseBody(m: Uint8Array, len: number, info: Info, flags: number, qd: number, an: number,
    ns: number, ar: number, ts: number): void {
    const QR = (flags >> 15) & 1;
    if (qd > 25) return; // Zeek's dns_max_queries: not DNS
    let p = 12;
    const out = this.nameOut;
    for (let i = 0; i < qd; i++) {
      const e = readName(m, p, len, false, this.netbios, out);
      if (e < 0 || len - e < 4) return;
      const qtype = u16(m, e), qclass = u16(m, e + 2);
      p = e + 4;
      if (QR === 0) {
        info.RD = ((flags >> 8) & 1) === 1;
        info.TC = ((flags >> 9) & 1) === 1;
        info.qclass = qclass;
        info.qclass_name = className(qclass);
        info.qtype = qtype;
        info.qtype_name = qtypeName(qtype);
        info.Z = (flags >> 4) & 7;
        let q = out.s.toLowerCase();
        if (this.netbios) {
          q = decodeNetbiosName(q);
          if (qtype === 33) info.qtype_name = 'NBSTAT';
        }
        info.query = q;
      } else if (an === 0 && ns === 0 && ar === 0) {
        info.rejected = true;
      }
    }
    if (!this.confirmed) {
      this.confirmed = true;
      this.ctx.confirm('dns');
    }
    for (let i = 0; i < an; i++) {
      const e = readName(m, p, len, true, this.netbios, out);
      if (e < 0 || len - e < 10) return;
      const rrName = out.s;
      const type = u16(m, e);
      const ttl = u32(m, e + 4);
      const rdlen = u16(m, e + 8);
      const rd = e + 10;
      if (rdlen > len - rd) return;
      p = rd + rdlen;
      if (QR === 0) continue; // answers inside a request are not tracked (as Zeek)
      const r = this.render(m, type, rd, rdlen, rrName);
      if (r === null) continue;
      if (info.query === undefined) info.query = rrName;
      info.AA = ((flags >> 10) & 1) === 1;
      info.RA = ((flags >> 7) & 1) === 1;
      if (info.rtt === undefined) {
        const rtt = ts - info.ts;
        if (rtt !== 0) info.rtt = rtt;
      }
      if (r !== '') {
        if (!info.answers) { info.answers = []; info.TTLs = []; }
        if (info.answers.length < MAX_ANSWERS) {
          info.answers.push(r);
          info.TTLs!.push(ttl);
        }
      }
    }
  }

  /** Zeek's rendering of one answer RR; null when Zeek logs nothing for the type. */
  private render(m: Uint8Array, type: number, rd: number, rdlen: number, rrName: string): string | null {
    const out = this.nameOut;
    const end = rd + rdlen;
    switch (type) {
      case 1:
        if (rdlen !== 4) return null;
        return `${m[rd]}.${m[rd + 1]}.${m[rd + 2]}.${m[rd + 3]}`;
      case 28:
      case 38:
        if (rdlen !== 16) return null;
        return ipv6(m, rd);
      case 2: case 5: case 12:
        readName(m, rd, m.length, true, this.netbios, out);
        return out.s;
      case 15:
        if (rdlen < 3) return null;
        readName(m, rd + 2, m.length, true, this.netbios, out);
        return out.s;
      case 6:
        readName(m, rd, m.length, true, this.netbios, out);
        return out.s;
      case 33:
        if (this.netbios) return null;
        if (rdlen < 7) return null;
        readName(m, rd + 6, m.length, true, false, out);
        return out.s;
      case 16:
      case 99: {
        const tag = type === 16 ? 'TXT' : 'SPF';
        const parts: string[] = [];
        let p = rd;
        while (p < end && parts.length < 256) {
          const l = m[p];
          const e = Math.min(end, p + 1 + l);
          parts.push(`${tag} ${e - p - 1} ${escapeBytes(m, p + 1, e, false)}`);
          p = p + 1 + l;
        }
        return parts.join(' ');
      }
      case 11:
        return '';
      case 46: {
        if (rdlen < 18) return null;
        readName(m, rd + 18, end, true, false, out);
        return `RRSIG ${u16(m, rd)} ${out.s === '' ? '<Root>' : out.s}`;
      }
      case 48:
        if (rdlen < 4) return null;
        return `DNSKEY ${m[rd + 3]}`;
      case 47:
        readName(m, rd, end, true, false, out);
        return `NSEC ${rrName} ${out.s}`;
      case 50:
        return 'NSEC3';
      case 51:
        return 'NSEC3PARAM';
      case 43:
        if (rdlen < 4) return null;
        return `DS ${m[rd + 2]} ${m[rd + 3]}`;
      case 65534:
        return 'BIND9 signing signal';
      case 44: {
        if (rdlen < 2) return null;
        let h = '';
        for (let i = rd + 2; i < end; i++) h += (m[i] < 16 ? '0' : '') + m[i].toString(16);
        return `SSHFP: ${h}`;
      }
      case 29:
        if (rdlen < 4) return null;
        return `LOC:  ${m[rd + 1]} ${m[rd + 2]} ${m[rd + 3]}`;
      default:
        if (SILENT_TYPES.has(type)) return null;
        return `<unknown type=${type}>`;
    }
  }

  private write(i: Info): void {
    const ev: AppEvent = {
      _path: 'dns', ts: i.ts, proto: this.proto, trans_id: i.trans_id,
    };
    if (i.rtt !== undefined) ev.rtt = i.rtt;
    if (i.query !== undefined) ev.query = i.query;
    if (i.qclass !== undefined) { ev.qclass = i.qclass; ev.qclass_name = i.qclass_name; }
    if (i.qtype !== undefined) { ev.qtype = i.qtype; ev.qtype_name = i.qtype_name; }
    if (i.rcode !== undefined) { ev.rcode = i.rcode; ev.rcode_name = i.rcode_name; }
    ev.AA = i.AA; ev.TC = i.TC; ev.RD = i.RD; ev.RA = i.RA; ev.Z = i.Z;
    if (i.answers) { ev.answers = i.answers; ev.TTLs = i.TTLs; }
    ev.rejected = i.rejected;
    if (i.opcode !== undefined) { ev.opcode = i.opcode; ev.opcode_name = i.opcode_name; }
    this.ctx.emit(ev);
  }
}

/** Cheap plausibility check of a DNS header: counts small, opcode/rcode/Z sane. */
function plausibleHeader(b: Uint8Array, o: number, len: number): boolean {
  if (len < 12) return false;
  const flags = u16(b, o + 2);
  const opcode = (flags >> 11) & 15;
  if (opcode > 8 || opcode === 3) return false;
  const qd = u16(b, o + 4), an = u16(b, o + 6), ns = u16(b, o + 8), ar = u16(b, o + 10);
  if (qd > 25 || an > 1000 || ns > 1000 || ar > 1000) return false;
  if (qd + an + ns + ar === 0) return false;
  // Each record needs at least 5 (question) or 11 (RR) bytes.
  if (qd * 5 + (an + ns + ar) * 11 > len - 12) return false;
  // A question starts with a label length (≤ 63), a root label, or a pointer.
  if (qd > 0) {
    const l = b[o + 12];
    if (l > 63 && (l & 0xc0) !== 0xc0) return false;
  }
  return true;
}

const DNS_UDP_PORTS = [53, 5353, 5355];

export const dnsUdpParser: AppParser = {
  service: 'dns',
  transport: 'udp',
  ports: DNS_UDP_PORTS,
  probe(_dir: Dir, buf: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    if (ports.respPort === 137 || ports.origPort === 137) return false;
    if (!plausibleHeader(buf, off, len)) return false;
    // Off the DNS ports, insist on a single question (what real stub resolvers send).
    if (DNS_UDP_PORTS.includes(ports.respPort) || DNS_UDP_PORTS.includes(ports.origPort)) return true;
    return u16(buf, off + 4) === 1;
  },
  create: (ctx) => new DnsSession(ctx, 'udp', false),
};

/** NetBIOS name service (UDP 137): DNS wire format, logged to dns.log as Zeek does. */
export const nbnsParser: AppParser = {
  service: 'dns',
  transport: 'udp',
  ports: [137],
  probe(_dir, buf, off, len, ports) {
    return (ports.respPort === 137 || ports.origPort === 137) && plausibleHeader(buf, off, len);
  },
  create: (ctx) => new DnsSession(ctx, 'udp', true),
};

export const dnsTcpParser: AppParser = {
  service: 'dns',
  transport: 'tcp',
  ports: [53],
  probe(_dir, buf, off, len, ports) {
    if (len < 14) return false;
    const mlen = u16(buf, off);
    if (mlen < 12) return false;
    // The length prefix must agree with what follows (whole message, or a sane partial one).
    if (len - 2 > mlen && !(ports.respPort === 53 || ports.origPort === 53)) return false;
    return plausibleHeader(buf, off + 2, Math.min(len - 2, mlen));
  },
  create: (ctx) => new DnsSession(ctx, 'tcp', false),
};

