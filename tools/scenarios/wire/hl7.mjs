// @ts-check
/** HL7 v2 over MLLP (0x0B … 0x1C 0x0D). Synthetic content only: no real patient data. */

/** @param {{sendApp:string, sendFac:string, recvApp:string, recvFac:string, type:string, ctrl:string, t:number}} o */
export function hl7Message(o) {
  const ts = new Date(o.t * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const segs = [
    `MSH|^~\\&|${o.sendApp}|${o.sendFac}|${o.recvApp}|${o.recvFac}|${ts}||${o.type}|${o.ctrl}|P|2.5`,
    `EVN|${o.type.split('^')[1] ?? ''}|${ts}`,
    `PID|1||SYN${o.ctrl.slice(-6)}^^^KN||DOE^JOHN||19700101|U`,
  ];
  if (o.type.startsWith('ORU')) segs.push('OBR|1|||CBC', 'OBX|1|NM|HGB||14.1|g/dL');
  return Buffer.from('\x0b' + segs.join('\r') + '\r\x1c\r', 'latin1');
}

/** @param {{sendApp:string, sendFac:string, recvApp:string, recvFac:string, ctrl:string, t:number}} o */
export function hl7Ack(o) {
  const ts = new Date(o.t * 1000).toISOString().replace(/[-:T]/g, '').slice(0, 14);
  const segs = [`MSH|^~\\&|${o.recvApp}|${o.recvFac}|${o.sendApp}|${o.sendFac}|${ts}||ACK|A${o.ctrl}|P|2.5`, `MSA|AA|${o.ctrl}`];
  return Buffer.from('\x0b' + segs.join('\r') + '\r\x1c\r', 'latin1');
}
