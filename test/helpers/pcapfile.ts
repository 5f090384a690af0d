/**
 * Minimal classic-pcap reader used as an independent reference in tests (it shares no code with
 * libpcap or the sensor's readers). Classic pcap only, both byte orders, µs or ns magic.
 */
import { readFileSync } from 'node:fs';

export interface PcapRecord {
  ts: number;
  caplen: number;
  wirelen: number;
  bytes: Buffer;
}

export interface PcapFile {
  linkType: number;
  records: PcapRecord[];
}

export function readClassicPcap(file: string): PcapFile {
  const b = readFileSync(file);
  const magicLE = b.readUInt32LE(0);
  let le: boolean;
  let nano: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nano = magicLE === 0xa1b23c4d;
  } else if (b.readUInt32BE(0) === 0xa1b2c3d4 || b.readUInt32BE(0) === 0xa1b23c4d) {
    le = false;
    nano = b.readUInt32BE(0) === 0xa1b23c4d;
  } else {
    throw new Error(`${file}: not a classic pcap file`);
  }
  const u32 = (o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
  const linkType = u32(20) & 0xffff;
  const records: PcapRecord[] = [];
  let o = 24;
  while (o + 16 <= b.length) {
    const caplen = u32(o + 8);
    if (o + 16 + caplen > b.length) break;
    records.push({
      ts: u32(o) + u32(o + 4) / (nano ? 1e9 : 1e6),
      caplen,
      wirelen: u32(o + 12),
      bytes: b.subarray(o + 16, o + 16 + caplen),
    });
    o += 16 + caplen;
  }
  return { linkType, records };
}
