// Per-call and per-packet cost of the binding's dispatch() (sensor/capture/native).
//   node bench/dispatch.mjs FILE.pcap        offline: copy cost per packet at several packets/call
//   node bench/dispatch.mjs --empty          live, as root: cost of a call that finds no packet
//                                            (lo in a fresh namespace: no traffic)
import { execFileSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const here = path.dirname(new URL(import.meta.url).pathname);
const addon = createRequire(import.meta.url)(path.join(here, '..', 'sensor', 'capture', 'native', 'build', 'Release', 'ndr_pcap.node'));
const arg = process.argv[2];

const CHUNK = 64 << 20;
const data = new Uint8Array(new SharedArrayBuffer(CHUNK));
const ts = new Float64Array(1 << 17);
const meta = new Uint32Array(4 << 17);

if (arg === '--empty') {
  if (!process.env.NDR_IN_NS) {
    const ns = `ndrdisp${process.pid}`;
    execFileSync('ip', ['netns', 'add', ns]);
    try {
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      process.stdout.write(execFileSync('ip', ['netns', 'exec', ns, process.execPath, new URL(import.meta.url).pathname, '--empty'], { env: { ...process.env, NDR_IN_NS: '1' }, encoding: 'utf8' }));
    } finally {
      execFileSync('ip', ['netns', 'del', ns]);
    }
  } else {
    const c = new addon.Capture({ device: 'lo' });
    const N = 1_000_000;
    for (let i = 0; i < 10000; i++) c.dispatch(data, 0, ts, meta, 0, 8192);
    const t = process.hrtime.bigint();
    let got = 0;
    for (let i = 0; i < N; i++) got += c.dispatch(data, 0, ts, meta, 0, 8192);
    const ns = Number(process.hrtime.bigint() - t) / N;
    console.log(`empty live dispatch(): ${ns.toFixed(0)} ns/call (${got} packets seen)`);
    c.close();
  }
} else {
  const file = arg;
  for (const per of [1, 16, 256, 8192]) {
    let packets = 0;
    let calls = 0;
    const t = process.hrtime.bigint();
    const c = new addon.Capture({ file });
    let off = 0;
    for (;;) {
      const n = c.dispatch(data, off, ts, meta, 0, per);
      calls++;
      if (n === 0 && (c.eof || c.pendingLength === 0)) break;
      packets += n;
      off = n > 0 ? meta[(n - 1) * 4] + meta[(n - 1) * 4 + 1] : off;
      if (c.pendingLength > 0 || off > CHUNK - 262144) off = 0; // chunk full: start over (bench only)
    }
    c.close();
    const ns = Number(process.hrtime.bigint() - t);
    if (per === 8192) {
      // The capture is at end of file now: what is left is the call itself (argument checks, no I/O).
      const e = new addon.Capture({ file });
      while (e.dispatch(data, 0, ts, meta, 0, 8192) > 0 || !e.eof);
      const N = 1_000_000;
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < N; i++) e.dispatch(data, 0, ts, meta, 0, 8192);
      console.log(`bare dispatch() call (JS → C++ → JS, argument checks): ${(Number(process.hrtime.bigint() - t0) / N).toFixed(0)} ns/call`);
      e.close();
    }
    console.log(`offline ${String(per).padStart(5)} packets/call: ${packets} packets, ${(ns / packets).toFixed(0)} ns/packet, ${(ns / calls / 1000).toFixed(2)} µs/call, ${(packets / (ns / 1e9) / 1e6).toFixed(2)} Mpps`);
  }
}
