/**
 * Collector output: JSON lines per sensor and stream, `DIR/<sensor>/<stream>.jsonl`, rotated by
 * size or age to `DIR/<sensor>/<stream>-<UTC time>-<n>.jsonl`. One record object per line, exactly
 * as the sensor pushed it (the same objects `--flows-out` writes), so outputs compare line by line.
 *
 * Every write goes through the ledger (see ledger.ts) for crash consistency.
 */
import { closeSync, existsSync, ftruncateSync, mkdirSync, openSync, renameSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { Ledger } from './ledger.js';

export interface RotateOptions {
  maxBytes: number;
  maxAgeMs: number;
}

interface OpenFile {
  rel: string;
  fd: number;
  size: number;
  openedAt: number;
}

export class OutputFiles {
  private readonly open = new Map<string, OpenFile>();
  /** fds written since the last sync (for group commit). */
  readonly dirty = new Set<number>();
  private seq = 0;

  constructor(private readonly dir: string, private readonly ledger: Ledger, private readonly rot: RotateOptions) {}

  /** Truncates open files back to their committed size (after a crash). Returns bytes removed. */
  recover(committed: Map<string, number>, log: (m: string) => void): number {
    let removed = 0;
    for (const [rel, size] of committed) {
      const full = join(this.dir, rel);
      if (!existsSync(full)) continue;
      const actual = statSync(full).size;
      if (actual > size) {
        const fd = openSync(full, 'r+');
        try {
          ftruncateSync(fd, size);
        } finally {
          closeSync(fd);
        }
        removed += actual - size;
        log(`recovery: ${rel}: removed ${actual - size} uncommitted byte(s)`);
      } else if (actual < size) {
        log(`recovery: ${rel} is ${actual} bytes, ledger says ${size}: file was changed outside the collector`);
      }
    }
    return removed;
  }

  /** Appends lines; returns the file (relative path) and its size afterwards, for the ledger. */
  append(sensor: string, stream: string, data: Buffer, now: number): { rel: string; size: number } {
    const key = `${sensor}/${stream}`;
    let f = this.open.get(key);
    if (f && (f.size >= this.rot.maxBytes || now - f.openedAt >= this.rot.maxAgeMs) && f.size > 0) {
      this.rotate(key, f, sensor, stream);
      f = undefined;
    }
    if (!f) f = this.openFile(key, sensor, stream, now);
    let off = 0;
    while (off < data.length) off += writeSync(f.fd, data, off, data.length - off);
    f.size += data.length;
    this.dirty.add(f.fd);
    return { rel: f.rel, size: f.size };
  }

  private openFile(key: string, sensor: string, stream: string, now: number): OpenFile {
    const rel = `${sensor}/${stream}.jsonl`;
    mkdirSync(join(this.dir, sensor), { recursive: true, mode: 0o750 });
    const full = join(this.dir, rel);
    const known = this.ledger.files.get(rel);
    if (known === undefined) this.ledger.opened(rel);
    const fd = openSync(full, 'a', 0o640);
    const size = statSync(full).size;
    const f = { rel, fd, size, openedAt: now };
    this.open.set(key, f);
    return f;
  }

  private rotate(key: string, f: OpenFile, sensor: string, stream: string): void {
    closeSync(f.fd);
    this.dirty.delete(f.fd);
    this.open.delete(key);
    const stamp = new Date().toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
    let name: string;
    do name = `${sensor}/${stream}-${stamp}-${++this.seq}.jsonl`;
    while (existsSync(join(this.dir, name)));
    renameSync(join(this.dir, f.rel), join(this.dir, name));
    this.ledger.rotated(f.rel);
  }

  /** Rotates files older than the age limit even when nothing is written to them. */
  rotateAged(now: number): void {
    for (const [key, f] of this.open) {
      if (f.size > 0 && now - f.openedAt >= this.rot.maxAgeMs) {
        const [sensor, stream] = key.split('/');
        this.rotate(key, f, sensor, stream);
      }
    }
  }

  closeAll(): void {
    for (const f of this.open.values()) closeSync(f.fd);
    this.open.clear();
    this.dirty.clear();
  }
}
