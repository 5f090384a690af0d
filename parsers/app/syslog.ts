/**
 * Syslog (RFC 3164/5424 over UDP; over TCP with octet counting or LF framing, RFC 6587) →
 * Zeek syslog.log records: facility, severity, message. Zeek names the TCP variant's service
 * "syslog_tcp" (see the corpus conn.log of tcp-syslog.pcap) and the UDP one "syslog".
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { latin1 } from './bytes.js';

const FACILITIES = ['KERN', 'USER', 'MAIL', 'DAEMON', 'AUTH', 'SYSLOG', 'LPR', 'NEWS', 'UUCP', 'CRON',
  'AUTHPRIV', 'FTP', 'NTP', 'AUDIT', 'ALERT', 'CLOCK', 'LOCAL0', 'LOCAL1', 'LOCAL2', 'LOCAL3', 'LOCAL4',
  'LOCAL5', 'LOCAL6', 'LOCAL7'];
const SEVERITIES = ['EMERG', 'ALERT', 'CRIT', 'ERR', 'WARNING', 'NOTICE', 'INFO', 'DEBUG'];
const MAX_MSG = 2048; // longer messages are cut (the frame is still skipped whole)
const MAX_FRAME = 65536;

/** "<PRI>" at b[s..]: returns [pri, offset after '>'] or null. */
function pri(b: Uint8Array, s: number, e: number): [number, number] | null {
  if (s >= e || b[s] !== 0x3c) return null;
  let v = 0;
  for (let i = s + 1; i < e && i <= s + 4; i++) {
    const c = b[i];
    if (c === 0x3e) return i > s + 1 && v <= 191 ? [v, i + 1] : null;
    if (c < 0x30 || c > 0x39) return null;
    v = v * 10 + (c - 0x30);
  }
  return null;
}

export function syslogRecord(b: Uint8Array, s: number, e: number, ts: number, proto: 'udp' | 'tcp'): AppEvent | null {
  const p = pri(b, s, e);
  if (!p) return null;
  let end = e;
  while (end > p[1] && (b[end - 1] === 0x0a || b[end - 1] === 0x00)) end--;
  return { _path: 'syslog', ts, proto, facility: FACILITIES[p[0] >> 3] ?? `unknown-${p[0] >> 3}`, severity: SEVERITIES[p[0] & 7], message: latin1(b, p[1], end, MAX_MSG) };
}

export class SyslogSession implements AppSession {
  private confirmed = false;
  private pend: Uint8Array | null = null;
  private dead = false;
  constructor(private readonly ctx: SessionContext, private readonly proto: 'udp' | 'tcp') {}
  get done(): boolean { return this.dead; }

  data(_dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.dead) return;
    if (this.proto === 'udp') { this.record(buf, off, off + len, ts); return; }
    let b = buf, p = off, end = off + len;
    if (this.pend) {
      const n = new Uint8Array(this.pend.length + len);
      n.set(this.pend, 0);
      n.set(buf.subarray(off, off + len), this.pend.length);
      b = n; p = 0; end = n.length;
      this.pend = null;
    }
    while (p < end) {
      if (b[p] >= 0x31 && b[p] <= 0x39) {
        // octet counting: MSG-LEN SP SYSLOG-MSG
        let q = p, n = 0;
        while (q < end && q - p < 6 && b[q] >= 0x30 && b[q] <= 0x39) n = n * 10 + (b[q++] - 0x30);
        if (q === end) break;
        if (b[q] !== 0x20 || n > MAX_FRAME) { this.dead = true; return; }
        if (end - q - 1 < n) break;
        this.record(b, q + 1, q + 1 + n, ts);
        p = q + 1 + n;
      } else if (b[p] === 0x3c) {
        const nl = b.indexOf(0x0a, p);
        if (nl < 0 || nl >= end) {
          if (end - p > MAX_FRAME) { this.dead = true; return; }
          break;
        }
        this.record(b, p, nl, ts);
        p = nl + 1;
      } else if (b[p] === 0x0a || b[p] === 0x0d || b[p] === 0x00) p++;
      else { this.dead = true; return; }
    }
    if (p < end) this.pend = b.slice(p, end);
  }

  private record(b: Uint8Array, s: number, e: number, ts: number): void {
    const r = syslogRecord(b, s, e, ts, this.proto);
    if (!r) return;
    if (!this.confirmed) { this.confirmed = true; this.ctx.confirm(this.proto === 'tcp' ? 'syslog_tcp' : 'syslog'); }
    this.ctx.emit(r);
  }

  gap(): void { this.dead = this.proto === 'tcp'; this.pend = null; }
  end(): void { this.pend = null; }
}

function looksLikeSyslog(b: Uint8Array, off: number, len: number): boolean {
  let s = off;
  if (b[s] >= 0x31 && b[s] <= 0x39) {
    while (s < off + len && s - off < 6 && b[s] >= 0x30 && b[s] <= 0x39) s++;
    if (b[s] !== 0x20) return false;
    s++;
  }
  return pri(b, s, off + len) !== null;
}

export const syslogUdpParser: AppParser = {
  service: 'syslog',
  transport: 'udp',
  ports: [514],
  probe: (_d: Dir, b: Uint8Array, off: number, len: number, ports: PortPair) =>
    (ports.respPort === 514 || ports.origPort === 514) && pri(b, off, off + len) !== null,
  create: (ctx) => new SyslogSession(ctx, 'udp'),
};

export const syslogTcpParser: AppParser = {
  service: 'syslog_tcp',
  transport: 'tcp',
  ports: [514, 601, 6514],
  probe: (dir: Dir, b: Uint8Array, off: number, len: number, ports: PortPair) =>
    dir === 0 && (ports.respPort === 514 || ports.respPort === 601) && looksLikeSyslog(b, off, len),
  create: (ctx) => new SyslogSession(ctx, 'tcp'),
};
