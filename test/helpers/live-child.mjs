// Child process for live-capture tests, run inside a network namespace with
// `ip netns exec NS node live-child.mjs`. It runs the appliance wiring itself —
// parseLiveFlags + startLiveRuntime from sensor/live-runtime.ts (transpiled into NDR_MODULES,
// see transpile.ts) — with the flags in NDR_CHILD_OPTS.argv. Protocol, one JSON object per line:
//   child → parent: {"ready":true,...} once captures are open, the metrics endpoint listens and
//                   privileges are dropped; {"openError":...} if that fails; {"error":...} when a
//                   capture fails later; {"result":...} after STOP.
//   parent → child: "PAUSE", "RESUME", "STOP", "FILTER <expression>" (setFilter on every capture;
//                   answers {"filter":"ok"} or {"filter":"error","message":…}).
// After STOP it stops the runtime and must then exit on its own (no process.exit): that is what
// the close() test measures. Logs (JSON lines) go to stderr.
import readline from 'node:readline';
import { createHash } from 'node:crypto';

const opts = JSON.parse(process.env.NDR_CHILD_OPTS ?? '{}');
const mods = process.env.NDR_MODULES;
const { parseLiveFlags, startLiveRuntime } = await import(`${mods}/sensor/live-runtime.js`);

const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const records = [];
let packets = 0;
let batches = 0;
const errors = [];

function onBatch(batch) {
  batches++;
  packets += batch.count;
  if (!opts.collect) return;
  const u8 = new Uint8Array(batch.data);
  for (let i = 0; i < batch.count; i++) {
    const off = batch.meta[i * 4];
    const caplen = batch.meta[i * 4 + 1];
    records.push({
      caplen,
      wirelen: batch.meta[i * 4 + 2],
      link: batch.meta[i * 4 + 3] & 0xffff,
      iface: batch.meta[i * 4 + 3] >>> 16,
      ts: batch.ts[i],
      sha1: createHash('sha1').update(u8.subarray(off, off + caplen)).digest('hex'),
    });
  }
}

let rt;
try {
  const flags = parseLiveFlags([...opts.argv, '--metrics-port', '0', '--metrics-host', '127.0.0.1']);
  rt = await startLiveRuntime({
    flags,
    onBatch,
    onCaptureError: (err, cap) => {
      errors.push({ iface: cap.interfaceName, message: err.message, code: err.code, isOpen: cap.isOpen });
      send({ error: errors[errors.length - 1] });
    },
  });
} catch (err) {
  send({ openError: { message: err.message, code: err.code } });
  process.exitCode = 3;
  process.stdin.destroy();
}

if (rt) {
  if (opts.startPaused) rt.pause();
  send({
    ready: true,
    uid: process.getuid(),
    nanosecond: rt.captures.map((c) => c.nanosecond),
    linkType: rt.captures.map((c) => c.linkType),
    warning: rt.captures.map((c) => c.warning),
    metricsPort: rt.server.port,
  });

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', async (line) => {
    if (line === 'PAUSE') rt.pause();
    if (line === 'RESUME') rt.resume();
    if (line.startsWith('FILTER ')) {
      try {
        for (const c of rt.captures) c.setFilter(line.slice(7));
        send({ filter: 'ok' });
      } catch (err) {
        send({ filter: 'error', message: err.message });
      }
    }
    if (line === 'STOP') {
      // Packets still in a partly filled kernel block are delivered by the block timeout;
      // the parent waits for that before it sends STOP.
      const counters = rt.captures.map((c) => c.counters());
      const isOpen = rt.captures.map((c) => c.isOpen);
      const dd = rt.dedup;
      await rt.stop();
      send({
        result: {
          packets,
          batches,
          counters,
          records: opts.collect ? records : undefined,
          errors,
          isOpen,
          dedup: dd ? { checked: dd.checked, duplicates: dd.duplicates } : undefined,
          closedAt: Date.now(),
        },
      });
      rl.close();
      process.stdin.destroy();
    }
  });
}
