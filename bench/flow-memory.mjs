#!/usr/bin/env node
// Memory per active flow: fills a flow table with N concurrent flows (TCP handshakes, real frames
// through the production decoder) and reports heap + typed-array bytes per flow.
// Usage: npm run build && node --expose-gc bench/flow-memory.mjs [N]
import { FlowTable, defaultFlowTableConfig } from '../dist/models/flow/flow-table.js';
import { NetworkSet } from '../dist/models/net/networks.js';
import { Packet } from '../dist/parsers/packet.js';
import { decodeFrame } from '../dist/parsers/decode.js';

const N = Number(process.argv[2] ?? 200000);
const gc = globalThis.gc ?? (() => {});
function frame(i, flags, seq, ack, fromClient) {
  const b = new Uint8Array(54);
  b.set([0, 1, 2, 3, 4, 5, 0, 1, 2, 3, 4, 6, 0x08, 0x00], 0);
  b[14] = 0x45; b[16] = 0; b[17] = 40; b[22] = 64; b[23] = 6;
  const c = [10, 1 + (i >>> 16), (i >>> 8) & 255, i & 255];
  const s = [10, 200, 0, 1];
  b.set(fromClient ? c : s, 26); b.set(fromClient ? s : c, 30);
  const sp = fromClient ? 40000 : 445, dp = fromClient ? 445 : 40000;
  b[34] = sp >> 8; b[35] = sp & 255; b[36] = dp >> 8; b[37] = dp & 255;
  const w = (x, o) => { b[o] = x >>> 24; b[o + 1] = (x >>> 16) & 255; b[o + 2] = (x >>> 8) & 255; b[o + 3] = x & 255; };
  w(seq, 38); w(ack, 42); b[46] = 0x50; b[47] = flags; b[48] = 0xff; b[49] = 0xff;
  return b;
}
const cfg = { ...defaultFlowTableConfig(), maxFlows: N + 16, activeTimeout: 0 };
const table = new FlowTable(cfg, NetworkSet.of(['10.0.0.0/8']), () => {});
const pkt = new Packet();
gc(); gc();
const m0 = process.memoryUsage();
for (let i = 0; i < N; i++) {
  for (const [flags, seq, ack, c] of [[0x02, 100, 0, true], [0x12, 500, 101, false], [0x10, 101, 501, true]]) {
    const f = frame(i, flags, seq, ack, c);
    pkt.reset(f, 0, f.length, f.length);
    decodeFrame(pkt, 1);
    table.process(pkt, 1000 + i * 1e-6);
  }
}
gc(); gc();
const m1 = process.memoryUsage();
const heap = (m1.heapUsed - m0.heapUsed) / N;
const ab = (m1.arrayBuffers - m0.arrayBuffers) / N;
console.log(`${N} active TCP flows: ${table.active} in table; per flow: ${heap.toFixed(0)} B JS heap + ${ab.toFixed(0)} B typed arrays = ${(heap + ab).toFixed(0)} B (RSS delta ${((m1.rss - m0.rss) / N).toFixed(0)} B)`);
