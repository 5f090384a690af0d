/**
 * TLS client/server fingerprints from parsed hellos:
 * - JA3 / JA3S (Salesforce): MD5 of "version,ciphers,extensions,curves,point_formats" (client)
 *   or "version,cipher,extensions" (server), decimal values joined by '-', GREASE removed.
 * - JA4 (FoxIO, technical_details/JA4.md): "t13d1516h2_<sha256(sorted ciphers)[:12]>_
 *   <sha256(sorted extensions without SNI/ALPN + '_' + signature algorithms)[:12]>".
 */
import { digest } from '../digest.js';
import { hex4 } from './bytes.js';

export interface ClientHelloInfo {
  /** legacy_version of the ClientHello body. */
  version: number;
  ciphers: number[];
  /** Extension types in wire order. */
  extensions: number[];
  groups: number[];
  pointFormats: number[];
  sigAlgs: number[];
  supportedVersions: number[];
  alpn: string[];
  /** First ALPN value as raw bytes (JA4 looks at its first/last byte). */
  alpnFirstRaw: Uint8Array | null;
  serverName: string | null;
  sessionId: string;
}

export interface ServerHelloInfo {
  version: number;
  cipher: number;
  extensions: number[];
  selectedVersion: number | null;
  alpn: string | null;
  keyShareGroup: number | null;
  sessionId: string;
  pskSelected: boolean;
}

/** GREASE values (RFC 8701): 0x0a0a, 0x1a1a, …, 0xfafa. */
export const isGrease = (v: number): boolean => (v & 0x0f0f) === 0x0a0a && (v >> 8) === (v & 0xff);

const noGrease = (a: number[]): number[] => a.filter((v) => !isGrease(v));

const md5 = (s: string): string => digest('md5', s, 'hex');
const sha12 = (s: string): string => digest('sha256', s, 'hex').slice(0, 12);

export function ja3String(ch: ClientHelloInfo): string {
  return [
    ch.version,
    noGrease(ch.ciphers).join('-'),
    noGrease(ch.extensions).join('-'),
    noGrease(ch.groups).join('-'),
    ch.pointFormats.join('-'),
  ].join(',');
}

export const ja3 = (ch: ClientHelloInfo): string => md5(ja3String(ch));

export function ja3sString(sh: ServerHelloInfo): string {
  return [sh.version, sh.cipher, noGrease(sh.extensions).join('-')].join(',');
}

export const ja3s = (sh: ServerHelloInfo): string => md5(ja3sString(sh));

const JA4_VERSIONS: Record<number, string> = {
  0x0304: '13', 0x0303: '12', 0x0302: '11', 0x0301: '10', 0x0300: 's3', 0x0002: 's2',
  0xfeff: 'd1', 0xfefd: 'd2', 0xfefc: 'd3',
};

const isAlnum = (c: number): boolean => (c >= 0x30 && c <= 0x39) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);

function ja4Alpn(raw: Uint8Array | null): string {
  if (!raw || raw.length === 0) return '00';
  const f = raw[0], l = raw[raw.length - 1];
  if (isAlnum(f) && isAlnum(l)) return String.fromCharCode(f) + String.fromCharCode(l);
  // Non-alphanumeric: first and last character of the hex form of the value.
  const hx = Buffer.from(raw).toString('hex');
  return hx[0] + hx[hx.length - 1];
}

const two = (n: number): string => (n > 99 ? '99' : n < 10 ? '0' + n : String(n));

/** Fixed-width lower-case hex of 16-bit values, comma-joined (JA4's list form). */
function hexList(vals: readonly number[]): string {
  let out = '';
  for (let i = 0; i < vals.length; i++) out += i === 0 ? hex4(vals[i]) : ',' + hex4(vals[i]);
  return out;
}

// Four-digit lower-case hex sorts as the numbers do: sorting the numbers (no string compares)
// gives JA4's sorted hex lists.
const numeric = (a: number, b: number): number => a - b;

/** JA4 parts; `proto` is 't' (TLS over TCP), 'q' (QUIC) or 'd' (DTLS). */
export function ja4Parts(ch: ClientHelloInfo, proto: 't' | 'q' | 'd' = 't'): { a: string; bRaw: string; cRaw: string } {
  let ver = -1;
  for (const v of ch.supportedVersions) if (!isGrease(v) && v > ver) ver = v;
  if (ver < 0) ver = ch.version;
  const ciphers = noGrease(ch.ciphers);
  const exts = noGrease(ch.extensions);
  const a = proto + (JA4_VERSIONS[ver] ?? '00') + (ch.serverName !== null ? 'd' : 'i') + two(ciphers.length) +
    two(exts.length) + ja4Alpn(ch.alpnFirstRaw);
  const bRaw = hexList(ciphers.sort(numeric));
  const extSorted = hexList(exts.filter((e) => e !== 0x0000 && e !== 0x0010).sort(numeric));
  const sig = hexList(noGrease(ch.sigAlgs));
  const cRaw = extSorted === '' ? '' : sig === '' ? extSorted : `${extSorted}_${sig}`;
  return { a, bRaw, cRaw };
}

export function ja4(ch: ClientHelloInfo, proto: 't' | 'q' | 'd' = 't'): string {
  const { a, bRaw, cRaw } = ja4Parts(ch, proto);
  return `${a}_${bRaw === '' ? '000000000000' : sha12(bRaw)}_${cRaw === '' ? '000000000000' : sha12(cRaw)}`;
}
