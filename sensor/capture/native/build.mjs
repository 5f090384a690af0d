#!/usr/bin/env node
// Builds the libpcap binding (build/Release/ndr_pcap.node) with node-gyp. Run by the root
// package's `install` script at `npm ci` / `npm install`, and by `npm run build:native`.
//
// Why a wrapper instead of a bare `node-gyp rebuild`:
//  - offline builds: node-gyp downloads Node's headers unless told where they are; Node's own
//    headers ship beside the binary (/usr/include/node, /usr/local/include/node in the official
//    images), so we pass --nodedir when npm has not set one;
//  - replay must keep working on a machine without libpcap-dev: a failed build is a loud warning,
//    not a failed install, unless NDR_REQUIRE_NATIVE=1 (CI, Docker build) makes it fatal.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

function findNodeGyp() {
  if (process.env.npm_config_node_gyp && existsSync(process.env.npm_config_node_gyp)) return process.env.npm_config_node_gyp;
  const candidates = [];
  if (process.env.npm_execpath) candidates.push(path.join(path.dirname(process.env.npm_execpath), '..', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  const prefix = path.dirname(path.dirname(process.execPath));
  candidates.push(path.join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  try {
    candidates.push(require.resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    /* not installed locally */
  }
  return candidates.find((c) => existsSync(c));
}

function findNodeDir() {
  if (process.env.npm_config_nodedir) return undefined; // npm passes it to node-gyp already
  const prefix = path.dirname(path.dirname(process.execPath));
  return existsSync(path.join(prefix, 'include', 'node', 'node_api.h')) ? prefix : undefined;
}

const required = process.env.NDR_REQUIRE_NATIVE === '1';
const hint =
  'The live-capture binding (sensor/capture/native) was NOT built. Replay works; `ndr-sensor live` will not.\n' +
  'Install the build dependencies and rebuild:  apt-get install build-essential python3 libpcap-dev && npm run build:native';

function fail(why) {
  process.stderr.write(`\nndr-sensor: ${why}\n${hint}\n\n`);
  process.exit(required ? 1 : 0);
}

const gyp = findNodeGyp();
if (!gyp) fail('node-gyp not found (it ships with npm).');
if (!existsSync('/usr/include/pcap/pcap.h') && !existsSync('/usr/local/include/pcap/pcap.h') && !process.env.NDR_PCAP_INCLUDE_CHECK_SKIP) {
  fail('libpcap headers (pcap/pcap.h) are missing: package libpcap-dev.');
}
const args = [gyp, 'rebuild'];
const nodedir = findNodeDir();
if (nodedir) args.push(`--nodedir=${nodedir}`);
const r = spawnSync(process.execPath, args, { cwd: here, stdio: ['ignore', 'inherit', 'inherit'] });
if (r.status !== 0) fail(`node-gyp failed (exit ${r.status ?? r.signal}).`);
