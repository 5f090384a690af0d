/**
 * The main thread's part of the packet path: for every packet of a capture batch, peel the link
 * layer and any tunnels (and reassemble IP fragments, which have no ports until whole), compute a
 * symmetric hash of the innermost flow, and append an entry pointing into the shared chunk to
 * that shard's task. Every packet of a flow therefore reaches the same worker, and no packet
 * bytes are copied (reassembled datagrams excepted).
 *
 * Each capture batch becomes exactly one task per shard — an empty one when a shard got no
 * packets — so every shard sees the capture clock advance and expires its flows even when idle.
 */
import { Packet, MAX_TUNNELS, TUNNEL_SERVICES, TunnelType } from '../../parsers/packet.js';
import { Reason, REASON_NAMES, isBenign } from '../../parsers/reasons.js';
import { decodeFrame, decodeFromEtherType, decodeTransport } from '../../parsers/decode.js';
import { decodeIpv4 } from '../../parsers/net/ipv4.js';
import { decodeIpv6 } from '../../parsers/net/ipv6.js';
import { vlanWordOf } from '../../models/flow/flow-key.js';
import { writeEntry } from '../../models/flow/packet-entry.js';
import { Defragmenter, type DefragLimits } from '../../parsers/net/defrag.js';
import { ETH_IPV4, ETH_IPV6 } from '../../parsers/link/ethernet.js';
import { UidGenerator } from '../../models/flow/uid.js';
import { TunnelRegistry } from './tunnel-registry.js';
import { META_CAPLEN, META_LINK, META_OFF, META_WIRELEN, META_WORDS } from '../capture/batch.js';
import type { PacketBatch } from '../capture/batch.js';
import {
  ENT_INFO, ENT_L3_OFF, ENT_PAYLOAD_OFF, ENT_TUNNEL, ENT_WORDS, INFO_IN_SIDE, INFO_OUTER_ONLY, type ShardTask,
} from './shard-task.js';

export interface DispatcherConfig {
  shards: number;
  /** Flow keys include VLAN ids (must match the flow tables' setting). */
  vlanInKey: boolean;
  /** Inactivity timeout of UDP flows (tunnel uids roll over with the outer flow). */
  udpTimeout: number;
  /** Zeek's Tunnel::expiration_interval for non-UDP tunnels (GRE, IP-in-IP). */
  ipTunnelTimeout: number;
  defrag?: Partial<DefragLimits>;
  uidSeed?: number;
}

/** Counters of the dispatching stage (packets, bytes, decode outcomes by reason). */
export class DispatchStats {
  packets = 0;
  bytes = 0;
  /** Packets handed to a shard as a flow update (inner packets plus tunnel outer accounting). */
  flowUpdates = 0;
  readonly reasons = new Float64Array(Reason.COUNT);
  tunnelPackets = 0;
  reassembled = 0;

  reasonCounts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (let i = 1; i < Reason.COUNT; i++) if (this.reasons[i] > 0) out[REASON_NAMES[i]] = this.reasons[i];
    return out;
  }

  /** Packets that were damaged (not merely uninteresting to the flow table). */
  get decodeErrors(): number {
    let n = 0;
    for (let i = 1; i < Reason.COUNT; i++) if (!isBenign(i)) n += this.reasons[i];
    return n;
  }
}

class ShardBuilder {
  count = 0;
  ts: Float64Array;
  ent: Uint32Array;
  side: Uint8Array | null = null;
  sideLen = 0;
  tunnels: string[] | null = null;
  services: (string | null)[] | null = null;

  constructor(private cap: number) {
    this.ts = new Float64Array(cap);
    this.ent = new Uint32Array(cap * ENT_WORDS);
  }

  /** Index buffers handed back by the workers, ready for reuse. */
  private readonly spare: [Float64Array, Uint32Array][] = [];

  recycle(ts: Float64Array, ent: Uint32Array): void {
    if (this.spare.length < 4 && ent.length === ts.length * ENT_WORDS) this.spare.push([ts, ent]);
  }

  reset(cap: number): void {
    this.count = 0;
    let reuse = this.spare.pop();
    while (reuse !== undefined && reuse[0].length < cap) reuse = this.spare.pop();
    if (reuse !== undefined) {
      this.ts = reuse[0];
      this.ent = reuse[1];
      this.cap = reuse[0].length;
    } else {
      this.cap = cap;
      this.ts = new Float64Array(cap);
      this.ent = new Uint32Array(cap * ENT_WORDS);
    }
    this.side = null;
    this.sideLen = 0;
    this.tunnels = null;
    this.services = null;
  }

  /** Reserve the next entry; returns its word offset in `ent`. */
  next(ts: number): number {
    if (this.count === this.cap) this.grow();
    const i = this.count++;
    this.ts[i] = ts;
    return i * ENT_WORDS;
  }

  /** Drop the entry just reserved (it went to another shard after all). */
  unreserve(): void {
    this.count--;
  }

  /** Copy a reassembled datagram into the side buffer; returns its offset there. */
  addSide(dg: Uint8Array): number {
    const need = this.sideLen + dg.length;
    if (this.side === null || this.side.length < need) {
      const n = new Uint8Array(Math.max(need, (this.side?.length ?? 0) * 2, 4096));
      if (this.side !== null) n.set(this.side.subarray(0, this.sideLen));
      this.side = n;
    }
    const off = this.sideLen;
    this.side.set(dg, off);
    this.sideLen = need;
    return off;
  }

  /** Index+1 of a tunnel uid in this task's table (with the service its outer flow gets). */
  tunnelRef(uid: string, service: string | null): number {
    if (this.tunnels === null) {
      this.tunnels = [];
      this.services = [];
    }
    let i = this.tunnels.lastIndexOf(uid);
    if (i < 0) {
      if (this.tunnels.length >= 0xfffe) return 0;
      i = this.tunnels.push(uid) - 1;
      this.services!.push(service);
    } else if (service !== null && this.services![i] === null) {
      this.services![i] = service;
    }
    return i + 1;
  }

  private grow(): void {
    const n = this.cap * 2;
    const ts = new Float64Array(n); ts.set(this.ts); this.ts = ts;
    const e = new Uint32Array(n * ENT_WORDS); e.set(this.ent); this.ent = e;
    this.cap = n;
  }
}

export class Dispatcher {
  readonly stats = new DispatchStats();
  readonly defrag: Defragmenter;
  private readonly pkt = new Packet();
  /** Second decoder for tunnels' outer headers. */
  private readonly outer = new Packet();
  // The frame being dispatched (pushOuter re-reads outer headers from it).
  private frameBytes: Uint8Array = new Uint8Array(0);
  private frameOff = 0;
  private frameCap = 0;
  private frameWire = 0;
  private readonly builders: ShardBuilder[];
  private readonly tunnels: TunnelRegistry;
  /** Capture clock: the latest packet timestamp seen (never goes backwards). */
  clock = 0;
  /**
   * Time of the packet being dispatched. A field rather than an argument of pushPacket/pushOuter:
   * a double passed to a call V8 does not inline is boxed on the heap, once per packet.
   */
  private curTs = 0;

  constructor(private readonly cfg: DispatcherConfig) {
    this.defrag = new Defragmenter(cfg.defrag);
    this.builders = [];
    for (let i = 0; i < cfg.shards; i++) this.builders.push(new ShardBuilder(1024));
    this.tunnels = new TunnelRegistry(new UidGenerator(cfg.uidSeed === undefined ? undefined : cfg.uidSeed ^ 0x5bd1e995));
  }

  /**
   * Split one capture batch into one task per shard. Synchronous: the batch's index arrays are
   * reused by the reader afterwards, and the chunk stays referenced through the tasks.
   */
  split(batch: PacketBatch & { bytes: Uint8Array }, readAt: number): ShardTask[] {
    const n = this.cfg.shards;
    const expected = Math.ceil(batch.count / n) + 16;
    for (const b of this.builders) b.reset(expected);
    const bytes = batch.bytes;
    const meta = batch.meta;
    const tss = batch.ts;
    const pkt = this.pkt;
    const st = this.stats;
    for (let i = 0, m = 0; i < batch.count; i++, m += META_WORDS) {
      const off = meta[m + META_OFF];
      const caplen = meta[m + META_CAPLEN];
      const wirelen = meta[m + META_WIRELEN];
      const ts = tss[i];
      this.curTs = ts;
      if (ts > this.clock) this.clock = ts;
      st.packets++;
      st.bytes += wirelen;
      pkt.reset(bytes, off, caplen, wirelen);
      this.frameBytes = bytes;
      this.frameOff = off;
      this.frameCap = caplen;
      this.frameWire = wirelen;
      let r = decodeFrame(pkt, meta[m + META_LINK] & 0xffff);
      let dg: Uint8Array | null = null;
      /** Tunnel levels below this index live in the chunk, the rest in the reassembled datagram. */
      let dgLevel = MAX_TUNNELS + 1;
      if (r === Reason.FRAGMENT_HELD) {
        if (pkt.l3Truncated) {
          // Zeek: a fragment not captured in full cannot be reassembled; the first one is still
          // analysed as if it were the whole packet (useful on header-only traces).
          if (pkt.fragOffset !== 0) {
            st.reasons[Reason.FRAGMENT_BAD]++;
            continue;
          }
          pkt.isFragment = false;
          const t = decodeTransport(pkt, false);
          r = t < 0 ? -t : Reason.OK;
        } else {
          dg = this.defrag.add(pkt, ts);
          if (dg === null) {
            st.reasons[Reason.FRAGMENT_HELD]++;
            continue;
          }
          st.reassembled++;
          // Continue decoding the whole datagram; levels entered from here on live in it.
          dgLevel = pkt.tunCount;
          pkt.buf = dg;
          pkt.frameOff = 0;
          pkt.frameEnd = dg.length;
          pkt.wirelen = dg.length;
          pkt.l3Off = 0;
          r = decodeFromEtherType(pkt, pkt.ipVersion === 4 ? ETH_IPV4 : ETH_IPV6);
        }
      }
      const tc = pkt.tunCount;
      if (r !== Reason.OK) {
        st.reasons[r]++;
        if (tc === 0) continue;
      }
      const vlan = vlanWordOf(pkt);
      let parentUid: string | null = null;
      if (tc > 0) {
        st.tunnelPackets++;
        for (let k = 0; k < tc; k++) {
          const isUdp = pkt.tunProto[k] === 17;
          const uid = this.tunnels.uidFor(tunnelKey(pkt, k), ts, isUdp ? this.cfg.udpTimeout : this.cfg.ipTunnelTimeout);
          // The outer UDP datagram of a UDP tunnel is a flow of its own (Zeek logs it).
          if (isUdp) this.pushOuter(pkt, k, k >= dgLevel ? dg : null, vlan, uid, parentUid);
          parentUid = uid;
        }
        if (r !== Reason.OK) continue;
      }
      this.pushPacket(pkt, dg, vlan, parentUid, 0);
    }
    this.defrag.expire(this.clock);
    for (let i = 0; i < Reason.COUNT; i++) {
      const c = this.defrag.counts[i];
      if (c > 0) { st.reasons[i] += c; this.defrag.counts[i] = 0; }
    }
    const tasks: ShardTask[] = [];
    for (const b of this.builders) {
      tasks.push({
        data: batch.data,
        side: b.side === null ? null : b.side.subarray(0, b.sideLen),
        count: b.count,
        ts: b.ts,
        ent: b.ent,
        tunnels: b.tunnels,
        tunnelServices: b.services,
        clock: this.clock,
        flush: false,
        readAt,
      });
    }
    return tasks;
  }

  /**
   * Append the decoded packet to its shard. The shard follows from the key hash, known only once
   * the entry is written, so the entry is written into the first shard's builder and moved if needed.
   */
  private pushPacket(p: Packet, dg: Uint8Array | null, vlan: number, parentUid: string | null,
    extraInfo: number): void {
    const n = this.cfg.shards;
    const b0 = this.builders[0];
    const o0 = b0.next(this.curTs);
    const h = writeEntry(p, b0.ent, o0, 0, extraInfo, vlan, this.cfg.vlanInKey, 0);
    let b = b0;
    let o = o0;
    const sh = n === 1 ? 0 : (h >>> 0) % n;
    if (sh !== 0) {
      b = this.builders[sh];
      o = b.next(this.curTs);
      b.ent.set(b0.ent.subarray(o0, o0 + ENT_WORDS), o);
      b0.unreserve();
    }
    const e = b.ent;
    if (dg !== null) {
      // The bytes live in a reassembly buffer: copy it into this task's side buffer and rebase.
      const base = b.addSide(dg);
      e[o + ENT_L3_OFF] += base;
      e[o + ENT_PAYLOAD_OFF] += base;
      e[o + ENT_INFO] |= INFO_IN_SIDE;
    }
    if (parentUid !== null) e[o + ENT_TUNNEL] = b.tunnelRef(parentUid, null);
    this.stats.flowUpdates++;
  }

  /** Account the outer UDP header of tunnel level `k` on its own flow, which takes the tunnel's uid. */
  private pushOuter(p: Packet, k: number, dg: Uint8Array | null, vlan: number, uid: string,
    parentUid: string | null): void {
    const q = this.outer;
    // Levels entered before a reassembly live in the capture chunk, later ones in the datagram.
    if (dg !== null) q.reset(dg, 0, dg.length, dg.length);
    else q.reset(this.frameBytes, this.frameOff, this.frameCap, this.frameWire);
    const l3 = p.tunL3Off[k];
    const r = p.tunIpVersion[k] === 4 ? decodeIpv4(q, l3) : decodeIpv6(q, l3);
    if (r !== Reason.OK || decodeTransport(q, false) !== 0) return;
    const n = this.cfg.shards;
    const b0 = this.builders[0];
    const o0 = b0.next(this.curTs);
    const h = writeEntry(q, b0.ent, o0, 0, INFO_OUTER_ONLY, vlan, this.cfg.vlanInKey, 0);
    let b = b0;
    let o = o0;
    const sh = n === 1 ? 0 : (h >>> 0) % n;
    if (sh !== 0) {
      b = this.builders[sh];
      o = b.next(this.curTs);
      b.ent.set(b0.ent.subarray(o0, o0 + ENT_WORDS), o);
      b0.unreserve();
    }
    const e = b.ent;
    if (dg !== null) {
      const base = b.addSide(dg);
      e[o + ENT_L3_OFF] += base;
      e[o + ENT_PAYLOAD_OFF] += base;
      e[o + ENT_INFO] |= INFO_IN_SIDE;
    }
    const service = TUNNEL_SERVICES[p.tunType[k] as TunnelType] || null;
    const selfRef = b.tunnelRef(uid, service);
    const parentRef = parentUid === null ? 0 : b.tunnelRef(parentUid, null);
    e[o + ENT_TUNNEL] = ((selfRef << 16) | parentRef) >>> 0;
    this.stats.flowUpdates++;
  }

  /** Take back a task's index buffers (returned by the worker) for the next batches of that shard. */
  recycle(shard: number, bufs: ArrayBuffer[]): void {
    if (bufs.length !== 2) return;
    this.builders[shard]?.recycle(new Float64Array(bufs[0]), new Uint32Array(bufs[1]));
  }

  /** A task with no packets: only advances the clock (or flushes every flow). */
  emptyTask(flush: boolean): ShardTask {
    return {
      data: null, side: null, count: 0, ts: new Float64Array(0), ent: new Uint32Array(0), tunnels: null,
      tunnelServices: null, clock: this.clock, flush, readAt: Date.now(),
    };
  }
}

function tunnelKey(pkt: Packet, k: number): string {
  const a = pkt.tunAddr;
  const o = k * 8;
  // Both directions of a tunnel share one key: order the endpoints.
  const s = `${a[o]},${a[o + 1]},${a[o + 2]},${a[o + 3]}:${pkt.tunSport[k]}`;
  const d = `${a[o + 4]},${a[o + 5]},${a[o + 6]},${a[o + 7]}:${pkt.tunDport[k]}`;
  return s < d ? `${pkt.tunProto[k]}|${s}|${d}` : `${pkt.tunProto[k]}|${d}|${s}`;
}

