/**
 * Strict parser for the Prometheus text exposition format 0.0.4, for tests. Written here because
 * tests need a validator, not a reader (npm's parse-prometheus-text-format is built to read
 * well-formed input into objects); Prometheus' own `promtool check metrics` is used beside it as
 * the independent reference. Any violation throws with the line number:
 *  - syntax of names, labels (escapes \\ \" \n), values (Go ParseFloat: NaN/Inf in any case), timestamps;
 *  - one HELP and one TYPE per family, TYPE before the family's first sample;
 *  - a family's samples contiguous; no duplicate series;
 *  - sample names fit the family type (histogram: _bucket/_sum/_count, summary: quantile/_sum/_count);
 *  - histograms: `le` on every bucket, buckets cumulative in increasing `le`, a +Inf bucket equal
 *    to _count, and a _sum, per label set.
 */
export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
  timestamp?: number;
}

export interface Family {
  name: string;
  help?: string;
  type: MetricType;
  samples: Sample[];
}

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/** Go's strconv.ParseFloat, as Prometheus uses it: NaN/Inf/Infinity in any letter case. */
function parseValue(s: string, where: string): number {
  const l = s.toLowerCase();
  if (l === 'nan') return NaN;
  if (l === '+inf' || l === 'inf' || l === '+infinity' || l === 'infinity') return Infinity;
  if (l === '-inf' || l === '-infinity') return -Infinity;
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(s)) throw new Error(`${where}: bad value "${s}"`);
  return Number(s);
}

function unescapeHelp(s: string): string {
  return s.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

/** Parses `{a="b",c="d"}` starting at text[i] === '{'; returns labels and the index after '}'. */
function parseLabels(text: string, i: number, where: string): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  i++; // '{'
  for (;;) {
    while (text[i] === ' ') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const m = /^[a-zA-Z_][a-zA-Z0-9_]*/.exec(text.slice(i));
    if (!m) throw new Error(`${where}: bad label name at column ${i + 1}`);
    const name = m[0];
    if (!LABEL_NAME.test(name) || name.startsWith('__')) throw new Error(`${where}: reserved or bad label name "${name}"`);
    if (name in labels) throw new Error(`${where}: label "${name}" repeated`);
    i += name.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=') throw new Error(`${where}: expected = after label ${name}`);
    i++;
    while (text[i] === ' ') i++;
    if (text[i] !== '"') throw new Error(`${where}: expected " to open the value of label ${name}`);
    i++;
    let v = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new Error(`${where}: unterminated label value`);
      if (c === '"') break;
      if (c === '\\') {
        const e = text[i + 1];
        if (e === '\\') v += '\\';
        else if (e === '"') v += '"';
        else if (e === 'n') v += '\n';
        else throw new Error(`${where}: bad escape \\${e} in label value`);
        i += 2;
        continue;
      }
      if (c === '\n') throw new Error(`${where}: raw newline in label value`);
      v += c;
      i++;
    }
    labels[name] = v;
    i++; // closing quote
    while (text[i] === ' ') i++;
    if (text[i] === ',') {
      i++;
      continue;
    }
    if (text[i] === '}') return { labels, end: i + 1 };
    throw new Error(`${where}: expected , or } after label ${name}`);
  }
}

function familyOf(sample: string, fam: Family | undefined): boolean {
  if (!fam) return false;
  const n = fam.name;
  switch (fam.type) {
    case 'histogram':
      return sample === `${n}_bucket` || sample === `${n}_sum` || sample === `${n}_count`;
    case 'summary':
      return sample === n || sample === `${n}_sum` || sample === `${n}_count`;
    default:
      return sample === n;
  }
}

function seriesKey(name: string, labels: Record<string, string>): string {
  return name + JSON.stringify(Object.entries(labels).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

export function parsePrometheusText(text: string): Map<string, Family> {
  const families = new Map<string, Family>();
  const closed = new Set<string>(); // families whose block has ended
  const series = new Set<string>();
  let current: Family | undefined;

  const open = (name: string, where: string): Family => {
    if (!METRIC_NAME.test(name)) throw new Error(`${where}: bad metric name "${name}"`);
    let f = families.get(name);
    if (f && closed.has(name)) throw new Error(`${where}: family ${name} continues after other families (not contiguous)`);
    if (!f) {
      f = { name, type: 'untyped', samples: [] };
      families.set(name, f);
    }
    if (current && current !== f) closed.add(current.name);
    current = f;
    return f;
  };

  const lines = text.split('\n');
  if (lines[lines.length - 1] !== '') throw new Error('exposition must end with a newline');
  lines.forEach((line, idx) => {
    const where = `line ${idx + 1}`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+(\S+)(?:\s(.*))?$/.exec(line);
      if (!m) return; // plain comment
      const [, kind, name, rest = ''] = m;
      const f = open(name, where);
      if (kind === 'HELP') {
        if (f.help !== undefined) throw new Error(`${where}: second HELP for ${name}`);
        f.help = unescapeHelp(rest);
      } else {
        if (!TYPES.has(rest.trim())) throw new Error(`${where}: unknown type "${rest}"`);
        if (f.samples.length > 0) throw new Error(`${where}: TYPE for ${name} after its samples`);
        if ((f as Family & { typed?: boolean }).typed) throw new Error(`${where}: second TYPE for ${name}`);
        (f as Family & { typed?: boolean }).typed = true;
        f.type = rest.trim() as MetricType;
      }
      return;
    }
    const nm = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line);
    if (!nm) throw new Error(`${where}: bad sample line "${line}"`);
    const name = nm[0];
    let i = name.length;
    let labels: Record<string, string> = {};
    if (line[i] === '{') ({ labels, end: i } = parseLabels(line, i, where));
    if (line[i] !== ' ') throw new Error(`${where}: expected a space before the value`);
    const parts = line.slice(i + 1).trim().split(/\s+/);
    if (parts.length < 1 || parts.length > 2 || parts[0] === '') throw new Error(`${where}: expected "value [timestamp]"`);
    const value = parseValue(parts[0], where);
    let timestamp: number | undefined;
    if (parts.length === 2) {
      if (!/^-?\d+$/.test(parts[1])) throw new Error(`${where}: bad timestamp "${parts[1]}"`);
      timestamp = Number(parts[1]);
    }
    const fam = familyOf(name, current) ? current! : open(name, where);
    if (fam.type === 'histogram' && name.endsWith('_bucket') && labels.le === undefined) throw new Error(`${where}: histogram bucket without le`);
    if (fam.type === 'summary' && name === fam.name && labels.quantile === undefined) throw new Error(`${where}: summary sample without quantile`);
    if (fam.type === 'counter' && value < 0) throw new Error(`${where}: negative counter`);
    const key = seriesKey(name, labels);
    if (series.has(key)) throw new Error(`${where}: duplicate series ${name}${JSON.stringify(labels)}`);
    series.add(key);
    fam.samples.push({ name, labels, value, timestamp });
  });

  for (const f of families.values()) if (f.type === 'histogram') checkHistogram(f);
  return families;
}

function checkHistogram(f: Family): void {
  const groups = new Map<string, { buckets: Array<[number, number]>; sum?: number; count?: number }>();
  for (const s of f.samples) {
    const { le, ...rest } = s.labels;
    const k = JSON.stringify(Object.entries(rest).sort());
    const g = groups.get(k) ?? { buckets: [] };
    groups.set(k, g);
    if (s.name.endsWith('_bucket')) g.buckets.push([parseValue(le, f.name), s.value]);
    else if (s.name.endsWith('_sum')) g.sum = s.value;
    else g.count = s.value;
  }
  for (const [k, g] of groups) {
    if (g.sum === undefined || g.count === undefined) throw new Error(`${f.name}${k}: histogram without _sum or _count`);
    for (let i = 1; i < g.buckets.length; i++) {
      if (!(g.buckets[i][0] > g.buckets[i - 1][0])) throw new Error(`${f.name}${k}: buckets not in increasing le`);
      if (g.buckets[i][1] < g.buckets[i - 1][1]) throw new Error(`${f.name}${k}: buckets not cumulative`);
    }
    const last = g.buckets[g.buckets.length - 1];
    if (!last || last[0] !== Infinity) throw new Error(`${f.name}${k}: no +Inf bucket`);
    if (last[1] !== g.count) throw new Error(`${f.name}${k}: +Inf bucket ${last[1]} != _count ${g.count}`);
  }
}
