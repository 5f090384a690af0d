/**
 * /metrics, /healthz, /readyz over a real HTTP server on an ephemeral loopback port; the
 * exposition is parsed with the strict parser in test/helpers/promtext.ts and, as an independent
 * check, with Prometheus' own `promtool check metrics` (Debian package `prometheus`).
 */
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DuplicateDetector } from '../../sensor/capture/dedup.js';
import { BATCH_LATENCY_BUCKETS, SensorMetrics, type CaptureSnapshot } from '../../sensor/metrics/registry.js';
import { registerShipperMetrics } from '../../sensor/ship/outputs.js';
import type { ShipperStats } from '../../sensor/ship/shipper.js';
import { startMetricsServer, type MetricsServer } from '../../sensor/metrics/server.js';
import { readClassicPcap } from '../helpers/pcapfile.js';
import { parsePrometheusText, type Family } from '../helpers/promtext.js';
import { repoRoot } from '../helpers/transpile.js';

/** Every family issue 6 asks for (self-audit names as defined in registry.ts, shipping in sensor/ship/outputs.ts). */
const REQUIRED: Array<[string, Family['type'], string[]]> = [
  ['ndr_capture_packets_total', 'counter', ['interface']],
  ['ndr_capture_bytes_total', 'counter', ['interface']],
  ['ndr_capture_kernel_drops_total', 'counter', ['interface']],
  ['ndr_decode_errors_total', 'counter', ['reason']],
  ['ndr_flows_active', 'gauge', []],
  ['ndr_flows_total', 'counter', []],
  ['ndr_flow_evictions_total', 'counter', []],
  ['ndr_events_total', 'counter', ['path']],
  ['ndr_alerts_total', 'counter', ['category', 'severity']],
  ['ndr_worker_queue_batches', 'gauge', []],
  ['ndr_worker_busy_ratio', 'gauge', []],
  ['ndr_batch_latency_seconds', 'histogram', []],
  ['ndr_baseline_hosts', 'gauge', []],
  ['ndr_build_info', 'gauge', ['version', 'node_version', 'libpcap_version', 'commit']],
  ['ndr_ship_records_acked_total', 'counter', []],
  ['ndr_ship_batches_lost_total', 'counter', []],
  ['ndr_ship_spooled_bytes', 'gauge', []],
  ['ndr_ship_in_flight_batches', 'gauge', []],
  ['ndr_selfaudit_tcp_oneway_ratio', 'gauge', []],
  ['ndr_selfaudit_silent_zones', 'gauge', []],
  ['ndr_selfaudit_zone_silent', 'gauge', ['zone']],
  ['ndr_selfaudit_duplicate_ratio', 'gauge', []],
  ['ndr_capture_duplicates_total', 'counter', []],
  ['ndr_worker_restarts_total', 'counter', []],
  ['ndr_worker_lost_flows_total', 'counter', []],
  ['ndr_packets_not_flowed_total', 'counter', ['reason']],
  ['ndr_parser_counters_total', 'counter', ['counter']],
  ['ndr_capture_stalls_total', 'counter', ['interface']],
  ['ndr_capture_reopens_total', 'counter', ['interface']],
  // prom-client default process metrics
  ['process_cpu_seconds_total', 'counter', []],
  ['process_resident_memory_bytes', 'gauge', []],
  ['nodejs_eventloop_lag_seconds', 'gauge', []],
  ['nodejs_heap_size_used_bytes', 'gauge', []],
];

async function get(port: number, p: string, method = 'GET') {
  const r = await fetch(`http://127.0.0.1:${port}${p}`, { method });
  return { status: r.status, type: r.headers.get('content-type'), body: await r.text() };
}

const value = (f: Map<string, Family>, name: string, labels: Record<string, string> = {}, sample = name) =>
  f.get(name)?.samples.find((s) => s.name === sample && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;

describe('SensorMetrics over HTTP', () => {
  let metrics: SensorMetrics;
  let server: MetricsServer;
  const cap: CaptureSnapshot = { packets: 0, bytes: 0, kernelDrops: 0, ifDrops: 0 };
  let capOpen = true;
  let workersUp = true;
  const ship: ShipperStats = {
    recordsPushed: 1200, recordsRefused: 0, batchesClosed: 40, batchesSent: 40, batchesRetransmitted: 2, batchesAcked: 38,
    recordsAcked: 1100, datagramsSent: 50, datagramsRetransmitted: 2, sendErrors: 0, acksReceived: 38, acksRejected: 0,
    batchesLost: 1, recordsLost: 3, spoolEvictions: 0, spoolErrors: 0, inFlightBatches: 2, inFlightBytes: 3000,
    queuedBatches: 5, memoryBytes: 9000, spooledBatches: 7, spooledBytes: 65536, windowBytes: 65536, srttMs: 1.5, rtoMs: 200,
  };
  const dedup = new DuplicateDetector();

  beforeAll(async () => {
    metrics = new SensorMetrics({ libpcapVersion: 'libpcap version 1.10.3', commit: 'abc123' });
    metrics.addCapture('eth1', { counters: () => cap, get isOpen() { return capOpen; } });
    metrics.setDedupSource(dedup);
    registerShipperMetrics(metrics.registry, ship);
    server = await startMetricsServer({
      metrics,
      port: 0,
      host: '127.0.0.1',
      readiness: {
        capture: () => capOpen || 'capture on eth1 failed',
        workers: () => workersUp || 'no worker running',
      },
    });
  });

  afterAll(async () => {
    await server?.close();
  });

  it('serves every required family with the right type and labels, parsable by a strict parser', async () => {
    cap.packets = 123456;
    cap.bytes = 98765432;
    cap.kernelDrops = 17;
    cap.stalls = 2;
    cap.reopens = 3;
    metrics.onBatch({
      decodeErrors: { 'truncated-ipv4': 2, 'bad-tcp-offset': 0 }, notFlowed: { non_ip: 7 }, parserCounters: { dns_bad_label: 2 },
      flowsCreated: 10, flowEvictions: 1, events: { dns: 4, http: 1 }, latencySeconds: 0.003,
    });
    metrics.onBatch({ decodeErrors: { 'truncated-ipv4': 1 }, flowsCreated: 5, events: { dns: 1 }, latencySeconds: 0.2 });
    metrics.onAlert('lateral-movement', 8);
    metrics.onAlert('reconnaissance', 4, 3);
    metrics.setFlowsActive(4321);
    metrics.setWorkers({ queueBatches: 3, busyRatio: 0.42 });
    metrics.setBaselineHosts(1999);
    metrics.onWorkerRestart({ batches: 1, packets: 512, flows: 40 });
    metrics.setSelfAudit({ tcpOneWayRatio: 0.25, zones: ['radiology', 'lab', 'office'], silentZones: ['lab'] });
    // Real dedup counts from corpus frames: each frame seen twice within the window.
    const wiki = readClassicPcap(path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus', 'zeek_wikipedia.pcap')).records.slice(0, 10);
    for (const [i, r] of wiki.entries()) {
      dedup.isDuplicate(r.bytes, 0, r.caplen, r.wirelen, 1, 10 + i);
      dedup.isDuplicate(r.bytes, 0, r.caplen, r.wirelen, 1, 10 + i + 1e-5);
    }

    const r = await get(server.port, '/metrics');
    expect(r.status).toBe(200);
    expect(r.type).toMatch(/^text\/plain; version=0\.0\.4/);
    const f = parsePrometheusText(r.body);
    for (const [name, type, labels] of REQUIRED) {
      const fam = f.get(name);
      expect(fam, `family ${name}`).toBeDefined();
      expect(fam!.type, `type of ${name}`).toBe(type);
      expect(fam!.help, `help of ${name}`).toBeTruthy();
      for (const s of fam!.samples) {
        const names = Object.keys(s.labels).filter((l) => l !== 'le');
        expect(names.sort(), `labels of ${s.name}`).toEqual([...labels].sort());
      }
    }

    expect(value(f, 'ndr_capture_packets_total', { interface: 'eth1' })).toBe(123456);
    expect(value(f, 'ndr_capture_bytes_total', { interface: 'eth1' })).toBe(98765432);
    expect(value(f, 'ndr_capture_kernel_drops_total', { interface: 'eth1' })).toBe(17);
    expect(value(f, 'ndr_capture_up', { interface: 'eth1' })).toBe(1);
    expect(value(f, 'ndr_decode_errors_total', { reason: 'truncated-ipv4' })).toBe(3);
    expect(f.get('ndr_decode_errors_total')!.samples.some((s) => s.labels.reason === 'bad-tcp-offset')).toBe(false);
    expect(value(f, 'ndr_flows_total')).toBe(15);
    expect(value(f, 'ndr_flow_evictions_total')).toBe(1);
    expect(value(f, 'ndr_flows_active')).toBe(4321);
    expect(value(f, 'ndr_events_total', { path: 'dns' })).toBe(5);
    expect(value(f, 'ndr_alerts_total', { category: 'lateral-movement', severity: '8' })).toBe(1);
    expect(value(f, 'ndr_alerts_total', { category: 'reconnaissance', severity: '4' })).toBe(3);
    expect(value(f, 'ndr_worker_busy_ratio')).toBe(0.42);
    expect(value(f, 'ndr_worker_lost_packets_total')).toBe(512);
    expect(value(f, 'ndr_worker_lost_flows_total')).toBe(40);
    expect(value(f, 'ndr_packets_not_flowed_total', { reason: 'non_ip' })).toBe(7);
    expect(value(f, 'ndr_parser_counters_total', { counter: 'dns_bad_label' })).toBe(2);
    expect(value(f, 'ndr_capture_stalls_total', { interface: 'eth1' })).toBe(2);
    expect(value(f, 'ndr_capture_reopens_total', { interface: 'eth1' })).toBe(3);
    expect(value(f, 'ndr_baseline_hosts')).toBe(1999);
    expect(value(f, 'ndr_ship_records_acked_total')).toBe(1100);
    expect(value(f, 'ndr_ship_spooled_bytes')).toBe(65536);
    expect(value(f, 'ndr_ship_rtt_seconds')).toBe(0.0015);
    expect(value(f, 'ndr_selfaudit_tcp_oneway_ratio')).toBe(0.25);
    expect(value(f, 'ndr_selfaudit_silent_zones')).toBe(1);
    expect(value(f, 'ndr_selfaudit_zone_silent', { zone: 'lab' })).toBe(1);
    expect(value(f, 'ndr_selfaudit_zone_silent', { zone: 'office' })).toBe(0);
    expect(value(f, 'ndr_capture_duplicates_total')).toBe(10);
    expect(value(f, 'ndr_selfaudit_duplicate_ratio')).toBe(0.5);
    expect(value(f, 'ndr_build_info', { commit: 'abc123', libpcap_version: 'libpcap version 1.10.3' })).toBe(1);

    // Histogram: the configured buckets, two observations in the right ones.
    const h = f.get('ndr_batch_latency_seconds')!;
    const les = h.samples.filter((s) => s.name.endsWith('_bucket')).map((s) => Number(s.labels.le.replace('+Inf', 'Infinity')));
    expect(les).toEqual([...BATCH_LATENCY_BUCKETS, Infinity]);
    expect(value(f, 'ndr_batch_latency_seconds', { le: '0.0025' }, 'ndr_batch_latency_seconds_bucket')).toBe(0);
    expect(value(f, 'ndr_batch_latency_seconds', { le: '0.005' }, 'ndr_batch_latency_seconds_bucket')).toBe(1);
    expect(value(f, 'ndr_batch_latency_seconds', { le: '0.25' }, 'ndr_batch_latency_seconds_bucket')).toBe(2);
    expect(value(f, 'ndr_batch_latency_seconds', {}, 'ndr_batch_latency_seconds_count')).toBe(2);
    expect(value(f, 'ndr_batch_latency_seconds', {}, 'ndr_batch_latency_seconds_sum')).toBeCloseTo(0.203, 9);

    // Counters follow their sources between scrapes.
    cap.packets += 1000;
    const f2 = parsePrometheusText((await get(server.port, '/metrics')).body);
    expect(value(f2, 'ndr_capture_packets_total', { interface: 'eth1' })).toBe(124456);
  });

  it("passes Prometheus' own promtool check metrics", async () => {
    const which = spawnSync('promtool', ['--version']);
    expect(which.error, 'promtool missing: apt-get install prometheus').toBeUndefined();
    const body = (await get(server.port, '/metrics')).body;
    const r = spawnSync('promtool', ['check', 'metrics'], { input: body, encoding: 'utf8' });
    // promtool lints naming too; only our families must be clean (prom-client's defaults are not ours).
    const problems = (r.stdout + r.stderr).split('\n').filter((l) => l.startsWith('ndr_'));
    expect(problems).toEqual([]);
    expect(r.stderr).not.toMatch(/error while linting|parse error/i);
  });

  it('folds runaway label values into "other" and counts it', async () => {
    for (let i = 0; i < 300; i++) metrics.onBatch({ decodeErrors: { [`reason-${i}`]: 1 } });
    const f = parsePrometheusText((await get(server.port, '/metrics')).body);
    const reasons = f.get('ndr_decode_errors_total')!.samples.map((s) => s.labels.reason);
    expect(reasons.length).toBeLessThanOrEqual(257);
    expect(value(f, 'ndr_decode_errors_total', { reason: 'other' })).toBeGreaterThan(0);
    expect(value(f, 'ndr_metrics_label_overflow_total')).toBeGreaterThan(0);
  });

  it('/healthz is 200; /readyz is 200 until a check fails, then 503 naming it', async () => {
    expect((await get(server.port, '/healthz')).status).toBe(200);
    const ok = await get(server.port, '/readyz');
    expect(ok.status).toBe(200);
    expect(JSON.parse(ok.body)).toEqual({ ready: true, checks: { capture: { ok: true }, workers: { ok: true } } });
    capOpen = false;
    const bad = await get(server.port, '/readyz');
    expect(bad.status).toBe(503);
    expect(JSON.parse(bad.body).checks.capture).toEqual({ ok: false, detail: 'capture on eth1 failed' });
    expect(JSON.parse(bad.body).checks.workers).toEqual({ ok: true });
    const f = parsePrometheusText((await get(server.port, '/metrics')).body);
    expect(value(f, 'ndr_capture_up', { interface: 'eth1' })).toBe(0);
    capOpen = true;
    server.setReadiness({ shipper: () => { throw new Error('spool unreadable'); } });
    const thrown = await get(server.port, '/readyz');
    expect(thrown.status).toBe(503);
    expect(JSON.parse(thrown.body).checks.shipper.detail).toContain('spool unreadable');
    server.setReadiness({ shipper: () => true });
  });

  it('answers 404 for unknown paths, 405 for other methods, HEAD without a body', async () => {
    expect((await get(server.port, '/nope')).status).toBe(404);
    expect((await get(server.port, '/metrics', 'POST')).status).toBe(405);
    const head = await get(server.port, '/metrics', 'HEAD');
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
  });

  it('refuses a port that is taken with a clear error instead of running without metrics', async () => {
    await expect(startMetricsServer({ metrics, port: server.port, host: '127.0.0.1' })).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('the strict text-format parser itself', () => {
  const bad: Array<[string, string]> = [
    ['no trailing newline', '# TYPE a counter\na 1'],
    ['bad escape', 'a{x="\\q"} 1\n'],
    ['duplicate series', 'a{x="1"} 1\na{x="1"} 2\n'],
    ['non-contiguous family', '# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na{x="2"} 3\n'],
    ['TYPE after samples', 'a 1\n# TYPE a gauge\n'],
    ['bad value', 'a 1,5\n'],
    ['negative counter', '# TYPE a counter\na -1\n'],
    ['histogram not cumulative', '# TYPE h histogram\nh_bucket{le="1"} 5\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 3\n'],
    ['histogram +Inf != count', '# TYPE h histogram\nh_bucket{le="1"} 1\nh_bucket{le="+Inf"} 3\nh_sum 1\nh_count 4\n'],
    ['reserved label', 'a{__name__="x"} 1\n'],
  ];
  for (const [what, text] of bad) it(`rejects: ${what}`, () => expect(() => parsePrometheusText(text)).toThrow());

  it('accepts escapes, NaN/Inf, timestamps and comments', () => {
    const f = parsePrometheusText('# just a comment\n# HELP a with \\\\ and \\n\n# TYPE a gauge\na{x="q\\"uote",y="n\\nl"} NaN 1700000000000\na{x="2"} +Inf\n');
    const a = f.get('a')!;
    expect(a.help).toBe('with \\ and \n');
    expect(a.samples[0].labels).toEqual({ x: 'q"uote', y: 'n\nl' });
    expect(a.samples[0].timestamp).toBe(1700000000000);
    expect(a.samples[1].value).toBe(Infinity);
  });
});
