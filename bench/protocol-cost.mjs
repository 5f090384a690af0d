#!/usr/bin/env node
// Cost of each application-parser family on the flow workers' path: the benchmark capture is
// decoded, dispatched and run through one ShardEngine in this thread, once per family with only
// that family's parsers enabled, once with none and once with all. Reports CPU ns per packet
// (process.cpuUsage, this process only) over the whole capture. A benchmark, not a test.
// Usage: npm run build && node bench/protocol-cost.mjs [capture] (default /tmp/ndr-bench/bench-1m.pcap)
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const FAMILIES = {
  none: [],
  dns: ['dns'],
  'tls+http': ['ssl', 'http'],
  'smb+dce_rpc': ['smb', 'dce_rpc'],
  'dicom+hl7': ['dicom', 'hl7'],
  'kerberos+ldap': ['krb', 'krb_tcp', 'ldap_tcp', 'ldap_udp'],
  'other (ssh, rdp, dhcp, ntp, syslog, …)': ['ssh', 'rdp', 'dhcp', 'ntp', 'syslog', 'syslog_tcp', 'ftp', 'smtp', 'irc', 'mqtt'],
  all: null,
};

const file = process.argv[2] ?? '/tmp/ndr-bench/bench-1m.pcap';
if (process.argv[3] === '--child') {
  const { allParsers } = await import('../dist/parsers/app/registry.js');
  const keep = process.env.KEEP === 'ALL' ? null : (process.env.KEEP ?? '').split(',').filter(Boolean);
  if (keep !== null) for (let i = allParsers.length - 1; i >= 0; i--) if (!keep.includes(allParsers[i].service)) allParsers.splice(i, 1);
  const { CaptureFileReader } = await import('../dist/sensor/capture/file-reader.js');
  const { ChunkPool } = await import('../dist/sensor/capture/chunk-pool.js');
  const { Dispatcher } = await import('../dist/sensor/pool/dispatcher.js');
  const { ShardEngine } = await import('../dist/sensor/pool/shard-engine.js');
  const { shardConfigFrom } = await import('../dist/sensor/pipeline.js');
  const { defaultConfig } = await import('../dist/sensor/config.js');
  const pool = new ChunkPool(8, 4 << 20);
  const reader = new CaptureFileReader([file], pool);
  const d = new Dispatcher({ shards: 1, vlanInKey: false, udpTimeout: 60, ipTunnelTimeout: 3600 });
  const eng = new ShardEngine(shardConfigFrom(defaultConfig(), 1));
  let n = 0;
  let cpu = 0;
  for await (const b of reader.batches()) {
    n += b.count;
    const t = d.split(b, 0)[0];
    const c0 = process.cpuUsage();
    eng.run(t);
    const c = process.cpuUsage(c0);
    cpu += c.user + c.system;
    pool.release(b.chunk);
  }
  const c0 = process.cpuUsage();
  eng.run(d.emptyTask(true));
  const c = process.cpuUsage(c0);
  cpu += c.user + c.system;
  process.stdout.write(String((cpu * 1000) / n));
  process.exit(0);
}

const self = fileURLToPath(import.meta.url);
const rows = [];
let base = 0;
for (const [name, services] of Object.entries(FAMILIES)) {
  const runs = [];
  for (let i = 0; i < 3; i++) {
    const r = spawnSync(process.execPath, [self, file, '--child'], { encoding: 'utf8', env: { ...process.env, KEEP: services === null ? 'ALL' : services.join(',') } });
    runs.push(Number(r.stdout));
  }
  const ns = runs.sort((a, b) => a - b)[1];
  if (name === 'none') base = ns;
  rows.push({ family: name, 'worker CPU ns/packet': ns.toFixed(0), 'added by the family': name === 'none' ? '' : (ns - base).toFixed(0) });
}
console.log(`application parsers, ${file}, median of 3 runs (flow engine without parsers = "none")`);
console.table(rows);
