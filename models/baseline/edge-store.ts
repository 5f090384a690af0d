/**
 * Edge tables keyed (a, b, service): a = source host or peer group, b = destination host or
 * group, service = interned "tcp/445"-style key. Two-level maps over the strings the record
 * already carries (their hashes are computed once per record for the host lookups anyway) instead
 * of concatenated keys: building and hashing "10.20.17.5>10.20.1.20>tcp/445" cost ~0.5 µs per
 * lookup, three times per flow. Pairs with one service (the usual case) hold the Edge directly.
 */

export interface Edge {
  s: string; // service key
  f: number; // first seen
  l: number; // last seen
  n: number; // flows (or distinct pairs, for group→group edges)
  L: number; // 1: learned in learning mode (trusted at once)
}

type Slot = Edge | Edge[];

export class EdgeStore {
  private m = new Map<string, Map<string, Slot>>();
  size = 0;

  get(a: string, b: string, s: string): Edge | undefined {
    const slot = this.m.get(a)?.get(b);
    if (slot === undefined) return undefined;
    if (!Array.isArray(slot)) return slot.s === s ? slot : undefined;
    for (const e of slot) if (e.s === s) return e;
    return undefined;
  }

  /** Insert a new edge (caller checked it is absent). */
  add(a: string, b: string, e: Edge): void {
    let inner = this.m.get(a);
    if (!inner) this.m.set(a, (inner = new Map()));
    const slot = inner.get(b);
    if (slot === undefined) inner.set(b, e);
    else if (Array.isArray(slot)) slot.push(e);
    else inner.set(b, [slot, e]);
    this.size++;
  }

  *entries(): Generator<[string, string, Edge]> {
    for (const [a, inner] of this.m) {
      for (const [b, slot] of inner) {
        if (Array.isArray(slot)) for (const e of slot) yield [a, b, e];
        else yield [a, b, slot];
      }
    }
  }

  /** Remove every edge for which `drop` is true; returns how many. */
  removeWhere(drop: (e: Edge) => boolean): number {
    let n = 0;
    for (const [a, inner] of this.m) {
      for (const [b, slot] of inner) {
        if (Array.isArray(slot)) {
          const keep = slot.filter((e) => !drop(e));
          n += slot.length - keep.length;
          if (keep.length === 0) inner.delete(b);
          else inner.set(b, keep.length === 1 ? keep[0]! : keep);
        } else if (drop(slot)) {
          inner.delete(b);
          n++;
        }
      }
      if (inner.size === 0) this.m.delete(a);
    }
    this.size -= n;
    return n;
  }

  lastSeenValues(): number[] {
    const out: number[] = [];
    for (const [, , e] of this.entries()) out.push(e.l);
    return out;
  }

  save(): unknown[] {
    return [...this.entries()].map(([a, b, e]) => [a, b, e.s, e.f, e.l, e.n, e.L]);
  }

  load(rows: unknown): void {
    this.m.clear();
    this.size = 0;
    if (!Array.isArray(rows)) return;
    for (const r of rows as [string, string, string, number, number, number, number][]) this.add(r[0], r[1], { s: r[2], f: r[3], l: r[4], n: r[5], L: r[6] });
  }
}
