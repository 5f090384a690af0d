/**
 * HTTP/1.x → Zeek http.log records, one per request/response transaction.
 *
 * Explicit per-direction state machine (start line → headers → body by Content-Length, chunked
 * or until close). Bodies are counted, never stored. Pipelined requests queue up and pair with
 * responses in order (trans_depth). `CONNECT` answered with 2xx turns the connection into a
 * tunnel whose bytes go to a TLS session (Zeek then logs ssl too). Field rules follow Zeek's
 * base/protocols/http: host without port, uri percent-decoded, empty reason phrase as "<empty>",
 * HTTP/0.9 (no version) as "0.9" with status_code 0.
 */
import type { AppEvent, AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';
import { latin1, startsWith } from './bytes.js';
import { TlsSession } from './tls.js';

const MAX_LINE = 16 * 1024; // a longer start or header line is not HTTP we can follow
const MAX_HEADERS = 200;
const MAX_PENDING_TX = 100; // pipelined requests waiting for responses

const METHODS = ['GET', 'POST', 'HEAD', 'PUT', 'DELETE', 'OPTIONS', 'CONNECT', 'TRACE', 'PATCH',
  'PROPFIND', 'PROPPATCH', 'MKCOL', 'COPY', 'MOVE', 'LOCK', 'UNLOCK', 'SEARCH', 'REPORT',
  'RPC_IN_DATA', 'RPC_OUT_DATA', 'SUBSCRIBE', 'NOTIFY', 'M-SEARCH', 'BPROPFIND', 'POLL'];

interface Tx {
  ts: number;
  trans_depth: number;
  method?: string;
  host?: string;
  uri?: string;
  referrer?: string;
  version?: string;
  user_agent?: string;
  request_body_len: number;
  response_body_len: number;
  status_code?: number;
  status_msg?: string;
  info_code?: number;
  info_msg?: string;
  replied: boolean;
}

type State = 'start' | 'headers' | 'body' | 'chunk-size' | 'chunk-data' | 'chunk-crlf' | 'trailer' | 'eof' | 'tunnel' | 'dead';

class Side {
  state: State = 'start';
  line = '';
  lineBytes = 0;
  left = 0; // body / chunk bytes still expected
  headers = 0;
  contentLength = -1;
  chunked = false;
  tx: Tx | null = null; // transaction this message belongs to
  // response-only
  status = 0;
}

/** Zeek's unescape_URI: %XX → byte; anything else as is. */
export function unescapeUri(s: string): string {
  if (s.indexOf('%') < 0) return s;
  return s.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(parseInt(h, 16)));
}

export class HttpSession implements AppSession {
  private readonly sides: [Side, Side] = [new Side(), new Side()];
  private readonly txs: Tx[] = [];
  private depth = 0;
  private clientDir: Dir | -1 = -1;
  private confirmed = false;
  private tunnel: TlsSession | null = null;
  private tunnelUnknown = false;
  private finished = false;

  constructor(private readonly ctx: SessionContext) {}

  get done(): boolean {
    if (this.finished) return true;
    if (this.tunnel) return this.tunnel.done;
    if (this.tunnelUnknown) return true;
    return this.sides[0].state === 'dead' && this.sides[1].state === 'dead';
  }

  data(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.finished) return;
    const side = this.sides[dir];
    if (side.state === 'tunnel') {
      this.tunnelData(dir, buf, off, len, ts);
      return;
    }
    let p = off;
    const end = off + len;
    while (p < end && side.state !== 'dead') {
      switch (side.state) {
        case 'start':
        case 'headers':
        case 'chunk-size':
        case 'chunk-crlf':
        case 'trailer': {
          const nl = buf.indexOf(0x0a, p);
          const stop = nl >= 0 && nl < end ? nl : end;
          if (side.lineBytes + (stop - p) > MAX_LINE) { side.state = 'dead'; break; }
          side.line += latin1(buf, p, stop, MAX_LINE);
          side.lineBytes += stop - p;
          if (stop === end) { p = end; break; }
          p = stop + 1;
          let line = side.line;
          if (line.endsWith('\r')) line = line.slice(0, -1);
          side.line = '';
          side.lineBytes = 0;
          this.line(dir, side, line, ts);
          if ((side.state as State) === 'tunnel' && p < end) {
            this.tunnelData(dir, buf, p, end - p, ts);
            p = end;
          }
          break;
        }
        case 'body':
        case 'chunk-data': {
          const n = Math.min(side.left, end - p);
          this.countBody(dir, side, n);
          side.left -= n;
          p += n;
          if (side.left === 0) {
            if (side.state === 'chunk-data') side.state = 'chunk-crlf';
            else this.messageDone(dir, side);
          }
          break;
        }
        case 'eof':
          this.countBody(dir, side, end - p);
          p = end;
          break;
        default:
          p = end;
      }
    }
  }

  private countBody(dir: Dir, side: Side, n: number): void {
    if (!side.tx) return;
    if (dir === this.clientDir) side.tx.request_body_len += n;
    else side.tx.response_body_len += n;
  }

  private line(dir: Dir, side: Side, line: string, ts: number): void {
    switch (side.state) {
      case 'start':
        if (line === '') return; // tolerate blank lines between messages
        this.startLine(dir, side, line, ts);
        return;
      case 'headers':
        if (line === '') { this.headersDone(dir, side); return; }
        if (++side.headers > MAX_HEADERS) { side.state = 'dead'; return; }
        this.header(dir, side, line);
        return;
      case 'chunk-size': {
        const m = /^\s*([0-9a-fA-F]+)/.exec(line);
        if (!m) { side.state = 'dead'; return; }
        const n = parseInt(m[1].slice(-12), 16);
        if (n === 0) { side.state = 'trailer'; return; }
        side.left = n;
        side.state = 'chunk-data';
        return;
      }
      case 'chunk-crlf':
        side.state = 'chunk-size';
        if (line !== '') this.line(dir, side, line, ts); // lenient: size line without CRLF
        return;
      case 'trailer':
        if (line === '') this.messageDone(dir, side);
        return;
    }
  }

  private startLine(dir: Dir, side: Side, line: string, ts: number): void {
    if (line.startsWith('HTTP/')) {
      // response
      if (this.clientDir === -1) this.clientDir = (dir ^ 1) as Dir;
      if (dir === this.clientDir) { side.state = 'dead'; return; }
      const m = /^HTTP\/(\d+\.\d+)\s+(\d{3})(?:\s(.*))?$/.exec(line);
      if (!m) { side.state = 'dead'; return; }
      this.confirm();
      let tx = this.txs.find((t) => !t.replied) ?? null;
      if (!tx) {
        // a response without a (seen) request: its own record, as Zeek does
        tx = this.newTx(ts);
      }
      side.tx = tx;
      tx.version = m[1]; // Zeek keeps the last version seen: the reply's
      side.status = Number(m[2]);
      const msg = m[3] === undefined || m[3].trim() === '' ? '<empty>' : m[3].trim();
      if (side.status >= 100 && side.status < 200 && side.status !== 101) {
        tx.info_code = side.status;
        tx.info_msg = msg;
      } else {
        tx.status_code = side.status;
        tx.status_msg = msg;
      }
      this.beginHeaders(side);
      return;
    }
    const sp = line.indexOf(' ');
    const method = sp > 0 ? line.slice(0, sp) : '';
    if (!/^[A-Za-z_-]{1,20}$/.test(method)) { side.state = 'dead'; return; }
    if (this.clientDir === -1) this.clientDir = dir;
    if (dir !== this.clientDir) { side.state = 'dead'; return; }
    let rest = line.slice(sp + 1);
    let version = '0.9';
    const vm = /\s+HTTP\/(\d+\.\d+)\s*$/.exec(rest);
    if (vm) {
      version = vm[1];
      rest = rest.slice(0, vm.index);
    } else if (!METHODS.includes(method)) { side.state = 'dead'; return; }
    this.confirm();
    if (this.txs.length >= MAX_PENDING_TX) this.flush(this.txs.shift()!);
    const tx = this.newTx(ts);
    tx.method = method;
    tx.uri = unescapeUri(rest.trim());
    tx.version = version;
    side.tx = tx;
    if (version === '0.9') {
      // HTTP/0.9: no headers; the reply is the raw body until close.
      tx.status_code = 0;
      tx.status_msg = '<empty>';
      const other = this.sides[dir ^ 1];
      other.tx = tx;
      other.state = 'eof';
      tx.replied = true;
      side.state = 'start';
      return;
    }
    this.beginHeaders(side);
  }

  private newTx(ts: number): Tx {
    const tx: Tx = { ts, trans_depth: ++this.depth, request_body_len: 0, response_body_len: 0, replied: false };
    this.txs.push(tx);
    return tx;
  }

  private beginHeaders(side: Side): void {
    side.state = 'headers';
    side.headers = 0;
    side.contentLength = -1;
    side.chunked = false;
  }

  private header(dir: Dir, side: Side, line: string): void {
    const c = line.indexOf(':');
    if (c <= 0) return;
    const name = line.slice(0, c).trim().toLowerCase();
    const value = line.slice(c + 1).trim();
    if (name === 'content-length') {
      const n = /^\d{1,15}$/.test(value) ? Number(value) : -1;
      side.contentLength = n;
    } else if (name === 'transfer-encoding') {
      if (/chunked/i.test(value)) side.chunked = true;
    }
    const tx = side.tx;
    if (!tx || dir !== this.clientDir) return;
    if (name === 'host') tx.host = value.split(':')[0];
    else if (name === 'user-agent') tx.user_agent = value;
    else if (name === 'referer') tx.referrer = value;
  }

  private headersDone(dir: Dir, side: Side): void {
    const tx = side.tx!;
    if (dir === this.clientDir) {
      if (side.chunked) side.state = 'chunk-size';
      else if (side.contentLength > 0) { side.state = 'body'; side.left = side.contentLength; }
      else this.messageDone(dir, side);
      return;
    }
    const st = side.status;
    if (st >= 100 && st < 200 && st !== 101) { side.state = 'start'; side.tx = null; return; } // interim
    if (st === 101 || (tx.method === 'CONNECT' && st >= 200 && st < 300)) {
      tx.replied = true;
      this.flush(tx);
      this.sides[0].state = 'tunnel';
      this.sides[1].state = 'tunnel';
      return;
    }
    if (tx.method === 'HEAD' || st === 204 || st === 304) this.messageDone(dir, side);
    else if (side.chunked) side.state = 'chunk-size';
    else if (side.contentLength >= 0) {
      if (side.contentLength === 0) this.messageDone(dir, side);
      else { side.state = 'body'; side.left = side.contentLength; }
    } else side.state = 'eof';
  }

  private messageDone(dir: Dir, side: Side): void {
    const tx = side.tx;
    side.state = 'start';
    side.tx = null;
    if (!tx || dir === this.clientDir) return;
    tx.replied = true;
    this.flush(tx);
  }

  private flush(tx: Tx): void {
    const i = this.txs.indexOf(tx);
    if (i < 0) return;
    this.txs.splice(i, 1);
    const ev: AppEvent = { _path: 'http', ts: tx.ts, trans_depth: tx.trans_depth };
    if (tx.method !== undefined) ev.method = tx.method;
    if (tx.host !== undefined) ev.host = tx.host;
    if (tx.uri !== undefined) ev.uri = tx.uri;
    if (tx.referrer !== undefined) ev.referrer = tx.referrer;
    if (tx.version !== undefined) ev.version = tx.version;
    if (tx.user_agent !== undefined) ev.user_agent = tx.user_agent;
    ev.request_body_len = tx.request_body_len;
    ev.response_body_len = tx.response_body_len;
    if (tx.status_code !== undefined) { ev.status_code = tx.status_code; ev.status_msg = tx.status_msg; }
    if (tx.info_code !== undefined) { ev.info_code = tx.info_code; ev.info_msg = tx.info_msg; }
    this.ctx.emit(ev);
  }

  private confirm(): void {
    if (this.confirmed) return;
    this.confirmed = true;
    this.ctx.confirm('http');
  }

  private tunnelData(dir: Dir, buf: Uint8Array, off: number, len: number, ts: number): void {
    if (this.tunnelUnknown || len <= 0) return;
    if (!this.tunnel) {
      // Stray CR/LF after the CONNECT reply's header block belongs to no protocol.
      while (len > 0 && (buf[off] === 0x0d || buf[off] === 0x0a)) { off++; len--; }
      if (len === 0) return;
      // TLS handshake record header (looser than the probe: the tunnel context is known).
      if (len < 3 || buf[off] !== 0x16 || buf[off + 1] !== 3 || buf[off + 2] > 4) { this.tunnelUnknown = true; return; }
      this.tunnel = new TlsSession(this.ctx);
    }
    this.tunnel.data(dir, buf, off, len, ts);
  }

  gap(dir: Dir, len: number): void {
    if (this.tunnel) { this.tunnel.gap(dir, len); return; }
    const side = this.sides[dir];
    if (side.state === 'body' && len <= side.left) {
      // Still in sync: the gap fell inside a body of known length.
      side.left -= len;
      if (side.left === 0) this.messageDone(dir, side);
    } else if (side.state !== 'eof') side.state = 'dead';
  }

  end(ts: number): void {
    if (this.finished) return;
    this.tunnel?.end(ts);
    for (const tx of [...this.txs]) this.flush(tx);
    this.finished = true;
  }
}

function looksLikeRequest(b: Uint8Array, o: number, len: number): boolean {
  // First letter gate, then the method token and a space.
  const c = b[o];
  if (c < 0x41 || c > 0x5a) return false;
  for (const m of METHODS) if (startsWith(b, o, len, m) && len > m.length && b[o + m.length] === 0x20) return true;
  return false;
}

export const httpParser: AppParser = {
  service: 'http',
  transport: 'tcp',
  ports: [80, 8080, 8000, 3128, 8008, 8888, 81],
  probe(_dir: Dir, buf: Uint8Array, off: number, len: number, _ports: PortPair): boolean {
    if (len < 5) return false;
    if (startsWith(buf, off, len, 'HTTP/1.')) return true;
    return looksLikeRequest(buf, off, len);
  },
  create: (ctx) => new HttpSession(ctx),
};
