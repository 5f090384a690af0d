/**
 * MQTT: service identification from the client's CONNECT packet (fixed header 0x10, remaining
 * length varint, protocol name "MQTT" (3.1.1/5) or "MQIsdp" (3.1), protocol level 3..5).
 * Medical IoT gateways use it; Zeek's service name is "mqtt".
 */
import type { AppParser, AppSession, Dir, PortPair, SessionContext } from './types.js';

/** The protocol level of an MQTT CONNECT packet at b[off..], or null if it is not one. */
export function mqttConnect(b: Uint8Array, off: number, len: number): { level: number } | null {
  if (len < 12 || b[off] !== 0x10) return null;
  let p = off + 1;
  let rl = 0;
  for (let i = 0; i < 4; i++) {
    if (p >= off + len) return null;
    const c = b[p++];
    rl += (c & 0x7f) << (7 * i);
    if ((c & 0x80) === 0) break;
    if (i === 3) return null;
  }
  if (rl < 10 || p + 9 > off + len) return null;
  const nl = (b[p] << 8) | b[p + 1];
  if (nl !== 4 && nl !== 6) return null;
  if (p + 3 + nl > off + len) return null;
  const name = Buffer.from(b.buffer, b.byteOffset + p + 2, nl).toString('latin1');
  if (!((nl === 4 && name === 'MQTT') || (nl === 6 && name === 'MQIsdp'))) return null;
  const level = b[p + 2 + nl];
  if (level < 3 || level > 5) return null;
  return { level };
}

export class MqttSession implements AppSession {
  private finished = false;
  constructor(private readonly ctx: SessionContext) {}
  get done(): boolean { return this.finished; }
  data(dir: Dir, b: Uint8Array, off: number, len: number): void {
    if (this.finished) return;
    if (dir === 0 && mqttConnect(b, off, len)) this.ctx.confirm('mqtt');
    this.finished = true; // identification is all we do: first client bytes decide
  }
  gap(): void { this.finished = true; }
  end(): void { this.finished = true; }
}

export const mqttParser: AppParser = {
  service: 'mqtt',
  transport: 'tcp',
  ports: [1883],
  probe: (dir: Dir, b: Uint8Array, off: number, len: number, _p: PortPair) => dir === 0 && mqttConnect(b, off, len) !== null,
  create: (ctx) => new MqttSession(ctx),
};
