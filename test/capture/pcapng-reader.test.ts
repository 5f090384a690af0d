/**
 * pcapng through the real reader: several sections with a byte-order change, several
 * interfaces per section with different link types, if_tsresol (10^-6, 10^-9, 2^-n) and
 * if_tsoffset, EPB/SPB/obsolete PB, unknown and known-but-unused blocks, and damaged framing.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter, concat, u32 } from '../helpers/capture-writer.js';
import { readCapture, tempDir } from '../helpers/read-capture.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function frame(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 17 + i * 3) & 0xff;
  return b;
}

describe('sections, interfaces, resolutions', () => {
  it('two sections (LE then BE), five interfaces, every timestamp resolution and offset', async () => {
    const w = new PcapngWriter()
      .shb(true)
      .idb(1, { snaplen: 65535 }) // 0: Ethernet, default µs
      .idb(113, { tsresol: 9 }) // 1: SLL, ns
      .block(4, concat([u32(0, true)])) // name resolution block (known, unused)
      .epb(0, 1_700_000_000_123_456n, frame(60, 1))
      .epb(1, 1_700_000_001_987_654_321n, frame(70, 2), 1500)
      .block(0x00000abc, new Uint8Array(16)) // unknown block type
      .epb(0, 1_700_000_002_000_001n, frame(80, 3))
      .shb(false)
      .idb(101, { tsresol: 0x80 | 10 }) // 2: raw IP, 2^-10 s
      .idb(228, { tsresol: 3, tsoffset: 1_000_000_000n }) // 3: IPv4, ms + offset
      .idb(0, { tsresol: 6 }) // 4: null, explicit µs
      .epb(0, 1024n * 1_650_000_000n + 512n, frame(90, 4)) // x.5 s
      .epb(1, 700_000_123n, frame(100, 5)) // 700000.123 s + 1e9 offset
      .pb(2, 5_000_001n, frame(110, 6), 200)
      .block(5, new Uint8Array(20)) // interface statistics block (known, unused)
      .epb(2, 42n, frame(1, 7));
    const r = await readCapture([tmp.file('sections.pcapng', w.bytes())], { keepData: true });
    expect(r.damage.total).toBe(0);
    expect(r.damage.unknownBlocks).toBe(1);
    expect(r.records.map((x) => [x.linktype, x.iface, x.caplen, x.wirelen])).toEqual([
      [1, 0, 60, 60],
      [113, 1, 70, 1500],
      [1, 0, 80, 80],
      [101, 2, 90, 90],
      [228, 3, 100, 100],
      [0, 4, 110, 200],
      [0, 4, 1, 1],
    ]);
    const ts = r.records.map((x) => x.ts);
    expect(ts[0]).toBeCloseTo(1_700_000_000.123456, 6);
    expect(ts[1]).toBeCloseTo(1_700_000_001.987654321, 6);
    expect(ts[2]).toBeCloseTo(1_700_000_002.000001, 6);
    expect(ts[3]).toBe(1_650_000_000.5);
    expect(ts[4]).toBeCloseTo(1_000_700_000.123, 6);
    expect(ts[5]).toBeCloseTo(5.000001, 9);
    expect(ts[6]).toBeCloseTo(0.000042, 9);
    expect(Array.from(r.records[5].data!)).toEqual(Array.from(frame(110, 6)));
  });

  it('nanosecond timestamps near 2^61 units split exactly (no loss before the final double)', async () => {
    const units = 2_199_023_255_552_123_456_789n; // ~2.2e21 ns would not fit; use < 2^64
    const ns = units % (1n << 64n);
    const w = new PcapngWriter().shb().idb(1, { tsresol: 9 }).epb(0, ns, frame(60, 1));
    const r = await readCapture([tmp.file('big-ns.pcapng', w.bytes())]);
    const want = Number(ns / 1_000_000_000n) + Number(ns % 1_000_000_000n) / 1e9;
    expect(r.records[0].ts).toBe(want);
  });

  it('simple packet blocks: interface 0, length from the block, snaplen applied, previous timestamp', async () => {
    const w = new PcapngWriter().shb().idb(1, { snaplen: 64 })
      .epb(0, 3_000_000n, frame(60, 1))
      .spb(frame(100, 2), 1000) // caplen = min(block data 100, snaplen 64)
      .spb(frame(30, 3)); // padded to 32 in the block; wirelen 30 limits it
    const r = await readCapture([tmp.file('spb.pcapng', w.bytes())], { keepData: true });
    expect(r.records.map((x) => [x.caplen, x.wirelen, x.iface])).toEqual([[60, 60, 0], [64, 1000, 0], [30, 30, 0]]);
    expect(r.records[1].ts).toBe(3);
    expect(Array.from(r.records[2].data!)).toEqual(Array.from(frame(30, 3)));
  });

  it('interface numbers restart per section but stay unique in the packet index', async () => {
    const w = new PcapngWriter()
      .shb().idb(1).epb(0, 1n, frame(60, 1))
      .shb().idb(113).epb(0, 2n, frame(60, 2));
    const r = await readCapture([tmp.file('restart.pcapng', w.bytes())]);
    expect(r.records.map((x) => [x.linktype, x.iface])).toEqual([[1, 0], [113, 1]]);
  });
});

describe('damaged pcapng files', () => {
  const good = () => new PcapngWriter().shb().idb(1);

  it('EPB naming an undefined interface is counted and skipped; later packets are read', async () => {
    const w = good().epb(0, 1n, frame(60, 1)).epb(7, 2n, frame(60, 2)).epb(0, 3n, frame(60, 3));
    const r = await readCapture([tmp.file('bad-iface.pcapng', w.bytes())]);
    expect(r.count).toBe(2);
    expect(r.damage.badInterfaceIds).toBe(1);
  });

  it('packet block before any IDB (SPB and PB too)', async () => {
    const w = new PcapngWriter().shb().spb(frame(20, 1)).pb(0, 1n, frame(20, 2)).idb(1).epb(0, 1n, frame(20, 3));
    const r = await readCapture([tmp.file('no-idb.pcapng', w.bytes())]);
    expect(r.count).toBe(1);
    expect(r.damage.badInterfaceIds).toBe(2);
  });

  it('EPB caplen larger than its block is a bad header; the block is skipped by its length', async () => {
    const w = good().epb(0, 1n, frame(60, 1), 60, 5000).epb(0, 2n, frame(60, 2));
    const r = await readCapture([tmp.file('epb-caplen.pcapng', w.bytes())]);
    expect(r.count).toBe(1);
    expect(r.damage.badRecordHeaders).toBe(1);
    expect(r.damage.resyncs).toBe(0);
  });

  it('impossible block length (not a multiple of 4): resynchronised at the next block', async () => {
    const before = good().epb(0, 1n, frame(60, 1)).bytes();
    const broken = new PcapngWriter().epb(0, 2n, frame(60, 2)).bytes();
    new DataView(broken.buffer).setUint32(4, 0x12345, true);
    const after = new PcapngWriter().epb(0, 3n, frame(60, 3)).epb(0, 4n, frame(60, 4)).bytes();
    const r = await readCapture([tmp.file('bad-len.pcapng', concat([before, broken, after]))]);
    expect(r.records.map((x) => x.ts * 1e6)).toEqual([1, 3, 4].map((x) => expect.closeTo(x, 6)));
    expect(r.damage.badRecordHeaders).toBe(1);
    expect(r.damage.resyncs).toBe(1);
    expect(r.damage.bytesSkipped).toBe(broken.length);
  });

  it('trailing length differing from the leading one: resynchronised', async () => {
    const before = good().epb(0, 1n, frame(60, 1)).bytes();
    const broken = new PcapngWriter().epb(0, 2n, frame(60, 2)).bytes();
    new DataView(broken.buffer).setUint32(broken.length - 4, 16, true);
    const after = new PcapngWriter().epb(0, 3n, frame(60, 3)).bytes();
    const r = await readCapture([tmp.file('bad-trailer.pcapng', concat([before, broken, after]))]);
    expect(r.count).toBe(2);
    expect(r.damage.badRecordHeaders).toBe(1);
    expect(r.damage.resyncs).toBe(1);
  });

  it('block length of 2 GB on a packet block: resynchronised, nothing allocated from it', async () => {
    const before = good().epb(0, 1n, frame(60, 1)).bytes();
    const broken = new PcapngWriter().epb(0, 2n, frame(60, 2)).bytes();
    new DataView(broken.buffer).setUint32(4, 0x7ffffffc, true);
    const after = new PcapngWriter().epb(0, 3n, frame(60, 3)).bytes();
    const r = await readCapture([tmp.file('huge-len.pcapng', concat([before, broken, after]))]);
    expect(r.count).toBe(2);
    expect(r.damage.badRecordHeaders).toBe(1);
  });

  it('a large unknown block is skipped by seeking, not buffered', async () => {
    const big = new Uint8Array(3 << 20);
    const w = good().epb(0, 1n, frame(60, 1)).block(0x0000abcd, big).epb(0, 2n, frame(60, 2));
    const r = await readCapture([tmp.file('big-unknown.pcapng', w.bytes())], { chunkBytes: 1 << 20 });
    expect(r.count).toBe(2);
    expect(r.damage.unknownBlocks).toBe(1);
    expect(r.damage.total).toBe(0);
    expect(r.bytesRead).toBeLessThan(2 << 20); // the 3 MiB block was seeked over
  });

  it('long garbage run after damage with small chunks: abandoned, no hang', async () => {
    const before = good().epb(0, 1n, frame(60, 1)).bytes();
    const garbage = new Uint8Array(3_000_000).fill(0x11);
    const after = new PcapngWriter().epb(0, 3n, frame(60, 3)).bytes();
    const r = await readCapture([tmp.file('long-garbage.pcapng', concat([before, garbage, after]))], { chunkBytes: 1 << 20 });
    expect(r.count).toBe(1);
    expect(r.damage.abandonedFiles).toBe(1);
    expect(r.damage.badRecordHeaders).toBe(1);
  }, 15_000);

  it('cut inside the last block, and inside a block header', async () => {
    const w = good().epb(0, 1n, frame(60, 1)).epb(0, 2n, frame(60, 2)).bytes();
    let r = await readCapture([tmp.file('cut-block.pcapng', w.subarray(0, w.length - 10))]);
    expect(r.count).toBe(1);
    expect(r.damage.truncatedRecords).toBe(1);
    r = await readCapture([tmp.file('cut-header.pcapng', w.subarray(0, w.length - 92 + 6))]);
    expect(r.count).toBe(1);
    expect(r.damage.truncatedRecords).toBe(1);
  });

  it('first block not a section header, bad byte-order magic, header-only files', async () => {
    const noShb = new PcapngWriter().idb(1).bytes();
    const fake = concat([new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a]), noShb]);
    let r = await readCapture([tmp.file('no-shb.pcapng', fake)]);
    expect(r.damage.unreadableFiles).toBe(1);
    const badBom = new PcapngWriter().shb().idb(1).bytes();
    badBom[8] = 0x99;
    r = await readCapture([tmp.file('bad-bom.pcapng', badBom)]);
    expect(r.damage.unreadableFiles).toBe(1);
    r = await readCapture([tmp.file('shb-only.pcapng', new PcapngWriter().shb().idb(1).bytes())]);
    expect(r.count).toBe(0);
    expect(r.damage.total).toBe(0);
    r = await readCapture([tmp.file('magic-only.pcapng', new Uint8Array([0x0a, 0x0d, 0x0d, 0x0a, 0, 0]))]);
    expect(r.count).toBe(0);
    expect(r.damage.unreadableFiles + r.damage.truncatedRecords).toBeGreaterThan(0);
  });
});
