/**
 * DuplicateDetector on real corpus frames (zeek_wikipedia.pcap, zeek_dns53.pcap via the
 * independent pcap reader) and on constructed double-SPAN copies.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { META_WORDS } from '../../sensor/capture/batch.js';
import { DuplicateDetector } from '../../sensor/capture/dedup.js';
import { readClassicPcap, type PcapRecord } from '../helpers/pcapfile.js';
import { repoRoot } from '../helpers/transpile.js';

const corpus = path.resolve(repoRoot, '..', 'shared', 'pcaps', 'corpus');
const wiki = readClassicPcap(path.join(corpus, 'zeek_wikipedia.pcap')).records;

/** Lays frames out in one shared chunk as a capture would; returns the chunk and their offsets. */
function layout(frames: Uint8Array[]): { data: Uint8Array; offs: number[] } {
  const total = frames.reduce((s, f) => s + f.length, 0);
  const data = new Uint8Array(new SharedArrayBuffer(total + 16));
  const offs: number[] = [];
  let o = 3; // odd offset on purpose: packets are not aligned in a real chunk
  for (const f of frames) {
    data.set(f, o);
    offs.push(o);
    o += f.length;
  }
  return { data, offs };
}

function vlanTag(frame: Uint8Array, vid: number, tpid = 0x8100): Uint8Array {
  const out = new Uint8Array(frame.length + 4);
  out.set(frame.subarray(0, 12), 0);
  out.set([tpid >> 8, tpid & 0xff, (vid >> 8) & 0x0f, vid & 0xff], 12);
  out.set(frame.subarray(12), 16);
  return out;
}

/** Routed copy: other MACs, TTL/hop limit - 1, IPv4 checksum changed. */
function routed(frame: Uint8Array): Uint8Array {
  const out = Uint8Array.from(frame);
  out.fill(0xee, 0, 12);
  let p = 12;
  while (((out[p] << 8) | out[p + 1]) === 0x8100) p += 4;
  const et = (out[p] << 8) | out[p + 1];
  if (et === 0x0800) {
    out[p + 2 + 8]--;
    out[p + 2 + 10] ^= 0xff;
  } else if (et === 0x86dd) {
    out[p + 2 + 7]--;
  }
  return out;
}

function run(det: DuplicateDetector, frames: Uint8Array[], times: number[]): boolean[] {
  const { data, offs } = layout(frames);
  return frames.map((f, i) => det.isDuplicate(data, offs[i], f.length, f.length, 1, times[i]));
}

describe('DuplicateDetector', () => {
  it('finds every double-SPAN copy: VLAN retag, QinQ, routed (MAC/TTL/checksum changed)', () => {
    const det = new DuplicateDetector({ windowMs: 5 });
    const frames: Uint8Array[] = [];
    const times: number[] = [];
    const expectDup: boolean[] = [];
    let t = 1700000000;
    wiki.forEach((r, i) => {
      const copy = [vlanTag(r.bytes, 30), vlanTag(vlanTag(r.bytes, 40), 7, 0x88a8), routed(vlanTag(r.bytes, 40))][i % 3];
      frames.push(r.bytes, copy);
      times.push(t, t + 0.0003);
      expectDup.push(false, true);
      t += 1; // originals a second apart: periodic STP/ARP repeats are genuine new packets
    });
    expect(run(det, frames, times)).toEqual(expectDup);
    expect(det.duplicates).toBe(wiki.length);
    expect(det.checked).toBe(wiki.length * 2);
    expect(det.ratio()).toBe(0.5);
    expect(det.overwrites).toBe(0);
  });

  it('treats a copy outside the window as a new packet (a retransmission is not a SPAN duplicate)', () => {
    const det = new DuplicateDetector({ windowMs: 2 });
    const f = wiki[20].bytes;
    expect(run(det, [f, f, f], [100, 100.0019, 100.5])).toEqual([false, true, false]);
  });

  it('reports no duplicates on distinct real traffic at its own timing', () => {
    // Every frame in these files is a distinct packet in time (repeats are seconds apart).
    for (const name of ['zeek_wikipedia.pcap', 'zeek_dns53.pcap', 'zeek_dhcp_dhcp.pcap']) {
      const recs: PcapRecord[] = readClassicPcap(path.join(corpus, name)).records;
      const det = new DuplicateDetector();
      run(det, recs.map((r) => r.bytes), recs.map((r) => r.ts));
      expect(det.duplicates, name).toBe(0);
    }
  });

  it('does not match packets that differ only past the first 64 L3 bytes when the transport checksum differs', () => {
    const big = wiki.find((r) => r.caplen > 600)!.bytes;
    const other = Uint8Array.from(big);
    other[other.length - 1] ^= 1; // payload change ...
    const ipStart = 14;
    const ihl = (other[ipStart] & 0x0f) * 4;
    other[ipStart + ihl + 16] ^= 1; // ... and the TCP checksum that covers it
    const det = new DuplicateDetector();
    expect(run(det, [big, other], [1, 1.0001])).toEqual([false, false]);
  });

  it('drop mode compacts the batch index in place, keeping the first copy', () => {
    const frames = [wiki[0].bytes, vlanTag(wiki[0].bytes, 5), wiki[1].bytes, wiki[2].bytes, routed(wiki[2].bytes)];
    const { data, offs } = layout(frames);
    const ts = new Float64Array([1, 1.0001, 1.0002, 1.0003, 1.0004]);
    const meta = new Uint32Array(frames.length * META_WORDS);
    frames.forEach((f, i) => meta.set([offs[i], f.length, f.length, 1], i * META_WORDS));
    const det = new DuplicateDetector({ drop: true });
    const n = det.filter(data, ts, meta, 0, frames.length);
    expect(n).toBe(3);
    expect(Array.from(ts.subarray(0, 3))).toEqual([1, 1.0002, 1.0003]);
    expect(Array.from(meta.subarray(0, 12))).toEqual([offs[0], frames[0].length, frames[0].length, 1, offs[2], frames[2].length, frames[2].length, 1, offs[3], frames[3].length, frames[3].length, 1]);
  });

  it('count-only mode leaves the batch alone', () => {
    const frames = [wiki[0].bytes, vlanTag(wiki[0].bytes, 5)];
    const { data, offs } = layout(frames);
    const meta = new Uint32Array([offs[0], frames[0].length, frames[0].length, 1, offs[1], frames[1].length, frames[1].length, 1]);
    const det = new DuplicateDetector();
    expect(det.filter(data, new Float64Array([1, 1.0001]), meta, 0, 2)).toBe(2);
    expect(det.duplicates).toBe(1);
  });

  it('stays bounded when the table is too small: overwrites are counted, nothing throws', () => {
    const det = new DuplicateDetector({ slots: 16, probes: 4 });
    const frames = wiki.slice(0, 100).map((r) => r.bytes);
    run(det, frames, frames.map((_, i) => 1 + i * 1e-6));
    expect(det.overwrites).toBeGreaterThan(0);
    expect(det.checked).toBe(100);
  });

  it('survives truncated and odd frames', () => {
    const det = new DuplicateDetector();
    const odd = [new Uint8Array(0), new Uint8Array(5), Uint8Array.from([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 0x81, 0x00, 0, 1]), wiki[3].bytes.subarray(0, 20)];
    const { data, offs } = layout(odd);
    for (const lt of [1, 0, 101, 113, 276, 9999]) {
      odd.forEach((f, i) => det.isDuplicate(data, offs[i], f.length, f.length + 100, lt, 5));
    }
    expect(det.checked).toBe(24);
  });

  it('rejects nonsense options', () => {
    expect(() => new DuplicateDetector({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new DuplicateDetector({ slots: 1 << 30 })).toThrow(RangeError);
  });
});
