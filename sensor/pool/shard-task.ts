/**
 * What the dispatcher sends a shard worker: the packets of one capture chunk that belong to that
 * shard, as offsets into the shared chunk (no packet bytes are copied), already peeled down to
 * the IP header that the worker must key the flow on.
 */

/** Words per packet entry. */
export const ENT_WORDS = 6;
/** Offset of the IP header (in `data`, or in `side` when ENT_IN_SIDE is set). */
export const ENT_L3_OFF = 0;
/** Bytes captured from the IP header on. */
export const ENT_L3_CAPLEN = 1;
/** Bytes on the wire from the IP header on. */
export const ENT_L3_WIRELEN = 2;
export const ENT_INFO = 3;
/** (vlan+1) << 16 | (inner_vlan+1), 0 when untagged. */
export const ENT_VLAN = 4;
/** Tunnel uid references: parent index+1 in the low 16 bits, own uid index+1 in the high 16. */
export const ENT_TUNNEL = 5;

export const INFO_V4 = 0x1;
export const INFO_V6 = 0x2;
/** The packet bytes are in the task's side buffer (a reassembled datagram). */
export const INFO_IN_SIDE = 0x4;
/** Account this packet on its outer UDP flow only: do not look inside (tunnel outer header). */
export const INFO_OUTER_ONLY = 0x8;
/** A first fragment whose datagram was not captured in full: analyse it as a whole packet. */
export const INFO_FIRST_FRAGMENT = 0x10;

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
  /** Finished (and interim) conn records, in emission order. */
  flows: object[];
  /** Protocol events (issue 3) produced while processing this task. */
  events: object[];
  packets: number;
  /** Packets the worker could not decode again (should stay 0: the dispatcher validated them). */
  decodeErrors: number;
  active: number;
  created: number;
  expired: number;
  evicted: number;
  interim: number;
  dropped: number;
  /** Milliseconds the worker spent on this task (busy ratio). */
  busyMs: number;
}
