// @ts-check
/**
 * Normal hospital traffic for one simulated day: office and clinical workstations, AD (Kerberos,
 * LDAP, DNS, SYSVOL), file and print servers, proxy and direct cloud use, EHR/LIS/RIS, PACS and
 * modalities (DICOM), HL7 interfaces and lab analysers, monitoring (WMI, svcctl queries),
 * software deployment (SCCM client push: ADMIN$ + CreateService — legitimately), backups (large
 * internal pulls + offsite upload at night), DC replication (DRSGetNCChanges between DCs),
 * jump-host administration, a nightly authorised vulnerability scan, AV reputation DNS lookups,
 * vendor remote-service telemetry from modalities. Deterministic per (seed, day).
 */
import { Builder, hashStr } from './build.mjs';
import { Rng } from './rng.mjs';
import { DOMAIN, EPOCH, REALM } from './world.mjs';
import { IFACES } from './wire/dcerpc.mjs';
import { SOP } from './wire/dicom.mjs';

/** @typedef {import('./world.mjs').Host} Host */

/**
 * @param {import('./world.mjs').World} w @param {number} day 0-based day index from EPOCH
 * @param {number} seed
 */
export function normalDay(w, day, seed) {
  const r = new Rng(seed).fork(`day${day}`);
  const b = new Builder(w, r, `s${seed}d${day}`);
  const d0 = EPOCH + day * 86400;
  const weekday = day % 7 < 5;
  const H = (h) => d0 + h * 3600;

  // ---------------------------------------------------------------- office workstations
  for (const ws of w.ws) {
    const rr = r.fork(ws.ip);
    const on = weekday ? rr.chance(0.93) : rr.chance(0.08);
    if (!on) continue;
    const start = H(rr.uniform(6.5, 9.5));
    const end = weekday ? H(rr.uniform(15.5, 18.5)) : start + rr.uniform(1, 4) * 3600;
    workstationSession(b, rr, w, ws, ws.user ?? 'user', start, end, 1);
  }
  // clinical workstations: 24/7, three shifts
  for (const cws of w.cws) {
    const rr = r.fork(cws.ip);
    for (const [s, e] of [[-2, 6], [6, 14], [14, 22]]) {
      const user = w.users[140 + ((hashStr(cws.ip) + s + 24) % 100)];
      const start = H(Math.max(0, s) + rr.uniform(0, 0.3));
      workstationSession(b, rr, w, cws, user, start, H(e) - rr.uniform(0, 600), 0.6);
    }
    if (cws.role === 'radiology-ws') radiologyReading(b, rr, w, cws, H(0), H(24));
  }

  // ---------------------------------------------------------------- infrastructure
  // DC replication (drsuapi between DCs) every ~15 min
  for (let t = H(0) + r.uniform(0, 900); t < H(24); t += r.uniform(800, 1000)) {
    const [a, c] = r.chance(0.5) ? [w.dcs[0], w.dcs[1]] : [w.dcs[1], w.dcs[0]];
    b.rpcTcp(a, c, t, IFACES.drsuapi, [{ opnum: 0, op: 'DRSBind' }, { opnum: 3, op: 'DRSGetNCChanges', respStub: 4000 }, { opnum: 1, op: 'DRSUnbind' }]);
  }
  // DCs: NTP upstream, each other
  for (const dc of w.dcs) for (let t = H(0) + r.uniform(0, 3600); t < H(24); t += 3600 * 4) b.ntp(dc, b.ext('192.53.103.108'), t);
  // monitoring: WMI queries and service status checks on servers
  for (const srv of w.servers) {
    if (srv === w.mon) continue;
    for (let t = H(0) + r.uniform(0, 900); t < H(24); t += r.uniform(850, 950)) {
      b.rpcTcp(w.mon, srv, t, IFACES.wbem, [{ opnum: 20, op: 'ExecQuery', respStub: 2000 }, { opnum: 20, op: 'ExecQuery', respStub: 1500 }]);
    }
    if (srv.role === 'dc' || srv.role === 'fileserver') {
      for (let t = H(0) + r.uniform(0, 1800); t < H(24); t += 1800 + r.uniform(-60, 60)) {
        b.smb(w.mon, srv, t, (s) => {
          const ipc = s.treeConnect('IPC$');
          s.rpcOverPipe(ipc, 'svcctl', IFACES.svcctl, [{ opnum: 15, op: 'OpenSCManagerW' }, { opnum: 16, op: 'OpenServiceW' }, { opnum: 6, op: 'QueryServiceStatus' }, { opnum: 0, op: 'CloseServiceHandle' }]);
        });
      }
    }
  }
  // WSUS upstream sync hourly; SCCM/WSUS clients handled per workstation
  for (let t = H(0) + 300; t < H(24); t += 3600 + r.uniform(-30, 30)) {
    const svc = w.extServices.wsusup[0];
    b.dns(w.wsus, svc.name, t, { ips: svc.ips, ttl: 3000 });
    b.https(w.wsus, svc.name, r.pick(svc.ips), t + 0.05, { up: r.int(3000, 5000), down: r.int(20000, 60000), dur: 2 });
  }
  // SCCM client push on weekdays: ADMIN$ write + service creation on a few workstations
  if (weekday) {
    for (let i = 0; i < 3; i++) {
      const target = r.pick(w.ws);
      const t = H(r.uniform(9, 16));
      sccmPush(b, r, w, target, t);
    }
  }
  // backup: pull from file servers at night, upload offsite
  {
    const t = H(1) + r.uniform(0, 600);
    let tt = t;
    for (const fs of w.fs) {
      const total = r.uniform(1.2e9, 1.8e9);
      const files = 40;
      b.smb(w.backup, fs, tt, (s) => {
        const tid = s.treeConnect('D$');
        for (let i = 0; i < files; i++) {
          const f = s.create(tid, `Shares\\Abteilungen\\backup-set-${i}.vhdx`, { size: Math.round(total / files) });
          for (let k = 0; k < 4; k++) s.read(f, Math.round(total / files / 4));
          s.close(f);
        }
      }, { bw: 120e6, think: [0.001, 0.01] });
      tt += total / 120e6 + 60;
    }
    const up = r.uniform(0.9e9, 1.3e9);
    const svc = w.extServices.backup[0];
    b.dns(w.backup, svc.name, tt, { ips: svc.ips });
    b.https(w.backup, svc.name, svc.ips[0], tt + 1, { up, down: up / 200, dur: 1, bw: 25e6 });
  }
  // nightly authorised vulnerability scan of a slice of the workstation range (allowlisted)
  {
    const slice = day % 4;
    const t = H(2) + r.uniform(0, 300);
    let i = 0;
    for (let host = 5; host < 250; host += 3) {
      const ip = `10.50.${16 + slice}.${host}`;
      const target = w.byIp.get(ip) ?? { ip, mac: '00:50:56:00:00:01' };
      for (const port of [22, 135, 445, 3389, 8080]) {
        const live = w.byIp.has(ip);
        b.attempt(w.scanner, target, port, t + i++ * 0.02, live && port !== 445 && port !== 135);
      }
    }
  }
  // jump host administration on weekdays
  if (weekday) {
    for (const adm of w.adminWs) {
      const t = H(r.uniform(8.5, 11));
      b.rdp(adm, w.jump, t, r.uniform(1800, 5400), adm.user ?? 'admin');
      const targets = [...w.servers].sort(() => r.next() - 0.5).slice(0, r.int(3, 9));
      targets.forEach((srv, i) => {
        const tt = t + 300 + i * r.uniform(30, 300);
        if (r.chance(0.5)) b.rdp(w.jump, srv, tt, r.uniform(300, 1800), `adm-${adm.user}`);
        else b.smb(w.jump, srv, tt, (s) => {
          const tid = s.treeConnect('C$');
          const f = s.create(tid, 'Windows\\Logs\\CBS\\CBS.log', { size: 400000 });
          s.read(f, 400000);
          s.close(f);
        });
      });
    }
  }
  // file server AV scans: many reputation lookups (high-cardinality DNS that is normal)
  for (const srv of [...w.fs, w.sccm]) {
    const t = H(3) + r.uniform(0, 1800);
    for (let i = 0; i < 70; i++) avLookup(b, r, w, srv, t + i * r.uniform(2, 8));
  }

  // ---------------------------------------------------------------- clinical systems
  // modalities: worklist query, C-STORE studies to PACS, vendor telemetry, NTP
  for (const mod of w.mods) {
    const rr = r.fork(mod.ip);
    const studies = weekday ? rr.int(8, 16) : rr.int(3, 7);
    for (let i = 0; i < studies; i++) {
      const t = H(rr.uniform(weekday ? 7 : 9, weekday ? 20 : 18));
      b.dicom(mod, w.ris, 104, t - 60, 'RIS_MWL', mod.ae ?? 'MOD', 'C-FIND', { sop: SOP.mwlFind });
      const big = mod.name.startsWith('ct') || mod.name.startsWith('mr');
      const n = big ? rr.int(40, 120) : rr.int(2, 8);
      b.dicom(mod, w.pacs, 104, t, 'PACS01', mod.ae ?? 'MOD', 'C-STORE', { n, bytes: big ? rr.int(300000, 600000) : rr.int(3e6, 12e6), think: 0.01 });
    }
    for (let t = H(0) + rr.uniform(0, 900); t < H(24); t += 900 + rr.uniform(-20, 20)) {
      const v = w.extServices.vendor[mod.name.startsWith('us') ? 1 : 0];
      b.https(mod, v.name, v.ips[0], t, { up: rr.int(1800, 2200), down: rr.int(900, 1100), dur: 0.5 });
    }
    for (let t = H(0) + rr.uniform(0, 3600); t < H(24); t += 3600) b.ntp(mod, w.dcs[0], t);
  }
  // lab analysers → LIS results
  for (const lab of w.labs) {
    for (let t = H(0) + r.uniform(0, 300); t < H(24); t += r.uniform(200, 700)) b.hl7(lab, w.lis, t, lab.app ?? 'LAB', 'LABOR', 'LAURIS', 'KN', ['ORU^R01']);
  }
  // EHR → HL7 engine → LIS/RIS, LIS → engine → EHR
  for (let t = H(0) + r.uniform(0, 120); t < H(24); t += r.uniform(60, weekday ? 240 : 600)) {
    b.hl7(w.ehr, w.hl7, t, 'ORBIS', 'KN', 'HL7ENGINE', 'KN', [r.pick(['ADT^A01', 'ADT^A08', 'ADT^A03', 'ORM^O01'])]);
    if (r.chance(0.5)) b.hl7(w.hl7, r.chance(0.5) ? w.lis : w.ris, t + 2, 'HL7ENGINE', 'KN', r.chance(0.5) ? 'LAURIS' : 'MEDAVIS', 'KN', ['ORM^O01']);
    if (r.chance(0.4)) b.hl7(w.lis, w.hl7, t + 30, 'LAURIS', 'KN', 'HL7ENGINE', 'KN', ['ORU^R01']);
    if (r.chance(0.4)) b.hl7(w.hl7, w.ehr, t + 32, 'HL7ENGINE', 'KN', 'ORBIS', 'KN', ['ORU^R01']);
  }
  return b.convs;
}

/** A user session on a workstation from `start` to `end`; `activity` scales how busy. */
function workstationSession(b, r, w, ws, user, start, end, activity) {
  const dc = w.dcs[hashStr(ws.ip) % 2];
  const fs = w.fs[hashStr(ws.ip + 'fs') % 2];
  // logon
  b.dns(ws, `_ldap._tcp.dc._msdcs.${DOMAIN}`, start, { qtype: 'SRV', ips: [] });
  b.dns(ws, `${dc.name}.${DOMAIN}`, start + 0.01, { ips: [dc.ip] });
  b.kerberosAs(ws, user, start + 0.05);
  for (const spn of [`ldap/${dc.name}.${DOMAIN}`, `cifs/${dc.name}.${DOMAIN}`, `cifs/${fs.name}.${DOMAIN}`, `HTTP/ehr01.${DOMAIN}`]) b.kerberosTgs(ws, user, spn, start + 0.1 + r.uniform(0, 2));
  b.ldap(ws, start + 0.3);
  b.smb(ws, dc, start + 1, (s) => {
    const tid = s.treeConnect('SYSVOL');
    for (const f of ['gpt.ini', 'Machine\\Registry.pol', 'User\\Registry.pol']) {
      const h = s.create(tid, `${DOMAIN}\\Policies\\{31B2F340-016D-11D2-945F-00C04FB984F9}\\${f}`, { size: r.int(200, 4000) });
      s.read(h, r.int(200, 4000));
      s.close(h);
    }
  });
  b.ntp(ws, dc, start + 2);
  // work
  const hours = (end - start) / 3600;
  const events = Math.round(hours * 6 * activity);
  for (let i = 0; i < events; i++) {
    const t = start + 60 + r.next() * (end - start - 120);
    const x = r.next();
    if (x < 0.25) {
      // file server work
      b.dns(ws, `${fs.name}.${DOMAIN}`, t - 0.01, { ips: [fs.ip] });
      b.smb(ws, fs, t, (s) => {
        const tid = s.treeConnect(r.chance(0.5) ? 'home' : 'Abteilungen');
        const n = r.int(1, 4);
        for (let k = 0; k < n; k++) {
          const name = `${r.pick(['Berichte', 'Dienstplan', 'QM', 'Vorlagen', 'Projekte'])}\\${r.pick(['protokoll', 'plan', 'bericht', 'liste', 'memo'])}_${r.int(1, 400)}.${r.pick(['docx', 'xlsx', 'pdf', 'pptx'])}`;
          const size = Math.round(r.lognormal(150000, 1.2));
          const h = s.create(tid, name, { size, create: r.chance(0.2) });
          if (r.chance(0.7)) s.read(h, size);
          if (r.chance(0.3)) s.write(h, Math.round(size * r.uniform(0.5, 1.2)));
          s.close(h);
        }
      });
    } else if (x < 0.55) {
      const site = r.pick(w.extServices.web);
      b.dns(w.proxy, site.name, t - 0.02, { ips: site.ips });
      b.https(ws, site.name, r.pick(site.ips), t, { viaProxy: true });
    } else if (x < 0.7) {
      const svc = r.pick(w.extServices.o365);
      b.dns(ws, svc.name, t - 0.01, { ips: svc.ips });
      b.https(ws, svc.name, r.pick(svc.ips), t, { up: r.lognormal(8000, 1.3), down: r.lognormal(60000, 1.3) });
    } else if (x < 0.85) {
      b.dns(ws, `ehr01.${DOMAIN}`, t - 0.01, { ips: [w.ehr.ip] });
      b.https(ws, `ehr01.${DOMAIN}`, w.ehr.ip, t, { up: r.lognormal(4000, 0.8), down: r.lognormal(50000, 1) }).forEach((c) => (c.s = w.ehr));
    } else if (x < 0.9) {
      b.smb(ws, w.print, t, (s) => {
        const tid = s.treeConnect('IPC$');
        s.rpcOverPipe(tid, 'spoolss', { uuid: '12345678-1234-abcd-ef00-0123456789ab', ver: 1, name: 'spoolss' }, [{ opnum: 69, op: 'RpcOpenPrinterEx' }, { opnum: 17, op: 'RpcStartDocPrinter' }, { opnum: 19, op: 'RpcWritePrinter', stub: 20000 }, { opnum: 23, op: 'RpcEndDocPrinter' }]);
      });
    } else if (x < 0.95) {
      b.kerberosTgs(ws, user, r.pick([`cifs/${fs.name}.${DOMAIN}`, `HTTP/ehr01.${DOMAIN}`, `ldap/${dc.name}.${DOMAIN}`, `MSSQLSvc/sql01.${DOMAIN}:1433`]), t);
      if (r.chance(0.3)) b.kerberosTgs(ws, user, `MSSQLSvc/sqllab.${DOMAIN}:1433`, t + 1, { rc4: true }); // legacy RC4-only service account
      b.ldap(ws, t + 0.5);
    } else {
      for (let k = 0; k < r.int(1, 4); k++) avLookup(b, r, w, ws, t + k);
      if (r.chance(0.02)) for (const nx of ['wpad', 'isatap', `printer-${r.int(1, 40)}`]) b.dns(ws, `${nx}.${DOMAIN}`, t + 2, { nx: true });
    }
  }
  // SCCM policy polls (hourly) and a daily WSUS check
  for (let t = start + r.uniform(60, 3600); t < end; t += 3600 + r.uniform(-300, 300)) b.http(ws, w.sccm, 80, t, `sccm01.${DOMAIN}`, '/ccm_system/request', { respLen: r.int(1000, 3000), ua: 'SMS CCM 5.0' });
  b.http(ws, w.wsus, 8530, start + r.uniform(300, 3600), `wsus01.${DOMAIN}:8530`, '/ClientWebService/client.asmx', { respLen: r.int(5000, 80000), ua: 'Windows-Update-Agent/10.0' });
  // logoff: roaming profile write-back
  b.smb(ws, fs, end, (s) => {
    const tid = s.treeConnect('profiles$');
    for (let k = 0; k < r.int(5, 30); k++) {
      const h = s.create(tid, `${user}\\AppData\\Roaming\\Microsoft\\Windows\\Recent\\item${k}.lnk`, { size: 2000, create: true });
      s.write(h, r.int(500, 3000));
      s.close(h);
    }
  });
}

function radiologyReading(b, r, w, ws, from, to) {
  for (let t = from + r.uniform(0, 1800); t < to; t += r.uniform(2400, 6000)) {
    b.dicom(ws, w.pacs, 104, t, 'PACS01', ws.ae ?? 'RADVIEW', 'C-FIND');
    b.dicom(ws, w.pacs, 104, t + 5, 'PACS01', ws.ae ?? 'RADVIEW', 'C-MOVE');
    // PACS pushes the study to the viewer (C-STORE to the viewer's SCP)
    b.dicom(w.pacs, ws, 11112, t + 6, ws.ae ?? 'RADVIEW', 'PACS01', 'C-STORE', { n: r.int(20, 80), bytes: r.int(300000, 600000), think: 0.005 });
  }
}

function sccmPush(b, r, w, target, t) {
  b.smb(w.sccm, target, t, (s) => {
    const tid = s.treeConnect('ADMIN$');
    const f = s.create(tid, 'ccmsetup\\ccmsetup.exe', { size: 5500000, create: true });
    s.write(f, 5500000);
    s.close(f);
    const ipc = s.treeConnect('IPC$');
    s.rpcOverPipe(ipc, 'svcctl', IFACES.svcctl, [{ opnum: 15, op: 'OpenSCManagerW' }, { opnum: 12, op: 'CreateServiceW', stub: 300 }, { opnum: 19, op: 'StartServiceW' }, { opnum: 0, op: 'CloseServiceHandle' }]);
  });
}

/** Sophos-style reputation lookup: a hash label under the AV vendor's domain. */
function avLookup(b, r, w, host, t) {
  const name = `${r.hex(16)}.${r.hex(8)}.${r.pick(['sav', 'uri', 'x'])}.d1.sophosxl.net`;
  b.dns(host, name, t, { ips: ['127.0.0.1'], ttl: 0, force: true });
}

export { REALM };
