/**
 * Fuzzing the packet path: every link type on random bytes, mutated real corpus packets (read
 * with the project's own reader), the IP/tunnel decoders on mutated tunnel packets, fragment
 * reassembly on mutated fragments, and the capture reader on mutated capture files.
 *
 * Each campaign runs in a child process (test/fuzz/fuzz-child.ts) under a watchdog: an endless
 * loop in a decoder would block its own thread forever, so only another process can notice it.
 * Deterministic: fixed seeds (override with NDR_FUZZ_SEED; scale iterations with NDR_FUZZ_SCALE).
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, corpusAvailable } from '../conformance/corpus.js';
import type { FuzzResult } from './fuzz-child.js';

const CHILD = join(REPO, 'test', 'fuzz', 'fuzz-child.ts');
const SCALE = Number(process.env.NDR_FUZZ_SCALE ?? 1);
const SEED = Number(process.env.NDR_FUZZ_SEED ?? 20240601);
/** A campaign that has not finished by then is stuck (they take 1–3 s here). */
const WATCHDOG_MS = 60_000 * Math.max(1, SCALE);

function runCampaign(campaign: string, seed: number, iterations: number, watchdogMs = WATCHDOG_MS): Promise<FuzzResult> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', CHILD, campaign, String(seed), String(iterations)],
      { cwd: REPO, timeout: watchdogMs, killSignal: 'SIGKILL', maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const e = err as NodeJS.ErrnoException & { killed?: boolean };
          reject(new Error(e.killed ? `${campaign} (seed ${seed}) did not finish within ${watchdogMs} ms: a decoder loops or hangs` : `${campaign} crashed: ${stderr.slice(-2000)}`));
          return;
        }
        resolve(JSON.parse(stdout) as FuzzResult);
      });
  });
}

const n = (x: number) => Math.round(x * SCALE);
// Two at a time: this machine has two cores.
const campaigns: Record<string, Promise<FuzzResult>> = {};
const order: [string, number, number][] = [
  ['random', SEED, n(200_000)],
  ['mutated-corpus', SEED + 1, n(200_000)],
  ['tunnels', SEED + 2, n(200_000)],
  ['defrag', SEED + 3, n(50_000)],
  ['reader', SEED + 4, n(400)],
];
let chain: [Promise<unknown>, Promise<unknown>] = [Promise.resolve(), Promise.resolve()];
order.forEach(([name, seed, it], i) => {
  const slot = i % 2;
  const p = chain[slot].catch(() => undefined).then(() => runCampaign(name, seed, it));
  chain[slot] = p;
  campaigns[name] = p;
  p.catch(() => undefined); // reported by the test that awaits it
});

function summary(r: FuzzResult): string {
  const top = Object.entries(r.reasons).sort((a, b) => b[1] - a[1]).slice(0, 6).map(([k, v]) => `${k}=${v}`).join(' ');
  return `${r.campaign}: ${r.iterations} inputs in ${r.elapsedMs.toFixed(0)} ms, worst input ${r.maxMsRetimed.toFixed(3)} ms (first seen ${r.maxMs.toFixed(1)} ms); ${top}`;
}

function expectClean(r: FuzzResult): void {
  expect(r.failures, `${r.failureCount} failures`).toEqual([]);
  expect(r.failureCount).toBe(0);
  const total = Object.values(r.reasons).reduce((a, b) => a + b, 0);
  console.log(summary(r));
  return void total;
}

describe('decoder fuzzing (seeded, bounded)', () => {
  it('the watchdog kills a campaign that never ends (stands in for a looping decoder)', async () => {
    await campaigns.reader.catch(() => undefined); // run after the others: two cores
    const t = Date.now();
    await expect(runCampaign('watchdog-selftest', 0, 0, 3_000)).rejects.toThrow(/did not finish within 3000 ms/);
    expect(Date.now() - t).toBeLessThan(10_000);
  }, 30_000);

  it('random bytes under every link type: no throw, valid reason, no slow input', async () => {
    const r = await campaigns.random;
    expectClean(r);
    expect(Object.values(r.reasons).reduce((a, b) => a + b, 0)).toBe(r.iterations);
    expect(r.maxMsRetimed).toBeLessThan(5);
    expect(Object.keys(r.reasons).length).toBeGreaterThanOrEqual(10); // it reaches many layers
  }, WATCHDOG_MS + 30_000);

  it.skipIf(!corpusAvailable() && !process.env.CI)('mutated corpus packets: no throw, valid reason, decoded fields stay inside the frame', async () => {
    const r = await campaigns['mutated-corpus'];
    expectClean(r);
    expect(r.extra.seedPackets).toBeGreaterThan(5000);
    expect(r.reasons.ok).toBeGreaterThan(r.iterations / 20); // mutations keep many packets decodable: deep coverage
    expect(r.maxMsRetimed).toBeLessThan(5);
  }, WATCHDOG_MS + 30_000);

  it('mutated tunnel packets and random payloads behind IPv4/IPv6: no throw, no loop', async () => {
    const r = await campaigns.tunnels;
    expectClean(r);
    expect(r.reasons.ok).toBeGreaterThan(r.iterations / 20);
    expect(r.reasons.too_deep ?? 0).toBeGreaterThanOrEqual(0);
    expect(r.maxMsRetimed).toBeLessThan(5);
  }, WATCHDOG_MS + 30_000);

  it('mutated fragments: reassembly never throws, caps hold after every fragment', async () => {
    const r = await campaigns.defrag;
    expectClean(r);
    expect(r.extra.reassembled).toBeGreaterThan(100);
    expect(r.extra.defrag_fragment_overlap).toBeGreaterThan(0);
  }, WATCHDOG_MS + 30_000);

  it('mutated capture files: the reader never throws, ends, returns every chunk', async () => {
    const r = await campaigns.reader;
    expectClean(r);
    expect((r.reasons.damaged ?? 0) + (r.reasons.clean ?? 0) + (r.reasons.empty ?? 0)).toBe(r.iterations);
    expect(r.reasons.damaged).toBeGreaterThan(r.iterations / 10);
    expect(r.maxMs).toBeLessThan(5_000);
  }, WATCHDOG_MS + 30_000);
});
