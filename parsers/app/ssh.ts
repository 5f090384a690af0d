/**
 * SSH → Zeek ssh.log fields (version, client, server, negotiated kex/host key/cipher/mac/
 * compression algorithms) plus HASSH / HASSHServer (Salesforce: MD5 of the client's or server's
 * KEXINIT "kex;encryption;mac;compression" name-lists, client→server lists for the client,
 * server→client lists for the server).
 *
 * Banner lines may be preceded by other lines (RFC 4253 4.2; bounded here). After the banner the
 * first binary packet carrying SSH_MSG_KEXINIT (20) is read; then the session is done — the rest
 * is encrypted.
 */
import { digest } from '../digest.js';
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { latin1, startsWith, u32 } from './bytes.js';

const MAX_PRE_BANNER = 8192; // bytes of non-banner lines tolerated before "SSH-"
const MAX_BANNER = 255; // RFC 4253: 255 characters including CR LF
const MAX_KEXINIT = 35000; // RFC 4253 6.1: packets up to 35000 bytes must be supported

export interface KexInit {
  kex: string[];
  hostKey: string[];
  encC2S: string[];
  encS2C: string[];
  macC2S: string[];
  macS2C: string[];
  compC2S: string[];
  compS2C: string[];
}

/** Parses the KEXINIT payload p[s, e) (starting at the message byte 20). */
export function parseKexInit(b: Uint8Array, s: number, e: number): KexInit | null {
  if (e - s < 17 || b[s] !== 20) return null;
  let p = s + 17; // message type + 16-byte cookie
  const lists: string[][] = [];
  for (let i = 0; i < 8; i++) {
    if (p + 4 > e) return null;
    const n = u32(b, p);
    if (n > e - p - 4) return null;
    const str = latin1(b, p + 4, p + 4 + n, 8192);
    lists.push(str === '' ? [] : str.split(','));
    p += 4 + n;
  }
  return { kex: lists[0], hostKey: lists[1], encC2S: lists[2], encS2C: lists[3], macC2S: lists[4], macS2C: lists[5], compC2S: lists[6], compS2C: lists[7] };
}

const md5 = (s: string): string => digest('md5', s, 'hex');
export const hasshString = (k: KexInit) => [k.kex, k.encC2S, k.macC2S, k.compC2S].map((l) => l.join(',')).join(';');
export const hasshServerString = (k: KexInit) => [k.kex, k.encS2C, k.macS2C, k.compS2C].map((l) => l.join(',')).join(';');

/** RFC 4253 7.1: the first client algorithm the server also supports. */
function negotiate(client: string[], server: string[]): string | undefined {
  for (const a of client) if (server.includes(a)) return a;
  return undefined;
}

class Side {
  state: 'banner' | 'packet' | 'done' = 'banner';
  line = '';
  skipped = 0;
  banner: string | null = null;
  buf: Uint8Array | null = null;
  fill = 0;
  need = 0; // total bytes of the binary packet being collected
  kex: KexInit | null = null;
}

export class SshSession implements AppSession {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private ts: number | null = null;
  private emitted = false;
  private confirmed = false;

  constructor(private readonly ctx: SessionContext) {}

  get done(): boolean {
    return this.emitted;
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.emitted) return;
    if (this.ts === null) this.ts = ts;
    const side = this.sides[dir];
    let p = off;
    const end = off + len;
    while (p < end && side.state !== 'done') {
      if (side.state === 'banner') {
        const nl = buf.indexOf(0x0a, p);
        const stop = nl >= 0 && nl < end ? nl : end;
        side.line += latin1(buf, p, stop, MAX_BANNER + 1);
        if (side.line.length > MAX_BANNER && !side.line.startsWith('SSH-')) side.line = side.line.slice(0, 4);
        if (stop === end) return;
        p = stop + 1;
        const line = side.line.replace(/\r$/, '');
        side.line = '';
        if (line.startsWith('SSH-')) {
          side.banner = line.slice(0, MAX_BANNER);
          // Like Zeek, the protocol counts as confirmed once both sides sent a version banner: a
          // one-sided capture (half-duplex SPAN) still logs the banner but names no service.
          if (!this.confirmed && this.sides[0].banner !== null && this.sides[1].banner !== null) {
            this.confirmed = true;
            this.ctx.confirm('ssh');
          }
          // SSH-1 has no KEXINIT; SSH-2 (and 1.99) continues with binary packets.
          side.state = /^SSH-(2\.0|1\.99)-/.test(line) ? 'packet' : 'done';
        } else {
          side.skipped += line.length + 1;
          if (side.skipped > MAX_PRE_BANNER) side.state = 'done';
        }
        continue;
      }
      // binary packet: uint32 packet_length, padding_length, payload — collect the first one
      if (!side.buf) {
        side.buf = new Uint8Array(5);
        side.fill = 0;
        side.need = 5;
      }
      const n = Math.min(side.need - side.fill, end - p);
      side.buf.set(buf.subarray(p, p + n), side.fill);
      side.fill += n;
      p += n;
      if (side.fill < side.need) return;
      if (side.need === 5) {
        const plen = u32(side.buf, 0);
        if (plen < 2 || plen > MAX_KEXINIT || plen + 4 > this.ctx.maxBufferBytes) { side.state = 'done'; break; }
        const nb = new Uint8Array(plen + 4);
        nb.set(side.buf, 0);
        side.buf = nb;
        side.need = plen + 4;
        continue;
      }
      const pad = side.buf[4];
      const payloadEnd = side.need - pad;
      side.kex = payloadEnd > 5 ? parseKexInit(side.buf, 5, payloadEnd) : null;
      side.buf = null;
      side.state = 'done';
    }
    const [a, b] = this.sides;
    if (a.state === 'done' && b.state === 'done') this.emit();
  }

  gap(dir: Dir, _len = 0): void {
    this.sides[dir].state = 'done';
    const [a, b] = this.sides;
    if (a.state === 'done' && b.state === 'done') this.emit();
  }

  end(_ts: number): void {
    this.emit();
  }

  private emit(): void {
    if (this.emitted) return;
    this.emitted = true;
    const [c, s] = this.sides; // dir 0 is the originator: the SSH client
    if (c.banner === null && s.banner === null) return;
    const ev: AppEvent = { _path: 'ssh' };
    if (this.ts !== null) ev.ts = this.ts;
    if (c.banner !== null && s.banner !== null) {
      const v2 = (x: string) => /^SSH-(2\.0|1\.99)-/.test(x);
      ev.version = v2(c.banner) && v2(s.banner) ? 2 : 1;
    }
    if (c.banner !== null) ev.client = c.banner;
    if (s.banner !== null) ev.server = s.banner;
    if (c.kex && s.kex) {
      const set = (k: string, v: string | undefined) => { if (v !== undefined) ev[k] = v; };
      set('cipher_alg', negotiate(c.kex.encC2S, s.kex.encC2S));
      set('mac_alg', negotiate(c.kex.macC2S, s.kex.macC2S));
      set('compression_alg', negotiate(c.kex.compC2S, s.kex.compC2S));
      set('kex_alg', negotiate(c.kex.kex, s.kex.kex));
      set('host_key_alg', negotiate(c.kex.hostKey, s.kex.hostKey));
    }
    if (c.kex) ev.hassh = md5(hasshString(c.kex));
    if (s.kex) ev.hasshServer = md5(hasshServerString(s.kex));
    this.ctx.emit(ev);
  }
}

export const sshParser: AppParser = {
  service: 'ssh',
  transport: 'tcp',
  ports: [22, 2222],
  probe(_dir: Dir, buf: Uint8Array, off: number, len: number, ports: PortPair): boolean {
    if (startsWith(buf, off, len, 'SSH-')) return true;
    // A server may send other lines before its banner: accept text on the SSH port only.
    return ports.respPort === 22 && len > 0 && buf[off] >= 0x20 && buf[off] < 0x7f && buf.indexOf(0x0a, off) >= 0 && buf.indexOf(0x0a, off) < off + len;
  },
  create: (ctx) => new SshSession(ctx),
};
