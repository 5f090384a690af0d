/**
 * The work a shard does on each task, independent of the thread it runs in (so tests can drive
 * it directly): decode each entry from its IP header down, update the flow table, collect the
 * records that finished.
 */
import { FlowTable, type FlowTableConfig } from '../../models/flow/flow-table.js';
import { NetworkSet, type ParsedCidr } from '../../models/net/network-set.js';
import type { ConnRecord } from '../../models/flow/conn-record.js';
import { AppLayer, DEFAULT_APP_LAYER } from '../../models/flow/app-layer.js';
import { allParsers, DhcpAggregator } from '../../parsers/app/registry.js';
import { encodeLines } from './record-lines.js';
import { ENT_INFO, ENT_TUNNEL, ENT_WORDS, INFO_IN_SIDE, type ShardResult, type ShardTask } from './shard-task.js';

export interface ShardConfig {
  flow: FlowTableConfig;
  /** Parsed by the main thread (networks.ts), so workers need not load ip-num. */
  internalNetworks: ParsedCidr[];
  /** Identify protocols and produce events (application parsers). */
  protocols: boolean;
  /** Also parse TCP connections whose start was not seen. */
  midstream: boolean;
}

export class ShardEngine {
  readonly table: FlowTable;
  private out: ConnRecord[] = [];
  private readonly app: AppLayer | null;
  private readonly dhcp = new DhcpAggregator();

  constructor(cfg: ShardConfig) {
    this.table = new FlowTable(cfg.flow, new NetworkSet(cfg.internalNetworks.map((cidr, id) => ({ cidr, id }))), (r) => this.out.push(r));
    this.app = cfg.protocols ? new AppLayer(this.table.store, { ...DEFAULT_APP_LAYER, parsers: allParsers, midstream: cfg.midstream }) : null;
    if (this.app !== null) this.table.attachApp(this.app);
  }

  run(task: ShardTask): ShardResult {
    const t0 = performance.now();
    this.out = [];
    const table = this.table;
    const ent = task.ent;
    const tss = task.ts;
    const tunnels = task.tunnels;
    const services = task.tunnelServices;
    const data = task.data === null ? null : new Uint8Array(task.data);
    const side = task.side;
    for (let i = 0, o = 0; i < task.count; i++, o += ENT_WORDS) {
      const buf = (ent[o + ENT_INFO] & INFO_IN_SIDE) !== 0 ? side : data;
      const tref = ent[o + ENT_TUNNEL];
      if (tref === 0 || tunnels === null) {
        table.processEntryAt(ent, o, tss, i, null, null, null, buf);
        continue;
      }
      const p = tref & 0xffff;
      const s = tref >>> 16;
      table.processEntryAt(ent, o, tss, i, p !== 0 ? tunnels[p - 1] : null, s !== 0 ? tunnels[s - 1] : null,
        s !== 0 && services !== null ? services[s - 1] : null, buf);
    }
    if (task.clock > 0) table.advance(task.clock);
    if (task.flush) table.flush();
    const events = this.collectEvents(task.clock, task.flush);
    const st = table.stats;
    return {
      flows: encodeLines(this.out),
      finalByProto: finalByProto(this.out),
      events: encodeLines(events),
      eventsByPath: byPath(events),
      counters: this.app !== null ? this.app.takeCounters() : {},
      packets: task.count,
      active: table.active,
      created: st.created,
      expired: st.expired,
      evicted: st.evicted,
      interim: st.interim,
      dropped: st.dropped,
      busyMs: performance.now() - t0,
      clock: task.clock,
      ret: task.ts.byteLength > 0 ? [task.ts.buffer as ArrayBuffer, task.ent.buffer as ArrayBuffer] : [],
    };
  }

  /** Events of this task; DHCP messages are merged into Zeek-style dhcp records first. */
  private collectEvents(clock: number, flush: boolean): object[] {
    if (this.app === null) return [];
    const raw = this.app.takeEvents();
    const out: object[] = [];
    for (const ev of raw) {
      if (ev._path === 'dhcp_msg') {
        for (const d of this.dhcp.add(ev)) out.push(d);
      } else {
        out.push(ev);
      }
    }
    if (clock > 0) for (const d of this.dhcp.flush(clock)) out.push(d);
    if (flush) for (const d of this.dhcp.flushAll()) out.push(d);
    return out;
  }
}

function finalByProto(recs: readonly ConnRecord[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const f of recs) {
    if (f.interim === true) continue;
    const p = f.proto;
    out[p] = (out[p] ?? 0) + 1;
  }
  return out;
}

function byPath(events: readonly object[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of events) {
    const p = (e as { _path?: unknown })._path;
    const k = typeof p === 'string' ? p : 'unknown';
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
