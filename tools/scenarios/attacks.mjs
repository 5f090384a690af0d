// @ts-check
/**
 * Injected attacks with ground-truth labels. Each attack builds its conversations with the same
 * builders as normal traffic (real SMB2/DCE-RPC/Kerberos/DNS/TLS bytes) and returns a label:
 *   { id, title, start, end, detectable_at, src, dst, expect: [{type, category, mitre}], uids }
 * `detectable_at` is the earliest capture time at which the evidence a detection needs exists
 * (equals `start` unless the technique needs history, e.g. beaconing needs repetitions).
 */
import { Builder } from './build.mjs';
import { Rng } from './rng.mjs';
import { DOMAIN, EPOCH, REALM } from './world.mjs';
import { IFACES } from './wire/dcerpc.mjs';
import { SOP } from './wire/dicom.mjs';

/** @typedef {{type:string, category:string, mitre:string[]}} Expect */

const E = {
  newEdge: { type: 'lm.new_admin_edge', category: 'lateral-movement', mitre: ['T1021'] },
  fanout: { type: 'lm.admin_fanout', category: 'lateral-movement', mitre: ['T1021', 'T1570'] },
  svc: { type: 'lm.remote_service', category: 'lateral-movement', mitre: ['T1569.002'] },
  task: { type: 'lm.remote_task', category: 'lateral-movement', mitre: ['T1053'] },
  wmi: { type: 'lm.wmi_exec', category: 'lateral-movement', mitre: ['T1047'] },
  share: { type: 'lm.admin_share_write', category: 'lateral-movement', mitre: ['T1570'] },
  dcsync: { type: 'cred.dcsync', category: 'credential-access', mitre: ['T1003.006'] },
  roast: { type: 'cred.kerberoast', category: 'credential-access', mitre: ['T1558.003'] },
  spray: { type: 'cred.password_spray', category: 'credential-access', mitre: ['T1110.003'] },
  zerologon: { type: 'cred.zerologon', category: 'credential-access', mitre: ['T1210'] },
  scan: { type: 'recon.scan', category: 'reconnaissance', mitre: ['T1046'] },
  rpcEnum: { type: 'recon.rpc_enum', category: 'reconnaissance', mitre: ['T1087', 'T1135'] },
  exfil: { type: 'exfil.volume', category: 'exfiltration', mitre: ['T1048', 'T1041'] },
  tunnel: { type: 'exfil.dns_tunnel', category: 'exfiltration', mitre: ['T1071.004', 'T1048.003'] },
  staging: { type: 'exfil.staging', category: 'exfiltration', mitre: ['T1074', 'T1041'] },
  beacon: { type: 'c2.beacon', category: 'command-and-control', mitre: ['T1071'] },
  longConn: { type: 'c2.long_connection', category: 'command-and-control', mitre: ['T1071'] },
  dga: { type: 'c2.dga', category: 'command-and-control', mitre: ['T1568.002'] },
  smbBurst: { type: 'impact.smb_burst', category: 'impact', mitre: ['T1486'] },
  medEdge: { type: 'med.contract_violation', category: 'policy', mitre: ['T1210', 'T1041'] },
  newAe: { type: 'med.dicom_new_ae', category: 'policy', mitre: ['T1210'] },
  hl7App: { type: 'med.hl7_new_app', category: 'policy', mitre: ['T1210'] },
  phi: { type: 'med.phi_leaving_zone', category: 'exfiltration', mitre: ['T1041'] },
};
export const EXPECT = E;

/**
 * Attacks for test day `day` (0-based from EPOCH). Returns conversations and labels.
 * @param {import('./world.mjs').World} w @param {number} day @param {number} seed @param {number} testIndex 0 or 1
 */
export function attackDay(w, day, seed, testIndex) {
  const r = new Rng(seed).fork(`attacks${day}`);
  const b = new Builder(w, r, `a${seed}d${day}`);
  const d0 = EPOCH + day * 86400;
  const at = (h) => d0 + h * 3600 + r.uniform(0, 600);
  /** @type {any[]} */
  const labels = [];
  const ws = (i) => w.ws[i % w.ws.length];
  const run = (id, title, src, dst, expect, t, fn, detectableAfter = 0) => {
    b.label = id;
    const before = b.convs.length;
    const end = fn(t) ?? t;
    const convs = b.convs.slice(before);
    labels.push({ id, title, start: t, end: Math.max(end, ...convs.map((c) => c.t0)), detectable_at: t + detectableAfter, src: src.ip, dst: dst ? dst.ip : null, expect, uids: convs.map((c) => c.uid) });
    b.label = undefined;
  };

  if (testIndex === 0) {
    // --- 1. PsExec: ADMIN$ write + svcctl CreateServiceW/StartServiceW, ws → fs01
    const A = ws(37);
    run('psexec', 'PsExec-style service creation via ADMIN$ and \\PIPE\\svcctl', A, w.fs[0], [E.share, E.svc], at(9.2), (t) => {
      b.kerberosTgs(A, A.user, `cifs/${w.fs[0].name}.${DOMAIN}`, t - 1);
      b.smb(A, w.fs[0], t, (s) => {
        const adm = s.treeConnect('ADMIN$');
        const f = s.create(adm, 'PSEXESVC.exe', { size: 376000, create: true });
        s.write(f, 376000);
        s.close(f);
        const ipc = s.treeConnect('IPC$');
        s.rpcOverPipe(ipc, 'svcctl', IFACES.svcctl, [{ opnum: 15, op: 'OpenSCManagerW' }, { opnum: 12, op: 'CreateServiceW', stub: 400 }, { opnum: 16, op: 'OpenServiceW' }, { opnum: 19, op: 'StartServiceW' }, { opnum: 0, op: 'CloseServiceHandle' }]);
      });
    });
    // --- 2. at (atsvc NetrJobAdd) on another workstation
    const B = ws(61);
    run('at-job', 'Remote "at" job via \\PIPE\\atsvc NetrJobAdd', A, B, [E.task], at(10.1), (t) => {
      b.smb(A, B, t, (s) => {
        const ipc = s.treeConnect('IPC$');
        s.rpcOverPipe(ipc, 'atsvc', IFACES.atsvc, [{ opnum: 0, op: 'NetrJobAdd', stub: 200 }]);
      });
    });
    // --- 3. schtasks /s: ITaskSchedulerService over the atsvc pipe
    run('schtask', 'Remote scheduled task via ITaskSchedulerService SchRpcRegisterTask + SchRpcRun', A, w.fs[1], [E.task], at(10.6), (t) => {
      b.smb(A, w.fs[1], t, (s) => {
        const ipc = s.treeConnect('IPC$');
        s.rpcOverPipe(ipc, 'atsvc', IFACES.tsch, [{ opnum: 0, op: 'SchRpcHighestVersion' }, { opnum: 1, op: 'SchRpcRegisterTask', stub: 2400 }, { opnum: 12, op: 'SchRpcRun' }, { opnum: 13, op: 'SchRpcDelete' }]);
      });
    });
    // --- 4. WMI ExecMethod (wmic process call create) via DCOM
    const C = ws(88);
    run('wmiexec', 'WMI Win32_Process.Create via IWbemServices::ExecMethod', A, C, [E.wmi], at(11.3), (t) => {
      b.rpcTcp(A, C, t, IFACES.scmActivator, [{ opnum: 4, op: 'RemoteCreateInstance', stub: 900 }], { port: 135 });
      b.rpcTcp(A, C, t + 0.5, IFACES.wbemLogin, [{ opnum: 6, op: 'NTLMLogin' }], { port: 49720 });
      b.rpcTcp(A, C, t + 1, IFACES.wbem, [{ opnum: 6, op: 'GetObject' }, { opnum: 24, op: 'ExecMethod', stub: 700 }], { port: 49720 });
    });
    // --- 5. DCSync from a workstation
    run('dcsync', 'DCSync: DRSGetNCChanges from a workstation', A, w.dcs[0], [E.dcsync], at(13.4), (t) => {
      b.rpcTcp(A, w.dcs[0], t, IFACES.drsuapi, [{ opnum: 0, op: 'DRSBind' }, { opnum: 3, op: 'DRSGetNCChanges', respStub: 30000 }, { opnum: 3, op: 'DRSGetNCChanges', respStub: 30000 }, { opnum: 1, op: 'DRSUnbind' }]);
    });
    // --- 6. Kerberoasting: RC4 TGS burst
    const D = ws(15);
    run('kerberoast', 'Kerberoasting: RC4 service tickets for 16 SPNs in one minute', D, w.dcs[1], [E.roast], at(14.2), (t) => {
      const spns = w.spns.filter((s) => !s.startsWith('host/')).slice(0, 16);
      spns.forEach((spn, i) => b.kerberosTgs(D, D.user, spn, t + i * 3.5, { rc4: true, dc: w.dcs[1] }));
      return t + spns.length * 3.5;
    });
    // --- 7. AS-REQ password spraying
    const S = ws(102);
    run('spray', 'Password spraying: AS-REQ with pre-auth failures for 45 accounts', S, w.dcs[0], [E.spray], at(15.1), (t) => {
      for (let i = 0; i < 45; i++) b.kerberosAs(S, w.users[(i * 5 + 3) % w.users.length], t + i * 2, { dc: w.dcs[0], error: 'KDC_ERR_PREAUTH_FAILED', skipFirst: i % 3 !== 0 });
      return t + 90;
    });
    // --- 8. Zerologon
    const Z = ws(120);
    run('zerologon', 'Zerologon: Netlogon authentication burst and password reset', Z, w.dcs[0], [E.zerologon], at(16.0), (t) => {
      const calls = [];
      for (let i = 0; i < 120; i++) calls.push({ opnum: 4, op: 'NetrServerReqChallenge' }, { opnum: 26, op: 'NetrServerAuthenticate3' });
      calls.push({ opnum: 30, op: 'NetrServerPasswordSet2' });
      b.rpcTcp(Z, w.dcs[0], t, IFACES.netlogon, calls, { spacing: 0.05 });
      return t + 15;
    });
    // --- 9. internal address scan (SMB) and port scan
    const N = ws(74);
    run('scan-445', 'Internal address scan of 10.50.17.0/24 on 445/tcp', N, null, [E.scan], at(17.2), (t) => {
      for (let h = 1; h < 255; h++) {
        const ip = `10.50.17.${h}`;
        const tgt = w.byIp.get(ip);
        if (tgt) {
          if (h % 2) b.attempt(N, tgt, 445, t + h * 0.3, true);
          else b.smb(N, tgt, t + h * 0.3, () => {});
        } else b.attempt(N, { ip, mac: '00:50:56:00:00:02' }, 445, t + h * 0.3, false);
      }
      return t + 80;
    });
    run('portscan', 'Port scan of dc02 (1-1024/tcp)', N, w.dcs[1], [E.scan], at(17.9), (t) => {
      for (let p = 1; p <= 200; p++) if (![53, 88, 135, 139, 389, 445, 464, 636].includes(p)) b.attempt(N, w.dcs[1], p, t + p * 0.05, true);
      return t + 10;
    });
    // --- 10. RPC enumeration: SAMR against the DC, share/session enumeration across hosts
    const R = ws(90);
    run('samr-enum', 'SAMR/LSARPC domain enumeration burst (BloodHound-style)', R, w.dcs[0], [E.rpcEnum], at(18.3), (t) => {
      b.smb(R, w.dcs[0], t, (s) => {
        const ipc = s.treeConnect('IPC$');
        const calls = [{ opnum: 64, op: 'SamrConnect5' }, { opnum: 6, op: 'SamrEnumerateDomainsInSamServer' }, { opnum: 7, op: 'SamrOpenDomain' }];
        for (let i = 0; i < 30; i++) calls.push({ opnum: 13, op: 'SamrEnumerateUsersInDomain', respStub: 3000 }, { opnum: 11, op: 'SamrEnumerateGroupsInDomain' });
        s.rpcOverPipe(ipc, 'samr', IFACES.samr, calls);
        s.rpcOverPipe(ipc, 'lsarpc', IFACES.lsarpc, Array.from({ length: 12 }, () => ({ opnum: 57, op: 'LsarLookupSids2', respStub: 1200 })));
      });
    });
    run('share-enum', 'SRVSVC share and session enumeration across 20 hosts', R, null, [E.rpcEnum], at(18.8), (t) => {
      for (let i = 0; i < 20; i++) {
        const tgt = i < 4 ? w.servers[i] : ws(i * 6 + 1);
        b.smb(R, tgt, t + i * 4, (s) => {
          const ipc = s.treeConnect('IPC$');
          s.rpcOverPipe(ipc, 'srvsvc', IFACES.srvsvc, [{ opnum: 15, op: 'NetrShareEnum', respStub: 800 }, { opnum: 12, op: 'NetrSessionEnum', respStub: 400 }]);
        });
      }
      return t + 80;
    });
    // --- 11. lateral fan-out: SMB to 14 workstations in ~4 minutes
    run('fanout', 'Lateral movement: SMB C$ access to 14 workstations within 4 minutes', A, null, [E.fanout, E.newEdge], at(19.5), (t) => {
      for (let i = 0; i < 14; i++) {
        b.smb(A, ws(i * 9 + 3), t + i * 17, (s) => {
          const tid = s.treeConnect('C$');
          const f = s.create(tid, 'Users', {});
          s.close(f);
        });
      }
      return t + 14 * 17;
    });
    // --- 12. medical device contract violation: modality reaches out over SMB and to the internet
    const M = w.mods[2];
    run('med-smb', 'Modality connects to a workstation over SMB (outside its contract)', M, ws(44), [E.medEdge], at(20.4), (t) => {
      b.smb(M, ws(44), t, (s) => {
        const tid = s.treeConnect('C$');
        s.close(s.create(tid, 'Windows\\Temp', {}));
      });
    });
    run('med-external', 'Modality talks to an unknown external address', M, null, [E.medEdge], at(20.8), (t) => {
      b.https(M, '', '185.220.101.9', t, { up: 40000, down: 8000 });
    });
  } else {
    // --- 13. exfil volume: 3 GB upload to a rare external destination
    const F = ws(23);
    const ex = w.attackerInfra.exfil;
    run('exfil', 'Exfiltration: 3 GB uploaded to a file-sharing host', F, { ip: ex.ips[0] }, [E.exfil], at(10.3), (t) => {
      b.dns(F, ex.name, t - 0.1, { ips: ex.ips });
      b.https(F, ex.name, ex.ips[0], t, { up: 3.0e9, down: 2e6, dur: 1, bw: 20e6 });
      return t + 150;
    });
    // --- 14. staging then exfil
    const G = ws(55);
    const st = w.attackerInfra.stage;
    run('staging', 'Staging 4 GB from fs02 then uploading 2.4 GB out', G, { ip: st.ips[0] }, [E.staging, E.exfil], at(11.0), (t) => {
      b.smb(G, w.fs[1], t, (s) => {
        const tid = s.treeConnect('Abteilungen');
        for (let i = 0; i < 40; i++) {
          const f = s.create(tid, `Finanzen\\Archiv\\export_${i}.zip`, { size: 100e6 });
          s.read(f, 100e6);
          s.close(f);
        }
      }, { bw: 110e6, think: [0.001, 0.01] });
      const t2 = t + 4e9 / 110e6 + 600;
      b.dns(G, st.name, t2 - 0.1, { ips: st.ips });
      b.https(G, st.name, st.ips[0], t2, { up: 2.4e9, down: 1e6, dur: 1, bw: 20e6 });
      return t2 + 120;
    }, 4e9 / 110e6 + 600);
    // --- 15. DNS tunnelling
    const T = ws(31);
    run('dns-tunnel', 'DNS tunnelling: 400 unique encoded subdomains + TXT under one domain', T, null, [E.tunnel], at(12.2), (t) => {
      for (let i = 0; i < 400; i++) b.dns(T, `${r.hex(30)}.${r.hex(20)}.${w.attackerInfra.tunnel}`, t + i * 1.2, { qtype: i % 3 === 0 ? 'TXT' : 'A', ips: i % 3 ? ['10.0.0.1'] : [], txt: i % 3 === 0, force: true });
      return t + 480;
    });
    // --- 16. beaconing
    const I = ws(66);
    const c2 = w.attackerInfra.c2;
    run('beacon', 'C2 beaconing every 60 s ±10 % for 3 hours', I, { ip: c2.ips[0] }, [E.beacon], at(8.0), (t) => {
      b.dns(I, c2.name, t - 1, { ips: c2.ips, ttl: 86400 });
      let tt = t;
      for (let i = 0; i < 180; i++) {
        b.https(I, c2.name, c2.ips[0], tt, { up: 420 + r.int(-10, 10), down: 180 + r.int(-10, 10), dur: 0.2 });
        tt += 60 * r.uniform(0.9, 1.1);
      }
      return tt;
    }, 60 * 12);
    // --- 17. long-lived connection to a rare external host (reverse SSH tunnel)
    const J = ws(99);
    run('long-conn', 'Reverse SSH tunnel to a VPS held open for 3 hours', J, { ip: w.attackerInfra.shell.ips[0] }, [E.longConn], at(13.0), (t) => {
      b.ssh(J, b.ext(w.attackerInfra.shell.ips[0]), t, 3 * 3600, 40e6, 3e6, { port: 443 });
      return t + 3 * 3600;
    }, 3600);
    // --- 18. DGA NXDOMAIN burst
    const K = ws(110);
    run('dga', 'DGA: 60 NXDOMAIN answers for random .com/.net domains in 4 minutes', K, null, [E.dga], at(14.5), (t) => {
      for (let i = 0; i < 60; i++) b.dns(K, `${r.str(r.int(10, 16), 'abcdefghijklmnopqrstuvwxyz0123456789')}.${r.pick(['com', 'net', 'org', 'info'])}`, t + i * 4, { nx: true, force: true });
      return t + 240;
    });
    // --- 19. ransomware-like SMB burst
    const L = ws(12);
    run('ransomware', 'Ransomware-like burst: 600 documents read, rewritten and renamed on fs01 in 3 minutes', L, w.fs[0], [E.smbBurst], at(15.4), (t) => {
      b.smb(L, w.fs[0], t, (s) => {
        const tid = s.treeConnect('Abteilungen');
        for (let i = 0; i < 600; i++) {
          const name = `Pflege\\Dokumente\\dok_${i}.docx`;
          // small office documents: each fits a few segments, so the capture holds every byte
          const size = r.int(1500, 3800);
          const f = s.create(tid, name, { size });
          s.read(f, size);
          s.write(f, size + 16);
          s.rename(f, `${name}.lockbit`);
          s.close(f);
        }
      }, { think: [0.0005, 0.01], bw: 100e6 });
      return t + 180;
    });
    // --- 20. DICOM from a new AE title (study harvesting) and DICOM leaving the network
    const P = ws(47);
    run('dicom-new-ae', 'DICOM C-FIND/C-MOVE to PACS from an unknown AE title on an office workstation', P, w.pacs, [E.newAe], at(16.3), (t) => {
      b.dicom(P, w.pacs, 104, t, 'PACS01', 'EVIL_SCU', 'C-FIND', { sop: SOP.studyFind });
      b.dicom(P, w.pacs, 104, t + 3, 'PACS01', 'EVIL_SCU', 'C-MOVE', { sop: SOP.studyMove });
    });
    run('dicom-leaving', 'PACS C-STORE to an external address', w.pacs, { ip: w.attackerInfra.phi.ips[0] }, [E.phi], at(16.9), (t) => {
      b.dicom(w.pacs, b.ext(w.attackerInfra.phi.ips[0]), 104, t, 'TELERAD', 'PACS01', 'C-STORE', { n: 30, bytes: 500000, bw: 10e6 });
    });
    // --- 21. HL7 from a new application
    const Q = ws(81);
    run('hl7-new-app', 'HL7 ADT messages from an unknown application on an office workstation', Q, w.hl7, [E.hl7App], at(17.5), (t) => {
      b.hl7(Q, w.hl7, t, 'TESTAPP', 'EXT', 'HL7ENGINE', 'KN', ['ADT^A08', 'ADT^A08', 'QRY^A19']);
    });
  }
  return { convs: b.convs, labels };
}
