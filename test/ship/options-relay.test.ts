// Option parsing for replay/live outputs, the outputs factory end to end, and relay mode.
import { randomBytes } from 'node:crypto';
import dgram from 'node:dgram';
import { chmodSync, readdirSync } from 'node:fs';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { alertRecord, flowRecord } from '../../bench/synthetic.mjs';
import { Collector } from '../../sensor/ship/collector.js';
import { loadKeyFile } from '../../sensor/ship/keys.js';
import { OptionError, parseShipOptions, takeOutputArgs } from '../../sensor/ship/options.js';
import { createOutputs, registerShipperMetrics } from '../../sensor/ship/outputs.js';
import { Shipper } from '../../sensor/ship/shipper.js';
import { countBy, freePort, keyFile, readRecords, tmp, until } from './helpers.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

describe('parseShipOptions', () => {
  const d = tmp();
  const kf = keyFile(d);
  const parse = (argv: string[]) => parseShipOptions(takeOutputArgs(argv).values);

  it('splits our flags from the rest and parses them', () => {
    const { rest, values } = takeOutputArgs(['replay', 'x.pcap', '--ship', 'udp://127.0.0.1:9000', '--key-file', kf, '--flows-out', 'f.json', '--spool=/var/spool/ndr', '--drain-timeout', '5']);
    expect(rest).toEqual(['replay', 'x.pcap', '--flows-out', 'f.json']);
    const o = parseShipOptions(values);
    expect(o.ship).toMatchObject({ host: '127.0.0.1', port: 9000, spoolDir: '/var/spool/ndr', spoolMaxBytes: 1024 ** 3 });
    expect(o.ship!.keys.send.id).toBe('k1');
    expect(o.drainTimeoutMs).toBe(5000);
    expect(parse(['--syslog', 'tcp://[::1]:6514', '--syslog-format', 'cef', '--ipfix', 'nf.example:4739']))
      .toMatchObject({ syslog: { host: '::1', port: 6514, transport: 'tcp', format: 'cef' }, ipfix: { host: 'nf.example', port: 4739 } });
    expect(parse([]).drainTimeoutMs).toBe(30000);
  });

  it.each([
    [['--ship', '127.0.0.1:9000', '--key-file', 'k'], /--ship 127.0.0.1:9000: expected udp:\/\/HOST:PORT/],
    [['--ship', 'udp://127.0.0.1:9000'], /--ship needs --key-file FILE/],
    [['--ship', 'udp://127.0.0.1:0', '--key-file', 'k'], /--ship .*port must be 1-65535/],
    [['--ship', 'udp://127.0.0.1:9000', '--key-file', '/nonexistent/k'], /--key-file: .*ENOENT/],
    [['--spool', '/tmp/s'], /--spool only applies with --ship/],
    [['--drain-timeout', '-1'], /--drain-timeout -1: expected a non-negative number/],
    [['--drain-timeout', 'soon'], /--drain-timeout soon/],
    [['--ipfix', 'host'], /--ipfix host: expected HOST:PORT/],
    [['--syslog', 'udp://h:99999'], /--syslog h:99999: port must be/],
    [['--syslog', 'h:514', '--syslog-format', 'leef'], /--syslog-format leef: expected json or cef/],
    [['--syslog-format', 'cef'], /--syslog-format only applies with --syslog/],
    [['--ship'], /--ship needs a value/],
    [['--ipfix', 'a:1', '--ipfix', 'b:2'], /--ipfix given twice/],
  ])('%j → %s', (argv, re) => {
    expect(() => parse(argv)).toThrow(OptionError);
    expect(() => parse(argv)).toThrow(re);
  });

  it('refuses a group-readable key file naming --key-file', () => {
    const d2 = tmp();
    const k2 = keyFile(d2);
    chmodSync(k2, 0o640);
    expect(() => parse(['--ship', 'udp://127.0.0.1:9', '--key-file', k2])).toThrow(/--key-file: .*chmod 600/);
    expect(() => parse(['--ship', 'udp://127.0.0.1:9', '--key-file', kf, '--sensor-id', '../x'])).toThrow(/--sensor-id/);
  });
});

describe('createOutputs', () => {
  it('fans records out to collector, IPFIX and syslog, and reports at finish', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const c = new Collector({ host: '127.0.0.1', port: 0, outDir: `${dir}/out`, keys: loadKeyFile(kf), log: () => {} });
    await c.start();
    cleanups.push(() => c.close());
    const rx = dgram.createSocket('udp4');
    const got = { ipfix: 0, syslog: 0 };
    rx.on('message', (m) => (m.readUInt16BE(0) === 10 ? got.ipfix++ : got.syslog++));
    await new Promise<void>((r) => rx.bind(0, '127.0.0.1', () => r()));
    cleanups.push(() => { rx.close(); });
    const p = rx.address().port;
    const logs: string[] = [];
    const o = parseShipOptions(takeOutputArgs(['--ship', `udp://127.0.0.1:${c.port}`, '--key-file', kf, '--spool', `${dir}/spool`, '--sensor-id', 'fan', '--ipfix', `127.0.0.1:${p}`, '--syslog', `127.0.0.1:${p}`, '--drain-timeout', '10']).values);
    const out = await createOutputs(o, (m) => logs.push(m));
    const reg = new Registry();
    registerShipperMetrics(reg, out.shipper!.stats);
    for (let i = 0; i < 500; i++) out.flow(flowRecord(i, 'F'));
    for (let i = 0; i < 7; i++) out.alert(alertRecord(i, 'FA'));
    out.event({ _path: 'dns', ts: 1, uid: 'C1', query: 'pacs.example' });
    const rep = await out.finish();
    expect(rep.summary).toMatch(/^ship: all \d+ batch\(es\) \(508 records\) acknowledged$/);
    expect(readRecords(`${dir}/out`, 'fan', 'flows')).toHaveLength(500);
    expect(readRecords(`${dir}/out`, 'fan', 'alerts')).toHaveLength(7);
    expect(readRecords(`${dir}/out`, 'fan', 'events')).toEqual([{ _path: 'dns', ts: 1, uid: 'C1', query: 'pacs.example' }]);
    await until(() => got.syslog === 7 && got.ipfix > 0, 2000);
    expect(got.syslog).toBe(7);
    expect(out.ipfix!.stats.records).toBe(500);
    const m = await reg.metrics();
    expect(m).toMatch(/ndr_ship_records_acked_total 508/);
    expect(m).toMatch(/ndr_ship_spooled_batches 0/);
  });

  it('says what stays in the spool when the collector never answers', async () => {
    const dir = tmp();
    const kf = keyFile(dir);
    const logs: string[] = [];
    const o = parseShipOptions({ '--ship': 'udp://127.0.0.1:9', '--key-file': kf, '--spool': `${dir}/spool`, '--drain-timeout': '0.3' });
    const out = await createOutputs(o, (m) => logs.push(m));
    for (let i = 0; i < 100; i++) out.flow(flowRecord(i));
    const rep = await out.finish();
    expect(rep.summary).toMatch(/1 batch\(es\) unacknowledged after 0.3 s; 1 \(100 records\) stay in spool .*spool and go out first next start/);
    expect(readdirSync(`${dir}/spool`)).toHaveLength(1);
  });
});

describe('relay mode', () => {
  it('relays re-encrypted batches upstream, exactly once end to end, even when upstream starts late', async () => {
    const dir = tmp();
    const edgeKeys = keyFile(dir, undefined, 'edge-keys');
    const upKeys = keyFile(dir, [`up ${randomBytes(32).toString('hex')}`], 'up-keys');
    // The relay accepts the edge key and sends with the upstream key (first line).
    const relayKeys = keyFile(dir, [
      `up ${loadKeyFile(upKeys).send.key.toString('hex')}`,
      `k1 ${loadKeyFile(edgeKeys).send.key.toString('hex')}`,
    ], 'relay-keys');
    const upPort = await freePort();
    const relay = new Collector({ host: '127.0.0.1', port: 0, outDir: `${dir}/relay`, keys: loadKeyFile(relayKeys), forward: { host: '127.0.0.1', port: upPort }, log: () => {} });
    await relay.start();
    cleanups.push(() => relay.close());
    const s = new Shipper({ host: '127.0.0.1', port: relay.port, keys: loadKeyFile(edgeKeys), sensorId: 'edge', spoolDir: `${dir}/spool`, log: () => {} });
    await s.start();
    cleanups.push(() => void s.close());
    for (let i = 0; i < 5000; i++) s.push('flows', flowRecord(i, 'Y'));
    const r = await s.drain(10000);
    expect(r.spooled + r.unacked).toBe(0); // the relay acknowledged: it holds the batches durably
    expect(readdirSync(`${dir}/relay/.forward-spool`).length).toBeGreaterThan(0); // upstream not there yet
    // Upstream comes up: the relay's forward spool drains into it.
    const up = new Collector({ host: '127.0.0.1', port: upPort, outDir: `${dir}/up`, keys: loadKeyFile(upKeys), log: () => {} });
    await up.start();
    cleanups.push(() => up.close());
    await until(() => up.records === 5000 && readdirSync(`${dir}/relay/.forward-spool`).length === 0, 20000);
    for (const outDir of [`${dir}/relay`, `${dir}/up`]) {
      const recs = readRecords(outDir, 'edge', 'flows');
      expect(recs).toHaveLength(5000);
      expect([...countBy(recs, 'uid').values()].every((n) => n === 1)).toBe(true);
    }
    // The upstream saw the edge sensor's identity, not the relay's.
    expect(readdirSync(`${dir}/up`).filter((f) => !f.startsWith('.'))).toEqual(['edge']);
  });
});
