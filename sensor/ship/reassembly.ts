/**
 * Bounded reassembly of chunked batches on the collector. Chunks arrive authenticated but in any
 * order, possibly duplicated, possibly never complete (loss, a dead sender, a hostile key holder).
 * Partial batches are kept across retransmissions (a retransmit fills the holes left by loss), and
 * forgotten after `timeoutMs`, or oldest first when `maxBatches` / `maxBytes` would be exceeded.
 */
export interface ReassemblyLimits {
  maxBatches: number;
  maxBytes: number;
  timeoutMs: number;
}

export const DEFAULT_REASSEMBLY: ReassemblyLimits = { maxBatches: 1024, maxBytes: 64 * 1024 * 1024, timeoutMs: 60_000 };

interface Partial {
  count: number;
  /** Length of every chunk but the last (0 until one is seen). */
  chunkLen: number;
  got: number;
  bytes: number;
  firstAt: number;
  chunks: (Buffer | undefined)[];
}

export type AddResult = { kind: 'stored' } | { kind: 'duplicate' } | { kind: 'mismatch' } | { kind: 'complete'; payload: Buffer };

export class Reassembly {
  private readonly map = new Map<string, Partial>();
  bytes = 0;
  evictedCap = 0;
  evictedTimeout = 0;

  constructor(private readonly lim: ReassemblyLimits = DEFAULT_REASSEMBLY) {}

  get pending(): number {
    return this.map.size;
  }

  add(key: string, index: number, count: number, chunk: Buffer, now: number): AddResult {
    if (count === 1) return { kind: 'complete', payload: chunk };
    let p = this.map.get(key);
    if (!p) {
      while (this.map.size >= this.lim.maxBatches) this.evictOldest();
      p = { count, chunkLen: 0, got: 0, bytes: 0, firstAt: now, chunks: new Array(count) };
      this.map.set(key, p);
    } else if (p.count !== count) {
      return { kind: 'mismatch' };
    }
    if (p.chunks[index]) return { kind: 'duplicate' };
    // All chunks but the last have one length; a chunk cut differently (another sender
    // configuration) would corrupt the batch, so it is refused like a count mismatch.
    if (index < count - 1) {
      if (p.chunkLen === 0) p.chunkLen = chunk.length;
      else if (chunk.length !== p.chunkLen) return { kind: 'mismatch' };
    }
    if (p.chunkLen > 0 && index === count - 1 && chunk.length > p.chunkLen) return { kind: 'mismatch' };
    p.chunks[index] = chunk;
    p.got++;
    p.bytes += chunk.length;
    this.bytes += chunk.length;
    if (p.got === p.count) {
      this.map.delete(key);
      this.bytes -= p.bytes;
      return { kind: 'complete', payload: Buffer.concat(p.chunks as Buffer[], p.bytes) };
    }
    while (this.bytes > this.lim.maxBytes && this.map.size > 1) {
      if (this.map.keys().next().value === key) {
        // Never evict the batch that just grew while older ones exist: move it to the back.
        this.map.delete(key);
        this.map.set(key, p);
      }
      this.evictOldest();
    }
    if (this.bytes > this.lim.maxBytes) {
      // One batch alone exceeds the byte cap.
      this.map.delete(key);
      this.bytes -= p.bytes;
      this.evictedCap++;
    }
    return { kind: 'stored' };
  }

  /** Forgets a partial batch (e.g. it was delivered through another path). */
  forget(key: string): void {
    const p = this.map.get(key);
    if (p) {
      this.map.delete(key);
      this.bytes -= p.bytes;
    }
  }

  /** Drops partial batches older than the timeout; call periodically. */
  expire(now: number): number {
    let n = 0;
    for (const [k, p] of this.map) {
      if (now - p.firstAt < this.lim.timeoutMs) break; // insertion order = age order
      this.map.delete(k);
      this.bytes -= p.bytes;
      n++;
    }
    this.evictedTimeout += n;
    return n;
  }

  private evictOldest(): void {
    const [k, p] = this.map.entries().next().value as [string, Partial];
    this.map.delete(k);
    this.bytes -= p.bytes;
    this.evictedCap++;
  }
}
