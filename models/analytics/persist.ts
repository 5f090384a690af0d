/**
 * Baseline file I/O: gzip'd JSON with a format/version header (AnalyticsState), written
 * atomically (temp file + fsync + rename + directory fsync) so a crash mid-save never leaves a
 * half-written baseline. A file that cannot be read back is never silently replaced: the caller
 * moves it aside (`quarantine`) and reports it.
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';

export type ReadResult = { status: 'missing' } | { status: 'ok'; state: unknown } | { status: 'corrupt'; reason: string };

export function writeStateFile(path: string, state: unknown): number {
  const data = gzipSync(Buffer.from(JSON.stringify(state)), { level: 6 });
  const tmp = `${path}.tmp-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o640);
  try {
    let off = 0;
    while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  try {
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      /* already gone */
    }
    throw e;
  }
  try {
    const dfd = openSync(dirname(resolve(path)), 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
  } catch {
    /* directory fsync is not supported everywhere; the rename is still atomic */
  }
  return data.length;
}

export function readStateFile(path: string): ReadResult {
  if (!existsSync(path)) return { status: 'missing' };
  let raw: Buffer;
  try {
    raw = readFileSync(path);
  } catch (e) {
    return { status: 'corrupt', reason: `cannot read: ${(e as Error).message}` };
  }
  if (raw.length === 0) return { status: 'corrupt', reason: 'file is empty' };
  let text: string;
  try {
    text = (raw[0] === 0x1f && raw[1] === 0x8b ? gunzipSync(raw) : raw).toString('utf8');
  } catch (e) {
    return { status: 'corrupt', reason: `not a valid gzip stream (${(e as Error).message})` };
  }
  try {
    return { status: 'ok', state: JSON.parse(text) };
  } catch (e) {
    return { status: 'corrupt', reason: `not valid JSON (${(e as Error).message})` };
  }
}

/** Move a bad baseline aside next to itself; returns the new path. */
export function quarantine(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
  let dest = `${path}.corrupt-${stamp}`;
  for (let i = 1; existsSync(dest); i++) dest = `${path}.corrupt-${stamp}-${i}`;
  renameSync(path, dest);
  return dest;
}
