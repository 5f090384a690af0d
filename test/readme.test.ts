/**
 * The README is the front door: its configuration example must load (the sensor refuses unknown
 * keys, so a stale example would fail users first), and its quick-start command must run.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../sensor/config.js';
import { checkAnalyticsConfig } from '../sensor/analytics-stage.js';
import { BIN, REPO } from './conformance/corpus.js';

const README = readFileSync(join(REPO, 'README.md'), 'utf8');

describe('README', () => {
  it('its configuration example is a valid configuration, analytics section included', async () => {
    const section = README.slice(README.indexOf('## Configuration'));
    const yaml = section.slice(section.indexOf('```yaml\n') + 8, section.indexOf('```', section.indexOf('```yaml\n') + 8));
    expect(yaml).toMatch(/internal_networks:/);
    const dir = mkdtempSync(join(tmpdir(), 'ndr-readme-'));
    try {
      const p = join(dir, 'config.yaml');
      writeFileSync(p, yaml);
      const cfg = await loadConfig(p);
      expect(cfg.sensor_id).toBe('stmarys-core-1');
      expect(cfg.zones.map((z) => z.kind)).toEqual(['medical', 'server']);
      await checkAnalyticsConfig(cfg);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('its quick-start replay runs: alerts on stdout, flows and events in files, exit 0', () => {
    const line = README.split('\n').find((l) => l.includes('./bin/ndr-sensor replay pcaps/hospital-sample.pcap'));
    expect(line).toBeDefined();
    // The set-up part must also work as root on a machine without sudo (minimal Debian images).
    expect(line).not.toMatch(/(^|&&\s*)sudo\s/);
    const args = line!.slice(line!.indexOf('./bin/ndr-sensor') + './bin/ndr-sensor'.length).trim().split(/\s+/);
    const dir = mkdtempSync(join(tmpdir(), 'ndr-readme-'));
    try {
      // Run where the outputs may be written: the temp dir, with the capture's path made absolute.
      const abs = args.map((a) => (a.startsWith('pcaps/') ? join(REPO, a) : a));
      const r = spawnSync(BIN, abs, { cwd: dir, encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      const alerts = r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l));
      expect(alerts.length).toBeGreaterThan(0);
      for (const a of alerts) expect(a).toMatchObject({ sensor_id: 'ndr-sensor', category: expect.any(String), mitre: expect.any(Array) });
      expect(r.stderr).toMatch(/^alerts\s+[\d,]+ \(severity/m);
      const flows = readFileSync(join(dir, 'flows.json'), 'utf8').split('\n').filter(Boolean);
      const events = readFileSync(join(dir, 'events.json'), 'utf8').split('\n').filter(Boolean);
      expect(flows.length).toBeGreaterThan(200);
      expect(events.length).toBeGreaterThan(200);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
