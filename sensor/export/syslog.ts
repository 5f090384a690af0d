/**
 * Alerts to syslog: RFC 5424 messages over UDP (RFC 5426, one message per datagram) or over TCP
 * with RFC 6587 octet counting ("LEN SP MSG"). The MSG part is the alert as JSON (default) or a
 * CEF line (ArcSight Common Event Format) for SIEMs that parse CEF.
 *
 * Alert severity 1–10 maps to syslog severity: 9–10 critical(2), 7–8 error(3), 5–6 warning(4),
 * 3–4 notice(5), 1–2 informational(6). Structured data `[ndr@32473 …]` carries id, type,
 * category, severity, src, dst and MITRE technique ids (32473 is the documentation enterprise
 * number of RFC 5612: replace it once the project has its own).
 *
 * TCP: reconnects with backoff; while disconnected, at most `maxQueue` messages wait (oldest dropped
 * first, counted). UDP messages longer than `maxMessageBytes` are truncated (counted).
 */
import dgram from 'node:dgram';
import net from 'node:net';
import { hostname } from 'node:os';

export interface AlertLike {
  ts: number;
  id: string;
  sensor_id?: string;
  type: string;
  category?: string;
  mitre?: string[];
  severity: number;
  src?: string;
  dst?: string;
  summary: string;
  evidence?: unknown;
}

export interface SyslogOptions {
  host: string;
  port: number;
  transport?: 'udp' | 'tcp';
  format?: 'json' | 'cef';
  /** Syslog facility number (default 16 = local0). */
  facility?: number;
  appName?: string;
  hostname?: string;
  /** Largest message on UDP (default 2048, RFC 5426's recommended minimum to support). */
  maxMessageBytes?: number;
  /** TCP: messages kept while disconnected (default 10000). */
  maxQueue?: number;
  productVersion?: string;
  log?: (m: string) => void;
}

export interface SyslogStats {
  sent: number;
  truncated: number;
  dropped: number;
  errors: number;
  reconnects: number;
}

export function syslogSeverity(sev: number): number {
  if (sev >= 9) return 2;
  if (sev >= 7) return 3;
  if (sev >= 5) return 4;
  if (sev >= 3) return 5;
  return 6;
}

/** PRINTUSASCII without spaces, at most n characters; "-" when empty (RFC 5424 header fields). */
function headerField(s: string | undefined, n: number): string {
  const v = (s ?? '').replace(/[^\x21-\x7e]/g, '_').slice(0, n);
  return v || '-';
}

function sdValue(s: string): string {
  return s.replace(/[\\"\]]/g, (c) => '\\' + c);
}

function cefHeader(s: string): string {
  return s.replace(/[\\|]/g, (c) => '\\' + c).replace(/[\r\n]+/g, ' ');
}

function cefExt(s: string): string {
  return s.replace(/[\\=]/g, (c) => '\\' + c).replace(/\r?\n/g, '\\n');
}

/** The CEF line for an alert. */
export function formatCef(a: AlertLike, version = '0.1.0'): string {
  const sev = Math.max(0, Math.min(10, Math.round(a.severity)));
  const ext: [string, string | undefined][] = [
    ['rt', String(Math.round(a.ts * 1000))],
    ['externalId', a.id],
    ['cat', a.category],
    ['src', a.src],
    ['dst', a.dst],
    ['dvchost', a.sensor_id],
    ['cs1Label', a.mitre?.length ? 'mitreTechniques' : undefined],
    ['cs1', a.mitre?.length ? a.mitre.join(',') : undefined],
    ['msg', a.summary],
  ];
  const e = ext.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${cefExt(v!)}`).join(' ');
  return `CEF:0|ndr-sensor|ndr-sensor|${cefHeader(version)}|${cefHeader(a.type)}|${cefHeader(a.summary)}|${sev}|${e}`;
}

/** One RFC 5424 message (without transport framing). */
export function formatSyslog(a: AlertLike, o: Pick<SyslogOptions, 'format' | 'facility' | 'appName' | 'hostname' | 'productVersion'> = {}): string {
  const pri = (o.facility ?? 16) * 8 + syslogSeverity(a.severity);
  const ts = new Date(Math.round(a.ts * 1000)).toISOString();
  const host = headerField(o.hostname ?? a.sensor_id ?? hostname(), 255);
  const app = headerField(o.appName ?? 'ndr-sensor', 48);
  const msgid = headerField(a.type, 32);
  const params: [string, string | undefined][] = [
    ['id', a.id], ['type', a.type], ['category', a.category], ['severity', String(a.severity)], ['src', a.src], ['dst', a.dst],
    ['mitre', a.mitre?.join(',')],
  ];
  const sd = `[ndr@32473${params.filter(([, v]) => v !== undefined).map(([k, v]) => ` ${k}="${sdValue(v!)}"`).join('')}]`;
  const msg = o.format === 'cef' ? formatCef(a, o.productVersion) : JSON.stringify(a);
  // BOM: the MSG is UTF-8 (RFC 5424 section 6.4).
  return `<${pri}>1 ${ts} ${host} ${app} ${process.pid} ${msgid} ${sd} \ufeff${msg}`;
}

export class SyslogExporter {
  readonly stats: SyslogStats = { sent: 0, truncated: 0, dropped: 0, errors: 0, reconnects: 0 };
  private udp: dgram.Socket | null = null;
  private tcp: net.Socket | null = null;
  private connected = false;
  private queue: Buffer[] = [];
  private closed = false;
  private backoff = 100;
  private retry: NodeJS.Timeout | null = null;
  private pending = 0;
  private readonly log: (m: string) => void;

  constructor(private readonly o: SyslogOptions) {
    this.log = o.log ?? ((m) => process.stderr.write(`syslog: ${m}\n`));
  }

  async start(): Promise<void> {
    if ((this.o.transport ?? 'udp') === 'udp') {
      const s = dgram.createSocket(net.isIP(this.o.host) === 6 ? 'udp6' : 'udp4');
      s.on('error', (e) => {
        this.stats.errors++;
        this.log(`socket error: ${e.message}`);
      });
      await new Promise<void>((r) => s.bind(0, () => r()));
      this.udp = s;
    } else {
      this.connect();
    }
  }

  private connect(): void {
    if (this.closed) return;
    const s = net.createConnection({ host: this.o.host, port: this.o.port });
    s.setNoDelay(true);
    s.on('connect', () => {
      this.connected = true;
      this.backoff = 100;
      const q = this.queue;
      this.queue = [];
      for (const m of q) this.writeTcp(m);
    });
    s.on('error', (e) => {
      this.stats.errors++;
      this.log(`tcp ${this.o.host}:${this.o.port}: ${e.message}`);
    });
    s.on('close', () => {
      this.connected = false;
      this.tcp = null;
      if (this.closed) return;
      this.stats.reconnects++;
      this.retry = setTimeout(() => this.connect(), this.backoff);
      this.backoff = Math.min(this.backoff * 2, 30_000);
    });
    this.tcp = s;
  }

  private writeTcp(m: Buffer): void {
    const frame = Buffer.concat([Buffer.from(`${m.length} `), m]);
    this.tcp!.write(frame);
    this.stats.sent++;
  }

  send(a: AlertLike): void {
    let m = Buffer.from(formatSyslog(a, this.o));
    if (this.udp) {
      const max = this.o.maxMessageBytes ?? 2048;
      if (m.length > max) {
        m = m.subarray(0, max);
        this.stats.truncated++;
      }
      this.pending++;
      this.udp.send(m, this.o.port, this.o.host, (err) => {
        this.pending--;
        if (err) this.stats.errors++;
      });
      this.stats.sent++;
      return;
    }
    if (this.connected && this.tcp) return this.writeTcp(m);
    this.queue.push(m);
    if (this.queue.length > (this.o.maxQueue ?? 10_000)) {
      this.queue.shift();
      this.stats.dropped++;
      if (this.stats.dropped % 1000 === 1) this.log(`DATA LOSS: syslog peer unreachable, ${this.stats.dropped} alert message(s) dropped`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    for (let i = 0; i < 200 && this.pending > 0; i++) await new Promise((r) => setTimeout(r, 5));
    if (this.udp) await new Promise<void>((r) => this.udp!.close(() => r()));
    if (this.tcp) await new Promise<void>((r) => this.tcp!.end(() => r()));
    if (this.queue.length) {
      this.stats.dropped += this.queue.length;
      this.log(`DATA LOSS: ${this.queue.length} alert message(s) not delivered (syslog peer unreachable)`);
      this.queue = [];
    }
  }
}
