/**
 * The libpcap binding's copy path and error handling, through its offline mode (no root needed):
 * what dispatch() writes must equal an independent reading of the same file
 * (test/helpers/pcapfile.ts). Corpus files per ../shared/pcaps/MANIFEST.tsv.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadPcapAddon, type NativeCapture } from '../../sensor/capture/pcap-addon.js';
import { readClassicPcap } from '../helpers/pcapfile.js';
import { removeTranspiled, repoRoot, transpileToTemp } from '../helpers/transpile.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus');
const sha1 = (b: Uint8Array) => createHash('sha1').update(b).digest('hex');

interface Read {
  sha1: string[];
  caplen: number[];
  wirelen: number[];
  ts: number[];
  link: number[];
  calls: number;
}

/** Drains an offline capture through dispatch() with the given buffer sizes, like LiveCapture does. */
function drain(c: NativeCapture, chunkBytes: number, perCall: number): Read {
  const out: Read = { sha1: [], caplen: [], wirelen: [], ts: [], link: [], calls: 0 };
  let data = new Uint8Array(new SharedArrayBuffer(chunkBytes));
  const ts = new Float64Array(perCall + 3);
  const meta = new Uint32Array((perCall + 3) * 4);
  let off = 0;
  for (;;) {
    const n = c.dispatch(data, off, ts, meta, 3, perCall); // startIndex 3: offsets are honoured
    out.calls++;
    for (let i = 3; i < 3 + n; i++) {
      const o = meta[i * 4];
      out.sha1.push(sha1(data.subarray(o, o + meta[i * 4 + 1])));
      out.caplen.push(meta[i * 4 + 1]);
      out.wirelen.push(meta[i * 4 + 2]);
      out.link.push(meta[i * 4 + 3]);
      out.ts.push(ts[i]);
    }
    if (n > 0) off = meta[(2 + n) * 4] + meta[(2 + n) * 4 + 1];
    if (c.pendingLength > 0) {
      data = new Uint8Array(new SharedArrayBuffer(chunkBytes)); // chunk full: a new one
      off = 0;
      continue;
    }
    if (c.eof) return out;
  }
}

describe('ndr_pcap binding (offline mode)', () => {
  const addon = loadPcapAddon();

  it('copies every packet byte-exact with its lengths, timestamps and link word', () => {
    const file = path.join(corpus, 'zeek_wikipedia.pcap');
    const ref = readClassicPcap(file);
    const c = new addon.Capture({ file, iface: 7 });
    expect(c.linkType).toBe(1);
    const r = drain(c, 1 << 20, 1000);
    c.close();
    expect(r.sha1).toEqual(ref.records.map((x) => sha1(x.bytes)));
    expect(r.caplen).toEqual(ref.records.map((x) => x.caplen));
    expect(r.wirelen).toEqual(ref.records.map((x) => x.wirelen));
    expect(r.ts).toEqual(ref.records.map((x) => x.ts));
    expect(new Set(r.link)).toEqual(new Set([1 | (7 << 16)]));
  });

  it('keeps nanosecond timestamps of a nanosecond file', () => {
    const file = path.join(corpus, 'zeek_vntag.pcap'); // MANIFEST: pcap LE nsec, 3 packets
    const ref = readClassicPcap(file);
    const c = new addon.Capture({ file });
    expect(c.nanosecond).toBe(true);
    const r = drain(c, 1 << 20, 100);
    c.close();
    expect(r.ts).toHaveLength(3);
    r.ts.forEach((t, i) => expect(Math.abs(t - ref.records[i].ts)).toBeLessThan(1e-6));
    // Sub-microsecond digits are there (the file's fractions are not multiples of 1000 ns).
    expect(ref.records.some((x) => Math.round((x.ts % 1) * 1e9) % 1000 !== 0)).toBe(true);
  });

  it('holds back a packet that does not fit and delivers it first into the next chunk', () => {
    const file = path.join(corpus, 'zeek_wikipedia.pcap');
    const ref = readClassicPcap(file);
    const c = new addon.Capture({ file });
    const r = drain(c, 4096, 7); // tiny chunk and index: many rotations, nothing lost or reordered
    c.close();
    expect(r.sha1).toEqual(ref.records.map((x) => sha1(x.bytes)));
    expect(r.calls).toBeGreaterThan(20);
  });

  it('hands over the complete records of a truncated file, then reports the truncation', () => {
    const file = path.join(corpus, 'sv_http-mime-truncated_input.pcap'); // MANIFEST: 2696 complete records
    const c = new addon.Capture({ file });
    const data = new Uint8Array(new SharedArrayBuffer(16 << 20));
    const ts = new Float64Array(10000);
    const meta = new Uint32Array(40000);
    const n = c.dispatch(data, 0, ts, meta, 0, 10000);
    expect(n).toBe(2696);
    expect(() => c.dispatch(data, 0, ts, meta, 0, 10000)).toThrow(/libpcap read failed: truncated dump file/);
    c.close();
  });

  it('rejects bad arguments and bad files with clear errors, never crashes', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-native-'));
    const garbage = path.join(dir, 'garbage.pcap');
    writeFileSync(garbage, Buffer.from('this is not a capture file at all'));
    expect(() => new addon.Capture({ file: garbage })).toThrow(/cannot open capture file/);
    expect(() => new addon.Capture({ file: path.join(dir, 'missing.pcap') })).toThrow(/No such file/);
    expect(() => new addon.Capture({} as never)).toThrow(/exactly one of options.device or options.file/);
    expect(() => new addon.Capture({ device: 'x', snaplen: 10 })).toThrow(RangeError);
    expect(() => new addon.Capture({ file: garbage, filter: 1 } as never)).toThrow(/cannot open|must be a string/);

    const c = new addon.Capture({ file: path.join(corpus, 'zeek_wikipedia.pcap') });
    const d = new Uint8Array(100);
    const ts = new Float64Array(4);
    const meta = new Uint32Array(16);
    expect(() => c.dispatch({} as never, 0, ts, meta, 0, 1)).toThrow(TypeError);
    expect(() => c.dispatch(d, 0, new Float32Array(4) as never, meta, 0, 1)).toThrow(TypeError);
    expect(() => c.dispatch(d, 101, ts, meta, 0, 1)).toThrow(RangeError);
    expect(() => c.dispatch(d, 0, ts, meta, 3, 2)).toThrow(RangeError); // index past ts
    expect(() => c.dispatch(d, 0, ts, new Uint32Array(7), 0, 2)).toThrow(RangeError); // meta too short
    expect(() => c.dispatch(d, Number.NaN, ts, meta, 0, 1)).toThrow(RangeError);
    expect(() => c.start(() => {})).toThrow(/offline capture has no selectable fd/);
    expect(() => c.setFilter('tcp port banana')).toThrow(/invalid BPF filter "tcp port banana"/);
    c.close();
    c.close(); // idempotent
    expect(c.isOpen).toBe(false);
    expect(() => c.dispatch(d, 0, ts, meta, 0, 1)).toThrow(/capture is closed/);
    expect(() => c.stats()).toThrow(/capture is closed/);
  });

  it('applies a BPF filter to an offline file', () => {
    const file = path.join(corpus, 'zeek_wikipedia.pcap');
    const c = new addon.Capture({ file, filter: 'arp' });
    const r = drain(c, 1 << 20, 1000);
    c.close();
    // tshark's protocol hierarchy for this file: arp frames:6
    expect(r.sha1).toHaveLength(6);
  });
});

describe('lazy loading', () => {
  const dir = transpileToTemp(['sensor/capture/pcap-addon.ts', 'sensor/capture/live.ts', 'sensor/capture/batch.ts', 'sensor/capture/dedup.ts']);
  afterAll(() => removeTranspiled(dir));

  it('importing live.ts needs no addon; opening a capture without it fails with a clear message', () => {
    // The transpiled copy has no native build beside it and NDR_PCAP_ADDON points nowhere:
    // a machine where the native build failed.
    const js = `
      const { LiveCapture } = await import('${dir}/sensor/capture/live.js');
      console.log('imported');
      try { new LiveCapture({ interface: 'eth0' }); } catch (e) { console.log(e.code + ': ' + e.message); }`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', js], {
      encoding: 'utf8',
      env: { ...process.env, NDR_PCAP_ADDON: '/nonexistent/ndr_pcap.node' },
    });
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^imported\nENOPCAPADDON: live capture is unavailable: the libpcap binding was not built/);
    expect(r.stdout).toContain('libpcap-dev');
  });

  // Hiding the headers needs a private mount namespace, so root (CI runs as root).
  const notRoot = process.getuid?.() !== 0;
  it.skipIf(notRoot)(`a build without libpcap headers warns and succeeds, or fails when NDR_REQUIRE_NATIVE=1${notRoot ? ' (skipped: needs root for unshare -m)' : ''}`, () => {
    const hide = (extra: string) =>
      spawnSync('unshare', ['-m', 'sh', '-c', `mount -t tmpfs none /usr/include/pcap && ${extra} node ${path.join(repoRoot, 'sensor/capture/native/build.mjs')}`], {
        encoding: 'utf8',
        // CI exports NDR_REQUIRE_NATIVE=1 for the real build; the soft case must not inherit it.
        env: Object.fromEntries(Object.entries(process.env).filter(([k]) => k !== 'NDR_REQUIRE_NATIVE')),
      });
    const soft = hide('');
    expect(soft.status).toBe(0);
    expect(soft.stderr).toMatch(/libpcap headers \(pcap\/pcap.h\) are missing: package libpcap-dev/);
    expect(soft.stderr).toMatch(/Replay works; `ndr-sensor live` will not/);
    const hard = hide('NDR_REQUIRE_NATIVE=1');
    expect(hard.status).toBe(1);
  });
});
