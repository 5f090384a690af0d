/**
 * Sender side of the shipping protocol: batches records per stream, spools every closed batch
 * (when a spool directory is configured), sends batches as encrypted datagrams within a congestion
 * window, retransmits what is not acknowledged with exponential backoff, and removes a batch from
 * the spool only when the collector has acknowledged it.
 *
 * Memory is bounded by: one open batch per stream (≤ maxBytes each), compressed payloads held in
 * memory (≤ maxMemoryBytes; beyond that a queued batch lives on disk only and is read back when its
 * turn comes), and one small descriptor per batch in the spool (bounded by the spool cap). Without a
 * spool, the memory cap is the limit and the oldest queued batch is evicted (counted as data loss).
 *
 * The event loop is never held for long: the most expensive step is compressing one batch
 * (~1.5 ms for 256 KiB of flow records at level 1) and sending its ~40 datagrams.
 */
import dgram from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { BatchBuilder } from './batch.js';
import { Deque } from './deque.js';
import type { KeyRing } from './keys.js';
import { Spool, type SpoolEntry } from './spool.js';
import {
  MAX_CHUNKS, NonceSource, STREAM_BY_CODE, STREAM_CODE, STREAMS, TAG_LEN, TYPE_ACK, TYPE_DATA, decodeAckBody, headerLength,
  isValidSensorId, openDatagram, parseHeader, sealDatagram, type StreamName,
} from './wire.js';

export interface StreamLimits {
  /** Close the batch at this many records. */
  maxRecords: number;
  /** Close the batch when its msgpack encoding reaches this many bytes (a bigger single record is refused). */
  maxBytes: number;
  /** Close the batch when its first record is this old. */
  maxAgeMs: number;
}

export const DEFAULT_LIMITS: Record<StreamName, StreamLimits> = {
  flows: { maxRecords: 1000, maxBytes: 256 * 1024, maxAgeMs: 5000 },
  events: { maxRecords: 1000, maxBytes: 256 * 1024, maxAgeMs: 5000 },
  alerts: { maxRecords: 200, maxBytes: 256 * 1024, maxAgeMs: 1000 },
};

export interface ShipperOptions {
  host: string;
  port: number;
  keys: KeyRing;
  sensorId: string;
  /** Spool directory; without it unacknowledged data lives in memory only. */
  spoolDir?: string;
  /** Spool cap in bytes (default 1 GiB). */
  spoolMaxBytes?: number;
  spoolFsync?: boolean;
  /** Largest UDP payload per datagram (default 1200). */
  payloadBytes?: number;
  /** Compressed payload bytes held in memory (default 64 MiB). */
  maxMemoryBytes?: number;
  limits?: Partial<Record<StreamName, Partial<StreamLimits>>>;
  maxInFlightBatches?: number;
  /** Congestion window bounds in bytes of compressed payload. */
  initialWindowBytes?: number;
  minWindowBytes?: number;
  maxWindowBytes?: number;
  initialRtoMs?: number;
  minRtoMs?: number;
  maxRtoMs?: number;
  compressionLevel?: number;
  tickMs?: number;
  log?: (msg: string) => void;
}

/** Counters and gauges for the metrics module; read it, do not write it. */
export interface ShipperStats {
  recordsPushed: number;
  recordsRefused: number;
  batchesClosed: number;
  batchesSent: number;
  batchesRetransmitted: number;
  batchesAcked: number;
  recordsAcked: number;
  datagramsSent: number;
  datagramsRetransmitted: number;
  sendErrors: number;
  acksReceived: number;
  acksRejected: number;
  /** Batches dropped: spool eviction at the cap, memory eviction without spool, unreadable spool files. Data loss. */
  batchesLost: number;
  recordsLost: number;
  spoolEvictions: number;
  spoolErrors: number;
  /** Gauges. */
  inFlightBatches: number;
  inFlightBytes: number;
  queuedBatches: number;
  memoryBytes: number;
  spooledBatches: number;
  spooledBytes: number;
  windowBytes: number;
  srttMs: number;
  rtoMs: number;
}

export interface DrainResult {
  /** Batches acknowledged since start. */
  acked: number;
  ackedRecords: number;
  /** Batches still unacknowledged and kept in the spool. */
  spooled: number;
  spooledRecords: number;
  /** Batches still unacknowledged without a spool (lost when the process exits). */
  unacked: number;
}

/** Batch identity and lifecycle state. */
interface Batch {
  streamCode: number;
  sensor: string;
  sensorId: Buffer;
  session: Buffer;
  seq: number;
  records: number;
  bytes: number;
  payload: Buffer | null;
  spool: SpoolEntry | null;
  tracker: SessionTracker;
  inFlight: boolean;
  acked: boolean;
  dropped: boolean;
  sentAt: number;
  retries: number;
  rtoAt: number;
}

/**
 * Per (sensor, stream, session): which batches are still unacknowledged, so each datagram can say
 * the session's floor (lowest seq that may still be sent) and the collector can release its dedup
 * state and count real gaps.
 */
class SessionTracker {
  readonly unacked = new Map<number, Batch>();
  low: number;
  /** For forwarded sessions: the originating sender's floor (0 = none). */
  extFloor = 0;
  constructor(readonly key: string, public next: number) {
    this.low = next;
  }
  floor(): number {
    while (this.low < this.next && !this.unacked.has(this.low)) this.low++;
    return this.extFloor > 0 && this.extFloor < this.low ? this.extFloor : this.low;
  }
  add(b: Batch): void {
    this.unacked.set(b.seq, b);
    if (b.seq >= this.next) this.next = b.seq + 1;
    if (b.seq < this.low) this.low = b.seq;
  }
}

export interface ForwardMeta {
  sensor: string;
  streamCode: number;
  session: Buffer;
  seq: number;
  records: number;
  /** Floor announced by the originating sender. */
  originFloor: number;
}

export class Shipper {
  readonly stats: ShipperStats = {
    recordsPushed: 0, recordsRefused: 0, batchesClosed: 0, batchesSent: 0, batchesRetransmitted: 0, batchesAcked: 0,
    recordsAcked: 0, datagramsSent: 0, datagramsRetransmitted: 0, sendErrors: 0, acksReceived: 0, acksRejected: 0,
    batchesLost: 0, recordsLost: 0, spoolEvictions: 0, spoolErrors: 0, inFlightBatches: 0, inFlightBytes: 0,
    queuedBatches: 0, memoryBytes: 0, spooledBatches: 0, spooledBytes: 0, windowBytes: 0, srttMs: 0, rtoMs: 0,
  };
  private readonly o: Required<Omit<ShipperOptions, 'spoolDir' | 'limits' | 'log'>>;
  private readonly limits: Record<StreamName, StreamLimits>;
  private readonly log: (msg: string) => void;
  private readonly sensorIdBytes: Buffer;
  private readonly nonces = new NonceSource();
  private readonly builders = new Map<number, BatchBuilder>();
  /** Pending (not in flight) batches per stream code, oldest first. */
  private readonly pending: Deque<Batch>[] = [new Deque(), new Deque(), new Deque(), new Deque()];
  private readonly inFlight = new Set<Batch>();
  private readonly trackers = new Map<string, SessionTracker>();
  /** The current session's tracker per stream code. */
  private readonly current: SessionTracker[] = [];
  private session = randomBytes(8);
  private readonly spool: Spool | null;
  private socket: dgram.Socket | null = null;
  private targetIp = '';
  private chunkMax: number;
  private timer: NodeJS.Timeout | null = null;
  private cwnd: number;
  private ssthresh: number;
  private srtt = 0;
  private rttvar = 0;
  private rto: number;
  private lastCut = 0;
  private pumping = false;
  private closed = false;
  private lossLogAt = 0;
  private lossSinceLog = 0;

  constructor(opts: ShipperOptions) {
    if (!isValidSensorId(opts.sensorId)) throw new Error(`sensor id must be 1-64 characters of [A-Za-z0-9._-], not starting with a dot`);
    this.o = {
      host: opts.host, port: opts.port, keys: opts.keys, sensorId: opts.sensorId,
      spoolMaxBytes: opts.spoolMaxBytes ?? 1024 ** 3,
      spoolFsync: opts.spoolFsync ?? false,
      payloadBytes: opts.payloadBytes ?? 1200,
      maxMemoryBytes: opts.maxMemoryBytes ?? 64 * 1024 * 1024,
      maxInFlightBatches: opts.maxInFlightBatches ?? 512,
      initialWindowBytes: opts.initialWindowBytes ?? 256 * 1024,
      minWindowBytes: opts.minWindowBytes ?? 128 * 1024,
      maxWindowBytes: opts.maxWindowBytes ?? 1024 * 1024,
      initialRtoMs: opts.initialRtoMs ?? 500,
      minRtoMs: opts.minRtoMs ?? 200,
      maxRtoMs: opts.maxRtoMs ?? 5000,
      compressionLevel: opts.compressionLevel ?? 1,
      tickMs: opts.tickMs ?? 10,
    };
    this.limits = {
      flows: { ...DEFAULT_LIMITS.flows, ...opts.limits?.flows },
      events: { ...DEFAULT_LIMITS.events, ...opts.limits?.events },
      alerts: { ...DEFAULT_LIMITS.alerts, ...opts.limits?.alerts },
    };
    this.log = opts.log ?? ((m) => process.stderr.write(`ship: ${m}\n`));
    this.sensorIdBytes = Buffer.from(opts.sensorId, 'latin1');
    // Chunk size from the worst-case header (longest key id and sensor id), so that the cut of a
    // batch depends only on payloadBytes: a retransmission after a key rotation or by a relay cuts
    // the batch exactly as before, and the collector can merge chunks of both transmissions.
    this.chunkMax = this.o.payloadBytes - headerLength(16, 64) - TAG_LEN;
    if (this.chunkMax < 256) throw new Error(`payload size ${this.o.payloadBytes} leaves no room for data`);
    for (const s of STREAMS) {
      const l = this.limits[s];
      // The compressed batch must fit MAX_CHUNKS chunks even if it does not compress at all.
      if (l.maxBytes > Math.floor(MAX_CHUNKS * this.chunkMax * 0.95)) {
        throw new Error(`${s} batch maxBytes ${l.maxBytes} exceeds ${MAX_CHUNKS} chunks of ${this.chunkMax} bytes`);
      }
    }
    this.cwnd = this.o.initialWindowBytes;
    this.ssthresh = this.o.maxWindowBytes;
    this.rto = this.o.initialRtoMs;
    this.spool = opts.spoolDir ? new Spool(opts.spoolDir, { fsync: this.o.spoolFsync }) : null;
    for (const s of STREAMS) {
      const code = STREAM_CODE[s];
      this.builders.set(code, new BatchBuilder());
      this.current[code] = this.newTracker(this.o.sensorId, code, this.session, 1);
    }
  }

  /** Loads the spool (its batches go out first), resolves the target and opens the socket. */
  async start(): Promise<void> {
    if (this.spool) {
      const entries = this.spool.open();
      if (this.spool.discarded) this.log(`spool: discarded ${this.spool.discarded} broken file(s)`);
      for (const e of entries) this.adoptSpooled(e);
      if (entries.length) this.log(`spool: ${entries.length} batch(es), ${this.spool.bytes} bytes to send first`);
      this.enforceSpoolCap();
    }
    this.targetIp = isIP(this.o.host) ? this.o.host : (await lookup(this.o.host)).address;
    const sock = dgram.createSocket(isIP(this.targetIp) === 6 ? 'udp6' : 'udp4');
    sock.on('message', (m) => this.onMessage(m));
    sock.on('error', (e) => {
      this.stats.sendErrors++;
      this.log(`socket error: ${e.message}`);
    });
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(0, () => {
        sock.off('error', rej);
        res();
      });
    });
    try {
      sock.setSendBufferSize(4 * 1024 * 1024);
      sock.setRecvBufferSize(1024 * 1024);
    } catch {
      /* capped by the kernel; not fatal */
    }
    this.socket = sock;
    this.timer = setInterval(() => this.tick(), this.o.tickMs);
    this.updateGauges();
    this.pump();
  }

  /** Adds one record to a stream's open batch. Never blocks; never throws for a bad record (counts it). */
  push(stream: StreamName, record: object): void {
    const code = STREAM_CODE[stream];
    const builder = this.builders.get(code);
    if (!builder || this.closed) throw new Error(`push on ${this.closed ? 'closed shipper' : `unknown stream ${stream}`}`);
    const lim = this.limits[stream];
    let enc: Uint8Array;
    try {
      enc = builder.encode(record);
    } catch (e) {
      this.stats.recordsRefused++;
      this.log(`record not encodable (${(e as Error).message}); dropped`);
      return;
    }
    this.stats.recordsPushed++;
    if (enc.length > lim.maxBytes) {
      this.stats.recordsRefused++;
      this.log(`${stream} record of ${enc.length} bytes exceeds the batch limit ${lim.maxBytes}; dropped`);
      return;
    }
    if (builder.count > 0 && builder.bytes + enc.length > lim.maxBytes) this.closeBatch(code);
    builder.append(enc, performance.now());
    if (builder.count >= lim.maxRecords) this.closeBatch(code);
  }

  /** Closes every open batch now. */
  flush(): void {
    for (const code of this.builders.keys()) if (this.builders.get(code)!.count > 0) this.closeBatch(code);
  }

  /**
   * Relay mode: queue a batch that arrived from another sender, keeping its identity (sensor,
   * stream, session, seq) so the upstream collector deduplicates end to end. Written to the spool
   * (if any) before this returns, so the caller may acknowledge it downstream afterwards.
   */
  forward(meta: ForwardMeta, payload: Buffer): void {
    const key = `${meta.sensor}/${meta.streamCode}/${meta.session.toString('hex')}`;
    let t = this.trackers.get(key);
    if (!t) t = this.newTracker(meta.sensor, meta.streamCode, meta.session, meta.seq);
    if (meta.originFloor > t.extFloor) t.extFloor = meta.originFloor;
    if (t.unacked.has(meta.seq)) return; // already queued
    const b = this.makeBatch(meta.streamCode, meta.sensor, meta.session, meta.seq, meta.records, payload, t);
    this.enqueue(b, meta.originFloor);
  }

  /** Flushes, then waits until everything is acknowledged or the timeout passes. */
  async drain(timeoutMs: number): Promise<DrainResult> {
    this.flush();
    this.pump();
    const deadline = performance.now() + timeoutMs;
    while (this.unackedCount() > 0 && performance.now() < deadline && !this.closed) {
      await new Promise((r) => setTimeout(r, Math.min(20, Math.max(1, deadline - performance.now()))));
    }
    return this.drainResult();
  }

  /** Stops sending. Unacknowledged batches stay in the spool (or are counted lost without one). */
  async close(): Promise<DrainResult> {
    if (this.closed) return this.drainResult();
    this.flush();
    const r = this.drainResult();
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    if (r.spooled > 0) this.log(`${r.spooled} unacknowledged batch(es) (${r.spooledRecords} records) remain in spool ${this.spool!.dir}`);
    if (r.unacked > 0) {
      let recs = 0;
      for (const t of this.trackers.values()) for (const b of t.unacked.values()) if (!b.spool) recs += b.records;
      this.stats.batchesLost += r.unacked;
      this.stats.recordsLost += recs;
      this.log(`DATA LOSS: ${r.unacked} unacknowledged batch(es) (${recs} records) dropped at close (no spool)`);
    }
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((res) => s.close(() => res()));
    return r;
  }

  private drainResult(): DrainResult {
    let spooled = 0, spooledRecords = 0, unacked = 0;
    for (const t of this.trackers.values()) {
      for (const b of t.unacked.values()) {
        if (b.spool) {
          spooled++;
          spooledRecords += b.records;
        } else unacked++;
      }
    }
    return { acked: this.stats.batchesAcked, ackedRecords: this.stats.recordsAcked, spooled, spooledRecords, unacked };
  }

  private unackedCount(): number {
    let n = 0;
    for (const t of this.trackers.values()) n += t.unacked.size;
    for (const b of this.builders.values()) n += b.count > 0 ? 1 : 0;
    return n;
  }

  private newTracker(sensor: string, code: number, session: Buffer, next: number): SessionTracker {
    const key = `${sensor}/${code}/${session.toString('hex')}`;
    const t = new SessionTracker(key, next);
    this.trackers.set(key, t);
    return t;
  }

  private makeBatch(code: number, sensor: string, session: Buffer, seq: number, records: number, payload: Buffer | null, t: SessionTracker): Batch {
    return {
      streamCode: code, sensor, sensorId: sensor === this.o.sensorId ? this.sensorIdBytes : Buffer.from(sensor, 'latin1'),
      session, seq, records, bytes: payload?.length ?? 0, payload, spool: null, tracker: t,
      inFlight: false, acked: false, dropped: false, sentAt: 0, retries: 0, rtoAt: 0,
    };
  }

  private closeBatch(code: number): void {
    const builder = this.builders.get(code)!;
    const { payload, records } = builder.take(this.o.compressionLevel);
    this.stats.batchesClosed++;
    let t = this.current[code];
    if (t.next > 0xfffffff0) {
      // Sequence space of this session used up: start a new one (the old one drains as usual).
      this.session = randomBytes(8);
      for (const s of STREAMS) this.current[STREAM_CODE[s]] = this.newTracker(this.o.sensorId, STREAM_CODE[s], this.session, 1);
      t = this.current[code];
    }
    const b = this.makeBatch(code, this.o.sensorId, this.session, t.next, records, payload, t);
    this.enqueue(b, 0);
  }

  private enqueue(b: Batch, originFloor: number): void {
    b.tracker.add(b);
    if (this.spool) {
      try {
        b.spool = this.spool.write(
          { streamCode: b.streamCode, sensor: b.sensor, session: b.session, seq: b.seq, originFloor, records: b.records },
          b.payload!,
        );
      } catch (e) {
        this.stats.spoolErrors++;
        this.log(`spool write failed (${(e as Error).message}); batch kept in memory only`);
      }
    }
    if (b.spool && this.stats.memoryBytes + b.bytes > this.o.maxMemoryBytes) b.payload = null;
    else this.stats.memoryBytes += b.bytes;
    this.pending[b.streamCode].push(b);
    this.stats.queuedBatches++;
    this.enforceMemory();
    this.enforceSpoolCap();
    this.pump();
  }

  private adoptSpooled(e: SpoolEntry): void {
    const key = `${e.sensor}/${e.streamCode}/${e.session.toString('hex')}`;
    let t = this.trackers.get(key);
    if (!t) t = this.newTracker(e.sensor, e.streamCode, e.session, e.seq);
    if (e.originFloor > t.extFloor) t.extFloor = e.originFloor;
    if (t.unacked.has(e.seq)) {
      this.spool!.remove(e); // the same batch spooled twice (relay restart): keep one
      return;
    }
    const b = this.makeBatch(e.streamCode, e.sensor, e.session, e.seq, e.records, null, t);
    b.bytes = e.payloadBytes;
    b.spool = e;
    t.add(b);
    this.pending[e.streamCode].push(b);
    this.stats.queuedBatches++;
  }

  /**
   * Payloads beyond the memory cap. With a spool the newest batch simply keeps no memory copy (the
   * oldest go out next and are needed soonest; the newest is read back from disk when its turn
   * comes). Without a spool the oldest queued batch is evicted: data loss, counted.
   */
  private enforceMemory(): void {
    while (this.stats.memoryBytes > this.o.maxMemoryBytes) {
      const victim = this.oldestPendingByPriority((b) => b.payload !== null && !b.spool);
      if (!victim) break;
      this.drop(victim, 'memory cap without spool');
    }
  }

  /** Oldest-first eviction at the spool cap, flows before events before alerts; in-flight batches last. */
  private enforceSpoolCap(): void {
    const sp = this.spool;
    if (!sp) return;
    while (sp.bytes > this.o.spoolMaxBytes) {
      let victim = this.oldestPendingByPriority((b) => b.spool !== null);
      if (!victim) for (const b of this.inFlight) if (b.spool) { victim = b; break; }
      if (!victim) break;
      this.stats.spoolEvictions++;
      this.drop(victim, 'spool cap reached');
    }
  }

  private oldestPendingByPriority(pred: (b: Batch) => boolean): Batch | null {
    for (const code of [1, 2, 3]) {
      const q = this.pending[code];
      // Settled batches are skipped lazily by the sender; clear them off the head here so repeated
      // evictions do not walk over them again and again.
      while (q.size && (q.peek()!.acked || q.peek()!.dropped)) {
        q.shift();
        this.stats.queuedBatches--;
      }
      for (const b of q) if (!b.acked && !b.dropped && pred(b)) return b;
    }
    return null;
  }

  /** Data loss: forget a batch without acknowledgement. Counted and logged (rate-limited). */
  private drop(b: Batch, why: string): void {
    b.dropped = true;
    this.stats.batchesLost++;
    this.stats.recordsLost += b.records;
    this.release(b);
    this.lossSinceLog += b.records;
    const now = performance.now();
    if (now - this.lossLogAt > 5000) {
      this.log(`DATA LOSS: ${why}: dropped ${this.lossSinceLog} record(s) (total ${this.stats.recordsLost} records in ${this.stats.batchesLost} batches)`);
      this.lossLogAt = now;
      this.lossSinceLog = 0;
    }
  }

  /** Removes a batch from all bookkeeping (acked or dropped). Pending queues skip it lazily. */
  private release(b: Batch): void {
    const t = b.tracker;
    t.unacked.delete(b.seq);
    if (b.inFlight) {
      b.inFlight = false;
      this.inFlight.delete(b);
      this.stats.inFlightBytes -= b.bytes;
    }
    if (b.payload) {
      this.stats.memoryBytes -= b.payload.length;
      b.payload = null;
    }
    if (b.spool) {
      try {
        this.spool!.remove(b.spool);
      } catch (e) {
        this.stats.spoolErrors++;
        this.log(`spool remove failed: ${(e as Error).message}`);
      }
      b.spool = null;
    }
    if (t.unacked.size === 0 && this.current[b.streamCode] !== t) this.trackers.delete(t.key);
  }

  private nextPending(): Batch | null {
    for (const code of [3, 2, 1]) {
      const q = this.pending[code];
      while (q.size) {
        const b = q.shift()!;
        this.stats.queuedBatches--;
        if (!b.acked && !b.dropped) return b;
      }
    }
    return null;
  }

  private pump(): void {
    if (this.pumping || !this.socket || this.closed) return;
    this.pumping = true;
    try {
      while (this.inFlight.size < this.o.maxInFlightBatches && (this.inFlight.size === 0 || this.stats.inFlightBytes < this.cwnd)) {
        const b = this.nextPending();
        if (!b) break;
        if (!b.payload) {
          try {
            b.payload = this.spool!.read(b.spool!);
            this.stats.memoryBytes += b.payload.length;
          } catch (e) {
            this.stats.spoolErrors++;
            this.drop(b, `spool read failed (${(e as Error).message})`);
            continue;
          }
        }
        b.inFlight = true;
        this.inFlight.add(b);
        this.stats.inFlightBytes += b.bytes;
        this.stats.batchesSent++;
        this.transmit(b);
      }
    } finally {
      this.pumping = false;
    }
    this.updateGauges();
  }

  private transmit(b: Batch): void {
    const payload = b.payload!;
    const count = Math.max(1, Math.ceil(payload.length / this.chunkMax));
    const floor = b.tracker.floor();
    const key = this.o.keys.send;
    const sock = this.socket!;
    for (let i = 0; i < count; i++) {
      const chunk = payload.subarray(i * this.chunkMax, Math.min(payload.length, (i + 1) * this.chunkMax));
      const d = sealDatagram(key, this.nonces, {
        type: TYPE_DATA, stream: b.streamCode, sensorId: b.sensorId, session: b.session, seq: b.seq, floor,
        chunkIndex: i, chunkCount: count,
      }, chunk);
      sock.send(d, this.o.port, this.targetIp, (err) => {
        if (err) this.stats.sendErrors++;
      });
    }
    this.stats.datagramsSent += count;
    if (b.retries > 0) this.stats.datagramsRetransmitted += count;
    const now = performance.now();
    b.sentAt = now;
    b.rtoAt = now + Math.min(this.rto * 2 ** b.retries, this.o.maxRtoMs);
  }

  private tick(): void {
    const now = performance.now();
    for (const [code, builder] of this.builders) {
      if (builder.count > 0 && now - builder.firstAt >= this.limits[STREAM_BY_CODE[code]!].maxAgeMs) this.closeBatch(code);
    }
    let timedOut = false;
    for (const b of this.inFlight) {
      if (now >= b.rtoAt) {
        b.retries++;
        this.stats.batchesRetransmitted++;
        timedOut = true;
        this.transmit(b);
      }
    }
    if (timedOut && now - this.lastCut > Math.max(this.srtt, this.o.minRtoMs)) {
      // Multiplicative decrease, at most once per round trip.
      this.ssthresh = Math.max(this.cwnd / 2, this.o.minWindowBytes);
      this.cwnd = Math.max(this.cwnd / 2, this.o.minWindowBytes);
      this.lastCut = now;
    }
    this.pump();
  }

  private onMessage(m: Buffer): void {
    const h = parseHeader(m);
    if (typeof h === 'string' || h.type !== TYPE_ACK) {
      this.stats.acksRejected++;
      return;
    }
    const key = this.o.keys.byId.get(h.keyId);
    const body = key ? openDatagram(key, m, h) : null;
    const ack = body ? decodeAckBody(body) : null;
    if (!ack) {
      this.stats.acksRejected++;
      return;
    }
    this.stats.acksReceived++;
    // Acks are idempotent facts ("this batch is stored"), so a replayed ack does no harm.
    const t = this.trackers.get(`${h.sensor}/${h.stream}/${h.sessionHex}`);
    if (!t) return;
    const now = performance.now();
    const upto = Math.min(ack.cum, t.next - 1);
    for (let s = t.low; s <= upto; s++) {
      const b = t.unacked.get(s);
      if (b) this.acked(b, now);
    }
    for (const s of ack.selective) {
      const b = t.unacked.get(s);
      if (b) this.acked(b, now);
    }
    t.floor(); // advance the low pointer so the next cumulative ack starts from there
    this.pump();
  }

  private acked(b: Batch, now: number): void {
    if (b.inFlight && b.retries === 0) {
      // Karn: RTT only from batches sent once (RFC 6298 smoothing).
      const r = now - b.sentAt;
      if (this.srtt === 0) {
        this.srtt = r;
        this.rttvar = r / 2;
      } else {
        this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
        this.srtt = 0.875 * this.srtt + 0.125 * r;
      }
      this.rto = Math.min(Math.max(this.srtt + 4 * this.rttvar, this.o.minRtoMs), this.o.maxRtoMs);
    }
    if (b.inFlight) {
      if (this.cwnd < this.ssthresh) this.cwnd += b.bytes;
      else this.cwnd += (this.o.payloadBytes * b.bytes) / this.cwnd;
      if (this.cwnd > this.o.maxWindowBytes) this.cwnd = this.o.maxWindowBytes;
    }
    b.acked = true;
    this.stats.batchesAcked++;
    this.stats.recordsAcked += b.records;
    this.release(b);
  }

  private updateGauges(): void {
    const s = this.stats;
    s.inFlightBatches = this.inFlight.size;
    s.spooledBatches = this.spool?.files ?? 0;
    s.spooledBytes = this.spool?.bytes ?? 0;
    s.windowBytes = Math.round(this.cwnd);
    s.srttMs = this.srtt;
    s.rtoMs = this.rto;
  }
}
