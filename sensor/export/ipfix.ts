/**
 * IPFIX (RFC 7011) flow export over UDP from the sensor's conn records, one biflow record per
 * connection (RFC 5103): forward counters are the originator's, reverse counters (enterprise 29305,
 * same element ids) the responder's.
 *
 * Templates (id 256 IPv4, 257 IPv6) go out in the first message and again every
 * `templateIntervalMs` and every `templateEveryMessages` messages, since UDP collectors forget
 * templates and may start after the exporter.
 *
 * Interim records (`interim: true`) are not exported: IPFIX counters here are per-flow totals
 * reported once, and exporting cumulative interim counters as deltas would double-count.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

const REVERSE_PEN = 29305;
const TPL_V4 = 256;
const TPL_V6 = 257;

/** [element id, length, enterprise number (0 = IANA)] in record order; the address pair varies. */
function fields(v6: boolean): [number, number, number][] {
  return [
    [152, 8, 0], // flowStartMilliseconds
    [153, 8, 0], // flowEndMilliseconds
    v6 ? [27, 16, 0] : [8, 4, 0], // sourceIPv6Address / sourceIPv4Address
    v6 ? [28, 16, 0] : [12, 4, 0], // destinationIPv6Address / destinationIPv4Address
    [7, 2, 0], // sourceTransportPort
    [11, 2, 0], // destinationTransportPort
    [4, 1, 0], // protocolIdentifier
    [1, 8, 0], // octetDeltaCount (orig_ip_bytes)
    [2, 8, 0], // packetDeltaCount (orig_pkts)
    [1, 8, REVERSE_PEN], // reverseOctetDeltaCount (resp_ip_bytes)
    [2, 8, REVERSE_PEN], // reversePacketDeltaCount (resp_pkts)
    [58, 2, 0], // vlanId
    [239, 1, 0], // biflowDirection (1 = initiator: source is the originator)
  ];
}

const RECORD_V4 = fields(false).reduce((a, f) => a + f[1], 0);
const RECORD_V6 = fields(true).reduce((a, f) => a + f[1], 0);

function templateSet(): Buffer {
  const parts: Buffer[] = [];
  for (const [id, v6] of [[TPL_V4, false], [TPL_V6, true]] as const) {
    const fs = fields(v6);
    const b = Buffer.alloc(4 + fs.reduce((a, f) => a + (f[2] ? 8 : 4), 0));
    b.writeUInt16BE(id, 0);
    b.writeUInt16BE(fs.length, 2);
    let o = 4;
    for (const [ie, len, pen] of fs) {
      b.writeUInt16BE(pen ? ie | 0x8000 : ie, o);
      b.writeUInt16BE(len, o + 2);
      o += 4;
      if (pen) {
        b.writeUInt32BE(pen, o);
        o += 4;
      }
    }
    parts.push(b);
  }
  const body = Buffer.concat(parts);
  const set = Buffer.alloc(4);
  set.writeUInt16BE(2, 0); // Template Set
  set.writeUInt16BE(4 + body.length, 2);
  return Buffer.concat([set, body]);
}

const TEMPLATE_SET = templateSet();
const SCRATCH = Buffer.alloc(32);

/** The fields of a conn record this exporter reads (Zeek conn.log names). */
export interface ConnLike {
  ts: number;
  'id.orig_h': string;
  'id.orig_p': number;
  'id.resp_h': string;
  'id.resp_p': number;
  proto: string;
  duration?: number | null;
  orig_pkts?: number | null;
  orig_ip_bytes?: number | null;
  resp_pkts?: number | null;
  resp_ip_bytes?: number | null;
  vlan?: number | null;
  interim?: boolean;
}

export interface IpfixOptions {
  host: string;
  port: number;
  observationDomainId?: number;
  /** Largest IPFIX message (UDP payload); default 1400. */
  maxMessageBytes?: number;
  /** Send a partly filled message after this long (default 1000 ms). */
  flushMs?: number;
  templateIntervalMs?: number;
  templateEveryMessages?: number;
  log?: (m: string) => void;
}

export interface IpfixStats {
  records: number;
  messages: number;
  templates: number;
  skippedInterim: number;
  skippedInvalid: number;
  sendErrors: number;
}

/** Writes an IPv4 or IPv6 address; returns false if it is neither. */
function writeAddr(b: Buffer, o: number, s: string, v6: boolean): boolean {
  if (!v6) {
    const p = s.split('.');
    if (p.length !== 4) return false;
    for (let i = 0; i < 4; i++) {
      const n = Number(p[i]);
      if (!(n >= 0 && n <= 255) || p[i] === '') return false;
      b[o + i] = n;
    }
    return true;
  }
  let str = s.replace(/%.*$/, ''); // zone id
  const m = /^(.*:)(\d+\.\d+\.\d+\.\d+)$/.exec(str);
  if (m) {
    // Embedded IPv4 (::ffff:a.b.c.d): rewrite the dotted tail as two hex words.
    const t = Buffer.alloc(4);
    if (!writeAddr(t, 0, m[2], false)) return false;
    str = `${m[1]}${t.readUInt16BE(0).toString(16)}:${t.readUInt16BE(2).toString(16)}`;
  }
  const halves = str.split('::');
  if (halves.length > 2) return false;
  const head = halves[0] ? halves[0].split(':') : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':') : [];
  if (halves.length === 1 ? head.length !== 8 : head.length + rest.length > 7) return false;
  const all = [...head, ...new Array(8 - head.length - rest.length).fill('0'), ...rest].map((h) =>
    /^[0-9a-fA-F]{1,4}$/.test(h) ? parseInt(h, 16) : -1,
  );
  for (let i = 0; i < 8; i++) {
    if (!(all[i] >= 0 && all[i] <= 0xffff)) return false;
    b.writeUInt16BE(all[i], o + 2 * i);
  }
  return true;
}

const PROTO: Record<string, number> = { tcp: 6, udp: 17, icmp: 1 };

export class IpfixExporter {
  readonly stats: IpfixStats = { records: 0, messages: 0, templates: 0, skippedInterim: 0, skippedInvalid: 0, sendErrors: 0 };
  private readonly max: number;
  private readonly buf: Buffer;
  private len = 16;
  /** Open data set: template id and offset of its header (0 = none). */
  private setTpl = 0;
  private setOff = 0;
  private recordsInMsg = 0;
  private seq = 0;
  private lastTemplateAt = -Infinity;
  private msgsSinceTemplate = Infinity;
  private socket: dgram.Socket | null = null;
  private ip = '';
  private timer: NodeJS.Timeout | null = null;
  private firstAt = 0;
  private pendingSends = 0;
  private readonly log: (m: string) => void;

  constructor(private readonly o: IpfixOptions) {
    this.max = o.maxMessageBytes ?? 1400;
    if (this.max < 16 + TEMPLATE_SET.length + 4 + RECORD_V6) throw new Error(`IPFIX message size ${this.max} is too small`);
    this.buf = Buffer.alloc(this.max);
    this.log = o.log ?? ((m) => process.stderr.write(`ipfix: ${m}\n`));
  }

  async start(): Promise<void> {
    this.ip = isIP(this.o.host) ? this.o.host : (await lookup(this.o.host)).address;
    const s = dgram.createSocket(isIP(this.ip) === 6 ? 'udp6' : 'udp4');
    s.on('error', (e) => {
      this.stats.sendErrors++;
      this.log(`socket error: ${e.message}`);
    });
    await new Promise<void>((r) => s.bind(0, () => r()));
    this.socket = s;
    const flushMs = this.o.flushMs ?? 1000;
    this.timer = setInterval(() => {
      if (this.recordsInMsg > 0 && Date.now() - this.firstAt >= flushMs) this.flush();
    }, Math.max(10, Math.min(flushMs, 250)));
  }

  /** Adds one conn record. Interim and unparsable records are counted and skipped. */
  push(r: ConnLike): void {
    if (r.interim) {
      this.stats.skippedInterim++;
      return;
    }
    const dur = r.duration ?? 0;
    const counters = [r.orig_ip_bytes ?? 0, r.orig_pkts ?? 0, r.resp_ip_bytes ?? 0, r.resp_pkts ?? 0];
    if (!Number.isFinite(r.ts) || !Number.isFinite(dur) || !counters.every((c) => Number.isFinite(c) && c >= 0)) {
      this.stats.skippedInvalid++;
      return;
    }
    const v6 = isIP(r['id.orig_h']) === 6;
    const al = v6 ? 16 : 4;
    // Addresses first, into scratch space: a bad record must not leave a half-written one behind.
    if (!writeAddr(SCRATCH, 0, r['id.orig_h'], v6) || !writeAddr(SCRATCH, al, r['id.resp_h'], v6)) {
      this.stats.skippedInvalid++;
      return;
    }
    const tpl = v6 ? TPL_V6 : TPL_V4;
    const size = v6 ? RECORD_V6 : RECORD_V4;
    if (this.setTpl !== tpl) {
      if (this.len + 4 + size > this.max) this.flush();
      this.openSet(tpl);
    } else if (this.len + size > this.max) {
      this.flush();
      this.openSet(tpl);
    }
    const b = this.buf;
    let o = this.len;
    const start = Math.round(r.ts * 1000);
    b.writeBigUInt64BE(BigInt(start), o);
    b.writeBigUInt64BE(BigInt(Math.round((r.ts + dur) * 1000)), o + 8);
    o += 16;
    SCRATCH.copy(b, o, 0, 2 * al);
    o += 2 * al;
    b.writeUInt16BE((r['id.orig_p'] ?? 0) & 0xffff, o);
    b.writeUInt16BE((r['id.resp_p'] ?? 0) & 0xffff, o + 2);
    const proto = r.proto === 'icmp' && v6 ? 58 : (PROTO[r.proto] ?? 0);
    b[o + 4] = proto;
    o += 5;
    for (const v of counters) {
      b.writeBigUInt64BE(BigInt(Math.floor(v)), o);
      o += 8;
    }
    b.writeUInt16BE((r.vlan ?? 0) & 0x0fff, o);
    b[o + 2] = 1;
    o += 3;
    this.len = o;
    if (this.recordsInMsg === 0) this.firstAt = Date.now();
    this.recordsInMsg++;
    this.stats.records++;
  }

  private openSet(tpl: number): void {
    this.closeSet();
    if (this.len === 16 && this.templateDue()) {
      TEMPLATE_SET.copy(this.buf, this.len);
      this.len += TEMPLATE_SET.length;
      this.lastTemplateAt = Date.now();
      this.msgsSinceTemplate = 0;
      this.stats.templates++;
    }
    this.setTpl = tpl;
    this.setOff = this.len;
    this.len += 4;
  }

  private templateDue(): boolean {
    return (
      Date.now() - this.lastTemplateAt >= (this.o.templateIntervalMs ?? 60_000) ||
      this.msgsSinceTemplate >= (this.o.templateEveryMessages ?? 200)
    );
  }

  private closeSet(): void {
    if (!this.setTpl) return;
    this.buf.writeUInt16BE(this.setTpl, this.setOff);
    this.buf.writeUInt16BE(this.len - this.setOff, this.setOff + 2);
    this.setTpl = 0;
  }

  /** Sends the current message if it holds records. */
  flush(): void {
    if (this.recordsInMsg === 0 || !this.socket) return;
    this.closeSet();
    const b = this.buf;
    b.writeUInt16BE(10, 0);
    b.writeUInt16BE(this.len, 2);
    b.writeUInt32BE(Math.floor(Date.now() / 1000), 4);
    b.writeUInt32BE(this.seq >>> 0, 8);
    b.writeUInt32BE(this.o.observationDomainId ?? 1, 12);
    const msg = Buffer.from(b.subarray(0, this.len));
    this.pendingSends++;
    this.socket.send(msg, this.o.port, this.ip, (err) => {
      this.pendingSends--;
      if (err) this.stats.sendErrors++;
    });
    this.seq = (this.seq + this.recordsInMsg) >>> 0;
    this.stats.messages++;
    this.msgsSinceTemplate++;
    this.len = 16;
    this.recordsInMsg = 0;
  }

  async close(): Promise<void> {
    this.flush();
    if (this.timer) clearInterval(this.timer);
    // Let queued datagrams leave before the socket closes.
    for (let i = 0; i < 200 && this.pendingSends > 0; i++) await new Promise((r) => setTimeout(r, 5));
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }
}
