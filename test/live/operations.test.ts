/**
 * Issue 6, acceptance 4, on a running `ndr-sensor live` (network namespaces made by the test):
 *  - SIGHUP reloads the config: a new BPF filter applies at once (checked against tshark's count
 *    of the frames it selects), zones change, an invalid config (bad filter, unknown key) is refused
 *    and logged while the running one stays, output files are reopened (log rotation), restart-only
 *    keys are named — and no flow is lost across reloads;
 *  - SIGTERM flushes every flow (also those still open) and exits 0;
 *  - a worker that dies (NDR_TEST_HOOKS=1: SIGUSR2 terminates shard 0's thread) is restarted and
 *    the loss counted: exactly the flows it held are missing from the output, nothing else, and the
 *    new worker builds correct flows for later traffic.
 */
import { existsSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { netnsSkipReason } from '../helpers/netns.js';
import { LiveSensor, labFixture, httpGetIn, metric, readJsonLines, scrapeIn, tcpreplayAsync, tsharkCount, until } from '../helpers/live-sensor.js';
import { runSensor } from '../helpers/run-sensor.js';
import { repoRoot } from '../helpers/transpile.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus');
const WIKI = path.join(corpus, 'zeek_wikipedia.pcap');
const DCE = path.join(corpus, 'zeek_dce-rpc_mapi.pcap');
const skipReason = netnsSkipReason();

type Rec = Record<string, unknown>;
const key = (r: Rec) => ['proto', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'conn_state', 'history', 'orig_pkts', 'resp_pkts']
  .map((k) => String(r[k])).join('|');
const keys = (rs: Rec[]) => rs.map(key).sort();

describe.skipIf(skipReason !== undefined)('live operations: SIGHUP, SIGTERM, worker restart (acceptance 4)', () => {
  const fx = labFixture();
  const { sensors } = fx;
  let wikiRef: Rec[];
  let dceRef: Rec[];

  beforeAll(() => {
    wikiRef = runSensor(['replay', WIKI]).flows;
    dceRef = runSensor(['replay', DCE]).flows;
  });

  const captured = async (ns: string, port: number, iface: string) =>
    metric((await scrapeIn(ns, port)).families, 'ndr_capture_packets_total', { interface: iface }) ?? 0;

  it('SIGHUP applies a new filter and zones, refuses bad configs, reopens outputs; SIGTERM flushes everything', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-live-ops-'));
    const cfg = path.join(dir, 'sensor.yaml');
    const flowsOut = path.join(dir, 'flows.json');
    writeFileSync(cfg, 'zones:\n  - { name: campus, networks: [141.142.0.0/16] }\ncapture: { bpf: udp }\n');
    const link = fx.lab.addLink();
    const s = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--config', cfg, '--flows-out', flowsOut]);
    sensors.push(s);
    const port = await s.running();

    // Phase 1, filter "udp" from the config.
    await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed']);
    const udp = tsharkCount(WIKI, 'udp');
    await until(async () => ((await captured(link.rxNs, port, link.rxIf)) === udp ? true : undefined), 10_000, `${udp} udp frames`);

    // Reload: filter "tcp", a second zone, a restart-only change; the flows file was rotated away.
    writeFileSync(cfg, 'zones:\n  - { name: campus, networks: [141.142.0.0/16] }\n  - { name: lab, networks: [10.99.0.0/16] }\n' +
      'capture: { bpf: tcp }\ntimeouts: { tcp: 100 }\n');
    renameSync(flowsOut, `${flowsOut}.1`);
    s.signal('SIGHUP');
    const ok = await s.waitLog((l) => l.msg === 'config reloaded');
    expect(ok.filter).toBe('tcp');
    expect(ok.restart_needed).toEqual(['timeouts']);
    expect(existsSync(flowsOut)).toBe(true); // reopened
    const m1 = (await scrapeIn(link.rxNs, port)).families;
    expect(metric(m1, 'ndr_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(metric(m1, 'ndr_selfaudit_zone_silent', { zone: 'lab' })).toBe(0); // known now, not yet silent

    // Phase 2: only TCP gets through now.
    await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed']);
    const tcpWiki = tsharkCount(WIKI, 'tcp');
    await until(async () => ((await captured(link.rxNs, port, link.rxIf)) === udp + tcpWiki ? true : undefined), 10_000, 'tcp frames after reload');

    // Bad configs: an invalid filter, an unknown key. Both refused, the running config stays.
    writeFileSync(cfg, 'capture: { bpf: "tcp port banana" }\n');
    s.signal('SIGHUP');
    const e1 = await s.waitLog((l) => l.msg.startsWith('config reload failed'));
    expect(JSON.stringify(e1.err)).toContain('EBPF');
    writeFileSync(cfg, 'capture: { bpf: udp }\nbogus: 1\n');
    s.signal('SIGHUP');
    await until(() => (s.logs.filter((l) => l.msg.startsWith('config reload failed')).length === 2 ? true : undefined), 10_000, 'second refusal');
    expect(s.logs.filter((l) => l.msg.startsWith('config reload failed'))[1].err).toMatchObject({ message: 'bogus: unknown key' });
    const m2 = (await scrapeIn(link.rxNs, port)).families;
    expect(metric(m2, 'ndr_config_reloads_total', { result: 'error' })).toBe(2);
    expect(metric(m2, 'ndr_config_reloads_total', { result: 'ok' })).toBe(1);
    expect(metric(m2, 'ndr_selfaudit_zone_silent', { zone: 'lab' })).toBe(0); // zones of the refused configs not applied

    // Phase 3: still "tcp" (DCE-RPC capture: TCP only).
    await tcpreplayAsync(link.txNs, link.txIf, DCE, ['--topspeed']);
    const tcpDce = tsharkCount(DCE, 'tcp');
    await until(async () => ((await captured(link.rxNs, port, link.rxIf)) === udp + tcpWiki + tcpDce ? true : undefined), 10_000, 'dce frames');

    // SIGTERM: all flows (still open: default timeouts) are flushed into the reopened file; exit 0.
    expect(readJsonLines(flowsOut)).toEqual([]);
    const exit = await s.stop();
    expect(exit.code, s.stderr).toBe(0);
    const got = readJsonLines(flowsOut);
    // What each filter let through: wiki's UDP (phase 1), wiki's TCP (phase 2), the DCE capture's TCP (phase 3).
    const want = [...wikiRef.filter((r) => r.proto === 'udp' || r.proto === 'tcp'), ...dceRef.filter((r) => r.proto === 'tcp')];
    expect(keys(got)).toEqual(keys(want));
    expect(readJsonLines(`${flowsOut}.1`)).toEqual([]);
  }, 90_000);

  it('restarts a killed worker, counts exactly the flows it held, and keeps working', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-live-crash-'));
    const flowsOut = path.join(dir, 'flows.json');
    const link = fx.lab.addLink();
    const s = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--workers', '2', '--flows-out', flowsOut], { NDR_TEST_HOOKS: '1' });
    sensors.push(s);
    const port = await s.running();
    const sent = await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed']);
    // All of it processed: packets captured, every flow built, no batch in flight.
    const before = await until(async () => {
      const f = (await scrapeIn(link.rxNs, port)).families;
      return metric(f, 'ndr_capture_packets_total', { interface: link.rxIf }) === sent && metric(f, 'ndr_flows_total') === wikiRef.length &&
        metric(f, 'ndr_flows_active') === wikiRef.length && metric(f, 'ndr_worker_queue_batches') === 0 ? f : undefined;
    }, 10_000, 'wiki processed');
    expect(metric(before, 'ndr_worker_restarts_total')).toBe(0);

    s.signal('SIGUSR2');
    const died = await s.waitLog((l) => l.msg === 'worker died and was restarted; its flows and pending batches are lost');
    expect(died.shard).toBe(0);
    const lostFlows = died.lost_flows as number;
    expect(lostFlows).toBeGreaterThan(0);
    expect(lostFlows).toBeLessThan(wikiRef.length);
    const after = await until(async () => {
      const r = await httpGetIn(link.rxNs, port, '/readyz');
      const f = (await scrapeIn(link.rxNs, port)).families;
      // (the flows gauge is refreshed once a second)
      return r.status === 200 && metric(f, 'ndr_flows_active') === wikiRef.length - lostFlows ? f : undefined;
    }, 10_000, 'ready again, active flows without the lost ones');
    expect(metric(after, 'ndr_worker_restarts_total')).toBe(1);
    expect(metric(after, 'ndr_worker_lost_flows_total')).toBe(lostFlows);
    expect(metric(after, 'ndr_worker_lost_packets_total')).toBe(0); // nothing was pending

    // The new worker builds flows for later traffic, on both shards.
    await tcpreplayAsync(link.txNs, link.txIf, DCE, ['--topspeed']);
    await until(async () => ((await captured(link.rxNs, port, link.rxIf)) === sent + tsharkCount(DCE, 'frame') ? true : undefined), 10_000, 'dce captured');
    const exit = await s.stop();
    expect(exit.code, s.stderr).toBe(0);
    const got = readJsonLines(flowsOut);
    const gotWiki = got.filter((r) => wikiRef.some((w) => key(w) === key(r)));
    expect(gotWiki.length).toBe(wikiRef.length - lostFlows);
    expect(keys(got.filter((r) => !gotWiki.includes(r)))).toEqual(keys(dceRef));
    const stopped = s.logs.find((l) => l.msg === 'stopped')!;
    expect(stopped).toMatchObject({ worker_restarts: 1, lost_flows: lostFlows });
  }, 90_000);

  it('terminates and restarts a hung worker after limits.worker_hang_timeout, and keeps working', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-live-hang-'));
    const flowsOut = path.join(dir, 'flows.json');
    const cfg = path.join(dir, 'sensor.yaml');
    writeFileSync(cfg, 'limits:\n  worker_hang_timeout: 3\n');
    const link = fx.lab.addLink();
    const s = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--config', cfg, '--flows-out', flowsOut], { NDR_TEST_HOOKS: '1' });
    sensors.push(s);
    const port = await s.running();
    s.signal('SIGUSR1');
    const hookAt = Date.now();
    // The watchdog looks once a second: it acts between 3 and ~4 s after the hang.
    const hung = await s.waitLog((l) => l.msg === 'worker hung; terminating it (it is restarted)', 15_000);
    expect(hung.shard).toBe(0);
    expect(Date.now() - hookAt).toBeGreaterThanOrEqual(3000);
    const died = await s.waitLog((l) => l.msg === 'worker died and was restarted; its flows and pending batches are lost');
    expect(died.shard).toBe(0);
    const after = await until(async () => {
      const r = await httpGetIn(link.rxNs, port, '/readyz');
      return r.status === 200 ? (await scrapeIn(link.rxNs, port)).families : undefined;
    }, 10_000, 'ready again');
    expect(metric(after, 'ndr_worker_restarts_total')).toBe(1);
    // The new worker builds every flow of later traffic.
    const sent = await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed']);
    await until(async () => ((await captured(link.rxNs, port, link.rxIf)) === sent ? true : undefined), 10_000, 'wiki captured');
    const exit = await s.stop();
    expect(exit.code, s.stderr).toBe(0);
    expect(keys(readJsonLines(flowsOut))).toEqual(keys(wikiRef));
  }, 90_000);
});

if (skipReason !== undefined) {
  describe('live operations: SIGHUP, SIGTERM, worker restart (acceptance 4)', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}
