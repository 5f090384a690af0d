// Child process for the LiveCapture backpressure test, run in a network namespace: a capture with
// a fixed number of chunks whose batches are held (not released) until the parent says RELEASE.
// One JSON object per line: {"ready":true}; on "STATE" {"state":{...}}; on "RELEASE" releases every
// held batch and releases later ones at once; on "STOP" {"result":{...}} and exits.
import readline from 'node:readline';
import { createHash } from 'node:crypto';

const opts = JSON.parse(process.env.NDR_CHILD_OPTS ?? '{}');
const { LiveCapture } = await import(`${process.env.NDR_MODULES}/sensor/capture/live.js`);
const send = (o) => process.stdout.write(JSON.stringify(o) + '\n');

const cap = new LiveCapture(opts.capture);
const held = [];
const chunks = new Set();
const sha1 = [];
let holding = true;
let packets = 0;
cap.start((batch) => {
  chunks.add(batch.data);
  const u8 = new Uint8Array(batch.data);
  for (let i = 0; i < batch.count; i++) {
    const off = batch.meta[i * 4];
    sha1.push(createHash('sha1').update(u8.subarray(off, off + batch.meta[i * 4 + 1])).digest('hex'));
  }
  packets += batch.count;
  if (holding) held.push(batch);
  else batch.release();
});
const state = () => ({ packets, held: held.length, stalled: cap.isStalled, counters: cap.counters(), distinctChunks: chunks.size });
send({ ready: true });
readline.createInterface({ input: process.stdin }).on('line', (line) => {
  if (line === 'STATE') send({ state: state() });
  if (line === 'RELEASE') {
    holding = false;
    for (const b of held.splice(0)) b.release();
  }
  if (line === 'STOP') {
    const s = state();
    cap.close();
    send({ result: { ...s, sha1 } });
    process.stdin.destroy();
  }
});
