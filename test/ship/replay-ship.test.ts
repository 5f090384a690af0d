/**
 * Shipping end to end through the real CLI: `ndr-sensor collect` receives what
 * `ndr-sensor replay --ship` sends on loopback, and its output equals the replay's --flows-out
 * record for record (compared by content) — nothing lost, nothing duplicated — and so do the
 * alerts of the analytics stage.
 */
import { describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { BIN, REPO } from '../conformance/corpus.js';
import { keyFile, readRecords, tmp } from './helpers.js';

function readJsonLines(p: string): Record<string, unknown>[] {
  return readFileSync(p, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>);
}

describe('replay --ship → collect', () => {
  it('delivers exactly the records written to --flows-out', async () => {
    const dir = tmp('replay-ship-');
    const kf = keyFile(dir);
    const port = 47000 + Math.floor(Math.random() * 1000);
    const coll = spawn(BIN, ['collect', '--listen', `127.0.0.1:${port}`, '--out', join(dir, 'out'), '--key-file', kf], { stdio: ['ignore', 'ignore', 'pipe'] });
    let collErr = '';
    coll.stderr.on('data', (d: Buffer) => { collErr += d.toString(); });
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`collector did not start: ${collErr}`)), 20_000);
      coll.stderr.on('data', () => { if (collErr.includes('listening')) { clearTimeout(t); resolve(); } });
    });
    try {
      const r = spawnSync(BIN, ['replay', join(REPO, 'pcaps', 'hospital-sample.pcap'), '--ship', `udp://127.0.0.1:${port}`, '--key-file', kf,
        '--spool', join(dir, 'spool'), '--sensor-id', 'test-sensor', '--flows-out', join(dir, 'flows.json'),
        '--alerts-out', join(dir, 'alerts.json')], { encoding: 'utf8', timeout: 60_000 });
      expect(r.status, r.stderr).toBe(0);
      expect(r.stderr).toMatch(/shipping\s+ship: all \d+ batch\(es\) \(\d+ records\) acknowledged/);
      const local = readJsonLines(join(dir, 'flows.json'));
      const shipped = readRecords(join(dir, 'out'), 'test-sensor', 'flows');
      expect(local.length).toBeGreaterThan(200);
      expect(shipped.length).toBe(local.length);
      // Record for record, content included; a uid repeats only on interim records (the detections
      // run when shipping, so long flows are also reported every 30 s), never on the final one.
      const canon = (l: Record<string, unknown>[]) => l.map((x) => JSON.stringify(x, Object.keys(x).sort())).sort();
      expect(canon(shipped)).toEqual(canon(local));
      const finals = shipped.filter((x) => x.interim === undefined).map((x) => x.uid);
      expect(new Set(finals).size).toBe(finals.length);
      // Alerts of the analytics stage travel on their own stream, exactly as written locally.
      const localAlerts = readJsonLines(join(dir, 'alerts.json'));
      expect(localAlerts.length).toBeGreaterThan(0);
      expect(canon(readRecords(join(dir, 'out'), 'test-sensor', 'alerts'))).toEqual(canon(localAlerts));
    } finally {
      coll.kill('SIGTERM');
      await new Promise((res) => coll.once('exit', res));
    }
  }, 120_000);
});
