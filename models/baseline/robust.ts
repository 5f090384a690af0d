/**
 * Robust running statistics over log-volumes. Bytes per hour are heavy-tailed, so we track the
 * exponentially weighted mean of log1p(bytes) and the EW mean absolute deviation around it (a
 * robust spread: one huge hour moves it far less than a variance would). Early observations are
 * averaged evenly (alpha = 1/n) so a few days of learning already give a usable profile.
 */

/** Update slot i (mean at i, dev at i+1) with observation x; n = observations before this one. */
export function ewUpdate(a: Float32Array, i: number, x: number, n: number, alphaMin: number): void {
  if (n === 0) {
    a[i] = x;
    a[i + 1] = 0;
    return;
  }
  const alpha = Math.max(1 / (n + 1), alphaMin);
  const mean = a[i]!;
  const d = Math.abs(x - mean);
  a[i] = mean + alpha * (x - mean);
  a[i + 1] = a[i + 1]! + alpha * (d - a[i + 1]!);
}

/** Upper threshold in bytes: expm1(mean + k·max(dev, minDev)). */
export function upperBytes(a: Float32Array, i: number, k: number, minDev: number): number {
  return Math.expm1(a[i]! + k * Math.max(a[i + 1]!, minDev));
}

/** Typical (EW-median-like) value in bytes. */
export function typicalBytes(a: Float32Array, i: number): number {
  return Math.expm1(a[i]!);
}
