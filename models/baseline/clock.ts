/**
 * Capture-time calendar: local hour-of-day and day boundaries in the site's time zone (a German
 * hospital's 08:00 shift change is 07:00 or 06:00 UTC depending on DST). Computed once per hour
 * boundary, never per record.
 */
export class LocalClock {
  private fmt: Intl.DateTimeFormat;

  constructor(readonly timeZone: string) {
    this.fmt = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
    });
  }

  /** Local hour 0..23 and a day key "YYYY-MM-DD" for capture time `ts` (seconds). */
  at(ts: number): { hour: number; day: string } {
    const parts = this.fmt.formatToParts(new Date(ts * 1000));
    let y = '', m = '', d = '', h = '0';
    for (const p of parts) {
      if (p.type === 'year') y = p.value;
      else if (p.type === 'month') m = p.value;
      else if (p.type === 'day') d = p.value;
      else if (p.type === 'hour') h = p.value;
    }
    return { hour: +h % 24, day: `${y}-${m}-${d}` };
  }

  /** Start of the UTC hour containing ts: time zones used here have whole-hour offsets. */
  static hourStart(ts: number): number {
    return Math.floor(ts / 3600) * 3600;
  }

  static isValidZone(tz: string): boolean {
    try {
      new Intl.DateTimeFormat('en-GB', { timeZone: tz });
      return true;
    } catch {
      return false;
    }
  }
}
