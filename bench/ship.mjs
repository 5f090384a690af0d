// Shipping benchmark (not a test): flow records pushed into a Shipper, shipped over loopback to one
// collector in a separate process, until every batch is acknowledged.
// Run after `npx tsc -p .`:  node bench/ship.mjs [--records N] [--spool] [--fsync-ms N]
// Prints records/s (pushed → acknowledged) and the sensor-side CPU cost per record.
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { flowRecord } from './synthetic.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { Shipper } = await import(join(root, 'dist/sensor/ship/shipper.js'));
const { loadKeyFile } = await import(join(root, 'dist/sensor/ship/keys.js'));

const arg = (name, def) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : def;
};
const N = Number(arg('--records', '300000'));
const useSpool = process.argv.includes('--spool');
const fsyncMs = arg('--fsync-ms', '20');

const dir = mkdtempSync(join(tmpdir(), 'ship-bench-'));
const kf = join(dir, 'keys');
writeFileSync(kf, `bench ${randomBytes(32).toString('hex')}\n`);
chmodSync(kf, 0o600);

const code = `import(${JSON.stringify(join(root, 'dist/sensor/ship/collector.js'))}).then(async (m) => process.exit(await m.runCollect(process.argv.slice(1))))`;
const col = spawn(process.execPath, [...(process.env.COLLECTOR_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.COLLECTOR_PROF] : []), '--input-type=module', '-e', code, '--', '--listen', '127.0.0.1:0', '--out', join(dir, 'out'), '--key-file', kf, '--fsync-ms', fsyncMs], { stdio: ['ignore', 'ignore', 'pipe'] });
let err = '';
col.stderr.on('data', (d) => (err += d));
while (!/port (\d+)/.test(err)) await new Promise((r) => setTimeout(r, 20));
const port = Number(/port (\d+)/.exec(err)[1]);

// Records are made before timing: their construction is the flow table's cost, not shipping's.
const records = Array.from({ length: Math.min(N, 100000) }, (_, i) => flowRecord(i, 'B'));
const s = new Shipper({ host: '127.0.0.1', port, keys: loadKeyFile(kf), sensorId: 'bench', spoolDir: useSpool ? join(dir, 'spool') : undefined, log: (m) => process.stderr.write(`ship: ${m}\n`) });
await s.start();

const cpu0 = process.cpuUsage();
const t0 = performance.now();
let pushWallMs = 0;
for (let i = 0; i < N; i += 2000) {
  const p0 = performance.now();
  for (let j = i; j < Math.min(N, i + 2000); j++) {
    const r = records[j % records.length];
    r.uid = `B${j}`;
    s.push('flows', r);
  }
  pushWallMs += performance.now() - p0;
  await new Promise((r) => setImmediate(r)); // let acks in, as the capture loop would between batches
}
const res = await s.drain(120000);
const t1 = performance.now();
const cpu = process.cpuUsage(cpu0);
await s.close();
// Collector CPU from /proc (utime + stime, clock ticks of 10 ms).
const colStat = readFileSync(`/proc/${col.pid}/stat`, 'utf8').split(') ')[1].split(' ');
const collectorCpuSeconds = (Number(colStat[11]) + Number(colStat[12])) / 100;
col.kill('SIGTERM');
await new Promise((r) => col.once('exit', r));

let lines = 0;
for (const f of readdirSync(join(dir, 'out', 'bench'))) lines += readFileSync(join(dir, 'out', 'bench', f), 'utf8').split('\n').length - 1;
const st = s.stats;
const sec = (t1 - t0) / 1000;
const cpuUs = cpu.user + cpu.system;
console.log(JSON.stringify({
  records: N, ackedRecords: res.ackedRecords, collectorLines: lines, spool: useSpool, fsyncMs: Number(fsyncMs),
  seconds: +sec.toFixed(3), recordsPerSecond: Math.round(res.ackedRecords / sec),
  sensorCpuSeconds: +(cpuUs / 1e6).toFixed(3), collectorCpuSeconds, sensorCpuMicrosPerRecord: +(cpuUs / N).toFixed(2),
  pushWallMicrosPerRecord: +((pushWallMs * 1000) / N).toFixed(2),
  batches: st.batchesAcked, datagrams: st.datagramsSent, retransmittedBatches: st.batchesRetransmitted,
  bytesPerRecordOnWire: +((st.datagramsSent * 1200) / N).toFixed(1), srttMs: +st.srttMs.toFixed(2),
}, null, 1));
rmSync(dir, { recursive: true, force: true });
if (res.ackedRecords !== N || lines !== N) {
  console.error('MISMATCH: not every record was acknowledged and written once');
  process.exit(1);
}
