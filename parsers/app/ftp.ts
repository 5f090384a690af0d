/**
 * FTP control channel: service identification only (Zeek service "ftp"). Confirmed when the
 * client sends an FTP command (USER, AUTH, …) or the server greets with "220" and the client
 * answers with a command; `done` right after, so the channel is not reassembled further.
 */
import type { AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { LineReader, startsWith } from './bytes.js';

const CLIENT_CMD = /^(USER|PASS|AUTH|SYST|FEAT|PWD|CWD|TYPE|PASV|EPSV|PORT|EPRT|LIST|NLST|RETR|STOR|QUIT|OPTS) ?/i;

export class FtpSession implements AppSession {
  private readonly readers = [new LineReader(1024), new LineReader(1024)];
  private banner = false;
  private finished = false;
  constructor(private readonly ctx: SessionContext) {}
  get done(): boolean { return this.finished || (this.readers[0].broken && this.readers[1].broken); }
  data(dir: Dir, b: Uint8Array, off: number, len: number): void {
    if (this.finished) return;
    this.readers[dir].push(b, off, off + len, (line) => {
      if (dir === 1 && /^220[ -]/.test(line)) this.banner = true;
      if (dir === 0 && CLIENT_CMD.test(line) && (this.banner || /^(USER|AUTH) /i.test(line))) {
        this.ctx.confirm('ftp');
        this.finished = true;
        return false;
      }
      return true;
    });
  }
  gap(): void { this.finished = true; }
  end(): void { this.finished = true; }
}

export const ftpParser: AppParser = {
  service: 'ftp',
  transport: 'tcp',
  ports: [21],
  probe(dir: Dir, b: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    if (dir === 0) return startsWith(b, off, len, 'USER ') || (startsWith(b, off, len, 'AUTH TLS') && ports.respPort === 21);
    // "220" greeting: FTP on its port, or a banner that says FTP.
    if (!startsWith(b, off, len, '220')) return false;
    if (ports.respPort === 21) return true;
    const head = Buffer.from(b.buffer, b.byteOffset + off, Math.min(len, 200)).toString('latin1');
    return /FTP/i.test(head);
  },
  create: (ctx) => new FtpSession(ctx),
};
