import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel, receiveMessageOnPort } from 'node:worker_threads';
import { decodeLines, encodeLines, transferableOf } from '../../sensor/output/record-lines.js';
import { JsonLinesWriter } from '../../sensor/output/json-lines.js';
import { ShardEngine } from '../../sensor/pool/shard-engine.js';
import { Dispatcher } from '../../sensor/pool/dispatcher.js';
import { CaptureFileReader } from '../../sensor/capture/file-reader.js';
import { ChunkPool } from '../../sensor/capture/chunk-pool.js';
import { shardConfigFrom } from '../../sensor/pipeline.js';
import { defaultConfig } from '../../sensor/config.js';
import { corpusFile } from '../helpers/tshark.js';

/** Records of a real capture as the worker produces them (objects, before encoding). */
async function recordsOf(file: string): Promise<{ flows: object[]; events: object[] }> {
  const pool = new ChunkPool(4, 4 << 20);
  const reader = new CaptureFileReader([file], pool);
  const d = new Dispatcher({ shards: 1, vlanInKey: false, udpTimeout: 60, ipTunnelTimeout: 3600, uidSeed: 1 });
  const eng = new ShardEngine(shardConfigFrom(defaultConfig(), 1));
  const flows: object[] = [];
  const events: object[] = [];
  for await (const b of reader.batches()) {
    const r = eng.run(d.split(b, 0)[0]);
    flows.push(...decodeLines(r.flows));
    events.push(...decodeLines(r.events));
    pool.release(b.chunk);
  }
  const r = eng.run(d.emptyTask(true));
  flows.push(...decodeLines(r.flows));
  events.push(...decodeLines(r.events));
  return { flows, events };
}

describe('record lines (worker → main thread hand-off)', () => {
  it('encodes exactly JSON.stringify(r) + "\\n" per record, in UTF-8, and decodes back to equal objects', () => {
    const recs = [
      { ts: 1710234000.402753, uid: 'CrHPPeBkjxTppBbQsN', 'id.orig_h': '10.0.0.1', tunnel_parents: ['Cx', 'Cy'], local_orig: true },
      { _path: 'dns', query: 'bücher.example', answers: ['2001:db8::1'], TTLs: [300.5], note: 'line\nbreak "quoted" \u2028 😀' },
      { _path: 'http', uri: '/a?b=c', nested: { x: [1, { y: null }] }, empty: '' },
    ];
    const l = encodeLines(recs);
    expect(l.count).toBe(3);
    const expected = recs.map((r) => JSON.stringify(r) + '\n').join('');
    expect(Buffer.from(l.bytes!).toString('utf8')).toBe(expected);
    expect(Buffer.from(l.bytes!).equals(Buffer.from(expected, 'utf8'))).toBe(true);
    expect(decodeLines(l)).toEqual(recs);
  });

  it('survives a real transfer: the buffer is owned outright and moves without a copy', () => {
    const l = encodeLines([{ a: 1 }, { b: 'zwei' }]);
    const buf = transferableOf(l);
    expect(buf).not.toBeNull();
    const { port1, port2 } = new MessageChannel();
    port1.postMessage(l, [buf!]);
    expect(buf!.byteLength).toBe(0); // detached: moved, not copied
    const got = receiveMessageOnPort(port2)!.message as typeof l;
    expect(decodeLines(got)).toEqual([{ a: 1 }, { b: 'zwei' }]);
    port1.close();
  });

  it('no records: no buffer, and nothing decoded or written', async () => {
    const l = encodeLines([]);
    expect(l).toEqual({ bytes: null, count: 0 });
    expect(decodeLines(l)).toEqual([]);
    expect(transferableOf(l)).toBeNull();
  });

  it('a real capture: written lines equal what JsonLinesWriter.write produces from the objects', async () => {
    const { flows, events } = await recordsOf(corpusFile('zeek_nflog-http.pcap'));
    expect(flows.length).toBeGreaterThan(0);
    expect(events.length).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'ndr-lines-'));
    const a = new JsonLinesWriter(join(dir, 'objects.json'));
    const b = new JsonLinesWriter(join(dir, 'lines.json'));
    a.write(flows);
    a.write(events);
    const fl = encodeLines(flows);
    const ev = encodeLines(events);
    b.writeLines(fl.bytes!, fl.count);
    b.writeLines(ev.bytes!, ev.count);
    await a.close();
    await b.close();
    expect(b.records).toBe(flows.length + events.length);
    expect(readFileSync(join(dir, 'lines.json'), 'utf8')).toBe(readFileSync(join(dir, 'objects.json'), 'utf8'));
  });
});
