// @ts-check
/** Small fixed-format payloads: LDAP bind (BER), NTP, SSH banner, RDP X.224 connection request. */
import { W } from './bytes.mjs';

function tlv(tag, content) {
  const l = content.length;
  const len = l < 128 ? Buffer.of(l) : l < 256 ? Buffer.of(0x81, l) : Buffer.of(0x82, l >> 8, l & 255);
  return Buffer.concat([Buffer.of(tag), len, content]);
}
const int = (v) => tlv(0x02, Buffer.of(v & 127));

/** LDAPMessage bindRequest with a SASL GSS-SPNEGO credential (opaque). */
export function ldapBindRequest(msgId) {
  const sasl = tlv(0xa3, Buffer.concat([tlv(0x04, Buffer.from('GSS-SPNEGO')), tlv(0x04, Buffer.alloc(40, 0x60))]));
  return tlv(0x30, Buffer.concat([int(msgId), tlv(0x60, Buffer.concat([int(3), tlv(0x04, Buffer.alloc(0)), sasl]))]));
}
export function ldapBindResponse(msgId) {
  return tlv(0x30, Buffer.concat([int(msgId), tlv(0x61, Buffer.concat([tlv(0x0a, Buffer.of(0)), tlv(0x04, Buffer.alloc(0)), tlv(0x04, Buffer.alloc(0))]))]));
}
/** A sealed (SASL-wrapped) LDAP message: 4-byte length + opaque bytes. */
export function ldapSealed(n) {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(n);
  return Buffer.concat([h, Buffer.alloc(Math.min(n, 32), 0x33)]);
}

export function ntpPacket(server, t) {
  const w = new W().u8(server ? 0x24 : 0x23).u8(server ? 2 : 0).u8(6).u8(0xe9).u32be(0).u32be(0).u32be(0);
  const secs = Math.floor(t) + 2208988800;
  for (let i = 0; i < 4; i++) w.u32be(secs).u32be(0);
  return w.build();
}

export function sshBanner(server) {
  return Buffer.from(server ? 'SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.6\r\n' : 'SSH-2.0-OpenSSH_for_Windows_8.1\r\n', 'latin1');
}

export function rdpConnectionRequest(cookieUser) {
  const cookie = Buffer.from(`Cookie: mstshash=${cookieUser}\r\n`, 'latin1');
  const neg = Buffer.from([1, 0, 8, 0, 3, 0, 0, 0]);
  const x224 = Buffer.concat([Buffer.from([cookie.length + 6 + neg.length, 0xe0, 0, 0, 0, 0, 0]), cookie, neg]);
  return Buffer.concat([Buffer.from([3, 0, (x224.length + 4) >> 8, (x224.length + 4) & 255]), x224]);
}
export function rdpConnectionConfirm() {
  return Buffer.from([3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0, 8, 0, 2, 0, 0, 0]);
}
