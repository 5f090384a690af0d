/**
 * Classic pcap through the real reader (CaptureFileReader + ChunkPool): byte orders, µs/ns
 * magic, link-type field bits, damaged files (cut records, absurd caplen with resynchronisation,
 * invalid nanoseconds, empty and non-capture files) and several files read as one stream.
 * Files are built with test/helpers/capture-writer.ts, so the expected records are known exactly.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { PcapngWriter, concat, pcapFile, pcapHeader, type PcapRecord } from '../helpers/capture-writer.js';
import { readCapture, tempDir } from '../helpers/read-capture.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function frame(n: number, seed: number): Uint8Array {
  const b = new Uint8Array(n);
  for (let i = 0; i < n; i++) b[i] = (seed * 31 + i) & 0xff;
  return b;
}

function records(n: number, sizeOf = (i: number) => 60 + (i % 50)): PcapRecord[] {
  return Array.from({ length: n }, (_, i) => ({ sec: 1_700_000_000 + i, frac: (i * 37_003) % 1_000_000, data: frame(sizeOf(i), i) }));
}

describe('byte orders and timestamp resolutions', () => {
  it.each([
    ['little-endian µs', { le: true, nano: false }],
    ['big-endian µs', { le: false, nano: false }],
    ['little-endian ns', { le: true, nano: true }],
    ['big-endian ns', { le: false, nano: true }],
  ])('%s: every record, timestamp, length and byte', async (_n, o) => {
    const recs: PcapRecord[] = [
      { sec: 1_000_000_000, frac: 0, data: frame(60, 1) },
      { sec: 1_000_000_001, frac: o.nano ? 999_999_999 : 999_999, data: frame(1514, 2) },
      { sec: 0xfffffff0, frac: o.nano ? 123_456_789 : 123_456, data: frame(100, 3), wirelen: 9000 }, // snaplen cut
      { sec: 1_000_000_002, frac: 1, data: frame(1, 4) },
    ];
    const f = tmp.file(`order-${o.le}-${o.nano}.pcap`, pcapFile({ le: o.le, nano: o.nano, linktype: 113 }, recs));
    const r = await readCapture([f], { keepData: true });
    expect(r.count).toBe(4);
    expect(r.damage.total).toBe(0);
    const div = o.nano ? 1e9 : 1e6;
    r.records.forEach((got, i) => {
      const want = recs[i];
      expect(got.ts).toBeCloseTo(want.sec + want.frac / div, 6);
      expect(got.caplen).toBe(want.data.length);
      expect(got.wirelen).toBe(want.wirelen ?? want.data.length);
      expect(got.linktype).toBe(113);
      expect(got.iface).toBe(0);
      expect(Array.from(got.data!)).toEqual(Array.from(want.data));
    });
  });

  it('a zero-length record is delivered as such', async () => {
    const f = tmp.file('zero-len.pcap', pcapFile({}, [{ sec: 1, frac: 0, data: new Uint8Array(0), wirelen: 60 }, { sec: 2, frac: 0, data: frame(10, 1) }]));
    const r = await readCapture([f]);
    expect(r.records.map((x) => [x.caplen, x.wirelen])).toEqual([[0, 60], [10, 10]]);
  });
});

describe('link-type field', () => {
  it('reserved upper bits are masked off and counted', async () => {
    const f = tmp.file('lt-bits.pcap', pcapFile({ linktype: 0x00ab0001 }, records(3)));
    const r = await readCapture([f]);
    expect(r.count).toBe(3);
    expect(r.records.every((x) => x.linktype === 1)).toBe(true);
    expect(r.damage.linktypeUpperBits).toBe(1);
  });

  it('FCS-present bits: the FCS (here 4 bytes) is cut from full-length records', async () => {
    const lt = (0x04000000 | (2 << 28) | 1) >>> 0; // F bit + FCS length 2 × 16 bits
    const f = tmp.file('fcs.pcap', pcapFile({ linktype: lt }, [{ sec: 1, frac: 0, data: frame(64, 1) }, { sec: 2, frac: 0, data: frame(40, 2), wirelen: 64 }]));
    const r = await readCapture([f]);
    expect(r.damage.linktypeUpperBits).toBe(0);
    expect(r.records.map((x) => [x.linktype, x.caplen, x.wirelen])).toEqual([[1, 60, 64], [1, 40, 64]]);
  });
});

describe('damaged pcap files', () => {
  const recs = records(20);
  const whole = pcapFile({}, recs);
  const offsets: number[] = [];
  let o = 24;
  for (const r of recs) { offsets.push(o); o += 16 + r.data.length; }

  it('cut inside a record header: earlier records delivered, the cut one counted', async () => {
    const f = tmp.file('cut-hdr.pcap', whole.subarray(0, offsets[7] + 9));
    const r = await readCapture([f]);
    expect(r.count).toBe(7);
    expect(r.damage.truncatedRecords).toBe(1);
    expect(r.damage.total).toBe(1);
  });

  it('cut inside record data', async () => {
    const f = tmp.file('cut-data.pcap', whole.subarray(0, offsets[12] + 16 + 5));
    const r = await readCapture([f]);
    expect(r.count).toBe(12);
    expect(r.damage.truncatedRecords).toBe(1);
    expect(r.damage.notes.join('\n')).toMatch(/last record cut/);
  });

  it('absurd caplen: the reader resynchronises and recovers every record after the damage', async () => {
    const bad = whole.slice();
    const dv = new DataView(bad.buffer);
    dv.setUint32(offsets[5] + 8, 0x7fffffff, true); // record 5 claims 2 GB
    const f = tmp.file('absurd.pcap', bad);
    const r = await readCapture([f]);
    // record 5 itself is lost (its length is unknown), 0-4 and 6-19 are intact
    expect(r.count).toBe(19);
    expect(r.records.map((x) => x.ts)).toEqual(recs.filter((_, i) => i !== 5).map((x) => x.sec + x.frac / 1e6));
    expect(r.damage.badRecordHeaders).toBe(1);
    expect(r.damage.resyncs).toBe(1);
    expect(r.damage.bytesSkipped).toBe(16 + recs[5].data.length);
    expect(r.damage.abandonedFiles).toBe(0);
  });

  it('a garbage block between records is skipped byte-exactly', async () => {
    const garbage = new Uint8Array(5000).fill(0xff);
    const f = tmp.file('garbage.pcap', concat([whole.subarray(0, offsets[10]), garbage, whole.subarray(offsets[10])]));
    const r = await readCapture([f]);
    expect(r.count).toBe(20);
    expect(r.damage.resyncs).toBe(1);
    expect(r.damage.bytesSkipped).toBe(5000);
  });

  it('garbage longer than the resync window: rest of file abandoned, counted, no hang', async () => {
    const garbage = new Uint8Array(3_000_000).fill(0xff);
    const f = tmp.file('garbage-long.pcap', concat([whole.subarray(0, offsets[10]), garbage, whole.subarray(offsets[10])]));
    for (const chunkBytes of [1 << 20, 4 << 20]) {
      const r = await readCapture([f], { chunkBytes });
      expect(r.count).toBe(10);
      expect(r.damage.abandonedFiles).toBe(1);
      expect(r.damage.badRecordHeaders).toBe(1);
      expect(r.damage.bytesSkipped).toBe(1 << 20);
    }
  }, 15_000);

  it('damage counters do not depend on where chunk boundaries fall', async () => {
    const bad = pcapFile({}, records(4000, () => 900));
    const dv = new DataView(bad.buffer);
    // three absurd headers spread over the file, each followed by a 300 KB garbage run
    const parts: Uint8Array[] = [];
    let last = 0;
    for (const at of [24 + 916 * 700, 24 + 916 * 1900, 24 + 916 * 3100]) {
      dv.setUint32(at + 8, 0xfffffff0, true);
      parts.push(bad.subarray(last, at + 16), new Uint8Array(300_000).fill(0xee));
      last = at + 16;
    }
    parts.push(bad.subarray(last));
    const f = tmp.file('multi-damage.pcap', concat(parts));
    const a = await readCapture([f], { chunkBytes: 1 << 20 });
    const b = await readCapture([f], { chunkBytes: 16 << 20 });
    expect(a.damage.toJSON()).toEqual(b.damage.toJSON());
    expect(a.count).toBe(b.count);
    expect(a.count).toBe(4000 - 3);
    expect(a.damage.badRecordHeaders).toBe(3);
    expect(a.damage.resyncs).toBe(3);
    expect(a.damage.bytesSkipped).toBe(3 * (16 + 300_000 + 900)); // bad header, garbage, its data
  });

  it('nanoseconds ≥ 1e9 are counted; the record is still delivered', async () => {
    const f = tmp.file('bad-nano.pcap', pcapFile({ nano: true }, [
      { sec: 10, frac: 5, data: frame(60, 1) },
      { sec: 10, frac: 1_500_000_000, data: frame(60, 2) },
      { sec: 11, frac: 0xffffffff, data: frame(60, 3) },
      { sec: 12, frac: 0, data: frame(60, 4) },
    ]));
    const r = await readCapture([f]);
    expect(r.count).toBe(4);
    expect(r.damage.badTimestamps).toBe(2);
    expect(r.damage.resyncs).toBe(0);
  });

  it('zero packets: header only is a clean, empty file', async () => {
    const r = await readCapture([tmp.file('empty-capture.pcap', pcapHeader())]);
    expect(r.count).toBe(0);
    expect(r.damage.total).toBe(0);
  });

  it('empty file, short file, text file: unreadable, counted, no records', async () => {
    for (const [name, bytes] of [
      ['empty.pcap', new Uint8Array(0)],
      ['short.pcap', new Uint8Array([0xd4, 0xc3])],
      ['short-header.pcap', pcapHeader().subarray(0, 20)],
      ['text.pcap', new TextEncoder().encode('this is not a capture file\n'.repeat(100))],
    ] as const) {
      const r = await readCapture([tmp.file(name, bytes)]);
      expect(r.count, name).toBe(0);
      expect(r.damage.unreadableFiles, name).toBe(1);
    }
  });
});

describe('several files as one stream', () => {
  it('pcap + pcapng + pcap: in order, interface numbers continue across files', async () => {
    const a = records(5);
    const c = records(3);
    const f1 = tmp.file('m1.pcap', pcapFile({ linktype: 1 }, a));
    const ng = new PcapngWriter().shb().idb(113, { tsresol: 9 }).idb(101).epb(1, 5_000_000n, frame(40, 1)).epb(0, 6_000_000_000n, frame(50, 2));
    const f2 = tmp.file('m2.pcapng', ng.bytes());
    const f3 = tmp.file('m3.pcap', pcapFile({ le: false, linktype: 101 }, c));
    const unreadable = tmp.file('m-text.pcap', new TextEncoder().encode('nope'));
    const r = await readCapture([f1, unreadable, f2, f3]);
    expect(r.count).toBe(10);
    expect(r.records.map((x) => [x.linktype, x.iface])).toEqual([
      ...a.map(() => [1, 0]),
      [101, 2], [113, 1],
      ...c.map(() => [101, 3]),
    ]);
    expect(r.records[5].ts).toBeCloseTo(5, 9);
    expect(r.records[6].ts).toBeCloseTo(6, 9);
    expect(r.damage.unreadableFiles).toBe(1);
  });
});

