/**
 * SMTP: service identification only (Zeek service "smtp"): a "220" greeting and a client
 * EHLO/HELO, or EHLO/HELO answered with 250. `done` once confirmed (or on STARTTLS, after which
 * nothing is readable).
 */
import type { AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { LineReader, startsWith } from './bytes.js';

export class SmtpSession implements AppSession {
  private readonly readers = [new LineReader(2048), new LineReader(2048)];
  private banner = false;
  private hello = false;
  private finished = false;
  constructor(private readonly ctx: SessionContext) {}
  get done(): boolean { return this.finished || (this.readers[0].broken && this.readers[1].broken); }
  data(dir: Dir, b: Uint8Array, off: number, len: number): void {
    if (this.finished) return;
    this.readers[dir].push(b, off, off + len, (line) => {
      if (dir === 1 && /^220[ -]/.test(line)) this.banner = true;
      if (dir === 1 && this.hello && /^250[ -]/.test(line)) this.finish();
      if (dir === 0 && /^(EHLO|HELO) \S/i.test(line)) {
        this.hello = true;
        if (this.banner) this.finish();
      }
      return !this.finished;
    });
  }
  private finish(): void {
    this.ctx.confirm('smtp');
    this.finished = true;
  }
  gap(): void { this.finished = true; }
  end(): void { this.finished = true; }
}

export const smtpParser: AppParser = {
  service: 'smtp',
  transport: 'tcp',
  ports: [25, 587, 2525],
  probe(dir: Dir, b: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    if (dir === 0) return startsWith(b, off, len, 'EHLO ') || startsWith(b, off, len, 'HELO ');
    if (!startsWith(b, off, len, '220')) return false;
    if (ports.respPort === 25 || ports.respPort === 587) return true;
    const head = Buffer.from(b.buffer, b.byteOffset + off, Math.min(len, 200)).toString('latin1');
    return /SMTP|mail/i.test(head) && !/FTP/i.test(head);
  },
  create: (ctx) => new SmtpSession(ctx),
};
