/**
 * Worker-thread entry point. Piscina starts the thread and hands it, in one control task, the
 * worker end of the shard's MessageChannel; from then on capture tasks arrive on that port, in
 * order, and results go back the same way. One worker per shard: the dispatcher sends every packet
 * of a flow to the same shard, so this worker owns its flow table outright — no locks, no sharing.
 */
import type { MessagePort } from 'node:worker_threads';
import { ShardEngine, type ShardConfig } from './shard-engine.js';
import type { ShardTask } from './shard-task.js';
import { transferableOf } from '../output/record-lines.js';

let engine: ShardEngine | null = null;

export interface AttachTask {
  attach: MessagePort;
  /**
   * The shard's configuration. It comes with the attach task, not as Piscina's workerData, so the
   * thread can be started (and load this module's imports) before the configuration is read.
   */
  cfg: ShardConfig;
}

export default function run(msg: AttachTask): string {
  engine ??= new ShardEngine(msg.cfg);
  const port = msg.attach;
  port.on('message', (task: ShardTask) => {
    // The hung-worker drill (ShardPool.hangWorkerForTest): spin until terminated.
    if ((task as { testHang?: boolean }).testHang === true && process.env.NDR_TEST_HOOKS === '1') for (;;);
    let reply: unknown;
    let transfer: ArrayBuffer[] = [];
    try {
      const r = engine!.run(task);
      reply = r;
      transfer = [...r.ret];
      const f = transferableOf(r.flows);
      const e = transferableOf(r.events);
      if (f !== null) transfer.push(f);
      if (e !== null) transfer.push(e);
    } catch (e) {
      // The engine never throws on input; reaching this is a bug. Report it instead of dying.
      reply = { error: e instanceof Error ? (e.stack ?? e.message) : String(e) };
    }
    // The index buffers go back to the dispatcher for reuse (no 0.5 MB allocation per task); the
    // records' JSON lines are moved, not copied.
    port.postMessage(reply, transfer);
  });
  return 'attached';
}
