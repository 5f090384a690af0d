/**
 * Live capture from a network interface (mirror/SPAN port, TAP) through the project's libpcap
 * binding, delivering the same PacketBatch layout as the file readers.
 *
 * Event flow (main thread only): libuv watches the capture fd; when the kernel has packets the
 * binding calls `drain()`, which asks the binding to copy many packets per call into the current
 * SharedArrayBuffer chunk and hands a batch to `onBatch` whenever the chunk fills, the batch reaches
 * `maxBatchPackets`, or the kernel has nothing more right now. Nothing here creates an object per
 * packet; the per-packet JS work is one add for the byte counter (and the optional dedup check).
 *
 * Memory: a chunk (`chunkBytes`) is never written again below what was emitted from it; a full
 * chunk is replaced. Every batch carries `release()`: a chunk whose batches were all released goes
 * back to a free list and is reused. With `maxChunks` the capture owns at most that many chunks;
 * when all are held by consumers (workers behind), it stops reading — packets wait in the kernel
 * ring, whose overflow libpcap counts as kernel drops — and resumes when a batch is released
 * (counted in `stalls`). Without `maxChunks`, chunks never released are simply garbage-collected.
 */
import { META_CAPLEN, META_OFF, META_WIRELEN, META_WORDS, type PacketBatch } from './batch.js';
import type { DuplicateDetector } from './dedup.js';
import { loadPcapAddon, type NativeCapture } from './pcap-addon.js';

export interface LiveCaptureOptions {
  /** Interface name (e.g. "eth1"). */
  interface: string;
  /** Written into the high 16 bits of meta[META_LINK]: which of several captures a packet came from. */
  ifaceIndex?: number;
  /** Promiscuous mode (a mirror port needs it). Default true. */
  promiscuous?: boolean;
  /** Bytes kept per packet. Default 262144 (whole packets, like tcpdump). */
  snaplen?: number;
  /** BPF filter expression (tcpdump syntax); invalid ones throw an error with code EBPF. */
  filter?: string;
  /** Kernel ring buffer in bytes (pcap_set_buffer_size). Default 64 MiB. */
  bufferBytes?: number;
  /** Deliver packets as they arrive instead of per filled kernel block. Default false. */
  immediate?: boolean;
  /** Kernel block timeout: the longest a packet waits in a partly filled block. Default 50 ms. */
  timeoutMs?: number;
  /** Bytes per SharedArrayBuffer data chunk. Default 8 MiB (must exceed snaplen). */
  chunkBytes?: number;
  /** Index entries (packets) per chunk. Default 65536. */
  chunkPackets?: number;
  /** Most packets per emitted batch. Default 8192. */
  maxBatchPackets?: number;
  /** Most packets read per readiness callback, so timers and HTTP scrapes get their turn. Default 65536. */
  maxPacketsPerWake?: number;
  /** Optional duplicate detector (may be shared by several captures for two SPAN sessions). */
  dedup?: DuplicateDetector;
  /**
   * Most chunks this capture owns (current one included); reading stops while all are held by
   * unreleased batches. Default unbounded (chunks allocated as needed, reused when released).
   */
  maxChunks?: number;
}

/** A batch from the live capture: also the chunk's bytes, and the way to give them back. */
export interface LiveBatch extends PacketBatch {
  /** Byte view of `data`. */
  bytes: Uint8Array;
  /** Call once when every consumer is done with `data` (extra calls are ignored). */
  release(): void;
}

export interface LiveCaptureCounters {
  /** Packets handed to onBatch (after dedup dropping). */
  packets: number;
  /** Wire bytes of those packets. */
  bytes: number;
  /** Kernel ring drops (pcap_stats ps_drop), widened past 2^32. */
  kernelDrops: number;
  /** Interface/driver drops (pcap_stats ps_ifdrop), widened past 2^32. */
  ifDrops: number;
  /** Packets the kernel passed to the capture (pcap_stats ps_recv), widened past 2^32. */
  received: number;
  /** Times reading stopped because every chunk was held by consumers (backpressure). */
  stalls: number;
  /** Times the capture was opened again after a failure (see `reopen`). */
  reopens: number;
}

export type BatchHandler = (batch: LiveBatch, capture: LiveCapture) => void;
export type ErrorHandler = (err: Error, capture: LiveCapture) => void;

/** pcap_stats counters are C `u_int`: widen them across wrap-arounds. */
/** One SharedArrayBuffer chunk with its index arrays, and how many emitted batches still use it. */
interface Chunk {
  data: SharedArrayBuffer;
  u8: Uint8Array;
  ts: Float64Array;
  meta: Uint32Array;
  refs: number;
}

class WrappingCounter {
  private last = 0;
  total = 0;
  update(raw: number): number {
    this.total += (raw - this.last + 0x100000000) % 0x100000000;
    this.last = raw;
    return this.total;
  }

  /** A new pcap handle counts from zero again: keep the total, not the old handle's last value. */
  rebase(): void {
    this.last = 0;
  }
}

/** What the binding's Capture constructor takes (kept to open the interface again). */
interface NativeOpenOptions {
  device: string;
  snaplen: number;
  promisc: boolean;
  bufferBytes: number;
  immediate: boolean;
  timeoutMs: number;
  nanosecond: boolean;
  filter: string | undefined;
  iface: number;
}

export class LiveCapture {
  readonly interfaceName: string;
  readonly ifaceIndex: number;
  /** DLT/LINKTYPE of the interface (1 = Ethernet); may change when the capture is reopened. */
  linkType: number;
  /** Whether libpcap gives nanosecond timestamps on this platform. */
  nanosecond: boolean;
  /** libpcap's activation warning (e.g. promiscuous mode unsupported), if any. */
  warning: string | null;

  private native: NativeCapture | undefined;
  private readonly chunkBytes: number;
  private readonly chunkPackets: number;
  private readonly maxBatch: number;
  private readonly maxPerWake: number;
  private readonly dedup: DuplicateDetector | undefined;
  private onBatch: BatchHandler | undefined;
  private onError: ErrorHandler | undefined;
  /** Reading: started, not paused, and open. */
  private running = false;
  /** The consumer wants packets (start/resume vs pause), also while the capture is failed. */
  private wanted = false;
  private readonly openOptions: NativeOpenOptions;
  private reopens = 0;
  /** Every chunk is held by consumers: not reading until one is released. */
  private starved = false;
  /** The libuv poll handle is active. */
  private polling = false;
  private failure: Error | undefined;
  private readonly maxChunks: number;
  private chunksOwned = 0;
  private readonly spare: Chunk[] = [];
  private stalls = 0;

  // Current chunk and the batch being assembled in it.
  private cur!: Chunk;
  private u8!: Uint8Array;
  private ts!: Float64Array;
  private meta!: Uint32Array;
  private dataEnd = 0; // next free byte in data
  private batchStart = 0; // first index of the batch being assembled
  private index = 0; // next free index

  private packets = 0;
  private bytes = 0;
  private readonly drops = new WrappingCounter();
  private readonly ifDrops = new WrappingCounter();
  private readonly received = new WrappingCounter();

  /** Opens the interface (needs root or CAP_NET_RAW/CAP_NET_ADMIN); throws a clear error otherwise. */
  constructor(options: LiveCaptureOptions) {
    const addon = loadPcapAddon();
    const snaplen = options.snaplen ?? 262144;
    this.chunkBytes = options.chunkBytes ?? 8 * 1024 * 1024;
    this.chunkPackets = options.chunkPackets ?? 65536;
    this.maxBatch = Math.min(options.maxBatchPackets ?? 8192, this.chunkPackets);
    this.maxPerWake = options.maxPacketsPerWake ?? 65536;
    this.maxChunks = options.maxChunks ?? Infinity;
    if (!(this.maxChunks >= 1)) throw new RangeError('maxChunks must be >= 1');
    if (this.chunkBytes < snaplen) throw new RangeError(`chunkBytes (${this.chunkBytes}) must be at least snaplen (${snaplen})`);
    if (this.chunkBytes > 0xffffffff) throw new RangeError('chunkBytes must be below 4 GiB (meta offsets are 32-bit)');
    if (!(this.maxBatch >= 1)) throw new RangeError('maxBatchPackets must be >= 1');
    this.interfaceName = options.interface;
    this.ifaceIndex = options.ifaceIndex ?? 0;
    this.dedup = options.dedup;
    this.openOptions = {
      device: options.interface,
      snaplen,
      promisc: options.promiscuous ?? true,
      bufferBytes: options.bufferBytes ?? 64 * 1024 * 1024,
      immediate: options.immediate ?? false,
      timeoutMs: options.timeoutMs ?? 50,
      nanosecond: true,
      filter: options.filter,
      iface: this.ifaceIndex,
    };
    this.native = new addon.Capture(this.openOptions);
    this.linkType = this.native.linkType;
    this.nanosecond = this.native.nanosecond;
    this.warning = this.native.warning;
    this.useChunk(this.takeChunk()!);
  }

  /** True while the capture is open and has not failed (readiness). */
  get isOpen(): boolean {
    return this.native !== undefined && this.failure === undefined;
  }

  /** The error that stopped the capture (e.g. interface went away), if any. */
  get error(): Error | undefined {
    return this.failure;
  }

  /**
   * Starts delivering batches. `onBatch` runs on the main thread; it must not keep `batch.ts`/`meta`
   * views beyond what it hands on (they are views into this capture's chunk arrays, never rewritten).
   * `onError` gets a read failure (interface down/removed); the capture is then closed.
   */
  start(onBatch: BatchHandler, onError?: ErrorHandler): void {
    const native = this.requireOpen();
    this.onBatch = onBatch;
    this.onError = onError;
    this.running = true;
    this.wanted = true;
    this.updatePolling(native);
  }

  /**
   * Opens the interface again after a failure (the SPAN port's link flapped, the NIC was reset or
   * its driver reloaded), with the same options and the current filter. Counters continue where
   * they were. Throws (and stays failed) while the interface cannot be opened — e.g. it is still
   * gone, or privileges were dropped without keeping CAP_NET_RAW. No-op while open.
   */
  reopen(): void {
    if (this.native !== undefined) return;
    const native = new (loadPcapAddon().Capture)(this.openOptions);
    this.native = native;
    this.failure = undefined;
    this.reopens++;
    this.linkType = native.linkType;
    this.nanosecond = native.nanosecond;
    this.warning = native.warning;
    this.drops.rebase();
    this.ifDrops.rebase();
    this.received.rebase();
    const next = this.takeChunk();
    this.starved = next === null;
    if (next !== null) this.useChunk(next);
    if (this.starved) this.stalls++;
    this.running = this.wanted && this.onBatch !== undefined;
    this.updatePolling(native);
  }

  /** Stops reading (backpressure): packets wait in the kernel ring, drops count there if it fills. */
  pause(): void {
    this.wanted = false;
    if (this.native && this.running) {
      this.running = false;
      this.updatePolling(this.native);
    }
  }

  /** Resumes after pause(). */
  resume(): void {
    this.wanted = true;
    if (this.native && !this.running && this.onBatch) {
      this.running = true;
      this.updatePolling(this.native);
      // libpcap may hold the rest of a kernel block already signalled: read it now.
      setImmediate(this.onReadable);
    }
  }

  /** Reading stopped because consumers hold every chunk (see `maxChunks`). */
  get isStalled(): boolean {
    return this.starved;
  }

  /**
   * Replaces the BPF filter (e.g. on SIGHUP); throws code EBPF on a bad expression, keeping the old
   * one. On a failed capture the expression is kept for `reopen` (which compiles it then): it cannot
   * be checked without an open handle, so callers check it on an open capture first.
   */
  setFilter(expression: string): void {
    if (this.native !== undefined) this.native.setFilter(expression);
    else if (this.failure === undefined) throw new Error(`capture on ${this.interfaceName} is closed`);
    this.openOptions.filter = expression;
  }

  /** Cumulative counters; reads pcap_stats (one syscall): call per scrape or per second, not per packet. */
  counters(): LiveCaptureCounters {
    if (this.native) {
      try {
        const s = this.native.stats();
        this.drops.update(s.dropped);
        this.ifDrops.update(s.ifDropped);
        this.received.update(s.received);
      } catch {
        // Interface vanishing under an open capture: keep the last known values (series stay
        // continuous); the read path reports the failure itself.
      }
    }
    return {
      packets: this.packets,
      bytes: this.bytes,
      kernelDrops: this.drops.total,
      ifDrops: this.ifDrops.total,
      received: this.received.total,
      stalls: this.stalls,
      reopens: this.reopens,
    };
  }

  /** Raw pcap_stats of the open capture: {received, dropped, ifDropped} (32-bit, as libpcap gives them). */
  stats(): { received: number; dropped: number; ifDropped: number } {
    return this.requireOpen().stats();
  }

  /** Stops and frees the capture (kernel ring, fd, libuv handle). Idempotent; the process can exit after it. */
  close(): void {
    if (!this.native) return;
    this.counters(); // keep the final drop counts
    this.native.close();
    this.native = undefined;
    this.running = false;
    this.polling = false;
    // Spares are let go; chunks still with consumers are let go when released (unref).
    this.chunksOwned -= this.spare.length;
    this.spare.length = 0;
  }

  private requireOpen(): NativeCapture {
    if (!this.native) throw new Error(`capture on ${this.interfaceName} is closed`);
    return this.native;
  }

  private updatePolling(native: NativeCapture): void {
    const want = this.running && !this.starved;
    if (want && !this.polling) {
      native.start(this.onReadable);
      this.polling = true;
    } else if (!want && this.polling) {
      native.stop();
      this.polling = false;
    }
  }

  /** A free chunk: a released one, or a new one while fewer than maxChunks exist; else null. */
  private takeChunk(): Chunk | null {
    const c = this.spare.pop();
    if (c !== undefined) return c;
    if (this.chunksOwned >= this.maxChunks) return null;
    this.chunksOwned++;
    const data = new SharedArrayBuffer(this.chunkBytes);
    return {
      data,
      u8: new Uint8Array(data),
      ts: new Float64Array(new SharedArrayBuffer(this.chunkPackets * 8)),
      meta: new Uint32Array(new SharedArrayBuffer(this.chunkPackets * META_WORDS * 4)),
      refs: 0,
    };
  }

  private useChunk(c: Chunk): void {
    const old = this.cur as Chunk | undefined;
    this.cur = c;
    this.u8 = c.u8;
    this.ts = c.ts;
    this.meta = c.meta;
    this.dataEnd = 0;
    this.batchStart = 0;
    this.index = 0;
    if (old !== undefined && old.refs === 0) this.recycle(old);
  }

  private recycle(c: Chunk): void {
    // Unbounded captures keep two spares; the rest is left to the garbage collector.
    if (this.maxChunks !== Infinity || this.spare.length < 2) this.spare.push(c);
    else this.chunksOwned--;
  }

  private unref(c: Chunk): void {
    if (--c.refs > 0 || c === this.cur) return;
    if (this.native === undefined) {
      // Closed (or failed, awaiting reopen): this chunk is let go, and no longer counts against maxChunks.
      this.chunksOwned--;
      return;
    }
    this.recycle(c);
    if (this.starved) {
      // Workers caught up: continue in a fresh chunk and read what waited in the kernel ring.
      this.starved = false;
      this.useChunk(this.takeChunk()!);
      this.updatePolling(this.native);
      if (this.running) setImmediate(this.onReadable);
    }
  }

  private emit(): void {
    const count = this.index - this.batchStart;
    if (count === 0) return;
    const start = this.batchStart;
    this.batchStart = this.index;
    const chunk = this.cur;
    chunk.refs++;
    let released = false;
    const batch: LiveBatch = {
      data: chunk.data,
      bytes: chunk.u8,
      count,
      ts: chunk.ts.subarray(start, start + count),
      meta: chunk.meta.subarray(start * META_WORDS, (start + count) * META_WORDS),
      release: () => {
        if (released) return;
        released = true;
        this.unref(chunk);
      },
    };
    this.onBatch?.(batch, this);
  }

  // Arrow function: handed to the binding once, no closure per wake-up.
  private readonly onReadable = (): void => {
    if (this.running && !this.starved) this.drain();
  };

  /** One read call; a libpcap failure (interface gone) closes the capture and reports it. */
  private read(native: NativeCapture, room: number): number {
    try {
      return native.dispatch(this.u8, this.dataEnd, this.ts, this.meta, this.index, room);
    } catch (err) {
      this.fail(err as Error);
      return -1;
    }
  }

  // Exceptions thrown by onBatch are the consumer's bugs: they propagate (uncaught exception),
  // they are not reported as capture failures.
  private drain(): void {
    const native = this.native;
    if (!native) return;
    let read = 0;
    while (read < this.maxPerWake && this.native) {
      const room = Math.min(this.chunkPackets - this.index, this.batchStart + this.maxBatch - this.index);
      const n = room > 0 ? this.read(native, room) : 0;
      if (n < 0) return; // failed and closed
      if (n > 0) {
        read += n;
        const from = this.index;
        let to = from + n;
        const lastM = (to - 1) * META_WORDS;
        this.dataEnd = this.meta[lastM + META_OFF] + this.meta[lastM + META_CAPLEN];
        if (this.dedup) to = this.dedup.filter(this.u8, this.ts, this.meta, from, to);
        let bytes = 0;
        for (let i = from; i < to; i++) bytes += this.meta[i * META_WORDS + META_WIRELEN];
        this.bytes += bytes;
        this.packets += to - from;
        this.index = to;
      }
      const batchFull = this.index - this.batchStart >= this.maxBatch;
      const chunkFull = this.index >= this.chunkPackets || native.pendingLength > 0;
      if (batchFull || chunkFull) {
        this.emit();
        if (chunkFull) {
          const next = this.takeChunk();
          if (next === null) {
            // Backpressure: every chunk is with the consumers. Stop reading until one comes back.
            this.starved = true;
            this.stalls++;
            this.updatePolling(native);
            return;
          }
          this.useChunk(next);
        }
        continue;
      }
      if (n === 0 || n < room) break; // the kernel has nothing more right now
    }
    this.emit();
  }

  private fail(err: Error): void {
    this.failure = err;
    this.close();
    this.emit(); // packets read before the failure still go out
    if (this.onError) this.onError(err, this);
    else throw err;
  }
}

export interface OpenLiveOptions extends Omit<LiveCaptureOptions, 'interface' | 'ifaceIndex'> {
  interfaces: string[];
}

/**
 * Opens one capture per interface (two SPAN ports, or the two directions of a TAP), index i → iface i.
 * All are opened before any is started, so privileges can be dropped in between.
 * On any failure the ones already opened are closed and the error is thrown.
 */
export function openLiveCaptures(options: OpenLiveOptions): LiveCapture[] {
  const { interfaces, ...rest } = options;
  if (interfaces.length === 0) throw new Error('at least one --interface is required');
  if (new Set(interfaces).size !== interfaces.length) throw new Error('an interface is listed twice');
  const out: LiveCapture[] = [];
  try {
    interfaces.forEach((name, i) => out.push(new LiveCapture({ ...rest, interface: name, ifaceIndex: i })));
  } catch (err) {
    for (const c of out) c.close();
    throw err;
  }
  return out;
}
