/**
 * A fixed set of SharedArrayBuffer chunks that packet bytes live in while workers decode them.
 * A chunk is handed out to the reader, shared (not copied) with every worker that gets packets
 * from it, and returns to the pool when the last of them is done. The fixed pool is the
 * backpressure: when workers fall behind, the reader waits for a free chunk instead of reading
 * on, so memory stays bounded whatever the input size.
 */
export class ChunkPool {
  readonly chunkBytes: number;
  readonly chunks: SharedArrayBuffer[] = [];
  private readonly refs: Int32Array;
  private readonly free: number[] = [];
  private waiters: ((id: number) => void)[] = [];

  constructor(count: number, chunkBytes: number) {
    this.chunkBytes = chunkBytes;
    this.refs = new Int32Array(count);
    for (let i = 0; i < count; i++) {
      this.chunks.push(new SharedArrayBuffer(chunkBytes));
      this.free.push(i);
    }
  }

  get size(): number {
    return this.chunks.length;
  }

  get inUse(): number {
    return this.chunks.length - this.free.length;
  }

  /** A free chunk (waits while all are in use). The caller holds one reference. */
  acquire(): Promise<number> {
    const id = this.free.pop();
    if (id !== undefined) {
      this.refs[id] = 1;
      return Promise.resolve(id);
    }
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  retain(id: number): void {
    this.refs[id]++;
  }

  release(id: number): void {
    if (--this.refs[id] > 0) return;
    if (this.refs[id] < 0) throw new Error(`chunk ${id} released twice`);
    const w = this.waiters.shift();
    if (w !== undefined) {
      this.refs[id] = 1;
      w(id);
    } else {
      this.free.push(id);
    }
  }
}
