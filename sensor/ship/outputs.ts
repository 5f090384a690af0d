/**
 * The factory behind `--ship`, `--ipfix` and `--syslog`: one object the record path calls, fanning
 * records out to whatever is configured. Conn records go to the shipper's `flows` stream and to
 * IPFIX; protocol events to `events`; alerts to `alerts` and syslog.
 */
import { createRequire } from 'node:module';
import type { Registry } from 'prom-client';
import { IpfixExporter, type ConnLike } from '../export/ipfix.js';
import { SyslogExporter, type AlertLike } from '../export/syslog.js';
import type { ShipOptions } from './options.js';
import { Shipper, type DrainResult, type ShipperStats } from './shipper.js';

export interface Outputs {
  flow(record: object): void;
  event(record: object): void;
  alert(record: object): void;
  /** Flushes and waits (at most --drain-timeout) for acknowledgements, then closes everything. */
  finish(): Promise<FinishReport>;
  readonly shipper: Shipper | null;
  readonly ipfix: IpfixExporter | null;
  readonly syslog: SyslogExporter | null;
}

export interface FinishReport {
  ship: DrainResult | null;
  /** One line for the operator, e.g. "ship: all 120 batches acknowledged". */
  summary: string;
}

export async function createOutputs(o: ShipOptions, log: (m: string) => void = (m) => process.stderr.write(`${m}\n`)): Promise<Outputs> {
  let shipper: Shipper | null = null;
  let ipfix: IpfixExporter | null = null;
  let syslog: SyslogExporter | null = null;
  try {
    if (o.ship) {
      shipper = new Shipper({
        host: o.ship.host, port: o.ship.port, keys: o.ship.keys, sensorId: o.ship.sensorId, spoolDir: o.ship.spoolDir,
        spoolMaxBytes: o.ship.spoolMaxBytes, log: (m) => log(`ship: ${m}`),
      });
      await shipper.start();
    }
    if (o.ipfix) {
      ipfix = new IpfixExporter({ ...o.ipfix, log: (m) => log(`ipfix: ${m}`) });
      await ipfix.start();
    }
    if (o.syslog) {
      syslog = new SyslogExporter({ ...o.syslog, log: (m) => log(`syslog: ${m}`) });
      await syslog.start();
    }
  } catch (e) {
    await shipper?.close();
    await ipfix?.close();
    await syslog?.close();
    throw e;
  }
  return {
    shipper, ipfix, syslog,
    flow(r) {
      shipper?.push('flows', r);
      ipfix?.push(r as ConnLike);
    },
    event(r) {
      shipper?.push('events', r);
    },
    alert(r) {
      shipper?.push('alerts', r);
      syslog?.send(r as AlertLike);
    },
    async finish() {
      let ship: DrainResult | null = null;
      let summary = '';
      if (shipper) {
        const r = await shipper.drain(o.drainTimeoutMs);
        ship = await shipper.close();
        const left = r.spooled + r.unacked;
        summary = left === 0
          ? `ship: all ${r.acked} batch(es) (${r.ackedRecords} records) acknowledged`
          : `ship: ${left} batch(es) unacknowledged after ${o.drainTimeoutMs / 1000} s; ` +
            (r.spooled ? `${r.spooled} (${r.spooledRecords} records) stay in spool ${o.ship!.spoolDir} and go out first next start` : '') +
            (r.unacked ? `${r.unacked} LOST (no --spool)` : '');
        log(summary);
      }
      await ipfix?.close();
      await syslog?.close();
      return { ship, summary };
    },
  };
}

/**
 * Prometheus metrics for a shipper (sensor side), read from its stats at scrape time.
 * Names: ndr_ship_<counter>_total for counters, ndr_ship_<gauge> for gauges.
 */
export function registerShipperMetrics(registry: Registry, stats: ShipperStats): void {
  // Loaded here, not at module load: replay never registers metrics and prom-client costs
  // ~50 ms of startup. It is CommonJS, so a synchronous require keeps this function synchronous.
  const { Counter, Gauge } = createRequire(import.meta.url)('prom-client') as typeof import('prom-client');
  const counters: [keyof ShipperStats, string, string][] = [
    ['recordsPushed', 'ndr_ship_records_pushed_total', 'Records handed to the shipper'],
    ['recordsAcked', 'ndr_ship_records_acked_total', 'Records acknowledged by the collector'],
    ['batchesSent', 'ndr_ship_batches_sent_total', 'Batches sent (first transmission)'],
    ['batchesRetransmitted', 'ndr_ship_batches_retransmitted_total', 'Batch retransmissions'],
    ['batchesAcked', 'ndr_ship_batches_acked_total', 'Batches acknowledged'],
    ['datagramsSent', 'ndr_ship_datagrams_sent_total', 'Datagrams sent, retransmissions included'],
    ['batchesLost', 'ndr_ship_batches_lost_total', 'Batches dropped without acknowledgement (data loss)'],
    ['recordsLost', 'ndr_ship_records_lost_total', 'Records dropped without acknowledgement (data loss)'],
    ['spoolEvictions', 'ndr_ship_spool_evictions_total', 'Batches evicted at the spool cap (data loss)'],
    ['recordsRefused', 'ndr_ship_records_refused_total', 'Records refused: larger than a batch, or not encodable'],
    ['acksRejected', 'ndr_ship_acks_rejected_total', 'Ack datagrams that failed parsing or authentication'],
    ['sendErrors', 'ndr_ship_send_errors_total', 'Socket send errors'],
  ];
  for (const [k, name, help] of counters) {
    new Counter({ name, help, registers: [registry], collect() { this.reset(); this.inc(stats[k] as number); } });
  }
  const gauges: [keyof ShipperStats, string, string][] = [
    ['inFlightBatches', 'ndr_ship_in_flight_batches', 'Batches sent and not yet acknowledged'],
    ['inFlightBytes', 'ndr_ship_in_flight_bytes', 'Compressed bytes in flight'],
    ['queuedBatches', 'ndr_ship_queued_batches', 'Batches waiting to be sent'],
    ['memoryBytes', 'ndr_ship_memory_bytes', 'Compressed payload bytes held in memory'],
    ['spooledBatches', 'ndr_ship_spooled_batches', 'Batches in the disk spool'],
    ['spooledBytes', 'ndr_ship_spooled_bytes', 'Bytes in the disk spool'],
    ['windowBytes', 'ndr_ship_window_bytes', 'Congestion window'],
  ];
  for (const [k, name, help] of gauges) {
    new Gauge({ name, help, registers: [registry], collect() { this.set(stats[k] as number); } });
  }
  // Prometheus base units: seconds.
  new Gauge({ name: 'ndr_ship_rtt_seconds', help: 'Smoothed round-trip time to the collector', registers: [registry], collect() { this.set(stats.srttMs / 1000); } });
}
