/**
 * Runs the project's capture reader (CaptureFileReader over a ChunkPool) the way the pipeline
 * does — pull a batch, use it, release its chunk — and hands the records to the test.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChunkPool } from '../../sensor/capture/chunk-pool.js';
import { CaptureFileReader } from '../../sensor/capture/file-reader.js';
import { META_CAPLEN, META_LINK, META_OFF, META_WIRELEN, META_WORDS, interfaceOf, linkTypeOf } from '../../sensor/capture/batch.js';
import type { CaptureDamage } from '../../sensor/capture/damage.js';

export interface ReadRecord {
  ts: number;
  caplen: number;
  wirelen: number;
  linktype: number;
  iface: number;
  /** Copy of the captured bytes (only when `keepData`). */
  data?: Uint8Array;
}

export interface ReadOptions {
  chunks?: number;
  chunkBytes?: number;
  keepData?: boolean;
  /** Called for every record instead of collecting it (for big files). */
  onRecord?: (r: ReadRecord, bytes: Uint8Array, off: number) => void;
}

export interface ReadResult {
  records: ReadRecord[];
  count: number;
  damage: CaptureDamage;
  batches: number;
  /** Most chunks the pool ever had in use at once. */
  maxChunksInUse: number;
  bytesRead: number;
  pool: ChunkPool;
}

export async function readCapture(files: string[], o: ReadOptions = {}): Promise<ReadResult> {
  const pool = new ChunkPool(o.chunks ?? 4, o.chunkBytes ?? 4 << 20);
  const reader = new CaptureFileReader(files, pool);
  const records: ReadRecord[] = [];
  let count = 0;
  let batches = 0;
  let maxChunksInUse = 0;
  for await (const b of reader.batches()) {
    batches++;
    if (pool.inUse > maxChunksInUse) maxChunksInUse = pool.inUse;
    for (let i = 0; i < b.count; i++) {
      const m = i * META_WORDS;
      const off = b.meta[m + META_OFF];
      const rec: ReadRecord = {
        ts: b.ts[i],
        caplen: b.meta[m + META_CAPLEN],
        wirelen: b.meta[m + META_WIRELEN],
        linktype: linkTypeOf(b.meta[m + META_LINK]),
        iface: interfaceOf(b.meta[m + META_LINK]),
      };
      if (o.keepData) rec.data = b.bytes.slice(off, off + rec.caplen);
      count++;
      if (o.onRecord) o.onRecord(rec, b.bytes, off);
      else records.push(rec);
    }
    pool.release(b.chunk);
  }
  return { records, count, damage: reader.damage, batches, maxChunksInUse, bytesRead: reader.stats.bytesRead, pool };
}

/** A temporary directory removed by the returned cleanup function. */
export function tempDir(): { dir: string; file: (name: string, bytes: Uint8Array) => string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'ndr-captest-'));
  return {
    dir,
    file: (name, bytes) => {
      const p = join(dir, name);
      writeFileSync(p, bytes);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}
