// @ts-check
/** HTTP/1.1 requests and responses (text). */

/** @param {{method:string, uri:string, host:string, ua?:string, bodyLen?:number}} o */
export function httpRequest(o) {
  let s = `${o.method} ${o.uri} HTTP/1.1\r\nHost: ${o.host}\r\nUser-Agent: ${o.ua ?? 'Mozilla/5.0 (Windows NT 10.0; Win64; x64)'}\r\n`;
  if (o.method === 'CONNECT') s += 'Proxy-Connection: keep-alive\r\n';
  if (o.bodyLen) s += `Content-Length: ${o.bodyLen}\r\nContent-Type: application/octet-stream\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}

/** @param {{status:number, bodyLen?:number, type?:string}} o */
export function httpResponse(o) {
  const reason = { 200: 'OK', 204: 'No Content', 304: 'Not Modified', 404: 'Not Found' }[o.status] ?? (o.status === 200 ? 'OK' : 'Connection established');
  let s = `HTTP/1.1 ${o.status} ${o.status === 200 && o.bodyLen === undefined ? 'Connection established' : reason}\r\n`;
  if (o.bodyLen !== undefined) s += `Content-Length: ${o.bodyLen}\r\nContent-Type: ${o.type ?? 'text/html'}\r\n`;
  return Buffer.from(s + '\r\n', 'latin1');
}
