// Synthetic records for shipping tests and benchmarks: shaped like the sensor's conn records
// (Zeek conn.log JSON plus community_id/vlan/direction) and alerts. Deterministic from the index,
// so a test can regenerate what it sent and compare.

/** Flow (conn) record number i; `uid` is unique per (prefix, i). */
export function flowRecord(i, prefix = 'C') {
  const a = i % 251, b = (i >>> 8) % 251;
  const tcp = i % 5 !== 0;
  return {
    ts: 1700000000 + i * 0.001,
    uid: `${prefix}${i.toString(36).padStart(8, '0')}`,
    'id.orig_h': `10.20.${16 + (b & 7)}.${a + 1}`,
    'id.orig_p': 49152 + (i % 16000),
    'id.resp_h': `10.20.1.${(i % 40) + 10}`,
    'id.resp_p': tcp ? [445, 88, 389, 443, 104][i % 5] : 53,
    proto: tcp ? 'tcp' : 'udp',
    service: tcp ? ['smb', 'krb', 'ldap', 'ssl', 'dicom'][i % 5] : 'dns',
    duration: (i % 1000) / 7,
    orig_bytes: (i * 37) % 100000,
    resp_bytes: (i * 91) % 1000000,
    conn_state: tcp ? 'SF' : 'SF',
    local_orig: true,
    local_resp: true,
    missed_bytes: 0,
    history: tcp ? 'ShADadFf' : 'Dd',
    orig_pkts: (i % 50) + 1,
    orig_ip_bytes: (i * 37) % 100000 + 40 * ((i % 50) + 1),
    resp_pkts: (i % 70) + 1,
    resp_ip_bytes: (i * 91) % 1000000 + 40 * ((i % 70) + 1),
    tunnel_parents: [],
    community_id: `1:${Buffer.from(String(i * 2654435761 % 4294967296)).toString('base64')}`,
    vlan: i % 3 === 0 ? 40 : null,
    inner_vlan: null,
    direction: 'internal',
  };
}

/** Alert record number i. */
export function alertRecord(i, prefix = 'A') {
  return {
    ts: 1700000000 + i * 0.01,
    id: `${prefix}${i.toString(36).padStart(8, '0')}`,
    sensor_id: 'bench-sensor',
    type: 'smb_lateral_movement',
    category: 'lateral-movement',
    mitre: ['T1021.002'],
    severity: (i % 10) + 1,
    src: `10.20.16.${(i % 250) + 1}`,
    dst: '10.20.1.12',
    summary: `SMB admin share write from workstation ${i}`,
    evidence: { share: 'ADMIN$', files: [`\\\\srv\\ADMIN$\\x${i}.exe`], count: i % 17 },
  };
}
