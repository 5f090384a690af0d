import { describe, expect, it } from 'vitest';
import { dicomParser } from '../../../parsers/app/dicom.js';
import type { AppEvent, Dir } from '../../../parsers/app/types.js';
import { genbenchCapture, runChunks, runTcp, tcpStreams, tshark } from '../../helpers/tshark-feed-b.js';
import {
  cat, dcmAssociate, dcmCommand, dcmEl, dcmItem, dcmPctxAc, dcmPctxRq, dcmPdata, dcmUserInfo, u16le,
} from '../../helpers/wire-b.js';

const VERIFY = '1.2.840.10008.1.1';
const CT = '1.2.840.10008.5.1.4.1.1.2';
const FIND = '1.2.840.10008.5.1.4.1.2.2.1';
const MOVE = '1.2.840.10008.5.1.4.1.2.2.2';
const ELE = '1.2.840.10008.1.2.1';
const ILE = '1.2.840.10008.1.2';
const APP = '1.2.840.10008.3.1.1.1';

// Patient data inside data sets: must never reach any event.
const PATIENT = ['DOE^JANE', 'MRN0012345', '19510304', '1.2.826.0.1.3680043.8.498.777'];

const str = (s: string) => Buffer.from(s, 'latin1');
function rq(cmd: number, msgId: number, sop: string, extra: Buffer[] = [], dataSet = true): Buffer {
  return dcmCommand([dcmEl(0, 2, str(sop)), dcmEl(0, 0x100, u16le(cmd)), dcmEl(0, 0x110, u16le(msgId)), ...extra, dcmEl(0, 0x800, u16le(dataSet ? 0 : 0x0101))]);
}
function rsp(cmd: number, msgId: number, sop: string, status: number, extra: Buffer[] = []): Buffer {
  return dcmCommand([dcmEl(0, 2, str(sop)), dcmEl(0, 0x100, u16le(cmd)), dcmEl(0, 0x120, u16le(msgId)), dcmEl(0, 0x800, u16le(0x0101)), dcmEl(0, 0x900, u16le(status)), ...extra]);
}
const patientDataSet = () => cat(dcmEl(0x10, 0x10, str(PATIENT[0])), dcmEl(0x10, 0x20, str(PATIENT[1])), dcmEl(0x10, 0x30, str(PATIENT[2])), dcmEl(0x20, 0xd, str(PATIENT[3])), dcmEl(0x7fe0, 0x10, Buffer.alloc(40000, 0x11)));

function session(): Array<{ dir: Dir; bytes: Buffer; ts: number }> {
  const out: Array<{ dir: Dir; bytes: Buffer; ts: number }> = [];
  let ts = 100;
  const q = (b: Buffer) => out.push({ dir: 0, bytes: b, ts: (ts += 0.01) });
  const a = (b: Buffer) => out.push({ dir: 1, bytes: b, ts: (ts += 0.01) });
  q(dcmAssociate(true, 'PACS_MAIN', 'CT_SCANNER_3', [
    dcmItem(0x10, str(APP)), dcmPctxRq(1, VERIFY, [ILE]), dcmPctxRq(3, CT, [ELE, ILE]), dcmPctxRq(5, FIND, [ILE]), dcmPctxRq(7, MOVE, [ILE]),
    dcmUserInfo(16384, '1.2.276.0.7230010.3.0.3.6.8', 'OFFIS_DCMTK_368', { type: 2, user: 'ct3tech', pass: 'hunter2-passcode' }),
  ]));
  a(dcmAssociate(false, 'PACS_MAIN', 'CT_SCANNER_3', [
    dcmItem(0x10, str(APP)), dcmPctxAc(1, 0, ILE), dcmPctxAc(3, 0, ELE), dcmPctxAc(5, 3, ILE), dcmPctxAc(7, 0, ILE),
    dcmUserInfo(32768, '1.2.3.4', 'PACS_V7'),
  ]));
  q(dcmPdata({ ctx: 1, mch: 3, data: rq(0x30, 1, VERIFY, [], false) }));
  a(dcmPdata({ ctx: 1, mch: 3, data: rsp(0x8030, 1, VERIFY, 0) }));
  for (let i = 0; i < 3; i++) {
    const ds = patientDataSet();
    q(dcmPdata({ ctx: 3, mch: 3, data: rq(0x01, 10 + i, CT, [dcmEl(0, 0x1000, str(PATIENT[3] + '.' + i))]) }));
    // data set in two fragments, the first large (skipped by length), the second carrying the end
    q(dcmPdata({ ctx: 3, mch: 0, data: ds.subarray(0, 30000) }));
    q(dcmPdata({ ctx: 3, mch: 2, data: ds.subarray(30000) }));
    a(dcmPdata({ ctx: 3, mch: 3, data: rsp(0x8001, 10 + i, CT, i === 2 ? 0xa700 : 0) }));
  }
  q(dcmPdata({ ctx: 7, mch: 3, data: rq(0x21, 20, MOVE, [dcmEl(0, 0x600, str('EVIL_WS'))]) }, { ctx: 7, mch: 2, data: dcmEl(0x10, 0x20, str(PATIENT[1])) }));
  a(dcmPdata({ ctx: 7, mch: 3, data: rsp(0x8021, 20, MOVE, 0xff00, [dcmEl(0, 0x1021, u16le(3))]) }));
  a(dcmPdata({ ctx: 7, mch: 3, data: rsp(0x8021, 20, MOVE, 0, [dcmEl(0, 0x1021, u16le(12)), dcmEl(0, 0x1022, u16le(0)), dcmEl(0, 0x1023, u16le(1))]) }));
  q(Buffer.from('05000000000400000000', 'hex'));
  a(Buffer.from('06000000000400000000', 'hex'));
  return out;
}

const strip = (evs: AppEvent[]) => evs.map(({ ts, rtt, duration, ...e }) => e);

describe('dicom: hand-built association', () => {
  const chunks = session();
  const r = runChunks(dicomParser, chunks);

  it('logs the association: AE titles, contexts, result, implementation, user name (not the passcode)', () => {
    expect(r.probed).toEqual([true, true]);
    expect(r.services).toEqual(['dicom']);
    expect(r.events[0]).toEqual(expect.objectContaining({
      _path: 'dicom', event: 'association', calling_ae: 'CT_SCANNER_3', called_ae: 'PACS_MAIN', application_context: APP,
      proposed_sop_classes: [VERIFY, CT, FIND, MOVE],
      proposed_sop_class_names: ['Verification SOP Class', 'CT Image Storage', 'Study Root Query/Retrieve Information Model - FIND', 'Study Root Query/Retrieve Information Model - MOVE'],
      proposed_transfer_syntaxes: [ILE, ELE], accepted_sop_classes: [VERIFY, CT, MOVE], accepted_transfer_syntaxes: [ILE, ELE],
      result: 'accepted', max_pdu_length: 16384, implementation_class_uid: '1.2.276.0.7230010.3.0.3.6.8', implementation_version: 'OFFIS_DCMTK_368',
      responder_implementation_version: 'PACS_V7', user_identity: 'ct3tech', user_identity_type: 2,
    }));
    expect(r.counters.get('dicom_context_abstract-syntax-not-supported')).toBe(1);
  });

  it('logs C-ECHO and C-MOVE exchanges, counts C-STOREs instead of logging each', () => {
    const cmds = r.events.filter((e) => e.event === 'command');
    expect(strip(cmds)).toEqual([
      expect.objectContaining({ command: 'C-ECHO', message_id: 1, affected_sop_class: VERIFY, status: '0x0000', status_category: 'Success', responses: 1 }),
      expect.objectContaining({ command: 'C-MOVE', message_id: 20, sop_class_name: 'Study Root Query/Retrieve Information Model - MOVE', move_destination: 'EVIL_WS', status: '0x0000', responses: 2, completed_suboperations: 12, failed_suboperations: 0, warning_suboperations: 1 }),
    ]);
    const end = r.events[r.events.length - 1];
    const pdata = chunks.filter((c) => c.bytes[0] === 4).reduce((n, c) => n + c.bytes.length - 6, 0);
    expect(end).toEqual(expect.objectContaining({ event: 'release', calling_ae: 'CT_SCANNER_3', called_ae: 'PACS_MAIN', c_store_requests: 3, c_store_failures: 1, c_store_warnings: 0, c_store_sop_classes: [CT], pdata_bytes: pdata }));
    expect(r.done).toBe(true);
  });

  it('never emits patient data from data sets, identifiers or SOP instance UIDs', () => {
    const all = JSON.stringify(r.events);
    for (const p of PATIENT) expect(all).not.toContain(p);
    expect(all).not.toContain('hunter2');
  });

  it('same events when the stream arrives in 7-byte pieces', () => {
    const pieces = chunks.flatMap((c) => {
      const out: Array<{ dir: Dir; bytes: Buffer; ts: number }> = [];
      for (let i = 0; i < c.bytes.length; i += 7) out.push({ dir: c.dir, bytes: c.bytes.subarray(i, i + 7), ts: c.ts });
      return out;
    });
    expect(runChunks(dicomParser, pieces).events).toEqual(r.events);
  });
});

describe('dicom: capture loss', () => {
  it('resynchronises after a gap that hits a PDU header; the association end is still logged', () => {
    const chunks = session();
    const events: AppEvent[] = [];
    const s = dicomParser.create({ emit: (e) => events.push(e), confirm: () => {}, maxBufferBytes: 1 << 20 });
    // lose 4 bytes at the start of the second C-STORE-RQ command PDU (client direction)
    const victim = chunks.filter((c) => c.dir === 0 && c.bytes[0] === 4 && c.bytes.length < 400)[2];
    for (const c of chunks) {
      if (c === victim) {
        s.gap(c.dir, 4);
        s.data(c.dir, c.bytes, 4, c.bytes.length - 4, c.ts);
      } else s.data(c.dir, c.bytes, 0, c.bytes.length, c.ts);
    }
    s.end(200);
    const end = events.at(-1)!;
    expect(end.event).toBe('release');
    expect(end.c_store_requests).toBe(2); // one request lost with its header
    expect(events.filter((e) => e.command === 'C-MOVE')).toHaveLength(1);
  });
});

describe('dicom: rejection, abort, hostile', () => {
  it('A-ASSOCIATE-RJ: logged as rejected with result/source/reason', () => {
    const r = runChunks(dicomParser, [
      { dir: 0, bytes: dcmAssociate(true, 'PACS', 'UNKNOWN_AE', [dcmItem(0x10, str(APP)), dcmPctxRq(1, VERIFY, [ILE])]) },
      { dir: 1, bytes: Buffer.from('03000000000400010107', 'hex') },
    ]);
    expect(r.events.map((e) => [e.event, e.result, e.reject_result, e.reject_source, e.reject_reason])).toEqual([
      ['association', 'rejected', 1, 1, 7],
    ]);
    expect(r.done).toBe(true);
  });

  it('A-ABORT mid-association: source and reason in the end record', () => {
    const r = runChunks(dicomParser, [
      { dir: 0, bytes: dcmAssociate(true, 'PACS', 'MR1', [dcmItem(0x10, str(APP)), dcmPctxRq(1, VERIFY, [ILE])]) },
      { dir: 1, bytes: dcmAssociate(false, 'PACS', 'MR1', [dcmItem(0x10, str(APP)), dcmPctxAc(1, 0, ILE)]) },
      { dir: 1, bytes: Buffer.from('07000000000400000206', 'hex') },
    ]);
    expect(r.events.at(-1)).toMatchObject({ event: 'abort', abort_source: 2, abort_reason: 6 });
  });

  it('survives hostile lengths: huge PDU, PDV longer than its PDU, items past the end', () => {
    const bad = [
      Buffer.from('04000fffffff0000ffff0103', 'hex'),
      cat(Buffer.from('0100000000500001', 'hex'), Buffer.alloc(72, 0x20), Buffer.from('20ffffff', 'hex')),
    ];
    const r = runChunks(dicomParser, [{ dir: 0, bytes: bad[1] }, { dir: 1, bytes: bad[0] }, { dir: 1, bytes: Buffer.alloc(4096, 0xaa) }]);
    expect(r.events.every((e) => e._path === 'dicom')).toBe(true);
  });
});

describe('dicom: genbench capture (seed 3), cross-checked with tshark', () => {
  const pcap = genbenchCapture(3, 20000);
  const streams = tcpStreams(pcap, [104, 11112], [104, 11112]);

  it('association AE titles and SOP classes agree with tshark, C-FIND answered with the final status', () => {
    const rows = tshark(['-r', pcap, '-Y', 'dicom.assoc.ae.calling', '-T', 'fields', '-e', 'tcp.stream', '-e', 'dicom.assoc.ae.calling', '-e', 'dicom.assoc.ae.called', '-e', 'dicom.pctx.abss.syntax'])
      .trim().split('\n').map((l) => l.split('\t'));
    expect(streams.length).toBeGreaterThan(0);
    for (const s of streams) {
      const r = runTcp(dicomParser, s);
      const assoc = r.events.find((e) => e.event === 'association')!;
      const row = rows.find((x) => x[3])!;
      expect(assoc.calling_ae).toBe(row[1].trim());
      expect(assoc.called_ae).toBe(row[2].trim());
      expect(row[3]).toContain(`(${(assoc.proposed_sop_classes as string[])[0]})`);
      expect(r.events.at(-1)!.event).toBe('release');
      const find = r.events.find((e) => e.command === 'C-FIND');
      if (find) {
        // tshark 4.0 decodes only the C-FIND-RQ here; count the responses' Command Field element
        // (0000,0100) = 0x8020, implicit VR LE "00 00 00 01 02 00 00 00 20 80", in the raw bytes.
        const server = cat(...s.chunks.filter((c) => c.dir === 1).map((c) => c.bytes));
        const pat = Buffer.from('00000001020000002080', 'hex');
        let n = 0;
        for (let i = server.indexOf(pat); i >= 0; i = server.indexOf(pat, i + 1)) n++;
        expect(find.status).toBe('0x0000');
        expect(find.responses).toBe(n);
        expect(n).toBeGreaterThan(1);
      }
    }
  });
});
