// @ts-check
/**
 * Scenario assembly: which days exist (learning days of normal traffic, then test days with
 * normal traffic plus injected attacks), and the ground-truth record/event streams a correct
 * sensor emits for them (used by tests until the packet path runs end to end).
 */
import { attackDay } from './attacks.mjs';
import { connRecords, convEvents } from './flows.mjs';
import { normalDay } from './normal.mjs';
import { EPOCH, World } from './world.mjs';

export const DEFAULTS = { seed: 7, learnDays: 7, testDays: 2, interimSec: 30 };

/**
 * @param {{seed?: number, learnDays?: number, testDays?: number}} [o]
 */
export function scenario(o = {}) {
  const seed = o.seed ?? DEFAULTS.seed;
  const learnDays = o.learnDays ?? DEFAULTS.learnDays;
  const testDays = o.testDays ?? DEFAULTS.testDays;
  const world = new World(seed);
  const days = [];
  for (let d = 0; d < learnDays + testDays; d++) {
    const test = d >= learnDays;
    days.push({
      index: d,
      kind: test ? 'test' : 'learn',
      name: test ? `test-day${d + 1}` : `learn-day${d + 1}`,
      start: EPOCH + d * 86400,
      end: EPOCH + (d + 1) * 86400,
      /** @returns {{convs: import('./flows.mjs').Conv[], labels: any[]}} */
      build() {
        const convs = normalDay(world, d, seed);
        if (!test) return { convs, labels: [] };
        const a = attackDay(world, d, seed, d - learnDays);
        return { convs: [...convs, ...a.convs], labels: a.labels };
      },
    });
  }
  return { seed, world, config: world.analyticsConfig(), days, hosts: world.hosts.length };
}

/**
 * Ground-truth stream for conversations: final + interim conn records and events, in emission
 * order. Items: { t, flow } | { t, event }.
 * @param {import('./flows.mjs').Conv[]} convs @param {{interimSec?: number, captureEnd: number}} o
 */
export function streamOf(convs, o) {
  const items = [];
  for (const c of convs) {
    for (const r of connRecords(c, o.interimSec ?? DEFAULTS.interimSec, o.captureEnd)) {
      const { _emit, service, ...rest } = r;
      // Zeek leaves `service` unset when no analyzer confirmed the protocol
      const rec = service ? { ...rest, service } : rest;
      items.push({ t: _emit, flow: rec });
    }
    for (const e of convEvents(c)) {
      const { _emit, ...ev } = e;
      items.push({ t: _emit, event: ev });
    }
  }
  items.sort((a, b) => a.t - b.t);
  return items;
}
