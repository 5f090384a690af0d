/**
 * Allocation-free IP address parsing for the analytics hot path.
 *
 * Flow records carry addresses as strings (Zeek JSON). Matching them against configured networks
 * per record with ip-num would cost ~0.24 ms each (see shared/DEPENDENCIES.md); instead we parse
 * once into integers and compare with precompiled masks (`cidr.ts`).
 */

/** IPv4 dotted quad → unsigned 32-bit integer, or -1 when the string is not a plain IPv4 address. */
export function parseIPv4(s: string): number {
  let acc = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      if (++digits > 3 || part > 255) return -1;
    } else if (c === 46) {
      if (digits === 0 || ++dots > 3) return -1;
      acc = acc * 256 + part;
      part = 0;
      digits = 0;
    } else {
      return -1;
    }
  }
  if (dots !== 3 || digits === 0) return -1;
  return acc * 256 + part;
}

/**
 * IPv6 text → four 32-bit words written into `out` (most significant first). Returns false on a
 * malformed address. Accepts `::` compression and a trailing dotted IPv4 part; ignores a `%zone`.
 */
export function parseIPv6(s: string, out: Uint32Array): boolean {
  const pct = s.indexOf('%');
  if (pct >= 0) s = s.slice(0, pct);
  const groups = new Array<number>(8).fill(0);
  const dbl = s.indexOf('::');
  if (dbl >= 0 && s.indexOf('::', dbl + 1) >= 0) return false;
  const head = dbl >= 0 ? s.slice(0, dbl) : s;
  const tail = dbl >= 0 ? s.slice(dbl + 2) : '';
  const parseSide = (part: string): number[] | null => {
    if (part === '') return [];
    const fields = part.split(':');
    const res: number[] = [];
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i]!;
      if (i === fields.length - 1 && f.includes('.')) {
        const v4 = parseIPv4(f);
        if (v4 < 0) return null;
        res.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (f.length === 0 || f.length > 4 || !/^[0-9a-fA-F]+$/.test(f)) return null;
      res.push(parseInt(f, 16));
    }
    return res;
  };
  const h = parseSide(head);
  const t = parseSide(tail);
  if (!h || !t) return false;
  if (dbl < 0 && h.length !== 8) return false;
  if (dbl >= 0 && h.length + t.length > 7) return false;
  for (let i = 0; i < h.length; i++) groups[i] = h[i]!;
  for (let i = 0; i < t.length; i++) groups[8 - t.length + i] = t[i]!;
  for (let w = 0; w < 4; w++) out[w] = ((groups[2 * w]! << 16) | groups[2 * w + 1]!) >>> 0;
  return true;
}

export function formatIPv4(n: number): string {
  return `${(n >>> 24) & 255}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
