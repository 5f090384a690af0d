/**
 * Zeek's connection history string: one letter per notable event, upper case for the
 * originator, lower case for the responder. Some letters are recorded once per direction
 * (CheckHistory), some again whenever their sequence number changes, and 'c', 'g', 't', 'w'
 * logarithmically (at the 1st, 10th, 100th … occurrence).
 */
import { FlowStore } from './flow-store.js';

/** Letters beyond this are dropped (Zeek's history is unbounded; ours must not be). */
export const MAX_HISTORY = 64;

export function addHistory(s: FlowStore, f: number, code: string): void {
  const h = s.history[f];
  if (h.length < MAX_HISTORY) s.history[f] = h + code;
}

/** Record `code` once per direction: returns true when it had been seen already. */
export function checkHistory(s: FlowStore, f: number, mask: number, code: string): boolean {
  const seen = s.histSeen[f];
  if ((seen & mask) === 0) {
    s.histSeen[f] = (seen | mask) >>> 0;
    addHistory(s, f, code);
    return false;
  }
  return true;
}

/** Endpoint-relative CheckHistory: responder masks are shifted and letters lower-cased. */
export function checkEpHistory(s: FlowStore, f: number, isOrig: boolean, mask: number, code: string): boolean {
  const m = isOrig ? mask : mask << 16;
  const seen = s.histSeen[f];
  if ((seen & m) !== 0) return true;
  s.histSeen[f] = (seen | m) >>> 0;
  addHistory(s, f, isOrig ? code : code.toLowerCase());
  return false;
}

export function addEpHistory(s: FlowStore, f: number, isOrig: boolean, code: string): void {
  addHistory(s, f, isOrig ? code : code.toLowerCase());
}

/**
 * Zeek's ScaledHistoryEntry: record the letter when the counter reaches the threshold, then
 * raise the threshold tenfold. `cnt`/`thresh` are the endpoint's counter columns.
 */
export function scaledHistory(
  s: FlowStore, f: number, e: number, isOrig: boolean, code: string, cnt: Uint32Array, thresh: Uint32Array,
): void {
  const c = cnt[e] + 1;
  cnt[e] = c;
  if (c === thresh[e]) {
    addEpHistory(s, f, isOrig, code);
    const next = thresh[e] * 10;
    if (next > 0xffffffff) cnt[e] = 0;
    else thresh[e] = next;
  }
}
