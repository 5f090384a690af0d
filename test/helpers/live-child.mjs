// Child process for live-capture tests, run inside a network namespace with
// `ip netns exec NS node live-child.mjs`. It uses the transpiled sensor modules in
// NDR_MODULES (see transpile.ts). Protocol on stdio, one JSON object per line:
//   child → parent: {"ready":true,...} once the captures are open (and privileges dropped),
//                   {"error":...} if a capture fails, {"result":...} after STOP.
//   parent → child: "PAUSE", "RESUME", "STOP".
// After STOP it closes everything and must then exit on its own (no process.exit): that is
// what the close() test measures.
import readline from 'node:readline';
import { createHash } from 'node:crypto';

const opts = JSON.parse(process.env.NDR_CHILD_OPTS ?? '{}');
const mods = process.env.NDR_MODULES;
const { openLiveCaptures } = await import(`${mods}/sensor/capture/live.js`);
const { DuplicateDetector } = await import(`${mods}/sensor/capture/dedup.js`);
const { dropPrivileges } = await import(`${mods}/sensor/privileges.js`);

const metricsMod = opts.metrics ? await import(`${mods}/sensor/metrics/registry.js`) : undefined;
const serverMod = opts.metrics ? await import(`${mods}/sensor/metrics/server.js`) : undefined;

const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');
const records = [];
let packets = 0;
let batches = 0;
const errors = [];

let captures;
try {
  const dedup = opts.dedup ? new DuplicateDetector(opts.dedup) : undefined;
  captures = openLiveCaptures({ ...opts.capture, dedup });
  opts.dedupRef = dedup;
} catch (err) {
  send({ openError: { message: err.message, code: err.code } });
  process.exitCode = 3;
  process.stdin.destroy();
}

if (captures) {
  let server;
  if (opts.metrics) {
    // The appliance's wiring in miniature: each capture is a metrics source and a readiness check.
    const metrics = new metricsMod.SensorMetrics({ defaultMetrics: false });
    const readiness = {};
    for (const c of captures) {
      metrics.addCapture(c.interfaceName, c);
      readiness[`capture:${c.interfaceName}`] = () => c.isOpen || `capture failed: ${c.error?.message ?? 'closed'}`;
    }
    server = await serverMod.startMetricsServer({ metrics, port: 0, host: '127.0.0.1', readiness });
  }
  let dropped;
  if (opts.user) dropped = dropPrivileges(opts.user);
  for (const c of captures) {
    c.start(
      (batch) => {
        batches++;
        packets += batch.count;
        if (!opts.collect) return;
        const u8 = new Uint8Array(batch.data);
        for (let i = 0; i < batch.count; i++) {
          const off = batch.meta[i * 4];
          const caplen = batch.meta[i * 4 + 1];
          const bytes = u8.subarray(off, off + caplen);
          records.push({
            caplen,
            wirelen: batch.meta[i * 4 + 2],
            link: batch.meta[i * 4 + 3] & 0xffff,
            iface: batch.meta[i * 4 + 3] >>> 16,
            ts: batch.ts[i],
            sha1: createHash('sha1').update(bytes).digest('hex'),
          });
        }
      },
      (err, cap) => {
        errors.push({ iface: cap.interfaceName, message: err.message, code: err.code, isOpen: cap.isOpen });
        send({ error: errors[errors.length - 1] });
      },
    );
  }
  if (opts.startPaused) for (const c of captures) c.pause();
  send({
    ready: true,
    uid: process.getuid(),
    dropped,
    nanosecond: captures.map((c) => c.nanosecond),
    linkType: captures.map((c) => c.linkType),
    warning: captures.map((c) => c.warning),
    metricsPort: server?.port,
    now: Date.now() / 1000,
  });

  const rl = readline.createInterface({ input: process.stdin });
  rl.on('line', (line) => {
    if (line === 'PAUSE') for (const c of captures) c.pause();
    if (line === 'RESUME') for (const c of captures) c.resume();
    if (line === 'STOP') {
      // Packets still sitting in a partly filled kernel block are delivered by the block timeout;
      // the parent waits for that before it sends STOP.
      const counters = captures.map((c) => c.counters());
      const dd = opts.dedupRef;
      for (const c of captures) c.close();
      server?.close();
      send({
        result: {
          packets,
          batches,
          counters,
          records: opts.collect ? records : undefined,
          errors,
          isOpen: captures.map((c) => c.isOpen),
          dedup: dd ? { checked: dd.checked, duplicates: dd.duplicates } : undefined,
          closedAt: Date.now(),
        },
      });
      rl.close();
      process.stdin.destroy();
    }
  });
}
