/** Where format parsers put each record they find: the packet index of the current batch. */
export interface RecordSink {
  /** Returns false when the batch index is full (the parser must stop before this record). */
  readonly full: boolean;
  add(off: number, caplen: number, wirelen: number, link: number, ts: number): void;
}

/** Parser outcome for one call over a buffer window. */
export interface ParseProgress {
  /** Offset up to which input was consumed (complete records or skipped garbage). */
  pos: number;
  /**
   * Bytes to skip past `pos` without buffering them (a large block we do not need). The reader
   * seeks over them.
   */
  skip: number;
  /** Stop reading this file (unrecoverable damage or end of content). */
  stop: boolean;
}

/** A capture-format parser: a small state machine fed successive windows of the file. */
export interface FormatParser {
  /**
   * Parse records from `buf[pos, end)`. `fileOff` is the file offset of `buf[pos]`; `eof` tells
   * whether `end` is the end of the file. Complete records go to `sink`; an incomplete record
   * at the end is left unconsumed (the reader carries it into the next window).
   */
  parse(buf: Uint8Array, pos: number, end: number, eof: boolean, sink: RecordSink): ParseProgress;
  /** Largest record the parser may need in one window (the reader's chunks are larger). */
  readonly maxRecordBytes: number;
}
