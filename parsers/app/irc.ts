/**
 * IRC: service identification (Zeek service "irc") and STARTTLS: after the client's STARTTLS
 * and the server's 670 (RPL_STARTTLS) the connection is TLS and goes to a TLS session, so the
 * service becomes "irc,ssl" as in Zeek's irc-starttls test.
 */
import type { AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { LineReader } from './bytes.js';
import { TlsSession } from './tls.js';

const CLIENT = /^(NICK|USER|PASS|CAP (LS|REQ)|JOIN|PING|STARTTLS)( |$)/;
const SERVER = /^:\S+ (\d{3}|NOTICE|PING|PRIVMSG) /;
const IRC_PORTS = [6660, 6661, 6662, 6663, 6664, 6665, 6666, 6667, 6668, 6669, 7000];

export class IrcSession implements AppSession {
  private readonly readers = [new LineReader(1024), new LineReader(1024)];
  private confirmed = false;
  private starttls = false;
  private tls: TlsSession | null = null;
  private lines = 0;
  constructor(private readonly ctx: SessionContext) {}

  get done(): boolean {
    if (this.tls) return this.tls.done;
    // identification only: stop after a few lines once confirmed, unless STARTTLS is pending
    return (this.confirmed && !this.starttls && this.lines > 8) || (this.readers[0].broken && this.readers[1].broken);
  }

  data(dir: Dir, b: Uint8Array, off: number, len: number, ts: number): void {
    if (this.tls) { this.tls.data(dir, b, off, len, ts); return; }
    let consumed = -1;
    const r = this.readers[dir];
    // Feed line by line so the bytes after "670 …\r\n" can go to TLS.
    let p = off;
    const end = off + len;
    while (p < end && !this.tls) {
      const nl = b.indexOf(0x0a, p);
      const stop = nl >= 0 && nl < end ? nl + 1 : end;
      r.push(b, p, stop, (line) => {
        this.lines++;
        if (dir === 0 && CLIENT.test(line)) this.confirm();
        if (dir === 1 && SERVER.test(line)) this.confirm();
        if (dir === 0 && line === 'STARTTLS') this.starttls = true;
        if (dir === 1 && this.starttls && /^:\S+ 670 /.test(line)) { this.tls = new TlsSession(this.ctx); consumed = stop; }
      });
      p = stop;
    }
    const t = this.tls as TlsSession | null; // (set inside the callback)
    if (t && consumed >= 0 && consumed < end) t.data(dir, b, consumed, end - consumed, ts);
  }

  private confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.ctx.confirm('irc');
  }

  gap(dir: Dir, len = 0): void { this.tls?.gap(dir, len); }
  end(ts: number): void { this.tls?.end(ts); }
}

export const ircParser: AppParser = {
  service: 'irc',
  transport: 'tcp',
  ports: IRC_PORTS,
  probe(dir: Dir, b: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    // Byte gate before any string work: ':' for a server prefix, N/U/C/S for client commands.
    const c = b[off];
    if (len < 5 || (dir === 1 ? c !== 0x3a : c !== 0x4e && c !== 0x55 && c !== 0x43 && c !== 0x53)) return false;
    const head = Buffer.from(b.buffer, b.byteOffset + off, Math.min(len, 64)).toString('latin1');
    if (dir === 1) return SERVER.test(head);
    if (/^(NICK|USER|CAP LS|CAP REQ) /.test(head)) return true;
    return head.startsWith('STARTTLS\r\n') && IRC_PORTS.includes(ports.respPort);
  },
  create: (ctx) => new IrcSession(ctx),
};
