/**
 * What was wrong with a capture file. Counted, summarised on stderr, exported as metrics;
 * damage never stops the run unless nothing further can be read.
 */
export class CaptureDamage {
  /** Record cut by the end of the file (header or data incomplete). */
  truncatedRecords = 0;
  /** Record headers with impossible lengths (caplen above the limit, block lengths inconsistent). */
  badRecordHeaders = 0;
  /** Times the reader skipped garbage to find the next plausible record. */
  resyncs = 0;
  bytesSkipped = 0;
  /** Timestamps with a fractional part ≥ 1 s (e.g. nsec ≥ 1e9). */
  badTimestamps = 0;
  /** Link-type field with reserved upper bits set (masked off). */
  linktypeUpperBits = 0;
  /** pcapng blocks of unknown type (skipped, not damage by itself). */
  unknownBlocks = 0;
  /** pcapng packet blocks naming an interface that was never described. */
  badInterfaceIds = 0;
  /** Files whose header could not be read at all. */
  unreadableFiles = 0;
  /** Files where reading stopped before the end because resynchronisation failed. */
  abandonedFiles = 0;
  /** Human-readable notes, bounded. */
  readonly notes: string[] = [];

  note(file: string, msg: string): void {
    if (this.notes.length < 50) this.notes.push(`${file}: ${msg}`);
    else if (this.notes.length === 50) this.notes.push('… further damage notes suppressed');
  }

  /** Total of the counters that mean the input was damaged (not merely unusual). */
  get total(): number {
    return this.truncatedRecords + this.badRecordHeaders + this.resyncs + this.badTimestamps +
      this.badInterfaceIds + this.unreadableFiles + this.abandonedFiles;
  }

  toJSON(): Record<string, number> {
    return {
      truncated_records: this.truncatedRecords,
      bad_record_headers: this.badRecordHeaders,
      resyncs: this.resyncs,
      bytes_skipped: this.bytesSkipped,
      bad_timestamps: this.badTimestamps,
      linktype_upper_bits: this.linktypeUpperBits,
      unknown_blocks: this.unknownBlocks,
      bad_interface_ids: this.badInterfaceIds,
      unreadable_files: this.unreadableFiles,
      abandoned_files: this.abandonedFiles,
    };
  }
}
