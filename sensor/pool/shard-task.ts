/**
 * What the dispatcher sends a shard worker: one packet entry (models/flow/packet-entry.ts) per
 * packet of the shard, pointing into the shared capture chunk. Packet bytes are never copied
 * (reassembled datagrams excepted), and no header is decoded twice.
 */

import type { RecordLines } from '../output/record-lines.js';

export * from '../../models/flow/packet-entry.js';

export interface ShardTask {
  /** The shared capture chunk the entries point into (null for clock-only or flush tasks). */
  data: SharedArrayBuffer | null;
  /** Reassembled datagrams referenced by INFO_IN_SIDE entries. */
  side: Uint8Array | null;
  count: number;
  ts: Float64Array;
  ent: Uint32Array;
  /** Tunnel uids referenced by the entries, or null. */
  tunnels: string[] | null;
  /** Services of the outer tunnel flows named by the own-uid references (parallel to tunnels). */
  tunnelServices: (string | null)[] | null;
  /** Capture clock: the latest packet time dispatched to any shard (drives timeouts). */
  clock: number;
  /** Emit every remaining flow after this task (end of capture / shutdown). */
  flush: boolean;
  /** Wall-clock time (ms, Date.now) when the oldest packet of the task was read: latency metric. */
  readAt: number;
}

export interface ShardResult {
  /** Finished (and interim) conn records, in emission order, as JSON lines (record-lines.ts). */
  flows: RecordLines;
  /** Final records (not interim) by `proto`. */
  finalByProto: Record<string, number>;
  /** Protocol events produced while processing this task, as JSON lines. */
  events: RecordLines;
  /** Those events by `_path`. */
  eventsByPath: Record<string, number>;
  /** Parser counters (skipped/malformed input by name) since the previous task. */
  counters: Record<string, number>;
  packets: number;
  active: number;
  created: number;
  expired: number;
  evicted: number;
  interim: number;
  dropped: number;
  /** Milliseconds the worker spent on this task (busy ratio). */
  busyMs: number;
  /** The task's capture clock: this shard has emitted everything up to this time. */
  clock: number;
  /** The task's `ts` and `ent` buffers, handed back for reuse by the dispatcher (transferred). */
  ret: ArrayBuffer[];
}
