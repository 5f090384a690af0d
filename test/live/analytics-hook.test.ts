/**
 * The analytics stage in `live`, on a veth in network namespaces made by the test:
 *  - through the stage hook (runLive(argv, { analytics })) with a stand-in stage
 *    (test/helpers/analytics-child.mjs): it gets every shard result with its capture clock, its
 *    alerts reach ndr_alerts_total and the SOC collector (`alerts` stream), its baseline size
 *    reaches ndr_baseline_hosts, SIGHUP hands it the new config — when it (or the analytics
 *    validator) refuses one, nothing else changes either (the BPF filter applied first is rolled
 *    back) — and SIGTERM lets it finish before shipping is drained;
 *  - the real stage (sensor/analytics-stage.ts) on a corpus capture with a known technique.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netnsSkipReason } from '../helpers/netns.js';
import { LiveSensor, labFixture, metric, readJsonLines, scrapeIn, tcpreplayAsync, until } from '../helpers/live-sensor.js';
import { repoRoot } from '../helpers/transpile.js';
import { BIN } from '../conformance/corpus.js';
import { keyFile, readRecords } from '../ship/helpers.js';

const WIKI = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus', 'zeek_wikipedia.pcap');
const CHILD = path.join(repoRoot, 'test', 'helpers', 'analytics-child.mjs');
const skipReason = netnsSkipReason();

describe.skipIf(skipReason !== undefined)('live analytics hook', () => {
  const fx = labFixture();
  const kids: { kill(s?: NodeJS.Signals): unknown }[] = [];
  // Runs before the fixture's teardown (vitest stacks after-hooks).
  afterAll(() => {
    for (const k of kids) k.kill('SIGKILL');
  });

  it('feeds the stage, counts and ships its alerts, hands it reloads (refusal rolls back), finishes it at SIGTERM', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-live-analytics-'));
    const cfg = path.join(dir, 'sensor.yaml');
    const base = 'sensor_id: hook-test\ntimeouts: { tcp: 2, tcp_close_delay: 1, tcp_attempt_delay: 1 }\n';
    writeFileSync(cfg, `${base}analytics: { timeZone: UTC }\n`);
    const kf = keyFile(dir);
    const coll = spawn('ip', ['netns', 'exec', fx.lab.rxNs, BIN, 'collect', '--listen', '127.0.0.1:47998', '--out', path.join(dir, 'out'), '--key-file', kf], { stdio: ['ignore', 'ignore', 'pipe'] });
    kids.push(coll);
    let collErr = '';
    coll.stderr!.on('data', (d: Buffer) => (collErr += d));
    await until(() => (collErr.includes('listening') ? true : undefined), 20_000, 'collector start');

    const link = fx.lab.addLink();
    const flowsOut = path.join(dir, 'flows.json');
    const seenFile = path.join(dir, 'seen.json');
    const s = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--config', cfg, '--flows-out', flowsOut,
      '--ship', 'udp://127.0.0.1:47998', '--key-file', kf], { NDR_ANALYTICS_OUT: seenFile }, [process.execPath, CHILD]);
    kids.push(s);
    const port = await s.running();
    const sent = await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed']);
    // The TCP flows expire (idle clock): one alert each, counted, baseline gauge follows the stage.
    const f = await until(async () => {
      const x = (await scrapeIn(link.rxNs, port)).families;
      // (the baseline gauge is refreshed once a second)
      return metric(x, 'ndr_alerts_total', { category: 'test', severity: '5' }) === 10 && metric(x, 'ndr_baseline_hosts')! >= 10 ? x : undefined;
    }, 15_000, '10 alerts (zeek_wikipedia.pcap has 10 TCP connections), baseline gauge');
    const written = readJsonLines(flowsOut).length;
    expect(metric(f, 'ndr_baseline_hosts')).toBeGreaterThanOrEqual(10);
    expect(metric(f, 'ndr_baseline_hosts')).toBeLessThanOrEqual(written);

    // A config the stage refuses: nothing changes, not even the filter that was applied before it.
    writeFileSync(cfg, `${base}capture: { bpf: udp }\nanalytics: { sensorId: refuse-me }\n`);
    s.signal('SIGHUP');
    const refused = await s.waitLog((l) => l.msg.startsWith('config reload failed'));
    expect(refused.err).toMatchObject({ message: 'analytics refuses this config' });
    await tcpreplayAsync(link.txNs, link.txIf, WIKI, ['--topspeed']);
    await until(async () => (metric((await scrapeIn(link.rxNs, port)).families, 'ndr_capture_packets_total', { interface: link.rxIf }) === 2 * sent ? true : undefined),
      10_000, 'every packet of the second replay (the udp filter was rolled back)');
    // An analytics section the analytics validator refuses (unknown key): refused before the stage sees it.
    writeFileSync(cfg, `${base}analytics: { timeZon: UTC }\n`);
    s.signal('SIGHUP');
    await until(() => (s.logs.filter((l) => l.msg.startsWith('config reload failed')).length === 2 ? true : undefined), 10_000, 'second refusal');
    expect(JSON.stringify(s.logs.filter((l) => l.msg.startsWith('config reload failed'))[1].err)).toMatch(/analytics\.timeZon: unknown key/);
    // One it takes.
    writeFileSync(cfg, `${base}analytics: { timeZone: Europe/Berlin }\n`);
    s.signal('SIGHUP');
    await s.waitLog((l) => l.msg === 'config reloaded');

    const exit = await s.stop();
    expect(exit.code, s.stderr).toBe(0);
    const seen = JSON.parse(readFileSync(seenFile, 'utf8'));
    const flows = readJsonLines(flowsOut);
    expect(seen).toMatchObject({ finished: true, initial: { timeZone: 'UTC' }, reloads: [{ timeZone: 'Europe/Berlin' }], flows: flows.length });
    expect(seen.alerts).toBe(flows.filter((r) => r.proto === 'tcp').length);
    // Alerts raised during the final flush were shipped too: shipping drains after the stage finished.
    const shipped = readRecords(path.join(dir, 'out'), 'hook-test', 'alerts');
    expect(shipped.length).toBe(seen.alerts);
    expect(shipped[0]).toMatchObject({ type: 'test-tcp', category: 'test', severity: 5 });
  }, 60_000);
});

if (skipReason !== undefined) {
  describe('live analytics hook', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}

describe.skipIf(skipReason !== undefined)('live with the analytics stage (sensor/analytics-stage.ts)', () => {
  const fx = labFixture();
  const { sensors } = fx;

  it('raises the "at" job alert from a live capture, counts it, and saves the baseline at SIGTERM', async () => {
    // sv_smb2-04_20171220_smb_at_schedule.pcap: an "at" job over \PIPE\atsvc (NetrJobAdd); tshark
    // names caller and scheduler host independently (as test/analytics/corpus.test.ts does for replay).
    const AT = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus', 'sv_smb2-04_20171220_smb_at_schedule.pcap');
    const t = spawnSync('tshark', ['-n', '-r', AT, '-Y', 'atsvc.opnum == 0 && dcerpc.pkt_type == 0', '-T', 'fields', '-e', 'ip.src', '-e', 'ip.dst'], { encoding: 'utf8' });
    const [src, dst] = t.stdout.trim().split('\t');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-live-at-'));
    const alertsOut = path.join(dir, 'alerts.json');
    const casesOut = path.join(dir, 'cases.json');
    const baseline = path.join(dir, 'baseline.json');
    // The alert comes with the connection's records: short TCP timeouts let it expire soon after the replay.
    const cfg = path.join(dir, 'sensor.yaml');
    writeFileSync(cfg, 'timeouts: { tcp: 2, tcp_close_delay: 1, tcp_attempt_delay: 1 }\n');
    const link = fx.lab.addLink();
    const s = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--config', cfg, '--alerts-out', alertsOut, '--cases-out', casesOut, '--baseline', baseline]);
    sensors.push(s);
    const port = await s.running();
    await tcpreplayAsync(link.txNs, link.txIf, AT, ['--topspeed']);
    const tA = Date.now();
    const f = await until(async () => {
      const x = (await scrapeIn(link.rxNs, port)).families;
      return (metric(x, 'ndr_alerts_total', { category: 'lateral-movement', severity: '7' }) ?? 0) +
        (metric(x, 'ndr_alerts_total', { category: 'lateral-movement', severity: '8' }) ?? 0) > 0 && metric(x, 'ndr_baseline_hosts')! > 0 ? x : undefined;
    }, 15_000, 'a lateral-movement alert of severity ≥ 7 counted, baseline hosts reported');
    console.log(`alert counted ${Date.now() - tA} ms after the replay`);
    expect(metric(f, 'ndr_baseline_hosts')).toBeGreaterThanOrEqual(2);
    const exit = await s.stop();
    expect(exit.code, s.stderr).toBe(0);
    const rt = readJsonLines(alertsOut).filter((a) => a.type === 'lm.remote_task');
    expect(rt).toHaveLength(1);
    expect(rt[0]).toMatchObject({ category: 'lateral-movement', mitre: ['T1053.002'], src, dst });
    expect(readJsonLines(casesOut).length).toBeGreaterThan(0);
    // The baseline was saved at SIGTERM and loads back.
    expect(statSync(baseline).size).toBeGreaterThan(0);
    const again = new LiveSensor(link.rxNs, ['--interface', link.rxIf, '--baseline', baseline]);
    sensors.push(again);
    await again.running();
    await again.waitLog((l) => l.msg === 'analytics running');
    expect(again.logs.find((l) => l.msg === 'analytics running')).toMatchObject({ baseline_status: 'loaded' });
    expect((await again.stop()).code).toBe(0);
  }, 60_000);
});
