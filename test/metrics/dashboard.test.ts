/**
 * docs/grafana-dashboard.json stays true to the metrics: every metric a panel queries exists in
 * the registry, every query is valid PromQL (checked by Prometheus' own parser through
 * `promtool check rules`), and the panels issue 6 asks for are there.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { SensorMetrics } from '../../sensor/metrics/registry.js';
import { parsePrometheusText } from '../helpers/promtext.js';
import { repoRoot } from '../helpers/transpile.js';

interface Panel {
  type: string;
  id: number;
  title: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: unknown;
  targets?: Array<{ expr: string; refId: string }>;
}

const dash = JSON.parse(readFileSync(path.join(repoRoot, 'docs', 'grafana-dashboard.json'), 'utf8')) as { panels: Panel[]; templating: unknown };
const panels = dash.panels.filter((p) => p.type !== 'row');
const exprs = panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

describe('Grafana dashboard', () => {
  it('has well-formed panels: unique ids, a datasource and queries each, inside the 24-column grid', () => {
    const ids = dash.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of panels) {
      expect(p.datasource, p.title).toBeDefined();
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
    }
  });

  it('queries only metric families the sensor exports', async () => {
    const m = new SensorMetrics();
    m.onBatch({ latencySeconds: 0.01 });
    const exported = new Set<string>();
    for (const f of parsePrometheusText(await m.metrics()).values()) {
      exported.add(f.name);
      for (const s of f.samples) exported.add(s.name);
    }
    const used = new Set(exprs.flatMap(({ expr }) => expr.match(/\b(?:ndr|process|nodejs)_[a-z0-9_]+/g) ?? []));
    const missing = [...used].filter((n) => !exported.has(n) && !exported.has(n.replace(/_bucket$/, '')));
    expect(missing).toEqual([]);
    expect(used.size).toBeGreaterThan(25);
  });

  it('covers capture, drops, decode errors, flows, alerts, workers, latency, shipping and self-audit', () => {
    const all = exprs.map((e) => e.expr).join('\n');
    for (const m of ['ndr_capture_packets_total', 'ndr_capture_kernel_drops_total', 'ndr_decode_errors_total', 'ndr_flows_active',
      'ndr_alerts_total', 'ndr_worker_busy_ratio', 'ndr_batch_latency_seconds_bucket', 'ndr_ship_queue_batches', 'ndr_ship_spool_bytes',
      'ndr_selfaudit_tcp_oneway_ratio', 'ndr_selfaudit_silent_zones', 'ndr_selfaudit_duplicate_ratio']) {
      expect(all, m).toContain(m);
    }
    expect(all).toMatch(/sum by \(category, severity\)/);
    expect(all).toMatch(/histogram_quantile\(0\.99/);
  });

  it("every query is valid PromQL (promtool's parser)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'ndr-dash-'));
    const rules = ['groups:', '  - name: dashboard', '    rules:'];
    exprs.forEach(({ expr }, i) => {
      // Grafana's variables, as Grafana would substitute them.
      const q = expr.replaceAll('$__rate_interval', '5m').replaceAll('$instance', '.*');
      rules.push(`      - record: dashboard:q${i}`, `        expr: ${JSON.stringify(q)}`);
    });
    const file = path.join(dir, 'rules.yml');
    writeFileSync(file, rules.join('\n') + '\n');
    const r = spawnSync('promtool', ['check', 'rules', file], { encoding: 'utf8' });
    expect(r.error, 'promtool missing: apt-get install prometheus').toBeUndefined();
    expect(r.stdout + r.stderr).toContain(`SUCCESS: ${exprs.length} rules found`);
    expect(r.status).toBe(0);
  });
});
