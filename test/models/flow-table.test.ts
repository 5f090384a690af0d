/**
 * Zeek conn.log semantics of the flow table on hand-built real frames (decoded by the production
 * decoder): conn_state for every state Zeek defines, history letters and their repeat rules,
 * payload bytes from sequence numbers, timeouts, tuple reuse, interim records, bounded memory.
 */
import { describe, expect, it } from 'vitest';
import { FlowTable, defaultFlowTableConfig, type FlowTableConfig } from '../../models/flow/flow-table.js';
import { networkSetOf } from '../../models/net/networks.js';
import type { ConnRecord } from '../../models/flow/conn-record.js';
import { ACK, FIN, PSH, RST, SYN, decoded, icmpFrame, tcpFrame, udpFrame } from '../helpers/frames.js';

const C = '10.1.1.10';
const S = '10.1.2.20';

function table(over: Partial<FlowTableConfig> = {}) {
  const out: ConnRecord[] = [];
  const t = new FlowTable({ ...defaultFlowTableConfig(), uidSeed: 1, ...over }, networkSetOf(['10.0.0.0/8']), (r) => out.push(r));
  return { t, out };
}

/** A TCP conversation: c2s packets are [flags, seq, ack, payload], s2c likewise. */
type Seg = ['c' | 's', number, number, number, number?];

function conv(segs: Seg[], over: Partial<FlowTableConfig> = {}, t0 = 1000): ConnRecord[] {
  const { t, out } = table(over);
  let ts = t0;
  for (const [dir, flags, seq, ack, payload] of segs) {
    const f = dir === 'c'
      ? tcpFrame({ src: C, dst: S, sport: 40000, dport: 445, flags, seq, ack, payload })
      : tcpFrame({ src: S, dst: C, sport: 445, dport: 40000, flags, seq, ack, payload });
    t.process(decoded(f), ts);
    ts += 0.01;
  }
  t.flush();
  return out;
}

const HANDSHAKE: Seg[] = [['c', SYN, 100, 0], ['s', SYN | ACK, 500, 101], ['c', ACK, 101, 501]];

describe('TCP connection states (Zeek conn_state)', () => {
  it('SF: normal establishment and termination, bytes from sequence numbers', () => {
    const [r] = conv([...HANDSHAKE,
      ['c', PSH | ACK, 101, 501, 300], ['s', ACK, 501, 401], ['s', PSH | ACK, 501, 401, 1000],
      ['c', FIN | ACK, 401, 1501], ['s', FIN | ACK, 1501, 402], ['c', ACK, 402, 1502]]);
    expect(r.conn_state).toBe('SF');
    expect(r.history).toBe('ShADadFf');
    expect(r.orig_bytes).toBe(300);
    expect(r.resp_bytes).toBe(1000);
    expect(r.orig_pkts).toBe(5);
    expect(r.resp_pkts).toBe(4);
    expect(r.orig_ip_bytes).toBe(5 * 40 + 300);
    expect(r['id.orig_h']).toBe(C);
    expect(r['id.resp_p']).toBe(445);
    expect(r.local_orig).toBe(true);
    expect(r.direction).toBe('internal');
  });

  it('S0: attempt, no reply', () => {
    const [r] = conv([['c', SYN, 100, 0]]);
    expect(r.conn_state).toBe('S0');
    expect(r.history).toBe('S');
    expect(r.duration).toBeUndefined();
  });

  it('REJ: rejected attempt', () => {
    const [r] = conv([['c', SYN, 100, 0], ['s', RST | ACK, 0, 101]]);
    expect(r.conn_state).toBe('REJ');
    expect(r.history).toBe('Sr');
  });

  it('S1: established, not terminated', () => {
    expect(conv([...HANDSHAKE])[0].conn_state).toBe('S1');
  });

  it('S2 and S3: one side closed', () => {
    expect(conv([...HANDSHAKE, ['c', FIN | ACK, 101, 501]])[0].conn_state).toBe('S2');
    expect(conv([...HANDSHAKE, ['s', FIN | ACK, 501, 101]])[0].conn_state).toBe('S3');
  });

  it('RSTO and RSTR: established then reset', () => {
    expect(conv([...HANDSHAKE, ['c', RST | ACK, 101, 501]])[0].conn_state).toBe('RSTO');
    expect(conv([...HANDSHAKE, ['s', RST | ACK, 501, 101]])[0].conn_state).toBe('RSTR');
  });

  it('RSTOS0: SYN then reset by the originator', () => {
    const [r] = conv([['c', SYN, 100, 0], ['c', RST, 101, 0]]);
    expect(r.conn_state).toBe('RSTOS0');
    expect(r.history).toBe('SR');
  });

  it('RSTRH: responder SYN-ACK then reset, no SYN seen', () => {
    const [r] = conv([['s', SYN | ACK, 500, 101], ['s', RST, 501, 0]]);
    expect(r.conn_state).toBe('RSTRH');
    // The SYN-ACK from port 445 makes the other side the originator: Zeek flips and records '^'.
    expect(r.history?.startsWith('^h')).toBe(true);
  });

  it('SH and SHR: half-open then FIN', () => {
    expect(conv([['c', SYN, 100, 0], ['c', FIN, 101, 0]])[0].conn_state).toBe('SH');
    expect(conv([['s', SYN | ACK, 500, 101], ['s', FIN | ACK, 501, 101]])[0].conn_state).toBe('SHR');
  });

  it('OTH: midstream traffic without SYN', () => {
    const [r] = conv([['c', ACK | PSH, 5000, 9000, 100], ['s', ACK, 9000, 5100]]);
    expect(r.conn_state).toBe('OTH');
    expect(r.orig_bytes).toBe(100);
  });
});

describe('history letters', () => {
  it("records retransmissions logarithmically ('T' at 1 and 10)", () => {
    const segs: Seg[] = [...HANDSHAKE, ['c', PSH | ACK, 101, 501, 100]];
    for (let i = 0; i < 10; i++) segs.push(['c', PSH | ACK, 101, 501, 100]);
    const [r] = conv(segs);
    expect(r.history).toBe('ShADTT');
    expect(r.orig_bytes).toBe(100);
  });

  it("records a content gap ('G') and counts missed_bytes when unseen data is acknowledged", () => {
    const [r] = conv([...HANDSHAKE,
      ['c', PSH | ACK, 101, 501, 100], // bytes 1-100
      ['c', PSH | ACK, 401, 501, 100], // bytes 301-400: 200 bytes in between were never captured
      ['s', ACK, 501, 501], // the server acknowledges everything
    ]);
    expect(r.missed_bytes).toBe(200);
    expect(r.history).toBe('ShADaG'); // the server's ACK ('a') reveals the gap in the client's stream ('G')
    expect(r.orig_bytes).toBe(400);
  });

  it('a zero-window advertisement is recorded', () => {
    const { t, out } = table();
    for (const f of [
      tcpFrame({ src: C, dst: S, sport: 1, dport: 445, flags: SYN, seq: 1 }),
      tcpFrame({ src: S, dst: C, sport: 445, dport: 1, flags: SYN | ACK, seq: 9, ack: 2 }),
      tcpFrame({ src: C, dst: S, sport: 1, dport: 445, flags: ACK, seq: 2, ack: 10, win: 0 }),
    ]) t.process(decoded(f), 1);
    t.flush();
    expect(out[0].history).toBe('ShAW');
  });
});

describe('flow lifecycle', () => {
  it('a reused tuple after close starts a new connection with a new uid', () => {
    const segs: Seg[] = [...HANDSHAKE, ['c', FIN | ACK, 101, 501], ['s', FIN | ACK, 501, 102], ['c', ACK, 102, 502],
      ['c', SYN, 7000, 0], ['s', SYN | ACK, 9000, 7001], ['c', ACK, 7001, 9001]];
    const out = conv(segs);
    expect(out.length).toBe(2);
    expect(out[0].conn_state).toBe('SF');
    expect(out[1].conn_state).toBe('S1');
    expect(out[0].uid).not.toBe(out[1].uid);
  });

  it('expires UDP flows after the inactivity timeout (capture time)', () => {
    const { t, out } = table();
    t.process(decoded(udpFrame(C, S, 5000, 514, 10)), 100);
    t.process(decoded(udpFrame(C, S, 5000, 514, 10)), 130);
    expect(out.length).toBe(0);
    t.process(decoded(udpFrame(C, S, 5000, 514, 10)), 200); // > 60 s idle: the old flow ends first
    expect(out.length).toBe(1);
    expect(out[0].orig_pkts).toBe(2);
    t.flush();
    expect(out.length).toBe(2);
    expect(out[1].orig_pkts).toBe(1);
  });

  it("applies Zeek's 10 s DNS session timeout to UDP DNS", () => {
    const { t, out } = table();
    t.process(decoded(udpFrame(C, S, 5000, 53, 30)), 100);
    t.process(decoded(udpFrame(S, C, 53, 5000, 60)), 100.1);
    t.process(decoded(udpFrame(C, S, 5000, 53, 30)), 125);
    t.flush();
    expect(out.length).toBe(2);
    expect(out[0].history).toBe('Dd');
    expect(out[0].conn_state).toBe('SF');
  });

  it('emits interim records with the flow uid for long flows, and a final record without the flag', () => {
    const { t, out } = table({ activeTimeout: 100 });
    for (let s = 0; s <= 250; s += 10) t.process(decoded(udpFrame(C, S, 6000, 514, 10)), 1000 + s);
    t.flush();
    const interim = out.filter((r) => r.interim === true);
    const final = out.filter((r) => r.interim === undefined);
    expect(interim.length).toBe(2);
    expect(final.length).toBe(1);
    expect(new Set(out.map((r) => r.uid)).size).toBe(1);
    expect(final[0].orig_pkts).toBe(26);
    expect(interim[0].orig_pkts).toBeLessThan(interim[1].orig_pkts);
  });

  it('skips the interim record of a period in which the flow was idle', () => {
    // A TCP connection (5 min inactivity timeout) with packets at 0-2 s and at 45 s, active
    // timeout 30 s: the period (0, 30] had packets → record; (30, 60] had one → record;
    // (60, 90] and later none → no record until the final one.
    const { t, out } = table({ activeTimeout: 30 });
    const c = (flags: number, seq: number, ack: number, ts: number, payload = 0) =>
      t.process(decoded(tcpFrame({ src: C, dst: S, sport: 40000, dport: 2575, flags, seq, ack, payload })), ts);
    const s = (flags: number, seq: number, ack: number, ts: number) =>
      t.process(decoded(tcpFrame({ src: S, dst: C, sport: 2575, dport: 40000, flags, seq, ack })), ts);
    c(SYN, 100, 0, 1000);
    s(SYN | ACK, 500, 101, 1000.001);
    c(ACK, 101, 501, 1000.002);
    c(ACK | PSH, 101, 501, 1002, 100);
    c(ACK | PSH, 201, 501, 1045, 100);
    t.advance(1200);
    const interim = out.filter((r) => r.interim === true);
    expect(interim.map((r) => r.orig_pkts)).toEqual([3, 4]);
    t.flush();
    expect(out.filter((r) => r.interim === undefined)).toHaveLength(1);
  });

  it('pairs ICMP echo request and reply; unreachable messages are one-way', () => {
    const { t, out } = table();
    t.process(decoded(icmpFrame(C, S, 8, 0, 56)), 1);
    t.process(decoded(icmpFrame(S, C, 0, 0, 56)), 1.001);
    t.process(decoded(icmpFrame(S, C, 3, 3, 28)), 2);
    t.flush();
    const echo = out.find((r) => r['id.orig_p'] === 8)!;
    expect(echo['id.resp_p']).toBe(0);
    expect(echo.orig_pkts).toBe(1);
    expect(echo.resp_pkts).toBe(1);
    expect(echo.orig_bytes).toBe(56);
    const unreach = out.find((r) => r['id.orig_p'] === 3)!;
    expect(unreach['id.orig_h']).toBe(S);
    expect(unreach['id.resp_p']).toBe(3);
  });

  it('is bounded: beyond max flows the flow due soonest is evicted and counted', () => {
    const { t, out } = table({ maxFlows: 100 });
    for (let i = 0; i < 250; i++) t.process(decoded(udpFrame(C, S, 10000 + i, 514, 1)), 1 + i * 0.001);
    expect(t.active).toBeLessThanOrEqual(100);
    expect(t.stats.evicted).toBe(150);
    expect(out.length).toBe(150);
    expect(out[0]['id.orig_p']).toBe(10000);
    t.flush();
    expect(out.length).toBe(250);
  });
});
