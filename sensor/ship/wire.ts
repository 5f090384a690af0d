/**
 * Datagram layout of the shipping protocol (docs/wire-protocol.md is the normative text).
 *
 *   off       len  field
 *   0         4    magic "NDRS"
 *   4         1    version (1)
 *   5         1    type (1 DATA, 2 ACK)
 *   6         1    stream (1 flows, 2 events, 3 alerts)
 *   7         1    flags (0; receivers reject anything else)
 *   8         1    K = key id length (1..16)
 *   9         K    key id (ASCII [A-Za-z0-9_-])
 *   9+K       1    S = sensor id length (1..64)
 *   10+K      S    sensor id (ASCII [A-Za-z0-9._-])
 *   A=10+K+S  8    session (random per sender session)
 *   A+8       4    seq (uint32 BE; DATA: batch sequence >= 1; ACK: 0)
 *   A+12      4    floor (uint32 BE; DATA: no batch of this session with seq < floor will be sent again)
 *   A+16      2    chunk index
 *   A+18      2    chunk count (1..MAX_CHUNKS)
 *   A+20      12   nonce (8 bytes epoch, 4 bytes counter, big endian)
 *   A+32      n    ciphertext (AES-256-GCM, AAD = bytes 0..A+32)
 *   A+32+n    16   GCM tag
 *
 * This module is pure: bytes in, bytes or a parse result out. No sockets, no timers.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { ShipKey } from './keys.js';

export const MAGIC = 0x4e445253; // "NDRS"
export const VERSION = 1;
export const TYPE_DATA = 1;
export const TYPE_ACK = 2;
export const TAG_LEN = 16;
export const NONCE_LEN = 12;
/** Header bytes that do not depend on the key id / sensor id lengths. */
export const FIXED_HEADER = 10 + 32;
/** Largest chunk count a receiver accepts: ~1.1 MB of compressed batch at the default payload size. */
export const MAX_CHUNKS = 1024;
export const MAX_SENSOR_ID = 64;

export type StreamName = 'flows' | 'events' | 'alerts';
export const STREAMS: readonly StreamName[] = ['flows', 'events', 'alerts'];
export const STREAM_CODE: Record<StreamName, number> = { flows: 1, events: 2, alerts: 3 };
export const STREAM_BY_CODE: readonly (StreamName | undefined)[] = [undefined, 'flows', 'events', 'alerts'];

// No leading dot: the id names the collector's output directory (no ".", "..", hidden names).
const SENSOR_ID_RE = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$/;
export function isValidSensorId(id: string): boolean {
  return SENSOR_ID_RE.test(id);
}

/** Header bytes (without tag) for a key id of length k and a sensor id of length s. */
export function headerLength(k: number, s: number): number {
  return FIXED_HEADER + k + s;
}

/**
 * Nonces: 8 random bytes drawn once per sender process ("epoch") followed by a 32-bit counter.
 * The counter never repeats within an epoch (a new epoch is drawn before it would wrap), and two
 * epochs collide only by chance: with E epochs ever used under one key the probability is about
 * E²/2⁶⁵ (a million process starts: 2⁻²⁵). No state on disk, so a restored snapshot or a copied
 * disk image cannot bring an old counter back.
 */
export class NonceSource {
  private epoch = randomBytes(8);
  private counter = 0;
  /** Epochs drawn so far (1 + counter wraps); for tests and stats. */
  epochs = 1;

  /** Writes the next nonce into out[off..off+12). */
  next(out: Buffer, off: number): void {
    if (this.counter === 0xffffffff) {
      this.epoch = randomBytes(8);
      this.counter = 0;
      this.epochs++;
    }
    this.epoch.copy(out, off);
    out.writeUInt32BE(this.counter, off + 8);
    this.counter++;
  }

  /** Test hook: continue from a given counter value. */
  setCounterForTest(c: number): void {
    this.counter = c;
  }
}

export interface HeaderFields {
  type: number;
  stream: number;
  sensorId: Buffer; // ASCII bytes
  session: Buffer; // 8 bytes
  seq: number;
  floor: number;
  chunkIndex: number;
  chunkCount: number;
}

/**
 * Builds one encrypted datagram. `plain` is the chunk (DATA) or ack body (ACK).
 */
export function sealDatagram(key: ShipKey, nonces: NonceSource, h: HeaderFields, plain: Uint8Array): Buffer {
  const k = key.idBytes.length;
  const s = h.sensorId.length;
  const hl = headerLength(k, s);
  const out = Buffer.allocUnsafe(hl + plain.length + TAG_LEN);
  out.writeUInt32BE(MAGIC, 0);
  out[4] = VERSION;
  out[5] = h.type;
  out[6] = h.stream;
  out[7] = 0;
  out[8] = k;
  key.idBytes.copy(out, 9);
  out[9 + k] = s;
  h.sensorId.copy(out, 10 + k);
  const a = 10 + k + s;
  h.session.copy(out, a, 0, 8);
  out.writeUInt32BE(h.seq >>> 0, a + 8);
  out.writeUInt32BE(h.floor >>> 0, a + 12);
  out.writeUInt16BE(h.chunkIndex, a + 16);
  out.writeUInt16BE(h.chunkCount, a + 18);
  nonces.next(out, a + 20);
  const cipher = createCipheriv('aes-256-gcm', key.key, out.subarray(a + 20, a + 32), { authTagLength: TAG_LEN });
  cipher.setAAD(out.subarray(0, hl));
  const n1 = cipher.update(plain);
  n1.copy(out, hl);
  const n2 = cipher.final();
  n2.copy(out, hl + n1.length);
  cipher.getAuthTag().copy(out, hl + plain.length);
  return out;
}

/** Why a datagram was refused; these are the `result` label values of the collector metrics. */
export type RejectReason =
  | 'bad_header'
  | 'bad_version'
  | 'bad_type'
  | 'chunk_count'
  | 'unknown_key'
  | 'bad_tag'
  | 'replay'
  | 'bad_payload'
  | 'window'
  | 'overload';

export interface ParsedHeader extends HeaderFields {
  keyId: string;
  sensor: string;
  /** Session as 16 hex digits (map key). */
  sessionHex: string;
  /** Nonce epoch as 16 hex digits and counter, for replay windows. */
  epochHex: string;
  counter: number;
  headerLen: number;
}

/**
 * Parses and checks the clear header. Returns a reason string on failure. Every length is checked
 * against the datagram size before it is used.
 */
export function parseHeader(d: Buffer): ParsedHeader | RejectReason {
  if (d.length < FIXED_HEADER + 2 + TAG_LEN) return 'bad_header';
  if (d.readUInt32BE(0) !== MAGIC) return 'bad_header';
  if (d[4] !== VERSION) return 'bad_version';
  const type = d[5];
  if (type !== TYPE_DATA && type !== TYPE_ACK) return 'bad_type';
  const stream = d[6];
  if (STREAM_BY_CODE[stream] === undefined || d[7] !== 0) return 'bad_header';
  const k = d[8];
  if (k < 1 || k > 16) return 'bad_header';
  if (d.length < 10 + k) return 'bad_header';
  const s = d[9 + k];
  if (s < 1 || s > MAX_SENSOR_ID) return 'bad_header';
  const hl = headerLength(k, s);
  if (d.length < hl + TAG_LEN) return 'bad_header';
  const keyId = d.toString('latin1', 9, 9 + k);
  const sensor = d.toString('latin1', 10 + k, 10 + k + s);
  if (!SENSOR_ID_RE.test(sensor)) return 'bad_header';
  const a = 10 + k + s;
  const chunkIndex = d.readUInt16BE(a + 16);
  const chunkCount = d.readUInt16BE(a + 18);
  if (chunkCount < 1 || chunkCount > MAX_CHUNKS || chunkIndex >= chunkCount) return 'chunk_count';
  const seq = d.readUInt32BE(a + 8);
  if (type === TYPE_DATA && seq === 0) return 'bad_header';
  return {
    type,
    stream,
    keyId,
    sensor,
    sensorId: d.subarray(10 + k, 10 + k + s),
    session: d.subarray(a, a + 8),
    sessionHex: d.toString('hex', a, a + 8),
    seq,
    floor: d.readUInt32BE(a + 12),
    chunkIndex,
    chunkCount,
    epochHex: d.toString('hex', a + 20, a + 28),
    counter: d.readUInt32BE(a + 28),
    headerLen: hl,
  };
}

/** Decrypts the body of a datagram whose header parsed; null when the tag does not verify. */
export function openDatagram(key: ShipKey, d: Buffer, h: ParsedHeader): Buffer | null {
  const hl = h.headerLen;
  const n = d.length - hl - TAG_LEN;
  const decipher = createDecipheriv('aes-256-gcm', key.key, d.subarray(hl - NONCE_LEN, hl), { authTagLength: TAG_LEN });
  decipher.setAAD(d.subarray(0, hl));
  decipher.setAuthTag(d.subarray(hl + n));
  const p1 = decipher.update(d.subarray(hl, hl + n));
  try {
    const p2 = decipher.final();
    return p2.length ? Buffer.concat([p1, p2]) : p1;
  } catch {
    return null;
  }
}

/** ACK body: cumulative seq (everything <= cum delivered), then up to 255 selectively acked seqs > cum. */
export function encodeAckBody(cum: number, selective: readonly number[]): Buffer {
  const n = Math.min(selective.length, 255);
  const b = Buffer.allocUnsafe(5 + 4 * n);
  b.writeUInt32BE(cum >>> 0, 0);
  b[4] = n;
  for (let i = 0; i < n; i++) b.writeUInt32BE(selective[i] >>> 0, 5 + 4 * i);
  return b;
}

export function decodeAckBody(b: Buffer): { cum: number; selective: number[] } | null {
  if (b.length < 5) return null;
  const n = b[4];
  if (b.length !== 5 + 4 * n) return null;
  const selective = new Array<number>(n);
  for (let i = 0; i < n; i++) selective[i] = b.readUInt32BE(5 + 4 * i);
  return { cum: b.readUInt32BE(0), selective };
}

/**
 * Anti-replay window for one nonce epoch (IPsec style): the highest counter seen and a
 * 1024-bit bitmap below it. A counter already seen, or older than the window, is a replay.
 */
export class ReplayWindow {
  static readonly SIZE = 1024;
  private top = -1;
  private readonly bits = new Uint32Array(ReplayWindow.SIZE / 32);

  /** True if `c` is new (and records it); false for a replay. Call only after the tag verified. */
  check(c: number): boolean {
    if (c > this.top) {
      const shift = this.top < 0 ? ReplayWindow.SIZE : c - this.top;
      if (shift >= ReplayWindow.SIZE) this.bits.fill(0);
      else for (let i = this.top + 1; i <= c; i++) this.clear(i);
      this.top = c;
      this.set(c);
      return true;
    }
    if (this.top - c >= ReplayWindow.SIZE) return false;
    if (this.get(c)) return false;
    this.set(c);
    return true;
  }
  private get(c: number): boolean {
    const i = c % ReplayWindow.SIZE;
    return (this.bits[i >>> 5] & (1 << (i & 31))) !== 0;
  }
  private set(c: number): void {
    const i = c % ReplayWindow.SIZE;
    this.bits[i >>> 5] |= 1 << (i & 31);
  }
  private clear(c: number): void {
    const i = c % ReplayWindow.SIZE;
    this.bits[i >>> 5] &= ~(1 << (i & 31));
  }
}
