/** Text forms of the decoders' four-word addresses (IPv4-mapped words print as dotted quads). */

export function isV4Mapped(w0: number, w1: number, w2: number): boolean {
  return w0 === 0 && w1 === 0 && w2 === 0xffff;
}

export function formatAddr(w0: number, w1: number, w2: number, w3: number): string {
  if (isV4Mapped(w0, w1, w2)) return `${w3 >>> 24}.${(w3 >>> 16) & 255}.${(w3 >>> 8) & 255}.${w3 & 255}`;
  return formatV6([w0 >>> 16, w0 & 0xffff, w1 >>> 16, w1 & 0xffff, w2 >>> 16, w2 & 0xffff, w3 >>> 16, w3 & 0xffff]);
}

/** RFC 5952: lower case, longest run (≥2) of zero groups compressed to "::", first run on a tie. */
function formatV6(g: number[]): string {
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) { i++; continue; }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) { bestStart = i; bestLen = j - i; }
    i = j;
  }
  if (bestLen < 2) return g.map((x) => x.toString(16)).join(':');
  const head = g.slice(0, bestStart).map((x) => x.toString(16)).join(':');
  const tail = g.slice(bestStart + bestLen).map((x) => x.toString(16)).join(':');
  return `${head}::${tail}`;
}

/** Network-order bytes of an address (4 for IPv4-mapped, else 16): Community ID input. */
export function addrBytes(w0: number, w1: number, w2: number, w3: number): Uint8Array {
  if (isV4Mapped(w0, w1, w2)) return new Uint8Array([w3 >>> 24, (w3 >>> 16) & 255, (w3 >>> 8) & 255, w3 & 255]);
  const b = new Uint8Array(16);
  const w = [w0, w1, w2, w3];
  for (let i = 0; i < 4; i++) {
    b[i * 4] = w[i] >>> 24; b[i * 4 + 1] = (w[i] >>> 16) & 255; b[i * 4 + 2] = (w[i] >>> 8) & 255; b[i * 4 + 3] = w[i] & 255;
  }
  return b;
}
