import { describe, expect, it } from 'vitest';
import { Tlv, generalizedTime, intValue, oidValue, readTlv, tlvSize } from '../../../parsers/app/ber.js';
import { PduStream, type Framer } from '../../../parsers/app/pdu-stream.js';
import { MECH_KRB5, MECH_NTLM, MechToken, findMechToken } from '../../../parsers/app/gssapi.js';
import { NtlmAuth } from '../../../parsers/app/ntlm.js';
import { cat, ctx, derLen, dint, ntlmAuthenticate, ntlmChallenge, ntlmNegotiate, octs, seq, tlv, u32be } from '../../helpers/wire-b.js';

describe('ber: bounded reader', () => {
  it('reads short, long and high-tag forms and rejects lengths past the bound', () => {
    const t = new Tlv();
    const long = tlv(0x04, Buffer.alloc(300, 1));
    expect(readTlv(long, 0, long.length, t)).toBe(true);
    expect([t.body, t.end, t.len]).toEqual([4, 304, 300]);
    expect(readTlv(long, 0, long.length - 1, t)).toBe(false); // truncated
    expect(readTlv(long, 0, long.length - 1, t, true) && t.end).toBe(303); // clamped when allowed
    const high = Buffer.from([0x9f, 0x81, 0x00, 0x01, 0xaa]); // [CONTEXT 128]
    expect(readTlv(high, 0, high.length, t) && [t.cls, t.tag]).toEqual([0x80, 128]);
    expect(readTlv(Buffer.from([0x30, 0x80, 0, 0]), 0, 4, t)).toBe(false); // indefinite
    expect(readTlv(Buffer.from([0x30, 0x85, 1, 2, 3, 4, 5]), 0, 7, t)).toBe(false); // 5-byte length
    expect(readTlv(Buffer.from([0x30, 0x84, 0xff, 0xff, 0xff, 0xff]), 0, 6, t)).toBe(false);
  });

  it('sizes a TLV from a prefix: 0 = need more, -1 = malformed', () => {
    const m = seq(octs(Buffer.alloc(1000)));
    expect(tlvSize(m, 0, 1)).toBe(0);
    expect(tlvSize(m, 0, 3)).toBe(0);
    expect(tlvSize(m, 0, 4)).toBe(m.length);
    expect(tlvSize(Buffer.from([0x30, 0x80]), 0, 2)).toBe(-1);
  });

  it('decodes INTEGER (two’s complement), OID and KerberosTime', () => {
    for (const v of [0, 1, 127, 128, 255, 256, -1, -128, -129, 0x7fffffff, 2 ** 32 - 1, -(2 ** 31)]) {
      const b = dint(v);
      expect(intValue(b, 2, b.length)).toBe(v);
    }
    expect(oidValue(Buffer.from('2b0601050502', 'hex'), 0, 6)).toBe('1.3.6.1.5.5.2');
    expect(generalizedTime(Buffer.from('20370913024805Z'), 0, 15)).toBe(2136422885);
    expect(generalizedTime(Buffer.from('2037X913024805Z'), 0, 15)).toBeUndefined();
    expect(derLen(200)).toEqual(Buffer.from([0x81, 200]));
  });
});

class Collect implements Framer {
  readonly peek = 8;
  pdus: Array<{ head: string; len: number; total: number }> = [];
  frameLength(b: Uint8Array, off: number, avail: number): number {
    if (avail < 4) return 0;
    if (b[off] !== 0xab) return -1;
    return 4 + ((b[off + 1] << 16) | (b[off + 2] << 8) | b[off + 3]);
  }
  wanted(_b: Uint8Array, _o: number, _a: number, total: number): number {
    return Math.min(total, 16); // header + a little: bodies beyond are skipped
  }
  onPdu(b: Uint8Array, off: number, len: number, total: number): void {
    this.pdus.push({ head: Buffer.from(b.subarray(off, off + Math.min(len, 6))).toString('hex'), len, total });
  }
  resync(b: Uint8Array, off: number, len: number): number {
    const i = Buffer.from(b.buffer, b.byteOffset + off, len).indexOf(0xab);
    return i < 0 ? -1 : off + i;
  }
}
const pdu = (n: number, fill: number) => cat(Buffer.from([0xab, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff]), Buffer.alloc(n, fill));

describe('pdu-stream: framing, bounded buffering, skipping, gaps', () => {
  it('splits many PDUs per segment and PDUs across segments identically', () => {
    const data = cat(pdu(3, 1), pdu(100000, 2), pdu(0, 3), pdu(20, 4));
    const run = (sizes: number[]) => {
      const f = new Collect();
      const s = new PduStream(f, 1024, 4);
      let o = 0;
      for (let i = 0; o < data.length; i++) {
        const n = Math.min(sizes[i % sizes.length], data.length - o);
        s.push(data, o, n, 0);
        o += n;
      }
      expect(s.buffered).toBeLessThanOrEqual(1024);
      return f.pdus;
    };
    const whole = run([data.length]);
    expect(whole.map((p) => [p.len, p.total])).toEqual([[7, 7], [16, 100004], [4, 4], [16, 24]]);
    for (const sizes of [[1], [2, 3], [5, 7, 11], [1460]]) expect(run(sizes)).toEqual(whole);
  });

  it('a gap inside a skipped body costs nothing; elsewhere it desyncs until resync', () => {
    const f = new Collect();
    const s = new PduStream(f, 1024, 4);
    const big = pdu(5000, 9);
    s.push(big, 0, 1000, 0);
    s.gap(3000); // lost inside the skipped body
    s.push(big, 4000, big.length - 4000, 0);
    s.push(pdu(2, 7), 0, 6, 0);
    expect(f.pdus.map((p) => p.total)).toEqual([5004, 6]);
    expect(s.desyncs).toBe(0);
    s.push(pdu(10, 1), 0, 5, 0);
    s.gap(4); // inside a PDU we wanted: desync
    expect(s.desyncs).toBe(1);
    s.push(cat(Buffer.from([1, 2, 3]), pdu(1, 5)), 0, 8, 0); // garbage, then a header again
    expect(f.pdus.at(-1)).toEqual({ head: 'ab0000010505'.slice(0, 10), len: 5, total: 5 });
    expect(s.resyncs).toBe(1);
  });

  it('never holds more than its cap even for a hostile 16 MiB PDU fed in 1-byte steps', () => {
    const f = new Collect();
    const s = new PduStream(f, 256, 4);
    const h = Buffer.from([0xab, 0xff, 0xff, 0xff]);
    for (let i = 0; i < 4; i++) s.push(h, i, 1, 0);
    const zeros = Buffer.alloc(4096);
    for (let i = 0; i < 100; i++) {
      s.push(zeros, 0, zeros.length, 0);
      expect(s.buffered).toBeLessThanOrEqual(256);
    }
    expect(f.pdus).toHaveLength(1);
    expect(f.pdus[0].total).toBe(4 + 0xffffff);
  });
});

describe('gssapi/ntlm: SPNEGO-wrapped NTLMSSP and Kerberos tokens', () => {
  const SPNEGO = Buffer.from('06062b0601050502', 'hex');
  const init = (mech: Buffer) => tlv(0x60, SPNEGO, ctx(0, seq(ctx(0, seq(tlv(6, Buffer.from('2b06010401823702020a', 'hex')))), ctx(2, octs(mech)))));
  const resp = (state: number, mech: Buffer) => ctx(1, seq(ctx(0, tlv(0x0a, Buffer.from([state]))), ctx(2, octs(mech))));

  it('finds NTLMSSP in NegTokenInit and NegTokenResp and reads negState', () => {
    const t = new MechToken();
    const neg = ntlmNegotiate();
    expect(findMechToken(init(neg), 0, init(neg).length, t)).toBe(true);
    expect([t.mech, t.spnego, t.len]).toEqual([MECH_NTLM, true, neg.length]);
    const chal = ntlmChallenge('DC01', 'dc01.corp', 'corp');
    const r = resp(1, chal);
    expect(findMechToken(r, 0, r.length, t)).toBe(true);
    expect([t.mech, t.negState]).toEqual([MECH_NTLM, 1]);
  });

  it('recognises a Kerberos AP-REQ inside SPNEGO', () => {
    const krb = tlv(0x60, Buffer.from('06092a864882f712010202', 'hex'), Buffer.from([1, 0]), tlv(0x6e, seq(ctx(0, dint(5)))));
    const t = new MechToken();
    const b = init(krb);
    expect(findMechToken(b, 0, b.length, t)).toBe(true);
    expect(t.mech).toBe(MECH_KRB5);
  });

  it('collects user/domain/host from AUTHENTICATE and server names from CHALLENGE', () => {
    const a = new NtlmAuth();
    a.feedBlob(init(ntlmNegotiate()), 0, init(ntlmNegotiate()).length, 1);
    const r = resp(1, ntlmChallenge('DC01', 'dc01.corp.local', 'corp.local'));
    a.feedBlob(r, 0, r.length, 2);
    const au = resp(1, ntlmAuthenticate('CORP', 'Jörg', 'PC-17'));
    a.feedBlob(au, 0, au.length, 3);
    expect(a.takeEvent(false)).toEqual({ _path: 'ntlm', ts: 3, username: 'Jörg', hostname: 'PC-17', domainname: 'CORP', server_nb_computer_name: 'DC01', server_dns_computer_name: 'dc01.corp.local', server_tree_name: 'corp.local', success: false });
    expect(a.takeEvent(true)).toBeNull();
  });

  it('ignores hostile security buffers (offsets past the message)', () => {
    const m = ntlmAuthenticate('D', 'U', 'H');
    m.writeUInt32LE(0xfffffff0, 40); // user offset
    const a = new NtlmAuth();
    a.feedMessage(m, 0, m.length, 1);
    expect(a.takeEvent()).toEqual(expect.not.objectContaining({ username: expect.anything() }));
    void u32be;
  });
});
