/**
 * Issue 4, acceptance 1 end to end: scenario pcaps → bin/ndr-sensor replay with the analytics
 * stage inline (one --baseline across the days, --learn on learning days) → alerts scored
 * against the generator's labels. Generating and replaying several simulated days takes minutes, so this runs when
 * NDR_SCENARIO_E2E=1 (3 learning days here; `node tools/scenarios/e2e.mjs` runs the full week).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-ignore plain ESM JavaScript tool
import { runE2E } from '../../tools/scenarios/e2e.mjs';
// @ts-ignore plain ESM JavaScript tool
import { formatScore } from '../../tools/scenarios/score.mjs';

describe.runIf(process.env.NDR_SCENARIO_E2E === '1')('scenario end to end (pcap → sensor → analytics)', () => {
  it('detects every injected attack in time and stays quiet on normal traffic', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ndr-e2e-'));
    try {
      const { score, labels } = await runE2E({ out, learnDays: 3, testDays: 2, log: () => {} });
      console.log(formatScore(score));
      expect(score.details.filter((d: any) => !d.detected).map((d: any) => `${d.label}:${d.type}`)).toEqual([]);
      expect(labels.filter((l: any) => !score.details.some((d: any) => d.label === l.id && d.in_time)).map((l: any) => l.id)).toEqual([]);
      expect(score.summary.fp_sev7_per_day_per_1000_hosts).toBeLessThanOrEqual(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 1_800_000);
});
