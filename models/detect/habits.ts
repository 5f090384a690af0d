/**
 * Learned technique habits: which sources performed a technique (remote service creation,
 * ADMIN$ writes, …) against how many distinct targets while the baseline was being learned.
 * A software-deployment server that pushes agents every day is such a source; technique alerts
 * still fire for it, at reduced severity. Only habits that began in learning mode count, so an
 * attacker cannot earn the discount after the fact. Kept in the baseline's edge table (same
 * aging and bounds).
 */
import { ABSENT, type Baseline } from '../baseline/baseline.js';

/** Record src→dst for `type`; returns the number of distinct targets learned before this call. */
export function techniqueHabit(b: Baseline, type: string, src: string, dst: string, now: number): number {
  const countKey = `habit:${type}:${src}`;
  const before = b.keyEntry(countKey);
  const learnedTargets = before && before.L === 1 ? before.n : 0;
  if (b.touchKey(`habit:${type}:${src}>${dst}`, now) === ABSENT) b.touchKey(countKey, now);
  return learnedTargets;
}
