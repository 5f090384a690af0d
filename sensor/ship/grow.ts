/** A buffer with room for `need` more bytes after the first `used` (doubling; contents kept). */
export function grow(buf: Buffer, used: number, need: number): Buffer {
  if (used + need <= buf.length) return buf;
  let size = buf.length * 2;
  while (size < used + need) size *= 2;
  const nb = Buffer.allocUnsafe(size);
  buf.copy(nb, 0, 0, used);
  return nb;
}
