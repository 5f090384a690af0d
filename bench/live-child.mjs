// Capture side of bench/live-rate.mjs: LiveCapture on one interface, the minimal JS loop
// (count packets per batch), results on STOP. Run inside the namespace by live-rate.mjs.
import { PerformanceObserver } from 'node:perf_hooks';
import readline from 'node:readline';
import { LiveCapture } from '../dist/sensor/capture/live.js';

const [iface, bufferMb, immediate] = process.argv.slice(2);
const cap = new LiveCapture({ interface: iface, bufferBytes: Number(bufferMb) * 1024 * 1024, immediate: immediate === '1', timeoutMs: 50 });
let packets = 0;
let batches = 0;
const cpu0 = process.cpuUsage();
// GC activity while capturing: per batch allocations only (batch object, two views, 8 MiB chunks).
let gcs = 0;
let gcMs = 0;
new PerformanceObserver((l) => { for (const e of l.getEntries()) { gcs++; gcMs += e.duration; } }).observe({ entryTypes: ['gc'] });
const heap0 = process.memoryUsage().heapUsed;
cap.start((b) => {
  packets += b.count;
  batches++;
});
process.stdout.write('ready\n');
readline.createInterface({ input: process.stdin }).on('line', (l) => {
  if (l !== 'STOP') return;
  const k = cap.counters();
  const cpu = process.cpuUsage(cpu0);
  cap.close();
  process.stdout.write(JSON.stringify({ packets, batches, kernelDrops: k.kernelDrops, received: k.received, bytes: k.bytes, cpuMs: (cpu.user + cpu.system) / 1000, gcs, gcMs: Math.round(gcMs), heapGrowthMb: Math.round((process.memoryUsage().heapUsed - heap0) / 1048576) }) + '\n');
  process.stdin.destroy();
});
