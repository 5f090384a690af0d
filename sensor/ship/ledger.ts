/**
 * The collector's delivery ledger: which batches are in the output (for exactly-once across
 * retransmits and collector restarts) and how many bytes of each open output file are committed.
 *
 * Write order for a batch: records appended to the output file → one journal line (batch id and
 * the file's new committed size) → acknowledgement. On start, the snapshot is loaded, the journal
 * replayed, and each open output file truncated to its committed size, which removes the records
 * of a batch whose journal line never got written (that batch was not acknowledged, so the sender
 * retransmits it and it is written once).
 *
 * Files in DIR: `.collector-state.json` (snapshot, replaced atomically by rename) and
 * `.collector-journal` (one JSON object per line since the snapshot; entries carry a commit
 * counter so a journal left over from before the last snapshot is not applied twice).
 *
 * Bounded: at most `maxSessions` sender sessions are remembered (least recently used forgotten
 * first, counted); within a session only seqs above the cumulative point are kept, and a sender's
 * floor lets the cumulative point pass seqs that will never come.
 */
import { closeSync, existsSync, fsyncSync, ftruncateSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';

/** A batch more than this far above the cumulative point is refused (`window`). */
export const DEDUP_WINDOW = 65536;

interface SessionState {
  cum: number;
  set: Set<number>;
}

export interface FloorResult {
  /** Seqs skipped because the sender said they will never come (data lost on the sender side). */
  gaps: number;
}

const STATE = '.collector-state.json';
const JOURNAL = '.collector-journal';

type Entry =
  | { c: number; k: 'b'; s: string; q: number; p: string; z: number }
  | { c: number; k: 'f'; s: string; f: number }
  | { c: number; k: 'o'; p: string }
  | { c: number; k: 'r'; p: string };

export class Ledger {
  readonly sessions = new Map<string, SessionState>();
  /** Committed size of each open output file (path relative to the output dir). */
  readonly files = new Map<string, number>();
  private c = 0;
  private jfd = -1;
  private journalEntries = 0;
  sessionEvictions = 0;

  constructor(private readonly dir: string, private readonly maxSessions = 100_000) {}

  get journalFd(): number {
    return this.jfd;
  }

  /** Loads snapshot and journal. Returns the committed sizes for truncating output files. */
  open(): Map<string, number> {
    const sp = join(this.dir, STATE);
    if (existsSync(sp)) {
      const st = JSON.parse(readFileSync(sp, 'utf8')) as {
        c: number; sessions: [string, number, number[]][]; files: [string, number][];
      };
      this.c = st.c;
      for (const [k, cum, set] of st.sessions) this.sessions.set(k, { cum, set: new Set(set) });
      for (const [p, z] of st.files) this.files.set(p, z);
    }
    const jp = join(this.dir, JOURNAL);
    if (existsSync(jp)) {
      for (const line of readFileSync(jp, 'utf8').split('\n')) {
        if (!line) continue;
        let e: Entry;
        try {
          e = JSON.parse(line) as Entry;
        } catch {
          break; // a torn last line: its batch was never acknowledged
        }
        if (e.c <= this.c) continue;
        this.apply(e);
        this.c = e.c;
      }
    }
    this.jfd = openSync(jp, 'a', 0o600);
    this.snapshot();
    return this.files;
  }

  private apply(e: Entry): void {
    switch (e.k) {
      case 'b': {
        this.markDelivered(e.s, e.q);
        if (e.p) this.files.set(e.p, e.z);
        break;
      }
      case 'f':
        this.advanceFloor(e.s, e.f);
        break;
      case 'o':
        this.files.set(e.p, 0);
        break;
      case 'r':
        this.files.delete(e.p);
        break;
    }
  }

  private session(key: string, create: boolean): SessionState | undefined {
    let s = this.sessions.get(key);
    if (s) {
      // LRU order: most recently used last.
      this.sessions.delete(key);
      this.sessions.set(key, s);
      return s;
    }
    if (!create) return undefined;
    s = { cum: 0, set: new Set() };
    this.sessions.set(key, s);
    while (this.sessions.size > this.maxSessions) {
      const oldest = this.sessions.keys().next().value as string;
      this.sessions.delete(oldest);
      this.sessionEvictions++;
    }
    return s;
  }

  isDelivered(key: string, seq: number): boolean {
    const s = this.sessions.get(key);
    return !!s && (seq <= s.cum || s.set.has(seq));
  }

  /** True if seq is too far ahead of what this session has delivered. */
  outOfWindow(key: string, seq: number): boolean {
    const s = this.sessions.get(key);
    return seq > (s?.cum ?? 0) + DEDUP_WINDOW;
  }

  private markDelivered(key: string, seq: number): void {
    const s = this.session(key, true)!;
    if (seq <= s.cum) return;
    s.set.add(seq);
    while (s.set.has(s.cum + 1)) s.set.delete(++s.cum);
  }

  /** Returns the number of seqs passed over that were never delivered. */
  private advanceFloor(key: string, floor: number): number {
    const s = this.session(key, true)!;
    if (floor - 1 <= s.cum) return 0;
    let delivered = 0;
    for (const q of s.set) {
      if (q <= floor - 1) {
        s.set.delete(q);
        delivered++;
      }
    }
    const gaps = floor - 1 - s.cum - delivered;
    s.cum = floor - 1;
    while (s.set.has(s.cum + 1)) s.set.delete(++s.cum);
    return gaps;
  }

  /** A sender's floor: journal it only when it moves the cumulative point. */
  floor(key: string, floor: number): number {
    const s = this.sessions.get(key);
    if (floor - 1 <= (s?.cum ?? 0)) return 0;
    const gaps = this.advanceFloor(key, floor);
    this.write({ c: ++this.c, k: 'f', s: key, f: floor });
    return gaps;
  }

  /** Records a delivered batch whose records end at byte `size` of `path`. */
  commit(key: string, seq: number, path: string, size: number): void {
    this.markDelivered(key, seq);
    if (path) this.files.set(path, size); // '' for a batch with no records
    this.write({ c: ++this.c, k: 'b', s: key, q: seq, p: path, z: size });
  }

  /** Before the first write into a new output file. */
  opened(path: string): void {
    this.files.set(path, 0);
    this.write({ c: ++this.c, k: 'o', p: path });
  }

  /** After an output file was renamed away (rotation). */
  rotated(path: string): void {
    this.files.delete(path);
    this.write({ c: ++this.c, k: 'r', p: path });
  }

  /** Cumulative point and up to `max` selectively delivered seqs of a session (for acks). */
  ackState(key: string, seq: number, max = 32): { cum: number; selective: number[] } {
    const s = this.sessions.get(key);
    if (!s) return { cum: 0, selective: [] };
    const sel: number[] = [];
    if (seq > s.cum && s.set.has(seq)) sel.push(seq);
    for (const q of s.set) {
      if (sel.length >= max) break;
      if (q !== seq) sel.push(q);
    }
    return { cum: s.cum, selective: sel };
  }

  private write(e: Entry): void {
    const line = JSON.stringify(e) + '\n';
    writeSync(this.jfd, line);
    if (++this.journalEntries >= 20_000) this.snapshot();
  }

  /** Writes the snapshot atomically and empties the journal. */
  snapshot(): void {
    const sessions: [string, number, number[]][] = [];
    for (const [k, s] of this.sessions) sessions.push([k, s.cum, [...s.set]]);
    const body = JSON.stringify({ c: this.c, sessions, files: [...this.files] });
    const sp = join(this.dir, STATE);
    const tmp = sp + '.tmp';
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, body);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, sp);
    const dfd = openSync(this.dir, 'r');
    try {
      fsyncSync(dfd);
    } finally {
      closeSync(dfd);
    }
    if (this.jfd >= 0) ftruncateSync(this.jfd, 0);
    this.journalEntries = 0;
  }

  close(): void {
    if (this.jfd < 0) return;
    this.snapshot();
    closeSync(this.jfd);
    this.jfd = -1;
  }
}
