// @ts-check
/**
 * Score alerts against ground-truth labels: recall per detection type (right type, category and
 * technique, from the labelled source, and how fast), and false positives per type (alerts no
 * label explains), normalised per simulated day per 1,000 hosts.
 *
 * Reusable for the stream-driven tests and for end-to-end runs (pcap → sensor → alerts file).
 */

/**
 * @typedef {{ts:number, id:string, type:string, category:string, mitre:string[], severity:number, src:string, dst:string|null, summary:string, evidence:any}} Alert
 * @typedef {{type:string, category:string, mitre:string[]}} Expect
 * @typedef {{id:string, title:string, start:number, end:number, detectable_at?:number, src:string, dst:string|null, expect:Expect[]}} Label
 */

/** Technique ids match when one is the other or a parent of it (T1021 ~ T1021.002). */
export function mitreMatch(a, b) {
  return a.some((x) => b.some((y) => x === y || x.startsWith(y + '.') || y.startsWith(x + '.')));
}

/** First emission of each alert id (dedup updates re-emit the same id). @param {Alert[]} alerts */
export function uniqueAlerts(alerts) {
  const m = new Map();
  for (const a of alerts) {
    const cur = m.get(a.id);
    if (!cur) m.set(a.id, { ...a, first_ts: a.ts, max_severity: a.severity });
    else cur.max_severity = Math.max(cur.max_severity, a.severity);
  }
  return [...m.values()];
}

/**
 * @param {Alert[]} alerts all alert lines (updates included)
 * @param {Label[]} labels
 * @param {{days: number, hosts: number, windowAfterSec?: number, inTimeSec?: number, from?: number, to?: number}} o
 *   days/hosts for normalisation; from/to restrict which alerts count (e.g. the test days)
 */
export function score(alerts, labels, o) {
  const inTime = o.inTimeSec ?? 60;
  const after = o.windowAfterSec ?? 3600;
  const uniq = uniqueAlerts(alerts).filter((a) => (o.from === undefined || a.first_ts >= o.from) && (o.to === undefined || a.first_ts < o.to));
  /** @type {Map<string, any>} */
  const byType = new Map();
  const row = (t) => {
    let r = byType.get(t);
    if (!r) byType.set(t, (r = { type: t, expected: 0, detected: 0, in_time: 0, latencies: [], fp: 0, fp_sev7: 0, side: 0 }));
    return r;
  };
  const explained = new Set();
  const details = [];
  for (const l of labels) {
    const hosts = new Set([l.src, l.dst].filter(Boolean));
    const related = uniq.filter((a) => a.first_ts >= l.start - 60 && a.first_ts <= l.end + after && (hosts.has(a.src) || (a.dst !== null && hosts.has(a.dst))));
    for (const a of related) explained.add(a.id);
    for (const e of l.expect) {
      const r = row(e.type);
      r.expected++;
      const hit = related
        .filter((a) => a.type === e.type && a.category === e.category && mitreMatch(a.mitre, e.mitre) && a.src === l.src)
        .sort((x, y) => x.first_ts - y.first_ts)[0];
      const ref = Math.max(l.start, l.detectable_at ?? l.start);
      const d = { label: l.id, type: e.type, detected: !!hit, latency_sec: hit ? +(hit.first_ts - l.start).toFixed(1) : null, latency_from_evidence_sec: hit ? +(hit.first_ts - ref).toFixed(1) : null, in_time: !!hit && hit.first_ts - ref <= inTime, severity: hit?.max_severity ?? null, alert_id: hit?.id ?? null };
      details.push(d);
      if (hit) {
        r.detected++;
        r.latencies.push(d.latency_sec);
        if (d.in_time) r.in_time++;
      }
    }
    for (const a of related) if (!l.expect.some((e) => e.type === a.type)) row(a.type).side++;
  }
  const fps = uniq.filter((a) => !explained.has(a.id));
  for (const a of fps) {
    const r = row(a.type);
    r.fp++;
    if (a.max_severity >= 7) r.fp_sev7++;
  }
  const norm = (n) => +(n / Math.max(o.days, 1e-9) / (o.hosts / 1000)).toFixed(3);
  const rows = [...byType.values()].sort((a, b) => a.type.localeCompare(b.type)).map((r) => ({
    type: r.type,
    expected: r.expected,
    detected: r.detected,
    in_time: r.in_time,
    recall: r.expected ? +(r.detected / r.expected).toFixed(2) : null,
    median_latency_sec: r.latencies.length ? r.latencies.sort((a, b) => a - b)[Math.floor(r.latencies.length / 2)] : null,
    side_alerts: r.side,
    false_positives: r.fp,
    fp_sev7: r.fp_sev7,
    fp_sev7_per_day_per_1000_hosts: norm(r.fp_sev7),
  }));
  const totalSev7 = fps.filter((a) => a.max_severity >= 7).length;
  return {
    rows,
    details,
    false_positive_alerts: fps,
    summary: {
      labels: labels.length,
      expectations: details.length,
      detected: details.filter((d) => d.detected).length,
      in_time: details.filter((d) => d.in_time).length,
      labels_detected: labels.filter((l) => details.some((d) => d.label === l.id && d.detected)).length,
      labels_in_time: labels.filter((l) => details.some((d) => d.label === l.id && d.in_time)).length,
      false_positives: fps.length,
      fp_sev7: totalSev7,
      fp_sev7_per_day_per_1000_hosts: norm(totalSev7),
      days: o.days,
      hosts: o.hosts,
    },
  };
}

/** Fixed-width text table of score rows. @param {ReturnType<typeof score>} s */
export function formatScore(s) {
  const cols = ['type', 'expected', 'detected', 'in_time', 'recall', 'median_latency_sec', 'side_alerts', 'false_positives', 'fp_sev7', 'fp_sev7_per_day_per_1000_hosts'];
  const heads = ['type', 'exp', 'det', 'in60s', 'recall', 'med.lat(s)', 'side', 'FP', 'FP≥7', 'FP≥7/day/1k'];
  const data = s.rows.map((r) => cols.map((c) => (r[c] === null ? '-' : String(r[c]))));
  const w = heads.map((h, i) => Math.max(h.length, ...data.map((d) => d[i].length)));
  const line = (cells) => cells.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  const sm = s.summary;
  return [line(heads), ...data.map(line), `labels ${sm.labels_detected}/${sm.labels} detected (${sm.labels_in_time} within 60 s of evidence); expectations ${sm.detected}/${sm.expectations}; false positives ${sm.false_positives} (${sm.fp_sev7} with severity ≥ 7 = ${sm.fp_sev7_per_day_per_1000_hosts} per day per 1,000 hosts over ${sm.days} days × ${sm.hosts} hosts)`].join('\n');
}
