/**
 * The work a shard does on each task, independent of the thread it runs in (so tests can drive
 * it directly): decode each entry from its IP header down, update the flow table, collect the
 * records that finished.
 */
import { FlowTable, type FlowTableConfig } from '../../models/flow/flow-table.js';
import { NetworkSet } from '../../models/net/networks.js';
import type { ConnRecord } from '../../models/flow/conn-record.js';
import { ENT_TUNNEL, ENT_WORDS, type ShardResult, type ShardTask } from './shard-task.js';

export interface ShardConfig {
  flow: FlowTableConfig;
  internalNetworks: string[];
}

export class ShardEngine {
  readonly table: FlowTable;
  private out: ConnRecord[] = [];

  constructor(cfg: ShardConfig) {
    this.table = new FlowTable(cfg.flow, NetworkSet.of(cfg.internalNetworks), (r) => this.out.push(r));
  }

  run(task: ShardTask): ShardResult {
    const t0 = performance.now();
    this.out = [];
    const table = this.table;
    const ent = task.ent;
    const tss = task.ts;
    const tunnels = task.tunnels;
    const services = task.tunnelServices;
    for (let i = 0, o = 0; i < task.count; i++, o += ENT_WORDS) {
      const tref = ent[o + ENT_TUNNEL];
      if (tref === 0 || tunnels === null) {
        table.processEntry(ent, o, tss[i], null, null, null);
        continue;
      }
      const p = tref & 0xffff;
      const s = tref >>> 16;
      table.processEntry(ent, o, tss[i], p !== 0 ? tunnels[p - 1] : null, s !== 0 ? tunnels[s - 1] : null,
        s !== 0 && services !== null ? services[s - 1] : null);
    }
    if (task.clock > 0) table.advance(task.clock);
    if (task.flush) table.flush();
    const st = table.stats;
    return {
      flows: this.out,
      events: [],
      packets: task.count,
      active: table.active,
      created: st.created,
      expired: st.expired,
      evicted: st.evicted,
      interim: st.interim,
      dropped: st.dropped,
      busyMs: performance.now() - t0,
    };
  }
}
