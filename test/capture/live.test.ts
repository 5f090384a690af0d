/**
 * Live capture through the project's libpcap binding, on veth pairs between network namespaces
 * created by the test (as root; CI runs as root). tcpreplay sends a corpus capture into one end,
 * a child process captures the other end with LiveCapture, and the result is compared with the
 * file as read by an independent reader (test/helpers/pcapfile.ts) and by capinfos/tshark.
 *
 * Corpus: ../shared/pcaps/corpus/zeek_wikipedia.pcap (MANIFEST.tsv: 136 packets, Ethernet,
 * ARP/STP/DNS/HTTP over IPv4+IPv6), zeek_dns53.pcap for the second interface.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CaptureChild, type Msg } from '../helpers/child.js';
import { NetnsLab, netnsSkipReason } from '../helpers/netns.js';
import { readClassicPcap, type PcapRecord } from '../helpers/pcapfile.js';
import { parsePrometheusText } from '../helpers/promtext.js';
import { removeTranspiled, repoRoot, transpileToTemp } from '../helpers/transpile.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus');
const WIKI = path.join(corpus, 'zeek_wikipedia.pcap');
const DNS = path.join(corpus, 'zeek_dns53.pcap');
const ADDON = path.join(repoRoot, 'sensor', 'capture', 'native', 'build', 'Release', 'ndr_pcap.node');

const skipReason = netnsSkipReason();

function sha1(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex');
}

function capinfos(file: string): { packets: number; dataBytes: number } {
  const out = execFileSync('capinfos', ['-M', '-c', '-d', file], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return {
    packets: Number(/Number of packets:\s+(\d+)/.exec(out)![1]),
    dataBytes: Number(/Data size:\s+(\d+) bytes/.exec(out)![1]),
  };
}

/** Frame numbers (1-based) that tshark's display filter selects: an independent filter engine. */
function tsharkFrames(file: string, displayFilter: string): number[] {
  const out = execFileSync('tshark', ['-n', '-r', file, '-Y', displayFilter, '-T', 'fields', '-e', 'frame.number'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  return out.split('\n').filter(Boolean).map(Number);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Longer than the capture's block timeout (timeoutMs 50), so partly filled blocks are delivered. */
const SETTLE_MS = 400;

describe.skipIf(skipReason !== undefined)('LiveCapture on veth in network namespaces', () => {
  let lab: NetnsLab;
  let modules: string;
  const children: CaptureChild[] = [];
  const wiki = readClassicPcap(WIKI);

  function child(rxNs: string, options: Msg, prefix?: string[]): CaptureChild {
    const c = new CaptureChild({ ns: rxNs, modules, options, addon: ADDON, prefix });
    children.push(c);
    return c;
  }

  beforeAll(() => {
    modules = transpileToTemp([
      'sensor/capture/batch.ts',
      'sensor/capture/dedup.ts',
      'sensor/capture/live.ts',
      'sensor/capture/pcap-addon.ts',
      'sensor/privileges.ts',
      'sensor/metrics/registry.ts',
      'sensor/metrics/server.ts',
      'sensor/log.ts',
      'sensor/live-runtime.ts',
    ]);
    lab = new NetnsLab();
  });

  afterAll(() => {
    for (const c of children) c.kill();
    lab?.destroy();
    if (modules) removeTranspiled(modules);
  });

  function scrape(ns: string, port: number) {
    const r = lab.httpGet(ns, port, '/metrics');
    expect(r.status).toBe(200);
    return parsePrometheusText(r.body);
  }
  const sampleFor = (fams: ReturnType<typeof parsePrometheusText>, name: string, iface: string) =>
    fams.get(name)?.samples.find((s) => s.labels.interface === iface)?.value;

  it('captures exactly the replayed packets, bytes and per-packet contents, with capture timestamps', async () => {
    const ref = capinfos(WIKI);
    expect(wiki.records.length).toBe(ref.packets); // the independent reader agrees with capinfos
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf, '--timeout-ms', '50'], collect: true });
    const ready = await c.ready();
    expect(ready.linkType).toEqual([1]);
    const before = Date.now() / 1000;
    const { sent } = lab.replay(link, WIKI, ['--topspeed']);
    expect(sent).toBe(ref.packets);
    await sleep(SETTLE_MS);
    const after = Date.now() / 1000;
    const res = await c.stop();

    expect(res.packets).toBe(ref.packets);
    const recs = res.records as Array<{ caplen: number; wirelen: number; ts: number; sha1: string; link: number; iface: number }>;
    expect(recs.map((r) => r.sha1)).toEqual(wiki.records.map((r) => sha1(r.bytes)));
    expect(recs.map((r) => r.caplen)).toEqual(wiki.records.map((r) => r.caplen));
    expect(recs.map((r) => r.wirelen)).toEqual(wiki.records.map((r) => r.wirelen));
    expect(recs.reduce((s, r) => s + r.caplen, 0)).toBe(ref.dataBytes);
    expect(res.counters[0].packets).toBe(ref.packets);
    expect(res.counters[0].bytes).toBe(ref.dataBytes);
    expect(res.counters[0].kernelDrops).toBe(0);
    expect(recs.every((r) => r.link === 1 && r.iface === 0)).toBe(true);

    // Capture timestamps: taken now by the kernel, in order, not the file's 2011 times.
    for (let i = 0; i < recs.length; i++) {
      expect(recs[i].ts).toBeGreaterThanOrEqual(before - 0.001);
      expect(recs[i].ts).toBeLessThanOrEqual(after);
      if (i > 0) expect(recs[i].ts).toBeGreaterThanOrEqual(recs[i - 1].ts);
    }
    expect(Math.abs(recs[0].ts - wiki.records[0].ts)).toBeGreaterThan(86400 * 365);
    // Sub-microsecond digits exist when libpcap delivers nanoseconds (it does on Linux).
    expect(ready.nanosecond).toEqual([true]);

    const exit = await c.exited;
    expect(exit.code).toBe(0);
  });

  it('applies a BPF filter in the kernel: only the packets tshark selects arrive', async () => {
    const frames = tsharkFrames(WIKI, 'tcp.port == 80 || udp.port == 53');
    expect(frames.length).toBeGreaterThan(50);
    const expected = frames.map((n) => sha1(wiki.records[n - 1].bytes));
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf, '--bpf', 'tcp port 80 or udp port 53'], collect: true });
    await c.ready();
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    expect((res.records as Array<{ sha1: string }>).map((r) => r.sha1)).toEqual(expected);
  });

  it('rejects an invalid BPF filter with a clear error', async () => {
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf, '--bpf', 'tcp port banana'] });
    const m = await c.waitFor((x) => x.openError !== undefined || x.ready === true);
    expect(m.openError?.code).toBe('EBPF');
    expect(m.openError?.message).toContain('invalid BPF filter "tcp port banana"');
    expect((await c.exited).code).toBe(3);
  });

  it('fails clearly on an interface that does not exist', async () => {
    const c = child(lab.rxNs, { argv: ['--interface', 'nosuchif0'] });
    const m = await c.waitFor((x) => x.openError !== undefined || x.ready === true);
    expect(m.openError?.code).toBe('ENODEV');
    expect(m.openError?.message).toContain('nosuchif0');
  });

  it('counts kernel drops when a tiny ring overflows while the process does not read', async () => {
    const link = lab.addLink();
    const c = child(link.rxNs, {
      argv: ['--interface', link.rxIf, '--buffer-mb', '1', '--snaplen', '2048'],
      startPaused: true,
    });
    const ready = await c.ready();
    const loops = 400;
    const { sent } = lab.replay(link, WIKI, ['--topspeed', `--loop=${loops}`]);
    expect(sent).toBe(wiki.records.length * loops);
    c.send('RESUME');
    await sleep(SETTLE_MS);
    // The drops reach Prometheus: ndr_capture_kernel_drops_total is pcap_stats, not a guess.
    const fams = scrape(link.rxNs, ready.metricsPort);
    const res = await c.stop();
    const k = res.counters[0];
    expect(fams.get('ndr_capture_kernel_drops_total')?.type).toBe('counter');
    expect(sampleFor(fams, 'ndr_capture_kernel_drops_total', link.rxIf)).toBe(k.kernelDrops);
    expect(sampleFor(fams, 'ndr_capture_packets_total', link.rxIf)).toBe(res.packets);
    expect(k.kernelDrops).toBeGreaterThan(0);
    expect(res.packets).toBeGreaterThan(0);
    // Every packet sent was either delivered or counted as dropped: nothing vanished silently.
    expect(res.packets + k.kernelDrops).toBe(sent);
    expect(k.received).toBe(sent);
  });

  it('close() releases everything: the process exits on its own within a second', async () => {
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf] });
    await c.ready();
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    expect(res.packets).toBe(wiki.records.length);
    const exit = await Promise.race([c.exited, sleep(3000).then(() => undefined)]);
    expect(exit, 'child still running 3 s after close()').toBeDefined();
    expect(exit!.code).toBe(0);
    expect(exit!.at - res.closedAt).toBeLessThan(1000);
  });

  it('reports an error, stops being open and fails /readyz when the interface disappears', async () => {
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf] });
    const ready = await c.ready();
    const before = lab.httpGet(link.rxNs, ready.metricsPort, '/readyz');
    expect(before.status).toBe(200);
    expect(sampleFor(scrape(link.rxNs, ready.metricsPort), 'ndr_capture_up', link.rxIf)).toBe(1);
    lab.removeLink(link);
    const m = await c.waitFor((x) => x.error !== undefined, 5000);
    expect(m.error.isOpen).toBe(false);
    expect(m.error.message).toMatch(/libpcap read failed/);
    const after = lab.httpGet(link.rxNs, ready.metricsPort, '/readyz');
    expect(after.status).toBe(503);
    expect(JSON.parse(after.body).checks[`capture:${link.rxIf}`]).toMatchObject({ ok: false });
    expect(sampleFor(scrape(link.rxNs, ready.metricsPort), 'ndr_capture_up', link.rxIf)).toBe(0);
    const res = await c.stop();
    expect(res.isOpen).toEqual([false]);
  });

  it('reopens the capture when the interface comes back, and captures again with counters continued', async () => {
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf], collect: true });
    const ready = await c.ready();
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    lab.removeLink(link);
    await c.waitFor((x) => x.error !== undefined, 5000);
    expect(lab.httpGet(link.rxNs, ready.metricsPort, '/readyz').status).toBe(503);
    // Gone for a while: the first attempt (after 1 s) fails, the next (2 s later) finds it back.
    await sleep(1500);
    lab.restoreLink(link);
    const t0 = Date.now();
    let readyz = 0;
    while (Date.now() - t0 < 10_000) {
      readyz = lab.httpGet(link.rxNs, ready.metricsPort, '/readyz').status;
      if (readyz === 200) break;
      await sleep(200);
    }
    expect(readyz, 'capture not reopened within 10 s of the interface coming back').toBe(200);
    const fams = scrape(link.rxNs, ready.metricsPort);
    expect(sampleFor(fams, 'ndr_capture_reopens_total', link.rxIf)).toBe(1);
    expect(sampleFor(fams, 'ndr_capture_up', link.rxIf)).toBe(1);
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    expect(res.isOpen).toEqual([true]);
    expect(res.counters[0].packets).toBe(2 * wiki.records.length);
    expect(res.counters[0].kernelDrops).toBe(0);
    expect(res.counters[0].reopens).toBe(1);
    // Every packet of both replays, the second one after the reopen, byte for byte.
    const recs = res.records as Array<{ sha1: string }>;
    const once = wiki.records.map((r) => sha1(r.bytes));
    expect(recs.map((r) => r.sha1)).toEqual([...once, ...once]);
    expect(c.stderr).toMatch(/"msg":"capture reopen failed"/);
    expect(c.stderr).toMatch(/"msg":"capture reopened"/);
    expect((await c.exited).code).toBe(0);
  });

  it('a filter set while the interface is gone applies once the capture has reopened', async () => {
    const frames = tsharkFrames(WIKI, 'udp.port == 53');
    expect(frames.length).toBeGreaterThan(10);
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf], collect: true });
    const ready = await c.ready();
    lab.removeLink(link);
    await c.waitFor((x) => x.error !== undefined, 5000);
    c.send('FILTER udp port 53');
    expect((await c.waitFor((x) => x.filter !== undefined, 5000)).filter).toBe('ok');
    lab.restoreLink(link);
    const t0 = Date.now();
    while (Date.now() - t0 < 10_000 && lab.httpGet(link.rxNs, ready.metricsPort, '/readyz').status !== 200) await sleep(200);
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    expect(res.counters[0].reopens).toBe(1);
    const recs = res.records as Array<{ sha1: string }>;
    expect(recs.map((r) => r.sha1)).toEqual(frames.map((n) => sha1(wiki.records[n - 1].bytes)));
  });

  it('keeps capturing after dropping privileges to an unprivileged user', async () => {
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf, '--user', 'nobody'] });
    const ready = await c.ready();
    expect(ready.uid).toBe(65534); // nobody
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    expect(res.packets).toBe(wiki.records.length);
    expect((await c.exited).code).toBe(0);
  });

  it('runs unprivileged with only CAP_NET_RAW as an ambient capability (the systemd unit), and not without it', async () => {
    const link = lab.addLink();
    const nobody = ['setpriv', '--reuid=nobody', '--regid=nogroup', '--clear-groups'];
    const withCap = child(link.rxNs, { argv: ['--interface', link.rxIf] }, [...nobody, '--inh-caps=+net_raw', '--ambient-caps=+net_raw']);
    const ready = await withCap.ready();
    expect(ready.uid).not.toBe(0);
    lab.replay(link, WIKI, ['--topspeed']);
    await sleep(SETTLE_MS);
    expect((await withCap.stop()).packets).toBe(wiki.records.length);

    const without = child(link.rxNs, { argv: ['--interface', link.rxIf] }, nobody);
    const m = await without.waitFor((x) => x.openError !== undefined || x.ready === true);
    expect(m.openError?.code).toBe('EPERM');
    expect(m.openError?.message).toContain('CAP_NET_RAW');
  });

  it('captures several interfaces at once, tagging each packet with its interface index', async () => {
    const a = lab.addLink();
    const b = lab.addLink();
    const dns = readClassicPcap(DNS);
    const c = child(a.rxNs, { argv: ['--interface', a.rxIf, '--interface', b.rxIf], collect: true });
    await c.ready();
    lab.replay(a, WIKI, ['--topspeed']);
    lab.replay(b, DNS, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    const recs = res.records as Array<{ iface: number; sha1: string }>;
    expect(recs.filter((r) => r.iface === 0).map((r) => r.sha1)).toEqual(wiki.records.map((r) => sha1(r.bytes)));
    expect(recs.filter((r) => r.iface === 1).map((r) => r.sha1)).toEqual(dns.records.map((r) => sha1(r.bytes)));
    expect(res.counters.map((k: Msg) => k.packets)).toEqual([wiki.records.length, dns.records.length]);
  });

  it('detects and drops double-SPAN copies (VLAN-retagged, TTL-decremented) on the live path', async () => {
    // Frames whose network-layer bytes repeat in the file (periodic STP/ARP) are genuine repeats
    // only when seconds apart; replayed at top speed they would fall into one window, so keep one.
    const seen = new Set<string>();
    const originals = wiki.records.filter((r) => {
      const k = sha1(r.bytes.subarray(14));
      if (seen.has(k)) return false;
      seen.add(k);
      return true;
    });
    expect(originals.length).toBeGreaterThan(120);
    // Each frame followed by the copy a second SPAN session after routing would give.
    const file = writeDoubledPcap(originals);
    const link = lab.addLink();
    const c = child(link.rxNs, { argv: ['--interface', link.rxIf, '--dedup=drop', '--dedup-window-ms', '5'], collect: true });
    await c.ready();
    lab.replay(link, file, ['--topspeed']);
    await sleep(SETTLE_MS);
    const res = await c.stop();
    expect(res.dedup.checked).toBe(originals.length * 2);
    expect(res.dedup.duplicates).toBe(originals.length);
    expect(res.packets).toBe(originals.length);
    expect((res.records as Array<{ sha1: string }>).map((r) => r.sha1)).toEqual(originals.map((r) => sha1(r.bytes)));
  });
});

if (skipReason !== undefined) {
  describe('LiveCapture on veth in network namespaces', () => {
    it.skip(`skipped: ${skipReason}`, () => {});
  });
}

/** Writes a pcap where every frame is followed by a copy with an 802.1Q tag inserted and TTL/hop limit - 1. */
function writeDoubledPcap(records: PcapRecord[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-dedup-'));
  const parts: Buffer[] = [];
  const gh = Buffer.alloc(24);
  gh.writeUInt32LE(0xa1b2c3d4, 0);
  gh.writeUInt16LE(2, 4);
  gh.writeUInt16LE(4, 6);
  gh.writeUInt32LE(262144, 16);
  gh.writeUInt32LE(1, 20);
  parts.push(gh);
  let usec = 0;
  const rec = (frame: Buffer, at: number) => {
    const h = Buffer.alloc(16);
    h.writeUInt32LE(1_000_000 + Math.floor(at / 1e6), 0);
    h.writeUInt32LE(at % 1e6, 4);
    h.writeUInt32LE(frame.length, 8);
    h.writeUInt32LE(frame.length, 12);
    parts.push(h, frame);
  };
  for (const r of records) {
    const orig = Buffer.from(r.bytes);
    const copy = Buffer.concat([orig.subarray(0, 12), Buffer.from([0x81, 0x00, 0x00, 0x64]), orig.subarray(12)]);
    const et = (orig[12] << 8) | orig[13];
    if (et === 0x0800) {
      copy[18 + 8] = (copy[18 + 8] - 1) & 0xff; // TTL
      copy[18 + 10] ^= 0x5a; // header checksum changes with it
    } else if (et === 0x86dd) {
      copy[18 + 7] = (copy[18 + 7] - 1) & 0xff; // hop limit
    }
    rec(orig, usec);
    rec(copy, usec + 20);
    usec += 10_000;
  }
  const file = path.join(dir, 'doubled.pcap');
  writeFileSync(file, Buffer.concat(parts));
  return file;
}
