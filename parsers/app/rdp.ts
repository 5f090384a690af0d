/**
 * RDP connection setup → Zeek rdp.log fields: X.224 Connection Request cookie (mstshash user),
 * requested protocols, the server's selected security protocol; when TLS/CredSSP is selected the
 * rest of the connection is TLS (confirmed as "ssl" too, as Zeek does); with standard RDP
 * security the client name and desktop size come from the cleartext GCC Client Core Data.
 * [MS-RDPBCGR] 2.2.1.1 / 2.2.1.2 / 2.2.1.3.2.
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { latin1, u16, u16le, u32le } from './bytes.js';
import { TlsSession } from './tls.js';

const PROTOCOLS: Record<number, string> = { 0: 'RDP', 1: 'SSL', 2: 'HYBRID', 4: 'RDSTLS', 8: 'HYBRID_EX', 16: 'RDSAAD' };
const MAX_TPKT = 16384;

class Side {
  hdr = new Uint8Array(4);
  hdrFill = 0;
  body: Uint8Array | null = null;
  fill = 0;
  dead = false;
}

export class RdpSession implements AppSession {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private readonly ev: AppEvent = { _path: 'rdp' };
  private tls: TlsSession | null = null;
  private emitted = false;
  private sawCr = false;
  private sawCc = false;
  private standard = false;

  constructor(private readonly ctx: SessionContext) {}

  get done(): boolean {
    return this.tls ? this.tls.done : this.emitted || (this.sides[0].dead && this.sides[1].dead);
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.ev.ts === undefined) this.ev.ts = ts;
    if (this.tls) { this.tls.data(dir, buf, off, len, ts); return; }
    const side = this.sides[dir];
    let p = off;
    const end = off + len;
    while (p < end && !side.dead && !this.tls) {
      if (!side.body) {
        const n = Math.min(4 - side.hdrFill, end - p);
        side.hdr.set(buf.subarray(p, p + n), side.hdrFill);
        side.hdrFill += n;
        p += n;
        if (side.hdrFill < 4) return;
        side.hdrFill = 0;
        const tl = u16(side.hdr, 2);
        if (side.hdr[0] !== 3 || tl < 7 || tl > MAX_TPKT) { side.dead = true; break; }
        side.body = new Uint8Array(tl - 4);
        side.fill = 0;
      }
      const n = Math.min(side.body.length - side.fill, end - p);
      side.body.set(buf.subarray(p, p + n), side.fill);
      side.fill += n;
      p += n;
      if (side.fill < side.body.length) return;
      const body = side.body;
      side.body = null;
      this.tpkt(dir, body);
      const t = this.tls as TlsSession | null; // (set by tpkt)
      if (t && p < end) t.data(dir, buf, p, end - p, ts); // TLS right behind the CC
    }
  }

  private tpkt(dir: Dir, x: Uint8Array): void {
    const li = x[0];
    const code = x[1] & 0xf0;
    if (dir === 0 && code === 0xe0 && !this.sawCr) {
      this.sawCr = true;
      this.ctx.confirm('rdp');
      // variable part after the 7-byte X.224 CR header: cookie / routing token line, then RDP_NEG_REQ
      let p = 7;
      const end = Math.min(x.length, li + 1);
      const nl = x.indexOf(0x0a, p);
      if (nl > 0 && nl < end && latin1(x, p, Math.min(p + 17, end)) === 'Cookie: mstshash=') {
        this.ev.cookie = latin1(x, p + 17, x[nl - 1] === 0x0d ? nl - 1 : nl, 128);
        p = nl + 1;
      } else if (nl > 0 && nl < end && latin1(x, p, Math.min(p + 7, end)) === 'Cookie:') {
        p = nl + 1; // routing token
      }
      if (p + 8 <= end && x[p] === 1) this.ev.requested_protocols = u32le(x, p + 4);
      return;
    }
    if (dir === 1 && code === 0xd0 && !this.sawCc) {
      this.sawCc = true;
      const p = 7;
      if (p + 8 <= x.length && x[p] === 2) {
        const sel = u32le(x, p + 4);
        this.ev.security_protocol = PROTOCOLS[sel] ?? `unknown-${sel}`;
        if (sel !== 0) {
          // Everything after the Connection Confirm is TLS (CredSSP runs inside it).
          this.ev.result = 'encrypted';
          this.tls = new TlsSession(this.ctx);
          this.emit();
          return;
        }
      } else if (p + 8 <= x.length && x[p] === 3) {
        this.ev.result = 'failure';
        this.emit();
        return;
      } else this.ev.security_protocol = 'RDP';
      this.standard = true;
      return;
    }
    if (dir === 0 && this.standard && code === 0xf0) {
      this.clientCoreData(x);
      this.emit();
    }
  }

  /** Finds the CS_CORE user data block (type 0xC001) in the MCS Connect Initial. */
  private clientCoreData(x: Uint8Array): void {
    for (let i = 3; i + 12 <= x.length; i++) {
      if (x[i] !== 0x01 || x[i + 1] !== 0xc0) continue;
      const blen = u16le(x, i + 2);
      const ver = u32le(x, i + 4);
      if ((ver >>> 16) !== 0x0008 || blen < 84 || i + blen > x.length) continue;
      const b = i + 8;
      this.ev.desktop_width = u16le(x, b);
      this.ev.desktop_height = u16le(x, b + 2);
      this.ev.keyboard_layout = u32le(x, b + 8);
      this.ev.client_build = u32le(x, b + 12);
      let name = '';
      for (let k = 0; k < 16; k++) {
        const c = u16le(x, b + 16 + 2 * k);
        if (c === 0) break;
        name += String.fromCharCode(c);
      }
      this.ev.client_name = name;
      return;
    }
  }

  private emit(): void {
    if (this.emitted) return;
    this.emitted = true;
    this.ctx.emit(this.ev);
  }

  gap(dir: Dir, len = 0): void {
    if (this.tls) this.tls.gap(dir, len);
    else this.sides[dir].dead = true;
  }

  end(ts: number): void {
    this.tls?.end(ts);
    if (this.sawCr) this.emit();
    this.emitted = true;
  }
}

export const rdpParser: AppParser = {
  service: 'rdp',
  transport: 'tcp',
  ports: [3389],
  probe(dir: Dir, buf: Uint8Array, off: number, len: number, _ports: PortPair): boolean {
    // TPKT v3 + X.224 Connection Request (client) or Connection Confirm (server)
    if (len < 11 || buf[off] !== 3 || buf[off + 1] !== 0) return false;
    const tl = u16(buf, off + 2);
    if (tl < 11 || tl > MAX_TPKT || buf[off + 4] + 5 > tl) return false;
    const code = buf[off + 5] & 0xf0;
    return dir === 0 ? code === 0xe0 : code === 0xd0;
  },
  create: (ctx) => new RdpSession(ctx),
};
