// Capture side of bench/live-rate.mjs: LiveCapture on one interface, the minimal JS loop
// (count packets per batch), results on STOP. Run inside the namespace by live-rate.mjs.
import readline from 'node:readline';
import { LiveCapture } from '../dist/sensor/capture/live.js';

const [iface, bufferMb, immediate] = process.argv.slice(2);
const cap = new LiveCapture({ interface: iface, bufferBytes: Number(bufferMb) * 1024 * 1024, immediate: immediate === '1', timeoutMs: 50 });
let packets = 0;
let batches = 0;
const cpu0 = process.cpuUsage();
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
  process.stdout.write(JSON.stringify({ packets, batches, kernelDrops: k.kernelDrops, received: k.received, bytes: k.bytes, cpuMs: (cpu.user + cpu.system) / 1000 }) + '\n');
  process.stdin.destroy();
});
