// Per-packet cost of the duplicate detector (sensor/capture/dedup.ts), as the live path calls it:
// DuplicateDetector.filter() over a batch index, frames laid out in one SharedArrayBuffer chunk.
// Run after `npm run build`:  node bench/dedup.mjs
// Frames: Ethernet/IPv4/TCP with distinct IP IDs/seq numbers, sizes 60..1514; case "dup50"
// appends a VLAN-retagged copy after every frame (double SPAN), case "qinq" puts two tags in front.
import { DuplicateDetector } from '../dist/sensor/capture/dedup.js';

const N = 1 << 16;
function frame(i, size, tags) {
  const f = new Uint8Array(size + tags * 4);
  let p = 12;
  for (let t = 0; t < tags; t++) { f.set([0x81, 0x00, 0, 10 + t], p); p += 4; }
  f.set([0x08, 0x00], p); p += 2;
  f.set([0x45, 0, (size - 14) >> 8, (size - 14) & 0xff, i >> 8, i & 0xff, 0x40, 0, 64, 6, 0, 0, 10, 20, 1, i & 0xff, 10, 20, 2, (i >> 8) & 0xff], p);
  p += 20;
  f.set([0x30, 0x39, 0x01, 0xbb, i >>> 24, (i >>> 16) & 0xff, (i >>> 8) & 0xff, i & 0xff], p);
  for (let k = p + 8; k < f.length; k++) f[k] = (k * 31 + i) & 0xff;
  return f;
}

function build(kind) {
  const frames = [];
  for (let i = 0; i < N; i++) {
    const size = kind === 'small' ? 60 : kind === 'large' ? 1514 : [60, 66, 590, 1514][i & 3];
    const f = frame(i, size, kind === 'qinq' ? 2 : 0);
    frames.push(f);
    if (kind === 'dup50') {
      const c = new Uint8Array(f.length + 4);
      c.set(f.subarray(0, 12)); c.set([0x81, 0, 0, 99], 12); c.set(f.subarray(12), 16);
      frames.push(c);
    }
  }
  const total = frames.reduce((s, f) => s + f.length, 0);
  const data = new Uint8Array(new SharedArrayBuffer(total));
  const meta = new Uint32Array(frames.length * 4);
  const ts = new Float64Array(frames.length);
  let o = 0;
  frames.forEach((f, i) => { data.set(f, o); meta.set([o, f.length, f.length, 1], i * 4); o += f.length; });
  return { data, meta, ts, n: frames.length };
}

for (const kind of ['mixed', 'small', 'large', 'qinq', 'dup50']) {
  const { data, meta, ts, n } = build(kind);
  const det = new DuplicateDetector({ windowMs: 5 });
  let t0 = 1.7e9;
  const pass = () => { for (let i = 0; i < n; i++) ts[i] = t0 + i * 1e-6; t0 += 1; det.filter(data, ts, meta, 0, n); };
  for (let w = 0; w < 5; w++) pass(); // warm-up (JIT)
  const reps = 30;
  const s = process.hrtime.bigint();
  for (let r = 0; r < reps; r++) pass();
  const ns = Number(process.hrtime.bigint() - s) / (reps * n);
  console.log(`${kind.padEnd(6)} ${ns.toFixed(1)} ns/packet  (${(1000 / ns).toFixed(1)} Mpps one core)  dup ratio ${det.ratio().toFixed(3)} overwrites ${det.overwrites}`);
}
