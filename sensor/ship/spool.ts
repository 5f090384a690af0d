/**
 * Disk spool: one file per batch, named by a 16-hex-digit counter that only grows, so the file
 * names sort oldest first across restarts.
 *
 * File = header + compressed batch payload exactly as it goes on the wire:
 *   "NDSP" | version 1 | stream code | S | sensor id (S bytes) | session (8) | seq u32 |
 *   origin floor u32 | records u32 | payload length u32 | payload
 * A file is written as NAME.tmp and renamed, so a reader never sees half a file; a file whose
 * length does not match its header (torn by a power loss without fsync) is discarded and counted.
 *
 * fsync policy: `fsync: false` (default) relies on the page cache: a crash of the process loses
 * nothing, a power loss may lose the batches of the last ~30 s (the kernel's writeback interval).
 * `fsync: true` fdatasyncs each file before the rename (and the directory after it), at a cost of
 * one disk flush per batch.
 *
 * The spool knows nothing about acknowledgements; the shipper decides what to write and remove.
 */
import {
  closeSync, fdatasyncSync, fsyncSync, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';

const SPOOL_MAGIC = 0x4e445350; // "NDSP"
const SUFFIX = '.nsb';

export interface SpoolMeta {
  streamCode: number;
  sensor: string;
  session: Buffer;
  seq: number;
  originFloor: number;
  records: number;
}

export interface SpoolEntry extends SpoolMeta {
  id: number;
  /** Bytes of the file on disk. */
  fileBytes: number;
  payloadBytes: number;
}

export interface SpoolOptions {
  fsync?: boolean;
}

export class Spool {
  private nextId = 1;
  bytes = 0;
  files = 0;
  /** Files found broken at open() and removed. */
  discarded = 0;
  private readonly fsync: boolean;

  constructor(readonly dir: string, opts: SpoolOptions = {}) {
    this.fsync = opts.fsync ?? false;
  }

  private path(id: number): string {
    return join(this.dir, id.toString(16).padStart(16, '0') + SUFFIX);
  }

  /** Creates the directory if needed and lists what is in it, oldest first. */
  open(): SpoolEntry[] {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const names = readdirSync(this.dir).sort();
    const out: SpoolEntry[] = [];
    const hdr = Buffer.allocUnsafe(4 + 1 + 1 + 1 + 64 + 8 + 16);
    for (const name of names) {
      const full = join(this.dir, name);
      if (name.endsWith('.tmp')) {
        unlinkSync(full); // an interrupted write: the batch is still in memory or was never acknowledged to anyone
        continue;
      }
      if (!name.endsWith(SUFFIX) || !/^[0-9a-f]{16}\.nsb$/.test(name)) continue;
      const id = parseInt(name.slice(0, 16), 16);
      let e: SpoolEntry | null = null;
      const size = statSync(full).size;
      const fd = openSync(full, 'r');
      try {
        const n = readSync(fd, hdr, 0, hdr.length, 0);
        e = parseSpoolHeader(hdr.subarray(0, n), id, size);
      } finally {
        closeSync(fd);
      }
      if (!e) {
        unlinkSync(full);
        this.discarded++;
        continue;
      }
      out.push(e);
      this.bytes += size;
      this.files++;
      if (id >= this.nextId) this.nextId = id + 1;
    }
    return out;
  }

  /** Writes one batch; returns its entry. */
  write(meta: SpoolMeta, payload: Buffer): SpoolEntry {
    const id = this.nextId++;
    const sb = Buffer.from(meta.sensor, 'latin1');
    const hl = 4 + 1 + 1 + 1 + sb.length + 8 + 16;
    const h = Buffer.allocUnsafe(hl);
    h.writeUInt32BE(SPOOL_MAGIC, 0);
    h[4] = 1;
    h[5] = meta.streamCode;
    h[6] = sb.length;
    sb.copy(h, 7);
    let o = 7 + sb.length;
    meta.session.copy(h, o, 0, 8);
    o += 8;
    h.writeUInt32BE(meta.seq >>> 0, o);
    h.writeUInt32BE(meta.originFloor >>> 0, o + 4);
    h.writeUInt32BE(meta.records >>> 0, o + 8);
    h.writeUInt32BE(payload.length, o + 12);
    const final = this.path(id);
    const tmp = final + '.tmp';
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, h);
      writeSync(fd, payload);
      if (this.fsync) fdatasyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, final);
    if (this.fsync) syncDir(this.dir);
    const fileBytes = hl + payload.length;
    this.bytes += fileBytes;
    this.files++;
    return { ...meta, id, fileBytes, payloadBytes: payload.length };
  }

  /** Reads a batch's payload back. */
  read(e: SpoolEntry): Buffer {
    const fd = openSync(this.path(e.id), 'r');
    try {
      const b = Buffer.allocUnsafe(e.payloadBytes);
      const n = readSync(fd, b, 0, e.payloadBytes, e.fileBytes - e.payloadBytes);
      if (n !== e.payloadBytes) throw new Error(`spool file ${e.id} is short`);
      return b;
    } finally {
      closeSync(fd);
    }
  }

  remove(e: SpoolEntry): void {
    try {
      unlinkSync(this.path(e.id));
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
    }
    this.bytes -= e.fileBytes;
    this.files--;
  }
}

function parseSpoolHeader(h: Buffer, id: number, size: number): SpoolEntry | null {
  if (h.length < 7 || h.readUInt32BE(0) !== SPOOL_MAGIC || h[4] !== 1) return null;
  const s = h[6];
  if (s < 1 || s > 64 || h.length < 7 + s + 24) return null;
  const sensor = h.toString('latin1', 7, 7 + s);
  let o = 7 + s;
  const session = Buffer.from(h.subarray(o, o + 8));
  o += 8;
  const seq = h.readUInt32BE(o);
  const originFloor = h.readUInt32BE(o + 4);
  const records = h.readUInt32BE(o + 8);
  const payloadBytes = h.readUInt32BE(o + 12);
  if (o + 16 + payloadBytes !== size || seq === 0 || h[5] < 1 || h[5] > 3) return null;
  return { id, streamCode: h[5], sensor, session, seq, originFloor, records, fileBytes: size, payloadBytes };
}

function syncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
