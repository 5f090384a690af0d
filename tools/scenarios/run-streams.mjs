// @ts-check
/**
 * Drive an analytics engine with a scenario's ground-truth record/event streams, day by day
 * (learning days in learning mode, then test days in detection mode), ticking the capture clock
 * once per second of stream time. Used by the tests until the packet path runs end to end.
 */
import { scenario, streamOf } from './scenario.mjs';

/**
 * Feed stream items (streamOf) in order, ticking the capture clock once per second.
 * @param {{ onFlow(r: any): void, onEvent(e: any): void, tick(t: number): void }} engine
 * @param {{t: number, flow?: any, event?: any}[]} items
 */
export function feedItems(engine, items) {
  let last = -Infinity;
  for (const it of items) {
    if (it.flow) engine.onFlow(it.flow);
    else engine.onEvent(it.event);
    if (it.t - last >= 1) {
      engine.tick(it.t);
      last = it.t;
    }
  }
}

/**
 * @param {{ onFlow(r: any): void, onEvent(e: any): void, tick(t: number): void, setLearning?(on: boolean): void, flush?(): void }} engine
 * @param {{ days: any[] }} sc scenario()
 * @param {{ from?: number, to?: number, learn?: (day: any) => boolean, onDay?: (day: any, n: number) => void }} [o]
 */
export function feedDays(engine, sc, o = {}) {
  const labels = [];
  let items = 0;
  const days = sc.days.slice(o.from ?? 0, o.to ?? sc.days.length);
  for (const day of days) {
    engine.setLearning?.(o.learn ? o.learn(day) : day.kind === 'learn');
    const built = day.build();
    labels.push(...built.labels);
    const stream = streamOf(built.convs, { captureEnd: day.end });
    feedItems(engine, stream);
    engine.tick(day.end);
    items += stream.length;
    o.onDay?.(day, stream.length);
  }
  return { labels, items };
}

export { scenario };
