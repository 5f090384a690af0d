/**
 * The work a shard does on each task, independent of the thread it runs in (so tests can drive
 * it directly): decode each entry from its IP header down, update the flow table, collect the
 * records that finished.
 */
import { Packet } from '../../parsers/packet.js';
import { Reason } from '../../parsers/reasons.js';
import { decodeIpv4 } from '../../parsers/net/ipv4.js';
import { decodeIpv6 } from '../../parsers/net/ipv6.js';
import { decodeTransport } from '../../parsers/decode.js';
import { FlowTable, type FlowTableConfig } from '../../models/flow/flow-table.js';
import { NetworkSet } from '../../models/net/networks.js';
import type { ConnRecord } from '../../models/flow/conn-record.js';
import {
  ENT_INFO, ENT_L3_CAPLEN, ENT_L3_OFF, ENT_L3_WIRELEN, ENT_TUNNEL, ENT_VLAN, ENT_WORDS,
  INFO_FIRST_FRAGMENT, INFO_IN_SIDE, INFO_OUTER_ONLY, INFO_V4,
  type ShardResult, type ShardTask,
} from './shard-task.js';

export interface ShardConfig {
  flow: FlowTableConfig;
  internalNetworks: string[];
}

export class ShardEngine {
  readonly table: FlowTable;
  private readonly pkt = new Packet();
  private out: ConnRecord[] = [];

  constructor(cfg: ShardConfig) {
    this.table = new FlowTable(cfg.flow, NetworkSet.of(cfg.internalNetworks), (r) => this.out.push(r));
  }

  run(task: ShardTask): ShardResult {
    const t0 = performance.now();
    this.out = [];
    const pkt = this.pkt;
    const table = this.table;
    const data = task.data === null ? null : new Uint8Array(task.data);
    const side = task.side;
    const ent = task.ent;
    const tss = task.ts;
    const tunnels = task.tunnels;
    const services = task.tunnelServices;
    let errors = 0;
    for (let i = 0, o = 0; i < task.count; i++, o += ENT_WORDS) {
      const info = ent[o + ENT_INFO];
      const buf = (info & INFO_IN_SIDE) !== 0 ? side : data;
      if (buf === null) { errors++; continue; }
      const off = ent[o + ENT_L3_OFF];
      pkt.reset(buf, off, ent[o + ENT_L3_CAPLEN], ent[o + ENT_L3_WIRELEN]);
      const vw = ent[o + ENT_VLAN];
      pkt.vlan = vw === 0 ? -1 : (vw >>> 16) - 1;
      pkt.innerVlan = (vw & 0xffff) === 0 ? -1 : (vw & 0xffff) - 1;
      let r = (info & INFO_V4) !== 0 ? decodeIpv4(pkt, off) : decodeIpv6(pkt, off);
      if (r !== Reason.OK) { errors++; continue; }
      if (pkt.isFragment) {
        if ((info & INFO_FIRST_FRAGMENT) === 0) { errors++; continue; }
        pkt.isFragment = false;
      }
      r = decodeTransport(pkt, false);
      if (r !== 0) { errors++; continue; }
      const tref = ent[o + ENT_TUNNEL];
      let parent: string | null = null;
      let self: string | null = null;
      let service: string | null = null;
      if (tref !== 0 && tunnels !== null) {
        const p = tref & 0xffff;
        const s = tref >>> 16;
        if (p !== 0) parent = tunnels[p - 1];
        if (s !== 0) {
          self = tunnels[s - 1];
          service = services !== null ? services[s - 1] : null;
        }
      }
      void INFO_OUTER_ONLY;
      table.process(pkt, tss[i], parent, self, service);
    }
    if (task.clock > 0) table.advance(task.clock);
    if (task.flush) table.flush();
    const st = table.stats;
    return {
      flows: this.out,
      events: [],
      packets: task.count,
      decodeErrors: errors,
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
