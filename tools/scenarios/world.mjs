// @ts-check
/**
 * The simulated hospital ("Klinikum Nord"): hosts by role and zone, AD users and service
 * principals, DICOM AE titles, HL7 applications and the external services people use. The
 * analytics config returned by `analyticsConfig()` is what a site would configure.
 */
import { Rng } from './rng.mjs';

export const DOMAIN = 'klinikum-nord.local';
export const REALM = 'KLINIKUM-NORD.LOCAL';
/** Monday 2024-03-04 00:00 Europe/Berlin (UTC+1). */
export const EPOCH = 1709506800;

/**
 * @typedef {{ ip: string, mac: string, name: string, role: string, zone: string, internal: boolean,
 *   user?: string, ae?: string, app?: string, vlan?: number, office?: boolean, shift?: boolean }} Host
 */

/** @param {Rng} r */
function mac(r, oui) {
  return oui + ':' + [0, 0, 0].map(() => r.int(0, 255).toString(16).padStart(2, '0')).join(':');
}

export class World {
  /** @param {number} seed */
  constructor(seed = 7) {
    const r = new Rng(seed).fork('world');
    /** @type {Host[]} */
    this.hosts = [];
    /** @type {Map<string, Host>} */
    this.byIp = new Map();
    const H = (ip, name, role, zone, extra = {}) => {
      const h = { ip, mac: mac(r, '00:50:56'), name, role, zone, internal: true, ...extra };
      this.hosts.push(h);
      this.byIp.set(ip, h);
      return h;
    };
    this.dcs = [H('10.50.1.10', 'dc01', 'dc', 'servers'), H('10.50.1.11', 'dc02', 'dc', 'servers')];
    this.fs = [H('10.50.1.20', 'fs01', 'fileserver', 'servers'), H('10.50.1.21', 'fs02', 'fileserver', 'servers')];
    this.print = H('10.50.1.25', 'print01', 'print', 'servers');
    this.proxy = H('10.50.1.30', 'proxy01', 'proxy', 'servers');
    this.sccm = H('10.50.1.40', 'sccm01', 'sccm', 'servers');
    this.wsus = H('10.50.1.41', 'wsus01', 'wsus', 'servers');
    this.mon = H('10.50.1.45', 'mon01', 'monitoring', 'servers');
    this.backup = H('10.50.1.50', 'backup01', 'backup', 'servers');
    this.jump = H('10.50.1.60', 'jump01', 'jump', 'servers');
    this.scanner = H('10.50.1.70', 'vscan01', 'vulnscanner', 'servers');
    this.pacs = H('10.50.2.10', 'pacs01', 'pacs', 'apps', { ae: 'PACS01' });
    this.hl7 = H('10.50.2.20', 'hl7-engine', 'hl7', 'apps', { app: 'HL7ENGINE' });
    this.ehr = H('10.50.2.30', 'ehr01', 'ehr', 'apps', { app: 'ORBIS' });
    this.lis = H('10.50.2.31', 'lis01', 'lis', 'apps', { app: 'LAURIS', ae: 'LIS01' });
    this.ris = H('10.50.2.32', 'ris01', 'ris', 'apps', { app: 'MEDAVIS', ae: 'RIS_MWL' });
    this.servers = this.hosts.slice();
    this.users = [];
    for (let i = 0; i < 260; i++) this.users.push(`${r.pick(['m', 'a', 's', 'j', 'k', 'l', 'p', 't'])}.${r.pick(['mueller', 'schmidt', 'schneider', 'fischer', 'weber', 'meyer', 'wagner', 'becker', 'schulz', 'hoffmann', 'koch', 'richter', 'klein', 'wolf', 'neumann', 'braun', 'zimmermann', 'krueger', 'hartmann', 'lange'])}${i}`);
    /** office workstations 10.50.16.0/22 */
    this.ws = [];
    const used = new Set();
    while (this.ws.length < 130) {
      const n = r.int(16 * 256 + 10, 19 * 256 + 250);
      if (used.has(n) || (n & 255) < 5 || (n & 255) > 250) continue;
      used.add(n);
      const ip = `10.50.${n >> 8}.${n & 255}`;
      this.ws.push(H(ip, `ws-${String(this.ws.length).padStart(4, '0')}`, 'workstation', 'workstations', { user: this.users[this.ws.length], office: true }));
    }
    this.ws.sort((a, b) => ipNum(a.ip) - ipNum(b.ip));
    this.adminWs = this.ws.slice(0, 2);
    /** clinical workstations (24/7), 5 of them radiology viewing stations */
    this.cws = [];
    for (let i = 0; i < 36; i++) {
      this.cws.push(H(`10.50.4.${20 + i}`, `cws-${String(i).padStart(3, '0')}`, i < 5 ? 'radiology-ws' : 'clinical-ws', 'clinical', { user: this.users[140 + i], shift: true, vlan: 40, ae: i < 5 ? `RADVIEW${i + 1}` : undefined }));
    }
    this.radWs = this.cws.slice(0, 5);
    /** medical devices (VLAN 30) */
    this.mods = [
      ['CT', 'CT_SOMATOM1'], ['MR', 'MR_AVANTO1'], ['CR', 'CR_FCR1'], ['CR', 'CR_FCR2'], ['US', 'US_LOGIQ1'], ['US', 'US_LOGIQ2'], ['US', 'US_ACUSON3'],
    ].map(([m, ae], i) => H(`10.50.3.${20 + i}`, `${m.toLowerCase()}${i}`, 'modality', 'medical', { ae, vlan: 30 }));
    this.labs = [H('10.50.3.60', 'lab-cobas1', 'lab-analyzer', 'medical', { app: 'COBAS8000', vlan: 30 }), H('10.50.3.61', 'lab-sysmex1', 'lab-analyzer', 'medical', { app: 'SYSMEX_XN', vlan: 30 })];
    this.medical = [...this.mods, ...this.labs];
    this.clients = [...this.ws, ...this.cws];
    // service principal names in AD (kerberoastable ones use RC4 only when the attacker asks)
    this.spns = [
      ...this.servers.map((s) => `cifs/${s.name}.${DOMAIN}`),
      ...this.servers.map((s) => `host/${s.name}.${DOMAIN}`),
      `MSSQLSvc/sql01.${DOMAIN}:1433`, `MSSQLSvc/sql02.${DOMAIN}:1433`, `HTTP/ehr01.${DOMAIN}`, `HTTP/intranet.${DOMAIN}`,
      `MSSQLSvc/sqlpacs.${DOMAIN}:1433`, `HTTP/lis01.${DOMAIN}`, `HTTP/sccm01.${DOMAIN}`, `TERMSRV/jump01.${DOMAIN}`,
      `exchangeMDB/mail01.${DOMAIN}`, `FIMService/fim01.${DOMAIN}`, `HTTP/reporting.${DOMAIN}`, `MSSQLSvc/sqllab.${DOMAIN}:1433`,
    ];
    // external services: name → IPs (CNAME chains for CDNs)
    const ext = (name, n, prefix, extra = {}) => ({ name, ips: Array.from({ length: n }, () => `${prefix}.${r.int(1, 254)}.${r.int(1, 254)}`), ...extra });
    this.extServices = {
      o365: [ext('outlook.office365.com', 4, '52.97'), ext('login.microsoftonline.com', 3, '20.190'), ext('teams.microsoft.com', 3, '52.113'), ext('klinikumnord-my.sharepoint.com', 2, '13.107')],
      winupdate: [ext('7.tlu.dl.delivery.mp.microsoft.com', 3, '23.52', { cname: ['7.tlu.dl.delivery.mp.microsoft.com.edgekey.net', 'e3913.dscx.akamaiedge.net'] })],
      wsusup: [ext('sws.update.microsoft.com', 2, '20.72')],
      av: [ext('d1.sophosxl.net', 2, '35.157')],
      backup: [ext('vault.backup-provider.eu', 2, '185.41')],
      vendor: [ext('srs.healthineers-remote.com', 2, '194.138'), ext('insite.gehealthcare-remote.com', 1, '3.120')],
      web: [],
    };
    const words = 'health news wetter zeitung bank shop med pharma klinik reise sport buch auto bahn amt stadt uni blog cloud portal'.split(' ');
    for (let i = 0; i < 140; i++) {
      const nm = `${r.pick(['www.', 'cdn.', 'api.', ''])}${r.pick(words)}${r.pick(words)}${r.int(1, 99)}.${r.pick(['de', 'com', 'eu', 'net', 'org'])}`;
      this.extServices.web.push(ext(nm, r.int(1, 2), r.pick(['104.18', '151.101', '185.199', '142.250', '18.66', '34.120', '23.205'])));
    }
    this.resolvers = ['9.9.9.9', '149.112.112.112'];
    this.attackerInfra = {
      c2: ext('cdn-update-check.net', 1, '45.137'),
      exfil: ext('files.quick-share.io', 1, '91.215'),
      shell: { name: '', ips: ['203.0.113.77'] },
      tunnel: 'dnsupd4te.com',
      stage: ext('store.mega-drop.cc', 1, '89.44'),
      phi: { name: '', ips: ['198.51.100.23'] },
    };
  }

  /** The analytics section a site would configure for this hospital. */
  analyticsConfig() {
    return {
      sensorId: 'klinikum-nord-core',
      timeZone: 'Europe/Berlin',
      internalNetworks: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16'],
      internalDomains: [DOMAIN],
      zones: [
        { name: 'servers', networks: ['10.50.1.0/24'], kind: 'server' },
        { name: 'apps', networks: ['10.50.2.0/24'], kind: 'server' },
        { name: 'medical', networks: ['10.50.3.0/24'], kind: 'medical' },
        { name: 'clinical', networks: ['10.50.4.0/24'], kind: 'workstation' },
        { name: 'workstations', networks: ['10.50.16.0/22'], kind: 'workstation' },
        { name: 'guest', networks: ['10.60.0.0/16'], kind: 'guest' },
      ],
      roles: { domainControllers: ['10.50.1.10', '10.50.1.11'], dnsServers: ['10.50.1.10', '10.50.1.11'], proxies: ['10.50.1.30'] },
      suppress: [
        { type: 'recon.*', src: '10.50.1.70', comment: 'vscan01: nightly authorised vulnerability scan' },
        { type: 'lm.new_admin_edge', src: '10.50.1.70', comment: 'vscan01 authenticated checks' },
        { type: 'c2.*', name: '*.update.microsoft.com', comment: 'WSUS upstream sync' },
      ],
    };
  }
}

/** @param {string} ip */
export function ipNum(ip) {
  return ip.split('.').reduce((a, x) => a * 256 + +x, 0);
}
