// @ts-check
/**
 * Conversation builders shared by normal traffic and attacks: each returns `Conv`s with real
 * protocol bytes (wire/*) and the events a correct parser logs for them.
 */
import { Conv, makeUid } from './flows.mjs';
import { DOMAIN, REALM } from './world.mjs';
import { dnsQuery, dnsResponse } from './wire/dns.mjs';
import { ETYPE, kdcRep, kdcReq, krbError, krbTcp, KRB_ERR } from './wire/kerberos.mjs';
import { Smb2Session } from './wire/smb2.mjs';
import { IFACES, rpcOverTcp } from './wire/dcerpc.mjs';
import { appDataHeader, clientHello, serverHello } from './wire/tls.mjs';
import { httpRequest, httpResponse } from './wire/http.mjs';
import { associateRq, command, dataHeader, releaseRp, releaseRq, SOP } from './wire/dicom.mjs';
import { hl7Ack, hl7Message } from './wire/hl7.mjs';
import { ldapBindRequest, ldapBindResponse, ldapSealed, ntpPacket, rdpConnectionConfirm, rdpConnectionRequest, sshBanner } from './wire/misc.mjs';

/** @typedef {import('./world.mjs').Host} Host */
/** @typedef {{ip: string, mac?: string, vlan?: number, internal?: boolean}} Ep */

export class Builder {
  /** @param {import('./world.mjs').World} w @param {import('./rng.mjs').Rng} r @param {string} seed */
  constructor(w, r, seed) {
    this.w = w;
    this.r = r;
    this.seed = seed;
    /** @type {Conv[]} */
    this.convs = [];
    this.n = 0;
    /** @type {Map<string, number>} */
    this.ports = new Map();
    /** dns cache: client|name → expiry */
    this.dnsCache = new Map();
    /** resolver cache on DCs: name → expiry */
    this.fwdCache = new Map();
    this.label = undefined;
  }

  uid() {
    return makeUid(this.n++, this.seed);
  }

  /** @param {Ep} h */
  eport(h) {
    const p = this.ports.get(h.ip) ?? 49152 + (hashStr(h.ip + this.seed) % 16000);
    this.ports.set(h.ip, p >= 65535 ? 49152 : p + 1);
    return p;
  }

  /** @param {string} ip @returns {Ep} */
  ext(ip) {
    return { ip, internal: false };
  }

  /** @param {ConstructorParameters<typeof Conv>[0]} o */
  add(o) {
    const c = new Conv({ label: this.label, ...o });
    this.convs.push(c);
    return c;
  }

  tcp(c, s, sport, t0, msgs, service, events = [], o = {}) {
    return this.add({ uid: this.uid(), proto: 'tcp', c, s, cport: o.cport ?? this.eport(c), sport, t0, msgs, service, events, mode: o.mode, bw: o.bw, rtt: o.rtt, endAt: o.endAt });
  }

  // ------------------------------------------------------------------ DNS

  /**
   * Client resolves `name` at its DC (cached per client for `ttl`); the DC forwards external
   * names it has not cached. Returns nothing; adds conversations.
   * @param {Host} client @param {string} name @param {number} t
   * @param {{qtype?: string, ips?: string[], cname?: string[], nx?: boolean, ttl?: number, force?: boolean, txt?: boolean}} [o]
   */
  dns(client, name, t, o = {}) {
    const key = `${client.ip}|${name}|${o.qtype ?? 'A'}`;
    if (!o.force && (this.dnsCache.get(key) ?? 0) > t) return;
    this.dnsCache.set(key, t + (o.ttl ?? 3600));
    const dc = this.w.dcs[hashStr(client.ip) % 2];
    const qtype = o.qtype ?? 'A';
    const id = this.r.int(1, 65535);
    /** @type {{type:string,name:string,data:string,ttl:number}[]} */
    const answers = [];
    let prev = name;
    for (const cn of o.cname ?? []) {
      answers.push({ type: 'CNAME', name: prev, data: cn, ttl: 300 });
      prev = cn;
    }
    for (const ip of o.ips ?? []) answers.push({ type: 'A', name: prev, data: ip, ttl: 300 });
    if (o.txt) answers.push({ type: 'TXT', name, data: this.r.hex(40), ttl: 0 });
    const rcode = o.nx ? 'NXDOMAIN' : 'NOERROR';
    const zone = name.endsWith(DOMAIN) ? DOMAIN : name.split('.').slice(-2).join('.');
    const q = dnsQuery({ id, name, qtype });
    const rsp = dnsResponse({ id, name, qtype, rcode, answers, soa: o.nx || !answers.length ? zone : undefined });
    const ev = {
      _path: 'dns', _i: 0, proto: 'udp', trans_id: id, query: name, qclass: 1, qclass_name: 'C_INTERNET', qtype: qtypeNum(qtype), qtype_name: qtype,
      rcode: o.nx ? 3 : 0, rcode_name: rcode, AA: false, TC: false, RD: true, RA: true, Z: 0,
      answers: answers.map((a) => a.data), TTLs: answers.map((a) => a.ttl), rejected: false,
    };
    const ext = !name.endsWith(DOMAIN) && !name.endsWith('.arpa');
    this.add({ uid: this.uid(), proto: 'udp', c: client, s: dc, cport: this.eport(client), sport: 53, t0: t, msgs: [{ d: 0, dt: 0, data: q }, { d: 1, dt: ext ? 0.02 : 0.0005, data: rsp }], service: 'dns', events: [ev] });
    if (ext && (o.force || (this.fwdCache.get(name + qtype) ?? 0) <= t)) {
      this.fwdCache.set(name + qtype, t + 300);
      const rid = this.r.int(1, 65535);
      const res = this.ext(this.r.pick(this.w.resolvers));
      this.add({
        uid: this.uid(), proto: 'udp', c: dc, s: res, cport: this.eport(dc), sport: 53, t0: t + 0.0003,
        msgs: [{ d: 0, dt: 0, data: dnsQuery({ id: rid, name, qtype }) }, { d: 1, dt: 0.018, data: dnsResponse({ id: rid, name, qtype, rcode, answers, soa: o.nx || !answers.length ? zone : undefined }) }],
        service: 'dns', events: [{ ...ev, trans_id: rid }],
      });
    }
  }

  // ------------------------------------------------------------------ Kerberos

  /** AS exchange (PREAUTH_REQUIRED round, then AS-REQ with preauth → AS-REP or error). */
  kerberosAs(client, user, t, o = {}) {
    const dc = o.dc ?? this.w.dcs[hashStr(client.ip) % 2];
    const nonce = this.r.int(1, 2 ** 31);
    const svc = `krbtgt/${REALM}`;
    // first round: no pre-auth → KDC_ERR_PREAUTH_REQUIRED (not logged by Zeek)
    if (!o.skipFirst) {
      this.tcp(client, dc, 88, t, [
        { d: 0, dt: 0.0002, data: krbTcp(kdcReq({ type: 'AS', user, realm: REALM, service: svc, nonce, t, etypes: [18, 17, 23] })) },
        { d: 1, dt: 0.0008, data: krbTcp(krbError({ code: KRB_ERR.KDC_ERR_PREAUTH_REQUIRED, realm: REALM, user, service: svc, t })) },
      ], 'krb_tcp', []);
    }
    const t2 = t + 0.003;
    const fail = o.error;
    const rep = fail ? krbError({ code: KRB_ERR[fail], realm: REALM, user, service: svc, t: t2 }) : kdcRep({ type: 'AS', user, realm: REALM, service: svc, ticketEtype: 18 });
    const ev = { _path: 'kerberos', _i: 0, request_type: 'AS', client: `${user}/${REALM}`, service: svc, success: !fail, ...(fail ? { error_msg: fail } : { cipher: 'aes256-cts-hmac-sha1-96' }), forwardable: true, renewable: true };
    this.tcp(client, dc, 88, t2, [
      { d: 0, dt: 0.0002, data: krbTcp(kdcReq({ type: 'AS', user, realm: REALM, service: svc, nonce: nonce + 1, t, etypes: [18, 17, 23], preauth: true })) },
      { d: 1, dt: 0.001, data: krbTcp(rep) },
    ], 'krb_tcp', [ev]);
  }

  /** TGS exchange for `spn`; `etype` of the issued ticket (rc4 when requested RC4-only). */
  kerberosTgs(client, user, spn, t, o = {}) {
    const dc = o.dc ?? this.w.dcs[hashStr(client.ip) % 2];
    const etype = o.rc4 ? 23 : 18;
    const ev = { _path: 'kerberos', _i: 0, request_type: 'TGS', client: `${user}/${REALM}`, service: spn, success: true, cipher: o.rc4 ? 'rc4-hmac' : 'aes256-cts-hmac-sha1-96', forwardable: true, renewable: true };
    this.tcp(client, dc, 88, t, [
      { d: 0, dt: 0.0002, data: krbTcp(kdcReq({ type: 'TGS', realm: REALM, service: spn, nonce: this.r.int(1, 2 ** 31), t, etypes: o.rc4 ? [23] : [18, 17, 23] })) },
      { d: 1, dt: 0.001, data: krbTcp(kdcRep({ type: 'TGS', user, realm: REALM, service: spn, ticketEtype: etype })) },
    ], 'krb_tcp', [ev]);
  }

  ldap(client, t) {
    const dc = this.w.dcs[hashStr(client.ip) % 2];
    const n = this.r.int(2, 8);
    const msgs = [{ d: 0, dt: 0.0003, data: ldapBindRequest(1) }, { d: 1, dt: 0.002, data: ldapBindResponse(1) }];
    for (let i = 0; i < n; i++) msgs.push({ d: 0, dt: this.r.uniform(0.001, 0.05), data: ldapSealed(this.r.int(200, 600)), len: undefined }, { d: 1, dt: 0.003, data: ldapSealed(this.r.int(300, 4000)) });
    this.tcp(client, dc, 389, t, msgs, 'ldap', [], { mode: this.r.chance(0.5) ? 'fin' : 'rst' });
  }

  ntp(client, server, t) {
    this.add({ uid: this.uid(), proto: 'udp', c: client, s: server, cport: 123, sport: 123, t0: t, msgs: [{ d: 0, dt: 0, data: ntpPacket(false, t) }, { d: 1, dt: 0.0005, data: ntpPacket(true, t) }], service: 'ntp' });
  }

  // ------------------------------------------------------------------ SMB

  /**
   * One SMB2 session from client to server; `fn` performs file/pipe work on the session.
   * @param {Host} client @param {Host} server @param {number} t
   * @param {(s: Smb2Session) => void} fn
   */
  smb(client, server, t, fn, o = {}) {
    const s = new Smb2Session({ server: server.name, user: client.user ?? 'svc', domain: 'KLINIKUM', t0: t });
    s.negotiate().sessionSetup();
    fn(s);
    s.logoff();
    for (let i = 2; i < s.msgs.length; i += 2) if (s.msgs[i].dt === s.gap) s.msgs[i].dt = o.think ? this.r.uniform(...o.think) : this.r.uniform(0.0005, 0.05);
    return this.tcp(client, server, 445, t, s.msgs, 'smb', s.events, { mode: o.mode ?? 'fin', bw: o.bw });
  }

  // ------------------------------------------------------------------ DCE/RPC over TCP

  /** epmapper lookup on 135, then the interface on a dynamic port. */
  rpcTcp(client, server, t, iface, calls, o = {}) {
    const port = o.port ?? 49670 + (hashStr(server.ip + iface.name) % 40);
    const epm = rpcOverTcp(IFACES.epmapper, [{ opnum: 3, op: 'ept_map' }], 135);
    this.tcp(client, server, 135, t, epm.msgs, 'dce_rpc', epm.evs);
    const x = rpcOverTcp(iface, calls, port);
    if (o.spacing) x.msgs.forEach((m, i) => i >= 2 && i % 2 === 0 && (m.dt = o.spacing));
    return this.tcp(client, server, port, t + 0.01, x.msgs, 'dce_rpc', x.evs, { mode: o.mode });
  }

  // ------------------------------------------------------------------ web

  /**
   * HTTPS session: direct (client → ext:443) or through the proxy (client → proxy:8080
   * CONNECT + TLS, and proxy → ext:443).
   */
  https(client, sni, ip, t, o = {}) {
    const up = Math.round(o.up ?? this.r.lognormal(3000, 1));
    const down = Math.round(o.down ?? this.r.lognormal(40000, 1.5));
    const seed = this.r.int(1, 2 ** 30);
    const ch = clientHello(sni, seed);
    const sh = serverHello(seed);
    const dur = o.dur ?? this.r.uniform(0.2, 20);
    const tls = [
      { d: 0, dt: 0.001, data: ch },
      { d: 1, dt: o.rtt ?? 0.02, data: sh, len: sh.length + 2400 },
      { d: 0, dt: 0.01, data: appDataHeader(up), len: up + 5 },
      { d: 1, dt: dur, data: appDataHeader(down), len: down + 5 },
    ];
    const sslEv = { _path: 'ssl', _i: 0, version: 'TLSv13', cipher: 'TLS_AES_128_GCM_SHA256', server_name: sni, established: true, resumed: false };
    if (o.viaProxy) {
      const proxy = this.w.proxy;
      const con = httpRequest({ method: 'CONNECT', uri: `${sni}:443`, host: `${sni}:443` });
      const ok = httpResponse({ status: 200 });
      const httpEv = { _path: 'http', _i: 0, trans_depth: 1, method: 'CONNECT', host: `${sni}:443`, uri: `${sni}:443`, version: '1.1', user_agent: 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', request_body_len: 0, response_body_len: 0, status_code: 200, status_msg: 'Connection established' };
      const c1 = this.tcp(client, proxy, 8080, t, [{ d: 0, dt: 0.0005, data: con }, { d: 1, dt: 0.03, data: ok }, ...tls], 'http,ssl', [httpEv, { ...sslEv, _i: 2 }], { bw: o.bw ?? 50e6, mode: o.mode });
      const c2 = this.tcp(proxy, this.ext(ip), 443, t + 0.002, tls, 'ssl', [sslEv], { bw: o.bw ?? 20e6, rtt: 0.02, mode: o.mode, endAt: o.endAt });
      return [c1, c2];
    }
    return [this.tcp(client, this.ext(ip), o.port ?? 443, t, tls, 'ssl', [sslEv], { bw: o.bw ?? 20e6, rtt: 0.02, mode: o.mode, endAt: o.endAt })];
  }

  /** Plain HTTP request/response to an internal server. */
  http(client, server, port, t, host, uri, o = {}) {
    const req = httpRequest({ method: o.method ?? 'GET', uri, host, ua: o.ua, bodyLen: o.reqLen });
    const rlen = o.respLen ?? this.r.int(200, 20000);
    const rsp = httpResponse({ status: 200, bodyLen: rlen, type: 'application/xml' });
    const ev = { _path: 'http', _i: 0, trans_depth: 1, method: o.method ?? 'GET', host, uri, version: '1.1', user_agent: o.ua ?? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)', request_body_len: o.reqLen ?? 0, response_body_len: rlen, status_code: 200, status_msg: 'OK' };
    return this.tcp(client, server, port, t, [{ d: 0, dt: 0.0005, data: req, len: req.length + (o.reqLen ?? 0) }, { d: 1, dt: 0.01, data: rsp, len: rsp.length + rlen }], 'http', [ev]);
  }

  // ------------------------------------------------------------------ clinical

  /** DICOM association: C-STORE of `n` instances of `bytes` each, C-FIND, C-MOVE or C-ECHO. */
  dicom(client, server, port, t, called, calling, cmd, o = {}) {
    const sop = o.sop ?? (cmd === 'C-STORE' ? SOP.ctStore : cmd === 'C-FIND' ? SOP.studyFind : cmd === 'C-MOVE' ? SOP.studyMove : SOP.verification);
    const msgs = [{ d: 0, dt: 0.0005, data: associateRq(called, calling, [sop]) }, { d: 1, dt: 0.003, data: associateRq(called, calling, [sop], true) }];
    const n = o.n ?? 1;
    for (let i = 0; i < n; i++) {
      msgs.push({ d: 0, dt: o.think ?? 0.002, data: command(cmd, sop, i + 1, { dataset: cmd !== 'C-ECHO' }) });
      if (cmd === 'C-STORE' || cmd === 'C-FIND' || cmd === 'C-MOVE') {
        const len = cmd === 'C-STORE' ? (o.bytes ?? 500000) : 300;
        msgs.push({ d: 0, dt: 0.0002, data: dataHeader(len), len: len + 12 });
      }
      msgs.push({ d: 1, dt: 0.005, data: command(cmd, sop, i + 1, { rsp: true, dataset: false }) });
    }
    msgs.push({ d: 0, dt: 0.001, data: releaseRq() }, { d: 1, dt: 0.001, data: releaseRp() });
    const ev = { _path: 'dicom', _i: 0, calling_ae: calling, called_ae: called, command: cmd, abstract_syntaxes: [sop], status: 'Success' };
    return this.tcp(client, server, port, t, msgs, 'dicom', [ev], { bw: o.bw ?? 60e6 });
  }

  hl7(client, server, t, sendApp, sendFac, recvApp, recvFac, types) {
    const msgs = [];
    const events = [];
    for (const type of types) {
      const ctrl = String(this.r.int(100000, 999999999));
      const m = { sendApp, sendFac, recvApp, recvFac, type, ctrl, t };
      events.push({ _path: 'hl7', _i: msgs.length, sending_application: sendApp, sending_facility: sendFac, receiving_application: recvApp, receiving_facility: recvFac, message_type: type, message_control_id: ctrl, ack_code: 'AA' });
      msgs.push({ d: 0, dt: this.r.uniform(0.01, 2), data: hl7Message(m) }, { d: 1, dt: 0.02, data: hl7Ack(m) });
    }
    return this.tcp(client, server, 2575, t, msgs, 'hl7', events);
  }

  rdp(client, server, t, dur, user) {
    const msgs = [{ d: 0, dt: 0.0005, data: rdpConnectionRequest(user) }, { d: 1, dt: 0.002, data: rdpConnectionConfirm() }];
    const seed = this.r.int(1, 2 ** 30);
    msgs.push({ d: 0, dt: 0.002, data: clientHello(server.name ?? server.ip, seed) }, { d: 1, dt: 0.003, data: serverHello(seed) });
    const steps = Math.max(1, Math.floor(dur / 60));
    for (let i = 0; i < steps; i++) msgs.push({ d: 0, dt: dur / steps / 2, data: appDataHeader(4000), len: this.r.int(2000, 20000) }, { d: 1, dt: dur / steps / 2, data: appDataHeader(16000), len: this.r.int(50000, 900000) });
    return this.tcp(client, server, 3389, t, msgs, 'rdp,ssl', [{ _path: 'rdp', _i: 0, cookie: user, security_protocol: 'HYBRID', result: 'encrypted' }]);
  }

  ssh(client, server, t, dur, up, down, o = {}) {
    const msgs = [{ d: 1, dt: 0.01, data: sshBanner(true) }, { d: 0, dt: 0.01, data: sshBanner(false) }];
    const steps = Math.max(1, Math.floor(dur / 300));
    for (let i = 0; i < steps; i++) msgs.push({ d: 0, dt: dur / steps / 2, data: Buffer.alloc(0), len: Math.round(up / steps) }, { d: 1, dt: dur / steps / 2, data: Buffer.alloc(0), len: Math.round(down / steps) });
    return this.tcp(client, server, o.port ?? 22, t, msgs, 'ssh', [{ _path: 'ssh', _i: 1, client: 'SSH-2.0-OpenSSH_for_Windows_8.1', server: 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6', version: 2 }], { bw: 5e6, rtt: 0.03, mode: o.mode, endAt: o.endAt });
  }

  /** A connection attempt that is refused (RST) or unanswered. */
  attempt(client, server, port, t, answered = false) {
    return this.add({ uid: this.uid(), proto: 'tcp', c: client, s: server, cport: this.eport(client), sport: port, t0: t, msgs: [], mode: answered ? 'refused' : 'noanswer' });
  }
}

/** @param {string} s */
export function hashStr(s) {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619);
  return h >>> 0;
}

function qtypeNum(q) {
  return { A: 1, AAAA: 28, TXT: 16, NULL: 10, SRV: 33, PTR: 12, CNAME: 5, HTTPS: 65 }[q] ?? 1;
}
