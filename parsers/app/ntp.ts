/**
 * NTP (RFC 5905) service identification, with a small Zeek ntp.log-like record per message:
 * version, mode, stratum, poll, precision. Mode 6/7 (control / private) messages are shorter.
 */
import type { AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';

export class NtpSession implements AppSession {
  private confirmed = false;
  constructor(private readonly ctx: SessionContext) {}
  get done(): boolean { return false; }
  data(_dir: Dir, b: Uint8Array, off: number, len: number, ts: number): void {
    if (len < 1) return;
    const version = (b[off] >> 3) & 7;
    const mode = b[off] & 7;
    if (version < 1 || version > 4) return;
    if (!this.confirmed) { this.confirmed = true; this.ctx.confirm('ntp'); }
    if (mode >= 1 && mode <= 5 && len >= 48) {
      this.ctx.emit({ _path: 'ntp', ts, version, mode, stratum: b[off + 1], poll: 2 ** ((b[off + 2] << 24) >> 24), precision: 2 ** ((b[off + 3] << 24) >> 24) });
    } else this.ctx.emit({ _path: 'ntp', ts, version, mode });
  }
  gap(): void {}
  end(): void {}
}

export const ntpParser: AppParser = {
  service: 'ntp',
  transport: 'udp',
  ports: [123],
  probe(_dir: Dir, b: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    if (ports.origPort !== 123 && ports.respPort !== 123) return false;
    const v = (b[off] >> 3) & 7;
    const mode = b[off] & 7;
    if (v < 1 || v > 4 || mode === 0) return false;
    return mode >= 6 ? len >= 12 : len >= 48 && b[off + 1] <= 16;
  },
  create: (ctx) => new NtpSession(ctx),
};
