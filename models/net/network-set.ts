/**
 * Longest-prefix matching over precompiled integer masks. Kept apart from the CIDR parser
 * (networks.ts, which needs ip-num) so flow workers can match addresses without loading ip-num:
 * the main thread parses the configuration once and hands workers the parsed words.
 */
export interface ParsedCidr {
  v6: boolean;
  /** Network words (IPv4: one word in w[3]). */
  w: [number, number, number, number];
  /** Mask words. */
  m: [number, number, number, number];
  prefix: number;
  text: string;
}

/**
 * A set of networks with longest-prefix lookup returning the index of the matching entry
 * (entries keep their caller-given index, so zones can be looked up by it).
 */
export class NetworkSet {
  private readonly nets: Uint32Array;
  private readonly masks: Uint32Array;
  private readonly ids: Int32Array;

  constructor(entries: { cidr: ParsedCidr; id: number }[]) {
    // Longest prefix first, so the first match is the most specific.
    const sorted = [...entries].sort((a, b) => b.cidr.prefix - a.cidr.prefix);
    this.nets = new Uint32Array(sorted.length * 4);
    this.masks = new Uint32Array(sorted.length * 4);
    this.ids = new Int32Array(sorted.length);
    sorted.forEach((e, i) => {
      for (let k = 0; k < 4; k++) {
        this.nets[i * 4 + k] = e.cidr.w[k];
        this.masks[i * 4 + k] = e.cidr.m[k];
      }
      this.ids[i] = e.id;
    });
  }

  get size(): number {
    return this.ids.length;
  }

  /** Index (caller's id) of the most specific network containing the address, or -1. */
  lookup(w0: number, w1: number, w2: number, w3: number): number {
    const n = this.nets;
    const m = this.masks;
    for (let i = 0, k = 0; i < this.ids.length; i++, k += 4) {
      if (((w3 & m[k + 3]) >>> 0) === n[k + 3] && ((w2 & m[k + 2]) >>> 0) === n[k + 2] &&
        ((w1 & m[k + 1]) >>> 0) === n[k + 1] && ((w0 & m[k]) >>> 0) === n[k]) {
        return this.ids[i];
      }
    }
    return -1;
  }

  contains(w0: number, w1: number, w2: number, w3: number): boolean {
    return this.lookup(w0, w1, w2, w3) >= 0;
  }
}

