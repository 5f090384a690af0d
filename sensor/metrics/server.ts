/**
 * HTTP endpoint for Prometheus and orchestrators (node:http, no framework):
 *   GET /metrics  text exposition of the SensorMetrics registry
 *   GET /healthz  200 while the process is alive and its event loop turns (Docker HEALTHCHECK)
 *   GET /readyz   200 when every readiness check passes, else 503; JSON body names the failing ones
 * Anything else: 404; methods other than GET/HEAD: 405. Requests have short timeouts so a stuck
 * client cannot pile up sockets.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SensorMetrics } from './registry.js';

/** A readiness check: true when fine, or a string saying what is wrong. May throw (= not ready). */
export type ReadinessCheck = () => true | string;

export interface MetricsServerOptions {
  metrics: SensorMetrics;
  /** Default 9465 (--metrics-port); 0 picks a free port (tests). */
  port?: number;
  /** Default: all addresses. Use 127.0.0.1 to keep metrics local. */
  host?: string;
  /** Named readiness checks, e.g. { capture: ..., workers: ..., shipper: ... }. */
  readiness?: Record<string, ReadinessCheck>;
}

export interface MetricsServer {
  readonly port: number;
  readonly host: string;
  /** Replace or add readiness checks (e.g. after workers start). */
  setReadiness(checks: Record<string, ReadinessCheck>): void;
  close(): Promise<void>;
}

export const DEFAULT_METRICS_PORT = 9465;

export interface ReadinessResult {
  ready: boolean;
  checks: Record<string, { ok: boolean; detail?: string }>;
}

export function evaluateReadiness(checks: Record<string, ReadinessCheck>): ReadinessResult {
  const out: ReadinessResult = { ready: true, checks: {} };
  for (const [name, check] of Object.entries(checks)) {
    let r: true | string;
    try {
      r = check();
    } catch (err) {
      r = `check failed: ${(err as Error).message}`;
    }
    if (r === true) out.checks[name] = { ok: true };
    else {
      out.ready = false;
      out.checks[name] = { ok: false, detail: r };
    }
  }
  return out;
}

export function startMetricsServer(options: MetricsServerOptions): Promise<MetricsServer> {
  const { metrics } = options;
  let checks: Record<string, ReadinessCheck> = { ...(options.readiness ?? {}) };

  const server = http.createServer((req, res) => {
    const url = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD', 'Content-Type': 'text/plain' }).end('method not allowed\n');
      return;
    }
    const send = (status: number, type: string, body: string) => {
      res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(body) });
      res.end(req.method === 'HEAD' ? undefined : body);
    };
    switch (url) {
      case '/metrics':
        metrics.metrics().then(
          (text) => send(200, metrics.contentType, text),
          (err: Error) => send(500, 'text/plain', `metrics collection failed: ${err.message}\n`),
        );
        return;
      case '/healthz':
        send(200, 'text/plain', 'ok\n');
        return;
      case '/readyz': {
        const r = evaluateReadiness(checks);
        send(r.ready ? 200 : 503, 'application/json', JSON.stringify(r) + '\n');
        return;
      }
      default:
        send(404, 'text/plain', 'not found: try /metrics, /healthz, /readyz\n');
    }
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  server.keepAliveTimeout = 5_000;
  server.maxHeadersCount = 50;

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? DEFAULT_METRICS_PORT, options.host, () => {
      server.off('error', reject);
      const addr = server.address() as AddressInfo;
      resolve({
        port: addr.port,
        host: addr.address,
        setReadiness(next) {
          checks = { ...checks, ...next };
        },
        close() {
          return new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
        },
      });
    });
  });
}
