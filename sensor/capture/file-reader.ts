/**
 * Streams capture files (pcap or pcapng, detected by magic) into shared chunks, one or more
 * files in order as one packet stream. Reads are positioned and overlapped with processing: while
 * one chunk is parsed and dispatched, the next is already being read. A record cut by the chunk
 * end is carried into the head room of the next chunk; nothing is ever sized from a length read
 * out of the file. A 4 GB capture costs the pool's few chunks of memory, not 4 GB.
 */
import { open, type FileHandle } from 'node:fs/promises';
import { ChunkPool } from './chunk-pool.js';
import { CaptureDamage } from './damage.js';
import { PcapParser, isPcapMagic } from './pcap-format.js';
import { PcapngParser, isPcapngMagic } from './pcapng-format.js';
import type { FormatParser, RecordSink } from './record-sink.js';
import { META_CAPLEN, META_LINK, META_OFF, META_WIRELEN, META_WORDS, type PacketBatch } from './batch.js';

/** Space at the start of every chunk for a record carried over from the previous chunk. */
export const CARRY_ROOM = 512 * 1024;
/** Index capacity per batch; tiny packets stop a batch early and continue in the next. */
export const MAX_BATCH_PACKETS = 32768;

export class CaptureOpenError extends Error {}

/** The index of one batch, filled by the format parsers. */
class IndexSink implements RecordSink {
  count = 0;
  readonly ts = new Float64Array(MAX_BATCH_PACKETS);
  readonly meta = new Uint32Array(MAX_BATCH_PACKETS * META_WORDS);
  base = 0;

  get full(): boolean {
    return this.count >= MAX_BATCH_PACKETS;
  }

  add(off: number, caplen: number, wirelen: number, link: number, ts: number): void {
    const i = this.count++;
    const m = i * META_WORDS;
    this.meta[m + META_OFF] = off - this.base;
    this.meta[m + META_CAPLEN] = caplen;
    this.meta[m + META_WIRELEN] = wirelen;
    this.meta[m + META_LINK] = link;
    this.ts[i] = ts;
  }
}

export interface ReaderStats {
  filesRead: number;
  bytesRead: number;
  packets: number;
}

/** A batch handed out by the reader; `chunk` must be released to the pool when done. */
export interface ReaderBatch extends PacketBatch {
  chunk: number;
  /** Byte view of `data`. */
  bytes: Uint8Array;
}

interface Pending {
  chunk: number;
  fileOff: number;
  promise: Promise<number>;
}

export class CaptureFileReader {
  readonly damage = new CaptureDamage();
  readonly stats: ReaderStats = { filesRead: 0, bytesRead: 0, packets: 0 };
  private readonly sink = new IndexSink();
  private nextIface = 0;

  constructor(
    private readonly files: readonly string[],
    private readonly pool: ChunkPool,
  ) {}

  /** Open every file up front so an unreadable path fails before any work starts. */
  async checkReadable(): Promise<void> {
    for (const f of this.files) {
      let fh: FileHandle | undefined;
      try {
        fh = await open(f, 'r');
        const st = await fh.stat();
        if (!st.isFile()) throw new CaptureOpenError(`${f}: not a regular file`);
      } catch (e) {
        if (e instanceof CaptureOpenError) throw e;
        // Node's fs messages already begin with the code ("ENOENT: no such file …").
        const code = (e as NodeJS.ErrnoException).code;
        const msg = (e as Error).message;
        throw new CaptureOpenError(`${f}: ${code === undefined || msg.startsWith(code) ? msg : `${code} ${msg}`}`);
      } finally {
        await fh?.close();
      }
    }
  }

  /** Batches of every file in order. The consumer releases each batch's chunk. */
  async *batches(): AsyncGenerator<ReaderBatch> {
    for (const file of this.files) {
      yield* this.readFile(file);
    }
  }

  private async *readFile(file: string): AsyncGenerator<ReaderBatch> {
    const fh = await open(file, 'r');
    try {
      const size = (await fh.stat()).size;
      this.stats.filesRead++;
      const pool = this.pool;
      const cb = pool.chunkBytes;
      const readRoom = cb - CARRY_ROOM;
      let parser: FormatParser | null = null;

      // Prefetch: the read of the next window runs while the current one is processed.
      const startRead = (chunk: number, fileOff: number, at: number, max: number): Promise<number> =>
        this.fill(fh, new Uint8Array(pool.chunks[chunk]), at, max, fileOff, size);

      let chunk = await pool.acquire();
      let winStart = CARRY_ROOM; // where this window's data starts inside the chunk
      let winFileOff = 0; // file offset of bytes[winStart]
      let got = await startRead(chunk, 0, CARRY_ROOM, readRoom);
      let next: Pending | null = null;

      for (;;) {
        const bytes = new Uint8Array(pool.chunks[chunk]);
        const end = CARRY_ROOM + got; // data in this chunk ends here (file order)
        const windowFileEnd = winFileOff + (end - winStart);
        const eof = windowFileEnd >= size;
        // Start reading the next window now, assuming no carry; corrected below if needed.
        if (!eof && next === null) {
          const nc = await pool.acquire();
          next = { chunk: nc, fileOff: windowFileEnd, promise: startRead(nc, windowFileEnd, CARRY_ROOM, readRoom) };
        }
        if (parser === null) {
          parser = this.detect(file, bytes.subarray(winStart, end));
          if (parser === null) {
            pool.release(chunk);
            if (next !== null) { await next.promise; pool.release(next.chunk); }
            return;
          }
        }
        const sink = this.sink;
        sink.count = 0;
        sink.base = 0;
        const res = parser.parse(bytes, winStart, end, eof, sink);
        this.stats.packets += sink.count;
        const consumedFileOff = winFileOff + (res.pos - winStart);

        if (sink.count > 0) {
          const batch: ReaderBatch = {
            chunk, data: pool.chunks[chunk], bytes, count: sink.count, ts: sink.ts, meta: sink.meta,
          };
          pool.retain(chunk);
          yield batch; // the consumer dispatches synchronously before asking for more
        }
        if (res.stop || (eof && res.pos >= end)) {
          pool.release(chunk);
          if (next !== null) { await next.promise; pool.release(next.chunk); }
          return;
        }

        // Where the next window must start in the file, and what carries over.
        const resumeAt = consumedFileOff + res.skip;
        const carry = res.skip > 0 ? 0 : end - res.pos;
        if (next !== null && res.skip === 0 && carry <= CARRY_ROOM && next.fileOff === windowFileEnd) {
          // Common case: prefetched window continues where this one ends; copy the carry in front.
          const nb = new Uint8Array(pool.chunks[next.chunk]);
          if (carry > 0) nb.set(bytes.subarray(res.pos, end), CARRY_ROOM - carry);
          pool.release(chunk);
          chunk = next.chunk;
          got = await next.promise;
          winStart = CARRY_ROOM - carry;
          winFileOff = resumeAt;
          next = null;
          if (got === 0 && carry === 0) { pool.release(chunk); return; }
          continue;
        }
        // Rare case: skip over a large block or a carry larger than the head room: discard the
        // prefetch and read again from the right file offset.
        if (next !== null) { await next.promise; pool.release(next.chunk); next = null; }
        pool.release(chunk);
        if (resumeAt >= size) return;
        chunk = await pool.acquire();
        got = await startRead(chunk, resumeAt, CARRY_ROOM, readRoom);
        winStart = CARRY_ROOM;
        winFileOff = resumeAt;
        if (got === 0) { pool.release(chunk); return; }
      }
    } finally {
      await fh.close();
    }
  }

  private detect(file: string, head: Uint8Array): FormatParser | null {
    if (isPcapMagic(head)) return new PcapParser(file, this.damage, this.nextIface++ & 0xffff);
    if (isPcapngMagic(head)) return new PcapngParser(file, this.damage, () => this.nextIface++ & 0xffff);
    this.damage.unreadableFiles++;
    this.damage.note(file, head.length < 4 ? 'file too short to be a capture' : 'not a pcap or pcapng file (unknown magic)');
    return null;
  }

  /** Read up to `max` bytes at file offset `pos` into `dst[at…]`. Returns bytes read. */
  private async fill(fh: FileHandle, dst: Uint8Array, at: number, max: number, pos: number, size: number): Promise<number> {
    let got = 0;
    const want = Math.min(max, Math.max(0, size - pos));
    while (got < want) {
      const { bytesRead } = await fh.read(dst, at + got, want - got, pos + got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    this.stats.bytesRead += got;
    return got;
  }
}
