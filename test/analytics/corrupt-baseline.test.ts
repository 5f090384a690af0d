/**
 * Issue 4, acceptance 4 (second half) — a corrupt or unreadable baseline file is reported with a
 * clear message, moved aside unchanged (never silently replaced) and the sensor continues with a
 * fresh baseline, which it then saves in the file's place.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openAnalyticsSession, readStateFile, STATE_FORMAT, type Alert } from '../../models/analytics/index.js';
// @ts-ignore plain ESM JavaScript tool
import { World, EPOCH } from '../../tools/scenarios/world.mjs';
// @ts-ignore plain ESM JavaScript tool
import { attackDay } from '../../tools/scenarios/attacks.mjs';
// @ts-ignore plain ESM JavaScript tool
import { streamOf } from '../../tools/scenarios/scenario.mjs';

const dir = mkdtempSync(join(tmpdir(), 'ndr-corrupt-'));
let items: { t: number; flow?: any; event?: any }[] = [];
let config: any;
let validState: Buffer;

function feedAll(s: ReturnType<typeof openAnalyticsSession>): void {
  for (const it of items) {
    if (it.flow) s.onFlow(it.flow);
    else s.onEvent(it.event);
  }
}

beforeAll(async () => {
  const w = new World(7);
  config = w.analyticsConfig();
  // one attack day's conversations (DCSync, PsExec, …): technique alerts need no baseline
  const { convs } = attackDay(w, 7, 7, 0);
  items = streamOf(convs, { captureEnd: EPOCH + 8 * 86400 });
  const f = join(dir, 'valid.gz');
  const s = openAnalyticsSession({ config, baselineFile: f, log: () => {} });
  feedAll(s);
  await s.close();
  validState = readFileSync(f);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cases: [string, () => Buffer, RegExp][] = [
  ['random bytes', () => Buffer.from('this is not a baseline \x00\x01\x02'), /not valid JSON/],
  ['truncated gzip', () => validState.subarray(0, Math.floor(validState.length / 2)), /not a valid gzip stream/],
  ['empty file', () => Buffer.alloc(0), /file is empty/],
  ['JSON of something else', () => gzipSync(JSON.stringify({ hello: 'world' })), /not an ndr-sensor analytics baseline/],
  ['a newer format version', () => gzipSync(JSON.stringify({ format: STATE_FORMAT, version: 99 })), /version 99 is not supported/],
  ['damaged content', () => gzipSync(JSON.stringify({ format: STATE_FORMAT, version: 1, baseline: { hosts: [[1, 2]] }, detections: 7 })), /unreadable content/],
];

describe('corrupt baseline file', () => {
  for (const [name, make, reason] of cases) {
    it(`${name}: reported, moved aside unchanged, fresh baseline, then saved`, async () => {
      const sub = mkdtempSync(join(dir, 'case-'));
      const file = join(sub, 'baseline.gz');
      const bad = make();
      writeFileSync(file, bad);
      const logs: string[] = [];
      const alerts: Alert[] = [];
      const s = openAnalyticsSession({ config, baselineFile: file, log: (m) => logs.push(m), onAlert: (a) => alerts.push(a) });
      expect(s.baselineStatus).toBe('quarantined');
      expect(logs.join('\n')).toMatch(/is corrupt/);
      expect(logs.join('\n')).toMatch(reason);
      expect(logs.join('\n')).toContain(s.quarantinedTo!);
      // moved aside, byte for byte, next to the original
      expect(existsSync(s.quarantinedTo!)).toBe(true);
      expect(readFileSync(s.quarantinedTo!)).toEqual(bad);
      expect(existsSync(file)).toBe(false);
      // a fresh baseline that works
      expect(s.analytics.baseline.hosts.size).toBe(0);
      feedAll(s);
      expect(alerts.some((a) => a.type === 'cred.dcsync')).toBe(true);
      await s.close();
      // and a valid baseline in the file's place
      const back = readStateFile(file);
      expect(back.status).toBe('ok');
      const again = openAnalyticsSession({ config, baselineFile: file, log: () => {} });
      expect(again.baselineStatus).toBe('loaded');
      expect(again.analytics.baseline.hosts.size).toBeGreaterThan(0);
      await again.close();
      expect(readdirSync(sub).filter((f) => f.includes('.corrupt-')).length).toBe(1);
    });
  }

  it('a missing file starts fresh without complaint and is created on close', async () => {
    const file = join(dir, 'new.gz');
    const logs: string[] = [];
    const s = openAnalyticsSession({ config, baselineFile: file, log: (m) => logs.push(m) });
    expect(s.baselineStatus).toBe('fresh');
    expect(logs).toEqual([]);
    feedAll(s);
    await s.close();
    expect(readStateFile(file).status).toBe('ok');
    // the atomic writer leaves no temporary files behind
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  });
});
