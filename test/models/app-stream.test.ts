/**
 * What the flow table hands the application layer for TCP: the byte stream in order, with lost
 * bytes reported as gaps as soon as they are known lost. Real frames go through the production
 * decoder, flow table and AppLayer; the parser at the end only records what it is given (the
 * thing under test is the delivery, not a protocol).
 */
import { describe, expect, it } from 'vitest';
import { FlowTable, defaultFlowTableConfig } from '../../models/flow/flow-table.js';
import { AppLayer, DEFAULT_APP_LAYER } from '../../models/flow/app-layer.js';
import { networkSetOf } from '../../models/net/networks.js';
import { Packet } from '../../parsers/packet.js';
import { decodeFrame } from '../../parsers/decode.js';
import type { AppParser, Dir } from '../../parsers/app/types.js';
import { ACK, PSH, SYN, tcpFrame } from '../helpers/frames.js';

const C = '10.1.1.10';
const S = '10.1.2.20';
const PORT = 7777;

type Call = ['data', Dir, number] | ['gap', Dir, number];

function setup() {
  const calls: Call[] = [];
  const recorder: AppParser = {
    service: 'rec',
    transport: 'tcp',
    ports: [PORT],
    probe: (_d, _b, _o, _l, ports) => ports.respPort === PORT,
    create: (ctx) => {
      ctx.confirm('rec');
      return {
        done: false,
        data: (dir, _b, _o, len) => { calls.push(['data', dir, len]); },
        gap: (dir, len) => { calls.push(['gap', dir, len]); },
        end: () => {},
      };
    },
  };
  const t = new FlowTable({ ...defaultFlowTableConfig(), uidSeed: 1 }, networkSetOf(['10.0.0.0/8']), () => {});
  t.attachApp(new AppLayer(t.store, { ...DEFAULT_APP_LAYER, parsers: [recorder] }));
  const pkt = new Packet();
  /** Send a segment; `cut` bytes of its payload missing from the capture (snaplen). */
  const send = (fromClient: boolean, flags: number, seq: number, ack: number, payload: number, ts: number, cut = 0) => {
    const f = fromClient
      ? tcpFrame({ src: C, dst: S, sport: 40000, dport: PORT, flags, seq, ack, payload })
      : tcpFrame({ src: S, dst: C, sport: PORT, dport: 40000, flags, seq, ack, payload });
    pkt.reset(f, 0, f.length - cut, f.length);
    if (decodeFrame(pkt, 1) !== 0) throw new Error('frame did not decode');
    t.process(pkt, ts);
  };
  /** Send a prepared frame of which only the first `caplen` bytes were captured. */
  const sendRaw = (f: Uint8Array, caplen: number, ts: number) => {
    pkt.reset(f, 0, caplen, f.length);
    if (decodeFrame(pkt, 1) !== 0) throw new Error('frame did not decode');
    t.process(pkt, ts);
  };
  return { calls, send, sendRaw };
}

describe('TCP payload delivery to the application layer', () => {
  it('reports a segment cut by the snaplen as a gap at once, and goes on with the next one', () => {
    const { calls, send } = setup();
    send(true, SYN, 1000, 0, 0, 1);
    send(false, SYN | ACK, 5000, 1001, 0, 1.001);
    send(true, ACK, 1001, 5001, 0, 1.002);
    send(true, ACK | PSH, 1001, 5001, 100, 1.01);
    send(true, ACK | PSH, 1101, 5001, 1400, 1.02, 1400); // payload not captured at all
    send(true, ACK | PSH, 2501, 5001, 1400, 1.03, 1000); // 400 bytes captured
    send(true, ACK | PSH, 3901, 5001, 50, 1.04);
    expect(calls).toEqual([
      ['data', 0, 100],
      ['gap', 0, 1400],
      ['data', 0, 400],
      ['gap', 0, 1000],
      ['data', 0, 50],
    ]);
  });

  it('keeps delivering after an endpoint has sent 2 GiB (Zeek\'s relative numbering underflows there)', () => {
    const { calls, send, sendRaw } = setup();
    const isn = 100;
    send(true, SYN, isn, 0, 0, 1);
    send(false, SYN | ACK, 7000, isn + 1, 0, 1.001);
    send(true, ACK, isn + 1, 7001, 0, 1.002);
    send(true, ACK | PSH, isn + 1, 7001, 10, 1.01);
    // Then 2 GiB + 10 kB in 60,000-byte segments whose payload the snaplen cut off (as a
    // header-only capture of a backup looks), then two segments captured in full.
    const big = tcpFrame({ src: C, dst: S, sport: 40000, dport: PORT, flags: ACK | PSH, seq: 0, ack: 7001, payload: 60000 });
    let seq = isn + 11;
    const n = Math.ceil((2 ** 31 + 10000) / 60000);
    for (let i = 0; i < n; i++) {
      new DataView(big.buffer).setUint32(14 + 20 + 4, seq >>> 0);
      sendRaw(big, 54, 2 + i * 1e-4);
      seq += 60000;
    }
    send(true, ACK | PSH, seq >>> 0, 7001, 20, 20.01);
    send(true, ACK | PSH, (seq + 20) >>> 0, 7001, 30, 20.02);
    expect(seq - isn - 11).toBeGreaterThan(2 ** 31);
    expect(calls[0]).toEqual(['data', 0, 10]);
    const gaps = calls.slice(1, -2);
    expect(gaps.every((c) => c[0] === 'gap' && c[1] === 0)).toBe(true);
    expect(gaps.reduce((a, c) => a + c[2], 0)).toBe(n * 60000);
    expect(calls.slice(-2)).toEqual([['data', 0, 20], ['data', 0, 30]]);
  });
});
