/**
 * Worker-thread entry point (piscina). One worker per shard: the dispatcher sends every packet of
 * a flow to the same shard, so this worker owns its flow table outright — no locks, no sharing.
 */
import { workerData } from 'node:worker_threads';
import { ShardEngine, type ShardConfig } from './shard-engine.js';
import type { ShardResult, ShardTask } from './shard-task.js';

let engine: ShardEngine | null = null;

export default function run(task: ShardTask): ShardResult {
  if (engine === null) engine = new ShardEngine(workerData as ShardConfig);
  return engine.run(task);
}
