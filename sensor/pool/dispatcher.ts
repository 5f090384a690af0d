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
import { Defragmenter, type DefragLimits } from '../../parsers/net/defrag.js';
import { ETH_IPV4, ETH_IPV6 } from '../../parsers/link/ethernet.js';
import { UidGenerator } from '../../models/flow/uid.js';
import { TunnelRegistry } from './tunnel-registry.js';
import { META_CAPLEN, META_LINK, META_OFF, META_WIRELEN, META_WORDS } from '../capture/batch.js';
import type { ReaderBatch } from '../capture/file-reader.js';
import {
  ENT_INFO, ENT_L3_CAPLEN, ENT_L3_OFF, ENT_L3_WIRELEN, ENT_TUNNEL, ENT_VLAN, ENT_WORDS,
  INFO_FIRST_FRAGMENT, INFO_IN_SIDE, INFO_OUTER_ONLY, INFO_V4, INFO_V6, type ShardTask,
} from './shard-task.js';

export interface DispatcherConfig {
  shards: number;
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

  reset(cap: number): void {
    this.cap = cap;
    this.count = 0;
    this.ts = new Float64Array(cap);
    this.ent = new Uint32Array(cap * ENT_WORDS);
    this.side = null;
    this.sideLen = 0;
    this.tunnels = null;
    this.services = null;
  }

  push(ts: number, off: number, capLen: number, wireLen: number, info: number, vlan: number, tref: number): void {
    if (this.count === this.cap) this.grow();
    const i = this.count++;
    const o = i * ENT_WORDS;
    this.ts[i] = ts;
    const e = this.ent;
    e[o + ENT_L3_OFF] = off;
    e[o + ENT_L3_CAPLEN] = capLen;
    e[o + ENT_L3_WIRELEN] = wireLen;
    e[o + ENT_INFO] = info;
    e[o + ENT_VLAN] = vlan;
    e[o + ENT_TUNNEL] = tref;
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
  private readonly builders: ShardBuilder[];
  private readonly tunnels: TunnelRegistry;
  /** Capture clock: the latest packet timestamp seen (never goes backwards). */
  clock = 0;

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
  split(batch: ReaderBatch, readAt: number): ShardTask[] {
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
      if (ts > this.clock) this.clock = ts;
      st.packets++;
      st.bytes += wirelen;
      pkt.reset(bytes, off, caplen, wirelen);
      let r = decodeFrame(pkt, meta[m + META_LINK] & 0xffff);
      let inSide = false;
      let firstFragment = false;
      let sideDg: Uint8Array | null = null;
      let sideLevel = MAX_TUNNELS + 1;
      if (r === Reason.FRAGMENT_HELD) {
        if (pkt.l3Truncated) {
          // Zeek: a fragment not captured in full cannot be reassembled; the first one is still
          // analysed as if it were the whole packet (useful on header-only traces).
          if (pkt.fragOffset === 0) {
            firstFragment = true;
            pkt.isFragment = false;
            const t = decodeTransport(pkt, false);
            r = t < 0 ? -t : Reason.OK;
          } else {
            st.reasons[Reason.FRAGMENT_BAD]++;
            continue;
          }
        } else {
          const dg = this.defrag.add(pkt, ts);
          if (dg === null) {
            st.reasons[Reason.FRAGMENT_HELD]++;
            continue;
          }
          st.reassembled++;
          // Continue decoding the whole datagram; levels entered from here on live in it.
          sideLevel = pkt.tunCount;
          pkt.buf = dg;
          pkt.frameOff = 0;
          pkt.frameEnd = dg.length;
          pkt.wirelen = dg.length;
          pkt.l3Off = 0;
          r = decodeFromEtherType(pkt, pkt.ipVersion === 4 ? ETH_IPV4 : ETH_IPV6);
          inSide = true;
          sideDg = dg;
        }
      }
      const tc = pkt.tunCount;
      if (r !== Reason.OK) {
        st.reasons[r]++;
        if (tc === 0) continue;
      }
      const vlan = pkt.vlan < 0 ? 0 : (((pkt.vlan + 1) << 16) | (pkt.innerVlan < 0 ? 0 : pkt.innerVlan + 1)) >>> 0;
      let parentUid: string | null = null;
      if (tc > 0) {
        st.tunnelPackets++;
        for (let k = 0; k < tc; k++) {
          const type = pkt.tunType[k] as TunnelType;
          const isUdp = pkt.tunProto[k] === 17;
          const uid = this.tunnels.uidFor(tunnelKey(pkt, k), ts, isUdp ? this.cfg.udpTimeout : this.cfg.ipTunnelTimeout);
          if (isUdp) {
            // The outer UDP datagram is a flow of its own (Zeek logs it): account it there.
            const a = pkt.tunAddr;
            const o = k * 8;
            const sh = shardOf(a[o], a[o + 1], a[o + 2], a[o + 3], pkt.tunSport[k], a[o + 4], a[o + 5], a[o + 6], a[o + 7], pkt.tunDport[k], 17, n);
            const b = this.builders[sh];
            const service = TUNNEL_SERVICES[type] || null;
            const selfRef = b.tunnelRef(uid, service);
            const parentRef = parentUid === null ? 0 : b.tunnelRef(parentUid, null);
            const l3 = pkt.tunL3Off[k];
            const info = (pkt.tunIpVersion[k] === 4 ? INFO_V4 : INFO_V6) | INFO_OUTER_ONLY;
            if (k >= sideLevel && sideDg !== null) {
              const so = b.addSide(sideDg);
              b.push(ts, so + l3, sideDg.length - l3, sideDg.length - l3, info | INFO_IN_SIDE, vlan, (selfRef << 16) | parentRef);
            } else {
              b.push(ts, l3, off + caplen - l3, wirelen - (l3 - off), info, vlan, (selfRef << 16) | parentRef);
            }
            st.flowUpdates++;
          }
          parentUid = uid;
        }
        if (r !== Reason.OK) continue;
      }
      const sh = shardOf(pkt.src0, pkt.src1, pkt.src2, pkt.src3, pkt.sport, pkt.dst0, pkt.dst1, pkt.dst2, pkt.dst3, pkt.dport, pkt.ipProto, n);
      const b = this.builders[sh];
      const tref = parentUid === null ? 0 : b.tunnelRef(parentUid, null);
      let info = pkt.ipVersion === 4 ? INFO_V4 : INFO_V6;
      if (firstFragment) info |= INFO_FIRST_FRAGMENT;
      if (inSide && sideDg !== null) {
        const so = b.addSide(sideDg);
        b.push(ts, so + pkt.l3Off, sideDg.length - pkt.l3Off, sideDg.length - pkt.l3Off, info | INFO_IN_SIDE, vlan, tref);
      } else {
        const l3 = pkt.l3Off;
        b.push(ts, l3, off + caplen - l3, wirelen - (l3 - off), info, vlan, tref);
      }
      st.flowUpdates++;
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

/**
 * Symmetric shard choice: A→B and B→A give the same value (XOR of per-endpoint hashes), so both
 * directions of a flow meet in one worker.
 */
export function shardOf(s0: number, s1: number, s2: number, s3: number, sp: number,
  d0: number, d1: number, d2: number, d3: number, dp: number, proto: number, n: number): number {
  if (n === 1) return 0;
  const a = endpointHash(s0, s1, s2, s3, sp);
  const b = endpointHash(d0, d1, d2, d3, dp);
  let h = (a ^ b) + proto;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) % n;
}

function endpointHash(w0: number, w1: number, w2: number, w3: number, port: number): number {
  let h = Math.imul(w3 ^ 0x9e3779b9, 0xcc9e2d51);
  h = Math.imul((h << 15) | (h >>> 17), 0x1b873593) ^ w2;
  h = Math.imul((h << 13) | (h >>> 19), 5) + w1;
  h = Math.imul(h ^ w0, 0x27d4eb2f) + port;
  return h | 0;
}
