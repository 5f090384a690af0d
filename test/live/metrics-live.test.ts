/**
 * Issue 6, acceptances 2 (drop counter) and 3: `ndr-sensor live` on two veth interfaces in
 * network namespaces made by the test, shipping to `ndr-sensor collect` on the namespace's
 * loopback. /metrics is scraped while it runs, parsed by the strict parser (test/helpers/promtext)
 * and by `promtool check metrics`, and every family the issue lists is checked against values
 * known independently: packets from tcpreplay, bytes from the files (test/helpers/pcapfile),
 * non-IP frames from tshark, flows and events from the sensor's own output files, the one-way TCP
 * share from the TCP records written. /readyz must fail when an interface disappears, and pass
 * again once it is back and the capture has reopened by itself (whose new traffic is flowed).
 *
 * Captures: zeek_wikipedia.pcap (HTTP, DNS, ARP/STP; zone "campus" = 141.142.0.0/16) on one
 * interface, sv_bug-2491-02_simple_http_download.onesided.nosyn.pcap (one TCP connection of which
 * only one direction was captured) on the other. Zone "lab" (10.99.0.0/16) never has traffic.
 * Short timeouts make the TCP flows expire during the run, through the idle clock (no packets →
 * the capture clock follows wall time); the audit window is 8 s: long enough to hold every TCP
 * record when they are checked, short enough for the silent zone to show soon.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsSkipReason } from '../helpers/netns.js';
import { LiveSensor, labFixture, httpGetIn, metric, readJsonLines, scrapeIn, tcpreplayAsync, tsharkCount, until } from '../helpers/live-sensor.js';
import { readClassicPcap } from '../helpers/pcapfile.js';
import { repoRoot } from '../helpers/transpile.js';
import { BIN } from '../conformance/corpus.js';
import { keyFile } from '../ship/helpers.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus');
const WIKI = path.join(corpus, 'zeek_wikipedia.pcap');
const ONESIDED = path.join(corpus, 'sv_bug-2491-02_simple_http_download.onesided.nosyn.pcap');
const skipReason = netnsSkipReason();

/** Every family issue 6 names (shipping: sensor/ship/outputs.ts names), with its type. */
const ISSUE_FAMILIES: Array<[string, string]> = [
  ['ndr_capture_packets_total', 'counter'], ['ndr_capture_bytes_total', 'counter'], ['ndr_capture_kernel_drops_total', 'counter'],
  ['ndr_decode_errors_total', 'counter'], ['ndr_flows_active', 'gauge'], ['ndr_flows_total', 'counter'],
  ['ndr_flow_evictions_total', 'counter'], ['ndr_events_total', 'counter'], ['ndr_alerts_total', 'counter'],
  ['ndr_worker_queue_batches', 'gauge'], ['ndr_worker_busy_ratio', 'gauge'], ['ndr_batch_latency_seconds', 'histogram'],
  ['ndr_baseline_hosts', 'gauge'], ['ndr_build_info', 'gauge'],
  ['ndr_ship_records_pushed_total', 'counter'], ['ndr_ship_records_acked_total', 'counter'], ['ndr_ship_batches_sent_total', 'counter'],
  ['ndr_ship_batches_lost_total', 'counter'], ['ndr_ship_in_flight_batches', 'gauge'], ['ndr_ship_queued_batches', 'gauge'],
  ['ndr_ship_spooled_bytes', 'gauge'], ['ndr_ship_rtt_seconds', 'gauge'],
  ['ndr_selfaudit_tcp_oneway_ratio', 'gauge'], ['ndr_selfaudit_silent_zones', 'gauge'], ['ndr_selfaudit_zone_silent', 'gauge'],
  ['ndr_selfaudit_duplicate_ratio', 'gauge'],
  ['ndr_worker_restarts_total', 'counter'], ['ndr_capture_up', 'gauge'], ['ndr_packets_not_flowed_total', 'counter'],
  ['ndr_parser_counters_total', 'counter'], ['ndr_config_reloads_total', 'counter'],
  ['process_cpu_seconds_total', 'counter'], ['process_resident_memory_bytes', 'gauge'], ['nodejs_eventloop_lag_seconds', 'gauge'],
];

describe.skipIf(skipReason !== undefined)('live /metrics, /readyz and the kernel drop counter (acceptances 2, 3)', () => {
  const fx = labFixture();
  const { sensors } = fx;
  const kids: ReturnType<typeof spawn>[] = [];

  // Runs before the fixture's teardown (vitest stacks after-hooks).
  afterAll(() => {
    for (const k of kids) k.kill('SIGKILL');
  });

  it('exposes every family with values that match independent counts; /readyz fails when an interface goes', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-live-metrics-'));
    const a = fx.lab.addLink();
    const b = fx.lab.addLink();
    const cfg = path.join(dir, 'sensor.yaml');
    writeFileSync(cfg, [
      'sensor_id: live-test',
      'zones:',
      '  - { name: campus, networks: [141.142.0.0/16], kind: workstation }',
      '  - { name: lab, networks: [10.99.0.0/16], kind: medical }',
      'timeouts: { tcp: 2, udp: 2, icmp: 2, tcp_close_delay: 1, tcp_attempt_delay: 1 }',
      'metrics: { audit_window: 8 }',
    ].join('\n') + '\n');
    const kf = keyFile(dir);
    const coll = spawn('ip', ['netns', 'exec', fx.lab.rxNs, BIN, 'collect', '--listen', '127.0.0.1:47999', '--out', path.join(dir, 'out'), '--key-file', kf], { stdio: ['ignore', 'ignore', 'pipe'] });
    kids.push(coll);
    let collErr = '';
    coll.stderr!.on('data', (d: Buffer) => (collErr += d));
    await until(() => (collErr.includes('listening') ? true : undefined), 20_000, `collector start: ${collErr}`);

    const flowsOut = path.join(dir, 'flows.json');
    const eventsOut = path.join(dir, 'events.json');
    const alertsOut = path.join(dir, 'alerts.json');
    const s = new LiveSensor(fx.lab.rxNs, ['--interface', a.rxIf, '--interface', b.rxIf, '--config', cfg, '--workers', '2', '--dedup',
      '--flows-out', flowsOut, '--events-out', eventsOut, '--alerts-out', alertsOut, '--ship', 'udp://127.0.0.1:47999', '--key-file', kf, '--spool', path.join(dir, 'spool')]);
    sensors.push(s);
    const port = await s.running();
    const t0 = Date.now();
    const [sentA, sentB] = await Promise.all([tcpreplayAsync(a.txNs, a.txIf, WIKI, ['--topspeed']), tcpreplayAsync(b.txNs, b.txIf, ONESIDED, ['--topspeed'])]);

    // S1: every TCP connection has expired (idle clock) and been written: the one-way share is exact.
    const wikiTcpConns = 10; // zeek_wikipedia.pcap.zeek-conn.log: 10 tcp connections (tshark -z conv,tcp: 10)
    const tcpRecs = await until(() => {
      const t = readJsonLines(flowsOut).filter((r) => r.proto === 'tcp');
      return t.length === wikiTcpConns + 1 ? t : undefined;
    }, 20_000, 'TCP records written after expiry');
    const oneWay = tcpRecs.filter((r) => r.orig_pkts === 0 || r.resp_pkts === 0).length;
    expect(oneWay).toBeGreaterThanOrEqual(1); // the one-sided capture
    const s1 = (await scrapeIn(fx.lab.rxNs, port)).families;
    // The TCP records expire within ~2 s of each other (close delay 1 s, inactivity 2 s), all inside the window.
    expect(metric(s1, 'ndr_selfaudit_tcp_oneway_ratio')).toBeCloseTo(oneWay / tcpRecs.length, 9);
    console.log(`one-way TCP share ${oneWay}/${tcpRecs.length} at ${Date.now() - t0} ms after the start`);

    // S2: the never-seen zone is silent (a window after the start), shipping acknowledged everything
    // emitted so far, and the events counted are the events written.
    let events: Record<string, unknown>[] = [];
    const byPath = new Map<string, number>();
    const s2 = await until(async () => {
      const sc = await scrapeIn(fx.lab.rxNs, port);
      const f = sc.families;
      events = readJsonLines(eventsOut);
      byPath.clear();
      for (const e of events) byPath.set(e._path as string, (byPath.get(e._path as string) ?? 0) + 1);
      const counted = f.get('ndr_events_total')!.samples.reduce((x, y) => x + y.value, 0);
      return metric(f, 'ndr_selfaudit_zone_silent', { zone: 'lab' }) === 1 && counted === events.length &&
        metric(f, 'ndr_ship_records_acked_total') === metric(f, 'ndr_ship_records_pushed_total') ? sc : undefined;
    }, 20_000, 'zone lab silent, events written, shipping acknowledged');
    const f = s2.families;
    for (const [name, type] of ISSUE_FAMILIES) {
      expect(f.get(name), name).toBeDefined();
      expect(f.get(name)!.type, name).toBe(type);
    }
    const wiki = readClassicPcap(WIKI).records;
    const one = readClassicPcap(ONESIDED).records;
    // capture, per interface
    expect(metric(f, 'ndr_capture_packets_total', { interface: a.rxIf })).toBe(sentA);
    expect(metric(f, 'ndr_capture_packets_total', { interface: b.rxIf })).toBe(sentB);
    expect(sentA).toBe(wiki.length);
    expect(metric(f, 'ndr_capture_bytes_total', { interface: a.rxIf })).toBe(wiki.reduce((x, r) => x + r.wirelen, 0));
    expect(metric(f, 'ndr_capture_bytes_total', { interface: b.rxIf })).toBe(one.reduce((x, r) => x + r.wirelen, 0));
    expect(metric(f, 'ndr_capture_kernel_drops_total', { interface: a.rxIf })).toBe(0);
    expect(metric(f, 'ndr_capture_up', { interface: b.rxIf })).toBe(1);
    // decoding: nothing damaged; the non-IP frames (ARP, STP) are counted as not flowed
    expect(f.get('ndr_decode_errors_total')!.samples.reduce((x, y) => x + y.value, 0)).toBe(0);
    expect(metric(f, 'ndr_packets_not_flowed_total', { reason: 'non_ip' })).toBe(tsharkCount(WIKI, 'not ip and not ipv6'));
    // flows (compared with the file after the final flush, below) and events: what the workers reported = what was written
    let flowsTotal = metric(f, 'ndr_flows_total')!;
    expect(metric(f, 'ndr_flow_evictions_total')).toBe(0);
    expect(metric(f, 'ndr_flows_active')).toBeLessThanOrEqual(flowsTotal);
    expect(byPath.get('dns')).toBeGreaterThan(0);
    for (const [p, n] of byPath) expect(metric(f, 'ndr_events_total', { path: p }), p).toBe(n);
    // analytics (models/analytics, on by default): alerts counted = alerts written, by category and severity
    const alerts = readJsonLines(alertsOut);
    const bySev = new Map<string, number>();
    for (const al of alerts) bySev.set(`${al.category}|${al.severity}`, (bySev.get(`${al.category}|${al.severity}`) ?? 0) + 1);
    expect(new Map(f.get('ndr_alerts_total')!.samples.map((x) => [`${x.labels.category}|${x.labels.severity}`, x.value]))).toEqual(bySev);
    const hosts = metric(f, 'ndr_baseline_hosts')!;
    expect(hosts).toBeGreaterThan(0);
    expect(hosts).toBeLessThanOrEqual(new Set(tcpRecs.flatMap((r) => [r['id.orig_h'], r['id.resp_h']])).size + 50);
    // workers: idle now, ratio in range, nothing restarted
    expect(metric(f, 'ndr_worker_queue_batches')).toBe(0);
    const busy = metric(f, 'ndr_worker_busy_ratio')!;
    expect(busy).toBeGreaterThanOrEqual(0);
    expect(busy).toBeLessThan(1);
    expect(metric(f, 'ndr_worker_restarts_total')).toBe(0);
    // latency: one observation per batch with packets, each under the histogram's 1 s bucket on an idle run
    const count = metric(f, 'ndr_batch_latency_seconds', {}, 'ndr_batch_latency_seconds_count')!;
    expect(count).toBeGreaterThan(0);
    expect(metric(f, 'ndr_batch_latency_seconds', { le: '1' }, 'ndr_batch_latency_seconds_bucket')).toBe(count);
    expect(metric(f, 'ndr_batch_latency_seconds', {}, 'ndr_batch_latency_seconds_sum')).toBeGreaterThan(0);
    // shipping: every record emitted so far (flows + events) acknowledged by the collector
    expect(metric(f, 'ndr_ship_records_acked_total')).toBeGreaterThanOrEqual(tcpRecs.length + events.length);
    expect(metric(f, 'ndr_ship_batches_lost_total')).toBe(0);
    // self-audit: the zone with traffic is not silent, the other is
    expect(metric(f, 'ndr_selfaudit_zone_silent', { zone: 'campus' })).toBe(0);
    expect(metric(f, 'ndr_selfaudit_silent_zones')).toBe(1);
    const dups = metric(f, 'ndr_capture_duplicates_total')!;
    const captured = sentA + sentB;
    expect(metric(f, 'ndr_selfaudit_duplicate_ratio')).toBeCloseTo(dups / captured, 12);
    // build info
    const bi = f.get('ndr_build_info')!.samples[0];
    expect(bi.labels.version).toBe(JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')).version);
    expect(bi.labels.libpcap_version).toMatch(/^libpcap version 1\./);
    // Prometheus' own linter on our families
    const lint = spawnSync('promtool', ['check', 'metrics'], { input: s2.text, encoding: 'utf8' });
    expect((lint.stdout + lint.stderr).split('\n').filter((l) => l.startsWith('ndr_'))).toEqual([]);

    // /readyz: ready, then failing when an interface disappears (cable pulled)
    const ok = await httpGetIn(fx.lab.rxNs, port, '/readyz');
    expect(ok.status, ok.body).toBe(200);
    expect(Object.keys(JSON.parse(ok.body).checks).sort()).toEqual([`capture:${a.rxIf}`, `capture:${b.rxIf}`, 'running', 'shipper', 'workers']);
    fx.lab.removeLink(b);
    const bad = await until(async () => {
      const r = await httpGetIn(fx.lab.rxNs, port, '/readyz');
      return r.status === 503 ? r : undefined;
    }, 10_000, '/readyz 503');
    const checks = JSON.parse(bad.body).checks;
    expect(checks[`capture:${b.rxIf}`].ok).toBe(false);
    expect(checks[`capture:${a.rxIf}`].ok).toBe(true);
    expect(metric((await scrapeIn(fx.lab.rxNs, port)).families, 'ndr_capture_up', { interface: b.rxIf })).toBe(0);
    await s.waitLog((l) => l.msg === 'capture failed' && l.interface === b.rxIf);

    // The cable back in: the capture is reopened by itself and the new traffic is flowed.
    fx.lab.restoreLink(b);
    const back = await until(async () => {
      const r = await httpGetIn(fx.lab.rxNs, port, '/readyz');
      return r.status === 200 ? (await scrapeIn(fx.lab.rxNs, port)).families : undefined;
    }, 15_000, '/readyz 200 again after the interface came back');
    expect(metric(back, 'ndr_capture_reopens_total', { interface: b.rxIf })).toBe(1);
    expect(metric(back, 'ndr_capture_up', { interface: b.rxIf })).toBe(1);
    expect(metric(back, 'ndr_capture_reopens_total', { interface: a.rxIf })).toBe(0);
    await s.waitLog((l) => l.msg === 'capture reopened' && l.interface === b.rxIf);
    const sentB2 = await tcpreplayAsync(b.txNs, b.txIf, ONESIDED, ['--topspeed']);
    const f3 = await until(async () => {
      const g = (await scrapeIn(fx.lab.rxNs, port)).families;
      return metric(g, 'ndr_capture_packets_total', { interface: b.rxIf }) === sentB + sentB2 &&
        metric(g, 'ndr_worker_queue_batches') === 0 ? g : undefined;
    }, 10_000, 'the second replay on the reopened interface captured and processed');
    expect(metric(f3, 'ndr_flows_total')!).toBeGreaterThan(flowsTotal);
    flowsTotal = metric(f3, 'ndr_flows_total')!;

    const exit = await s.stop();
    expect(exit.code, s.stderr).toBe(0);
    // After the final flush every flow created is in the file, as a final record.
    const flows = readJsonLines(flowsOut);
    expect(flows.length).toBe(flowsTotal);
    expect(flows.every((r) => r.interim === undefined)).toBe(true);
  }, 90_000);

  it('counts real kernel drops in ndr_capture_kernel_drops_total when the ring overflows', async () => {
    const link = fx.lab.addLink();
    const s = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--buffer-mb', '1', '--snaplen', '2048', '--workers', '1', '--flows-out', '/dev/null']);
    sensors.push(s);
    const port = await s.running();
    // The whole sensor stops (as a starved process would) while 54,400 packets arrive in a 1 MiB ring.
    s.signal('SIGSTOP');
    let sent: number;
    try {
      sent = await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed', '--loop=400']);
    } finally {
      s.signal('SIGCONT');
    }
    const f = await until(async () => {
      const x = (await scrapeIn(link.rxNs, port)).families;
      const got = metric(x, 'ndr_capture_packets_total', { interface: link.rxIf })! + metric(x, 'ndr_capture_kernel_drops_total', { interface: link.rxIf })!;
      return got === sent && metric(x, 'ndr_flows_total')! > 0 ? x : undefined;
    }, 15_000, 'captured + dropped = sent, flows made');
    const drops = metric(f, 'ndr_capture_kernel_drops_total', { interface: link.rxIf })!;
    const packets = metric(f, 'ndr_capture_packets_total', { interface: link.rxIf })!;
    console.log(`ring overflow: sent ${sent}, captured ${packets}, kernel drops ${drops}`);
    expect(drops).toBeGreaterThan(sent / 2);
    expect(packets).toBeGreaterThan(0);
    expect((await s.stop()).code).toBe(0);
    const stopped = s.logs.find((l) => l.msg === 'stopped')!;
    expect(stopped.kernel_drops).toBe(drops);
    expect(stopped.packets).toBe(packets);
  }, 60_000);
});

if (skipReason !== undefined) {
  describe('live /metrics, /readyz and the kernel drop counter (acceptances 2, 3)', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
