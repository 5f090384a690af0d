/**
 * Service keys and classes used by the baseline: which service a flow is "about" (for edges and
 * learned peer groups) independent of ephemeral ports.
 */

/** Bits for learned peer-group signatures: the services a host uses or offers. */
export const SVC_CLASSES: readonly [string, (port: number, service: string) => boolean][] = [
  ['dns', (p, s) => p === 53 || s.includes('dns')],
  ['kerberos', (p, s) => p === 88 || s.includes('krb') || s.includes('kerberos')],
  ['ldap', (p) => p === 389 || p === 636 || p === 3268 || p === 3269],
  ['smb', (p, s) => p === 445 || p === 139 || s.includes('smb')],
  ['rpc', (p, s) => p === 135 || s.includes('dce_rpc')],
  ['rdp', (p, s) => p === 3389 || s.includes('rdp')],
  ['ssh', (p, s) => p === 22 || s.includes('ssh')],
  ['web', (p, s) => p === 80 || p === 8080 || p === 3128 || s.includes('http')],
  ['tls', (p, s) => p === 443 || s.includes('ssl')],
  ['dicom', (p, s) => p === 104 || p === 11112 || s.includes('dicom')],
  ['hl7', (p, s) => p === 2575 || s.includes('hl7')],
  ['db', (p) => p === 1433 || p === 1521 || p === 3306 || p === 5432],
  ['ntp', (p) => p === 123],
  ['snmp', (p) => p === 161 || p === 162],
  ['print', (p) => p === 9100 || p === 515 || p === 631],
  ['winrm', (p) => p === 5985 || p === 5986],
];

function classBits(port: number, service: string): number {
  let bits = 0;
  for (let i = 0; i < SVC_CLASSES.length; i++) if (SVC_CLASSES[i]![1](port, service)) bits |= 1 << i;
  return bits;
}

// per-flow hot path: port classes from a table, service-name classes cached per distinct label
const PORT_BITS = new Int32Array(65536);
for (let p = 0; p < 65536; p++) PORT_BITS[p] = classBits(p, '');
const SERVICE_BITS = new Map<string, number>();

export function svcClassBits(port: number, service: string): number {
  let bits = PORT_BITS[port & 0xffff]!;
  if (service) {
    let sb = SERVICE_BITS.get(service);
    if (sb === undefined) {
      sb = classBits(-1, service);
      if (SERVICE_BITS.size < 1024) SERVICE_BITS.set(service, sb);
    }
    bits |= sb;
  }
  return bits;
}

/**
 * Edge service key: "tcp/445". DCE-RPC on dynamic ports collapses to "tcp/dce_rpc" so the RPC
 * server's changing port does not make every session a new edge; other ephemeral-port services
 * (e.g. passive FTP data) collapse to "tcp/eph".
 */
interface ProtoKeys {
  byPort: string[];
  rpc: string;
  eph: string;
}

const protoKeys = (proto: string): ProtoKeys => ({ byPort: [], rpc: `${proto}/dce_rpc`, eph: `${proto}/eph` });
const TCP_KEYS = protoKeys('tcp');
const UDP_KEYS = protoKeys('udp');

export function serviceKey(proto: string, port: number, service: string): string {
  // interned per protocol and port (computed for every flow, used as edge map keys); the record's
  // proto is a fresh string, so it is compared, not used as a property name (that would
  // internalise it on every call)
  const c = proto === 'tcp' ? TCP_KEYS : proto === 'udp' ? UDP_KEYS : undefined;
  if (port >= 49152 || (port >= 1024 && service.includes('dce_rpc'))) {
    if (service.includes('dce_rpc')) return c ? c.rpc : `${proto}/dce_rpc`;
    return c ? c.eph : `${proto}/eph`;
  }
  if (c === undefined) return `${proto}/${port}`;
  return (c.byPort[port] ??= `${proto}/${port}`);
}
