/**
 * Names the tunnels packets arrive in. Zeek lists the encapsulating connection's uid in an inner
 * flow's `tunnel_parents`; for UDP tunnels (VXLAN, Geneve, GTP-U, Teredo) that is the uid of the
 * outer UDP connection, which a different shard may track. The dispatcher therefore assigns the
 * uid here, once, and hands it both to the shard of the outer flow (which adopts it) and to the
 * shard of the inner flow (which lists it). A tunnel gets a new uid after the same inactivity
 * timeout the outer flow expires on, so both sides agree. Bounded: least recently used tunnels
 * are forgotten beyond `maxTunnels`.
 */
import { UidGenerator } from '../../models/flow/uid.js';

export class TunnelRegistry {
  private readonly map = new Map<string, { uid: string; last: number }>();
  // One-entry cache: on an ERSPAN/VXLAN-fed sensor nearly every packet comes through the same tunnel.
  private lastKey = '';
  private lastEntry: { uid: string; last: number } | null = null;

  constructor(
    private readonly uids: UidGenerator,
    private readonly maxTunnels = 65536,
  ) {}

  get size(): number {
    return this.map.size;
  }

  uidFor(key: string, ts: number, timeout: number): string {
    let e = key === this.lastKey ? this.lastEntry : (this.map.get(key) ?? null);
    if (e !== null && ts - e.last >= timeout) {
      this.map.delete(key);
      e = null;
    }
    if (e === null) {
      if (this.map.size >= this.maxTunnels) {
        const oldest = this.map.keys().next();
        if (!oldest.done) this.map.delete(oldest.value);
      }
      e = { uid: this.uids.uid(), last: ts };
      this.map.set(key, e);
    } else if (key !== this.lastKey) {
      // keep Map order ≈ recency for the LRU bound
      this.map.delete(key);
      this.map.set(key, e);
    }
    e.last = ts;
    this.lastKey = key;
    this.lastEntry = e;
    return e.uid;
  }
}
