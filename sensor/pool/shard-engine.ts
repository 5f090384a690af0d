/**
 * The work a shard does on each task, independent of the thread it runs in (so tests can drive
 * it directly): decode each entry from its IP header down, update the flow table, collect the
 * records that finished.
 */
import { FlowTable, type FlowTableConfig } from '../../models/flow/flow-table.js';
import { NetworkSet, type ParsedCidr } from '../../models/net/network-set.js';
import { protoName, type ConnRecord } from '../../models/flow/conn-record.js';
import { AppLayer, DEFAULT_APP_LAYER } from '../../models/flow/app-layer.js';
import { allParsers, DhcpAggregator } from '../../parsers/app/registry.js';
import { encodeLines } from '../output/record-lines.js';
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
  /** Final (not interim) records of the current task by `proto`. */
  private finals: Record<string, number> = {};
  /** Events of the current task by `_path`. */
  private paths: Record<string, number> = {};
  private readonly app: AppLayer | null;
  private readonly dhcp = new DhcpAggregator();

  constructor(cfg: ShardConfig) {
    this.table = new FlowTable(cfg.flow, new NetworkSet(cfg.internalNetworks.map((cidr, id) => ({ cidr, id }))), (r, ipProto, interim) => {
      this.out.push(r);
      if (!interim) {
        const p = protoName(ipProto);
        this.finals[p] = (this.finals[p] ?? 0) + 1;
      }
    });
    this.app = cfg.protocols ? new AppLayer(this.table.store, { ...DEFAULT_APP_LAYER, parsers: allParsers, midstream: cfg.midstream }) : null;
    if (this.app !== null) this.table.attachApp(this.app);
  }

  run(task: ShardTask): ShardResult {
    const t0 = performance.now();
    this.out = [];
    this.finals = {};
    this.paths = {};
    this.processEntries(task);
    const table = this.table;
    if (task.clock > 0) table.advance(task.clock);
    if (task.flush) table.flush();
    const events = this.collectEvents(task.clock, task.flush);
    const st = table.stats;
    return {
      flows: encodeLines(this.out),
      finalByProto: this.finals,
      events: encodeLines(events),
      eventsByPath: this.paths,
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

  /**
   * The per-packet loop, in a function of its own: V8 optimises a long first call on stack, before
   * the code after the loop has ever run; that code then lacked type feedback and deoptimised on
   * every later task (seen as hundreds of deopts of `run` per 5M-packet replay).
   */
  private processEntries(task: ShardTask): void {
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
  }

  /** Events of this task; DHCP messages are merged into Zeek-style dhcp records first. */
  private collectEvents(clock: number, flush: boolean): object[] {
    if (this.app === null) return [];
    const raw = this.app.takeEvents();
    const out: object[] = [];
    for (const ev of raw) {
      if (ev._path === 'dhcp_msg') {
        for (const d of this.dhcp.add(ev)) this.keep(out, d, 'dhcp');
      } else {
        this.keep(out, ev, ev._path);
      }
    }
    if (clock > 0) for (const d of this.dhcp.flush(clock)) this.keep(out, d, 'dhcp');
    if (flush) for (const d of this.dhcp.flushAll()) this.keep(out, d, 'dhcp');
    return out;
  }

  private keep(out: object[], ev: object, path: string): void {
    out.push(ev);
    this.paths[path] = (this.paths[path] ?? 0) + 1;
  }
}
