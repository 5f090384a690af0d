/**
 * Batch payloads: a msgpack array of record objects, compressed with zlib (RFC 1950, so the
 * receiver's inflate also checks an Adler-32 over the reassembled batch).
 *
 * The builder encodes each record as it is pushed, straight into one growing buffer, so the
 * batch's size is known exactly and no per-batch array of records is kept.
 */
import { Decoder } from '@msgpack/msgpack';
import { RecordEncoder } from './record-encoder.js';
import { deflateSync, inflateSync, constants as zc } from 'node:zlib';

/** Receivers refuse a batch that inflates beyond this (zip bombs). */
export const MAX_BATCH_RAW = 16 * 1024 * 1024;

export class BatchBuilder {
  private buf: Buffer;
  private len = 0;
  count = 0;
  /** Time (ms, monotonic) the first record of the open batch was pushed. */
  firstAt = 0;
  /** Byte-identical to @msgpack/msgpack's Encoder({ ignoreUndefined: true }), ~3x cheaper on records. */
  private static readonly enc = new RecordEncoder();

  constructor(initialBytes = 64 * 1024) {
    // 5 bytes reserved in front for the array header (array32 at most).
    this.buf = Buffer.allocUnsafe(Math.max(initialBytes, 1024));
    this.len = 5;
  }

  get bytes(): number {
    return this.len - 5;
  }

  /**
   * Encodes one record; the result is only valid until the next encode() (shared buffer), so
   * append() it (or drop it) before encoding the next record.
   */
  encode(record: unknown): Uint8Array {
    return BatchBuilder.enc.encode(record);
  }

  /** Appends an encoded record to the open batch. */
  append(b: Uint8Array, now: number): void {
    if (this.len + b.length > this.buf.length) {
      let n = this.buf.length * 2;
      while (n < this.len + b.length) n *= 2;
      const nb = Buffer.allocUnsafe(n);
      this.buf.copy(nb, 0, 0, this.len);
      this.buf = nb;
    }
    this.buf.set(b, this.len);
    this.len += b.length;
    if (this.count === 0) this.firstAt = now;
    this.count++;
  }

  /** Closes the batch: returns the compressed payload and resets the builder. */
  take(level: number): { payload: Buffer; records: number; rawBytes: number } {
    const n = this.count;
    let start: number;
    if (n < 16) {
      start = 4;
      this.buf[4] = 0x90 | n;
    } else if (n < 0x10000) {
      start = 2;
      this.buf[2] = 0xdc;
      this.buf.writeUInt16BE(n, 3);
    } else {
      start = 0;
      this.buf[0] = 0xdd;
      this.buf.writeUInt32BE(n, 1);
    }
    const raw = this.buf.subarray(start, this.len);
    const payload = deflateSync(raw, { level, strategy: zc.Z_DEFAULT_STRATEGY });
    const rawBytes = raw.length;
    this.len = 5;
    this.count = 0;
    // Do not keep a huge buffer around after an unusually large batch.
    if (this.buf.length > 4 * 1024 * 1024) this.buf = Buffer.allocUnsafe(64 * 1024);
    return { payload, records: n, rawBytes };
  }
}

const decoder = new Decoder();

/** Inflates a batch payload (refusing more than MAX_BATCH_RAW bytes). */
export function inflateBatch(payload: Buffer): Buffer {
  return inflateSync(payload, { maxOutputLength: MAX_BATCH_RAW });
}

/** Inflates and decodes a batch payload; throws on anything that is not an array of records. */
export function decodeBatch(payload: Buffer): unknown[] {
  const v = decoder.decode(inflateBatch(payload));
  if (!Array.isArray(v)) throw new Error('batch payload is not an array');
  return v;
}
