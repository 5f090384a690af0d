/**
 * Reference collector (SOC side) and relay: receives DATA datagrams, checks and decrypts them,
 * reassembles batches, writes each batch's records exactly once as JSON lines, acknowledges, and in
 * relay mode forwards the batch (re-encrypted, same batch identity) to an upstream collector.
 *
 * Per datagram, in this order (the first failing step names the `result`):
 *   parse header (bad_header, bad_version, bad_type, chunk_count) → key (unknown_key) →
 *   decrypt (bad_tag) → nonce replay window (replay) → already delivered (duplicate, re-acked) →
 *   dedup window (window) → reassembly (accepted / duplicate / bad_header on a chunk count mismatch).
 */
import dgram from 'node:dgram';
import http from 'node:http';
import { mkdirSync, fdatasync } from 'node:fs';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Counter, Gauge, Registry } from 'prom-client';
import { inflateBatch } from './batch.js';
import { JsonLinesWriter } from './msgpack-json.js';
import { KeyFileError, loadKeyFile, type KeyRing } from './keys.js';
import { Ledger } from './ledger.js';
import { OutputFiles } from './output.js';
import { DEFAULT_REASSEMBLY, Reassembly, type ReassemblyLimits } from './reassembly.js';
import { Shipper } from './shipper.js';
import { parseHostPort, UsageError } from './args.js';
import {
  NonceSource, ReplayWindow, STREAM_BY_CODE, TYPE_ACK, TYPE_DATA, encodeAckBody, openDatagram, parseHeader, sealDatagram,
  type ParsedHeader,
} from './wire.js';

export interface CollectorOptions {
  host: string;
  port: number;
  outDir: string;
  keys: KeyRing;
  forward?: { host: string; port: number };
  /** Group commit: fdatasync output + journal at most this often before acks go out; 0 = ack without fsync. */
  fsyncMs?: number;
  rotateBytes?: number;
  rotateSeconds?: number;
  reassembly?: Partial<ReassemblyLimits>;
  maxSessions?: number;
  /** Nonce epochs remembered for replay detection. */
  maxReplayWindows?: number;
  log?: (m: string) => void;
}

const RESULTS = [
  'accepted', 'duplicate', 'bad_header', 'bad_version', 'bad_type', 'chunk_count', 'unknown_key', 'bad_tag', 'replay',
  'window', 'overload',
] as const;

interface PendingAck {
  buf: Buffer;
  port: number;
  address: string;
}

export class Collector {
  readonly registry = new Registry();
  private readonly mDatagrams: Counter<'result'>;
  private readonly mBatches: Counter;
  private readonly mBadBatches: Counter;
  private readonly mRecords: Counter<'stream'>;
  private readonly mLastSeen: Gauge<'sensor'>;
  private readonly mGaps: Counter<'sensor' | 'stream'>;
  /** Per-result counts, mirrored for tests and logs. */
  readonly counts: Record<string, number> = Object.fromEntries(RESULTS.map((r) => [r, 0]));
  batches = 0;
  records = 0;
  private readonly ledger: Ledger;
  private readonly out: OutputFiles;
  private readonly reasm: Reassembly;
  private readonly json = new JsonLinesWriter();
  private readonly replay = new Map<string, ReplayWindow>();
  private readonly nonces = new NonceSource();
  private readonly log: (m: string) => void;
  private socket: dgram.Socket | null = null;
  private forwarder: Shipper | null = null;
  private timer: NodeJS.Timeout | null = null;
  private acks: PendingAck[] = [];
  private committing = false;
  private lastDupAck = new Map<string, number>();
  private closed = false;
  port = 0;

  constructor(private readonly o: CollectorOptions) {
    this.log = o.log ?? ((m) => process.stderr.write(`collect: ${m}\n`));
    const r = this.registry;
    this.mDatagrams = new Counter({ name: 'ndr_collector_datagrams_total', help: 'Datagrams received, by result (accepted, duplicate, or the rejection reason)', labelNames: ['result'], registers: [r] });
    for (const res of RESULTS) this.mDatagrams.inc({ result: res }, 0);
    this.mBatches = new Counter({ name: 'ndr_collector_batches_total', help: 'Batches delivered to the output (each once)', registers: [r] });
    this.mBadBatches = new Counter({ name: 'ndr_collector_bad_batches_total', help: 'Authenticated batches whose payload did not decode (dropped, acknowledged, logged)', registers: [r] });
    this.mRecords = new Counter({ name: 'ndr_collector_records_total', help: 'Records written, by stream', labelNames: ['stream'], registers: [r] });
    this.mLastSeen = new Gauge({ name: 'ndr_collector_sensor_last_seen_seconds', help: 'Unix time of the last authenticated datagram per sensor', labelNames: ['sensor'], registers: [r] });
    this.mGaps = new Counter({ name: 'ndr_collector_sequence_gaps_total', help: 'Batches a sensor announced it will never send (lost on the sensor side)', labelNames: ['sensor', 'stream'], registers: [r] });
    const self = this;
    new Gauge({ name: 'ndr_collector_reassembly_bytes', help: 'Bytes held in partial batches', registers: [r], collect() { this.set(self.reasm.bytes); } });
    new Gauge({ name: 'ndr_collector_reassembly_pending', help: 'Partial batches held', registers: [r], collect() { this.set(self.reasm.pending); } });
    new Gauge({ name: 'ndr_collector_reassembly_evictions', help: 'Partial batches dropped, by reason (cap, timeout)', labelNames: ['reason'], registers: [r], collect() {
      this.set({ reason: 'cap' }, self.reasm.evictedCap);
      this.set({ reason: 'timeout' }, self.reasm.evictedTimeout);
    } });
    new Gauge({ name: 'ndr_collector_dedup_sessions', help: 'Sender sessions remembered for deduplication', registers: [r], collect() { this.set(self.ledger.sessions.size); } });
    new Gauge({ name: 'ndr_collector_dedup_session_evictions', help: 'Sender sessions forgotten at the cap (their old batches could be written again)', registers: [r], collect() { this.set(self.ledger.sessionEvictions); } });
    mkdirSync(o.outDir, { recursive: true, mode: 0o750 });
    this.ledger = new Ledger(o.outDir, o.maxSessions);
    this.out = new OutputFiles(o.outDir, this.ledger, {
      maxBytes: o.rotateBytes ?? 256 * 1024 * 1024,
      maxAgeMs: (o.rotateSeconds ?? 3600) * 1000,
    });
    this.reasm = new Reassembly({ ...DEFAULT_REASSEMBLY, ...o.reassembly });
  }

  async start(): Promise<void> {
    const committed = this.ledger.open();
    this.out.recover(committed, this.log);
    if (this.o.forward) {
      this.forwarder = new Shipper({
        host: this.o.forward.host, port: this.o.forward.port, keys: this.o.keys, sensorId: 'relay',
        spoolDir: join(this.o.outDir, '.forward-spool'), log: (m) => this.log(`forward: ${m}`),
      });
      await this.forwarder.start();
      const fw = this.forwarder.stats;
      new Gauge({ name: 'ndr_collector_forward_batches_acked', help: 'Relay: batches acknowledged upstream', registers: [this.registry], collect() { this.set(fw.batchesAcked); } });
      new Gauge({ name: 'ndr_collector_forward_spooled_batches', help: 'Relay: batches waiting in the forward spool', registers: [this.registry], collect() { this.set(fw.spooledBatches); } });
      new Gauge({ name: 'ndr_collector_forward_lost_batches', help: 'Relay: batches dropped at the forward spool cap (data loss upstream)', registers: [this.registry], collect() { this.set(fw.batchesLost); } });
    }
    const sock = dgram.createSocket({ type: isIP(this.o.host) === 6 ? 'udp6' : 'udp4' });
    sock.on('message', (m, rinfo) => this.onDatagram(m, rinfo));
    sock.on('error', (e) => this.log(`socket error: ${e.message}`));
    await new Promise<void>((res, rej) => {
      sock.once('error', rej);
      sock.bind(this.o.port, this.o.host, () => {
        sock.off('error', rej);
        res();
      });
    });
    try {
      sock.setRecvBufferSize(4 * 1024 * 1024);
    } catch {
      /* kernel cap */
    }
    this.port = sock.address().port;
    this.socket = sock;
    const fsyncMs = this.o.fsyncMs ?? 20;
    this.timer = setInterval(() => this.tick(), fsyncMs > 0 ? fsyncMs : 50);
  }

  private count(result: string): void {
    this.counts[result]++;
    this.mDatagrams.inc({ result });
  }

  private onDatagram(m: Buffer, rinfo: dgram.RemoteInfo): void {
    if (this.closed) return;
    const h = parseHeader(m);
    if (typeof h === 'string') return this.count(h);
    if (h.type !== TYPE_DATA) return this.count('bad_type');
    const key = this.o.keys.byId.get(h.keyId);
    if (!key) return this.count('unknown_key');
    const body = openDatagram(key, m, h);
    if (!body) return this.count('bad_tag');
    const wkey = `${h.keyId}|${h.sensor}|${h.epochHex}`;
    let w = this.replay.get(wkey);
    if (!w) {
      w = new ReplayWindow();
      this.replay.set(wkey, w);
      if (this.replay.size > (this.o.maxReplayWindows ?? 16384)) this.replay.delete(this.replay.keys().next().value as string);
    }
    if (!w.check(h.counter)) return this.count('replay');
    this.mLastSeen.set({ sensor: h.sensor }, Date.now() / 1000);
    const skey = `${h.sensor}|${h.stream}|${h.sessionHex}`;
    if (h.floor > 1) {
      const gaps = this.ledger.floor(skey, h.floor);
      if (gaps > 0) {
        this.mGaps.inc({ sensor: h.sensor, stream: STREAM_BY_CODE[h.stream]! }, gaps);
        this.log(`sensor ${h.sensor} ${STREAM_BY_CODE[h.stream]}: ${gaps} batch(es) will never arrive (lost at the sensor)`);
      }
    }
    if (this.ledger.isDelivered(skey, h.seq)) {
      this.count('duplicate');
      const bkey = `${skey}|${h.seq}`;
      this.reasm.forget(bkey);
      const now = performance.now();
      const last = this.lastDupAck.get(bkey);
      if (last === undefined || now - last > 20) {
        if (this.lastDupAck.size > 10_000) this.lastDupAck.clear();
        this.lastDupAck.set(bkey, now);
        this.queueAck(h, skey, rinfo);
      }
      return;
    }
    if (this.ledger.outOfWindow(skey, h.seq)) return this.count('window');
    const r = this.reasm.add(`${skey}|${h.seq}`, h.chunkIndex, h.chunkCount, body, performance.now());
    if (r.kind === 'mismatch') return this.count('bad_header');
    if (r.kind === 'duplicate') return this.count('duplicate');
    this.count('accepted');
    if (r.kind === 'complete') this.deliver(h, skey, r.payload, rinfo);
  }

  private deliver(h: ParsedHeader, skey: string, payload: Buffer, rinfo: dgram.RemoteInfo): void {
    const stream = STREAM_BY_CODE[h.stream]!;
    let lines: { text: Buffer; count: number } | null = null;
    try {
      lines = this.json.transcode(inflateBatch(payload));
    } catch (e) {
      this.mBadBatches.inc();
      this.log(`sensor ${h.sensor} ${stream} batch ${h.seq}: undecodable payload (${(e as Error).message}); dropped`);
    }
    try {
      // Forward first: if we die after this but before the ledger line, the batch is forwarded
      // again on the retransmission and the upstream deduplicates it by its unchanged identity.
      this.forwarder?.forward(
        { sensor: h.sensor, streamCode: h.stream, session: Buffer.from(h.session), seq: h.seq, records: lines?.count ?? 0, originFloor: h.floor },
        payload,
      );
      let rel = '';
      let size = 0;
      if (lines && lines.count > 0) ({ rel, size } = this.out.append(h.sensor, stream, lines.text, Date.now()));
      this.ledger.commit(skey, h.seq, rel, size);
    } catch (e) {
      // Disk full, permissions: do not acknowledge; the sender keeps the batch and retries.
      this.log(`cannot store batch from ${h.sensor}: ${(e as Error).message}`);
      return;
    }
    this.batches++;
    this.mBatches.inc();
    if (lines) {
      this.records += lines.count;
      this.mRecords.inc({ stream }, lines.count);
    }
    this.queueAck(h, skey, rinfo);
  }

  private queueAck(h: ParsedHeader, skey: string, rinfo: dgram.RemoteInfo): void {
    const st = this.ledger.ackState(skey, h.seq);
    const key = this.o.keys.byId.get(h.keyId)!; // answer under the key the sender used
    const buf = sealDatagram(key, this.nonces, {
      type: TYPE_ACK, stream: h.stream, sensorId: h.sensorId, session: h.session, seq: 0, floor: 0, chunkIndex: 0, chunkCount: 1,
    }, encodeAckBody(st.cum, st.selective));
    this.acks.push({ buf, port: rinfo.port, address: rinfo.address });
    if ((this.o.fsyncMs ?? 20) === 0) this.sendAcks(this.acks.splice(0));
  }

  private sendAcks(list: PendingAck[]): void {
    const s = this.socket;
    if (!s) return;
    for (const a of list) s.send(a.buf, a.port, a.address);
  }

  /** Group commit: fdatasync what was written, then release the acks queued before the sync began. */
  private tick(): void {
    const now = performance.now();
    this.reasm.expire(now);
    this.out.rotateAged(Date.now());
    if (this.committing || this.acks.length === 0) return;
    const list = this.acks.splice(0);
    const fds = [...this.out.dirty, this.ledger.journalFd];
    this.out.dirty.clear();
    this.committing = true;
    let left = fds.length;
    const done = () => {
      if (--left > 0) return;
      this.committing = false;
      this.sendAcks(list);
    };
    for (const fd of fds) fdatasync(fd, (err) => {
      if (err && !this.closed) this.log(`fdatasync: ${err.message}`);
      done();
    });
  }

  /** Stops receiving, sends the acks that are due, saves the ledger. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    while (this.committing) await new Promise((r) => setTimeout(r, 5));
    this.ledger.snapshot();
    this.sendAcks(this.acks.splice(0));
    const s = this.socket;
    this.socket = null;
    if (s) await new Promise<void>((res) => s.close(() => res()));
    if (this.forwarder) {
      await this.forwarder.drain(1000);
      await this.forwarder.close();
    }
    this.out.closeAll();
    this.ledger.close();
  }

  /** Serves /metrics; returns the bound port. */
  async serveMetrics(host: string, port: number): Promise<http.Server> {
    const srv = http.createServer((req, res) => {
      if (req.url !== '/metrics') {
        res.statusCode = 404;
        res.end('not found\n');
        return;
      }
      this.registry.metrics().then(
        (text) => {
          res.setHeader('Content-Type', this.registry.contentType);
          res.end(text);
        },
        (e: Error) => {
          res.statusCode = 500;
          res.end(e.message);
        },
      );
    });
    await new Promise<void>((res, rej) => {
      srv.once('error', rej);
      srv.listen(port, host, () => res());
    });
    return srv;
  }
}

function parseIntOpt(opt: string, v: string | undefined, min: number, max: number): number {
  const n = Number(v);
  if (v === undefined || !/^\d+$/.test(v) || n < min || n > max) throw new UsageError(`${opt} needs an integer ${min}-${max}`);
  return n;
}

const COLLECT_USAGE =
  'usage: ndr-sensor collect --listen HOST:PORT --out DIR --key-file FILE [--forward HOST:PORT] [--metrics-port N]\n' +
  '                          [--metrics-host HOST] [--fsync-ms N] [--rotate-mb N] [--rotate-seconds N]';

/** `collect` subcommand. Exit 0 after SIGTERM/SIGINT, 1 runtime failure, 2 usage/config error. */
export async function runCollect(argv: string[], signal?: AbortSignal): Promise<number> {
  let c: Collector;
  let metrics: { host: string; port: number } | null = null;
  try {
    const a = new Map<string, string>();
    for (let i = 0; i < argv.length; i++) {
      const k = argv[i];
      if (!k.startsWith('--')) throw new UsageError(`unexpected argument ${k}`);
      const known = ['--listen', '--out', '--key-file', '--forward', '--metrics-port', '--metrics-host', '--fsync-ms', '--rotate-mb', '--rotate-seconds'];
      if (k === '--help') throw new UsageError('');
      if (!known.includes(k)) throw new UsageError(`unknown option ${k}`);
      const v = argv[++i];
      if (v === undefined || v.startsWith('--')) throw new UsageError(`${k} needs a value`);
      a.set(k, v);
    }
    const listen = parseHostPort('--listen', a.get('--listen'));
    const outDir = a.get('--out');
    if (!outDir) throw new UsageError('--out DIR is required');
    const keyFile = a.get('--key-file');
    if (!keyFile) throw new UsageError('--key-file FILE is required');
    const keys = loadKeyFile(keyFile);
    const forward = a.has('--forward') ? parseHostPort('--forward', a.get('--forward')) : undefined;
    if (a.has('--metrics-port')) {
      metrics = { host: a.get('--metrics-host') ?? listen.host, port: parseIntOpt('--metrics-port', a.get('--metrics-port'), 0, 65535) };
    }
    c = new Collector({
      host: listen.host, port: listen.port, outDir, keys, forward,
      fsyncMs: a.has('--fsync-ms') ? parseIntOpt('--fsync-ms', a.get('--fsync-ms'), 0, 10000) : undefined,
      rotateBytes: a.has('--rotate-mb') ? parseIntOpt('--rotate-mb', a.get('--rotate-mb'), 1, 1 << 20) * 1024 * 1024 : undefined,
      rotateSeconds: a.has('--rotate-seconds') ? parseIntOpt('--rotate-seconds', a.get('--rotate-seconds'), 1, 1 << 30) : undefined,
    });
  } catch (e) {
    if (e instanceof UsageError || e instanceof KeyFileError) {
      process.stderr.write(e.message ? `collect: ${e.message}\n${COLLECT_USAGE}\n` : `${COLLECT_USAGE}\n`);
      return 2;
    }
    process.stderr.write(`collect: ${(e as Error).message}\n`);
    return 2;
  }
  let srv: http.Server | null = null;
  try {
    await c.start();
    if (metrics) srv = await c.serveMetrics(metrics.host, metrics.port);
  } catch (e) {
    process.stderr.write(`collect: ${(e as Error).message}\n`);
    await c.close().catch(() => undefined);
    return 1;
  }
  process.stderr.write(`collect: listening on ${argv[argv.indexOf('--listen') + 1]} (port ${c.port})${srv ? `, metrics on port ${(srv.address() as { port: number }).port}` : ''}\n`);
  await new Promise<void>((res) => {
    const stop = () => res();
    process.once('SIGTERM', stop);
    process.once('SIGINT', stop);
    signal?.addEventListener('abort', stop, { once: true });
  });
  try {
    await c.close();
    if (srv) await new Promise((r) => srv!.close(r));
  } catch (e) {
    process.stderr.write(`collect: ${(e as Error).message}\n`);
    return 1;
  }
  return 0;
}
