#!/usr/bin/env bash
# The Dockerfile's build steps, as functions, so the image and CI run the same commands.
#
#   build-system      build stage, as root: compilers + libpcap headers from Debian
#   deps              build stage: npm ci without scripts (cached layer: package*.json only)
#   build OUT         build stage: native addon (required), TypeScript, prune dev deps,
#                     assemble the runtime tree in OUT (copied to /opt/ndr-sensor)
#   runtime-system    runtime stage, as root: libpcap0.8, user ndr, CAP_NET_RAW file capability on node
#   ci                on this machine, no Docker: copy the build context as .dockerignore says,
#                     run build-system/deps/build on it, verify the runtime tree, lint the files
#   lint              Dockerfile (dockerfile-utils from npm), systemd unit (systemd-analyze),
#                     shell scripts (shellcheck, if installed)
#
# Debian packages: build: build-essential python3 libpcap-dev; runtime: libpcap0.8;
# ci/verify also uses: iproute2 tcpreplay wireshark-common (capinfos) util-linux (setpriv)
# libcap2-bin (setcap) systemd (systemd-analyze).
set -euo pipefail

BUILD_PACKAGES=(build-essential python3 libpcap-dev)
RUNTIME_PACKAGES=(libpcap0.8)
APP_USER=ndr
# Capture needs only CAP_NET_RAW (measured with libpcap 1.10 on Linux: promiscuous mode uses
# PACKET_ADD_MEMBERSHIP, no CAP_NET_ADMIN). Docker's default capability set includes NET_RAW,
# so a container started without cap_add can still exec node.
NODE_CAPS='cap_net_raw+ep'

log() { printf '[docker-build-steps] %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

all_installed() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || return 1
  done
}

# On the CI host (NDR_HOST_RUN=1) apt lists stay and installed packages are not re-fetched.
install_packages() {
  if [ "${NDR_HOST_RUN:-0}" = 1 ] && all_installed "$@"; then
    log "already installed: $*"
    return
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "$@"
  if [ "${NDR_HOST_RUN:-0}" != 1 ]; then rm -rf /var/lib/apt/lists/*; fi
}

# setcap on the node binary that will run the sensor (the image's, or a copy in CI).
grant_capture_caps() {
  local bin
  bin=$(readlink -f "$1")
  setcap "$NODE_CAPS" "$bin"
  getcap "$bin" | grep -q cap_net_raw || die "setcap did not stick on $bin"
  log "file capabilities on $bin: $(getcap "$bin")"
}

step_build_system() { install_packages "${BUILD_PACKAGES[@]}"; }

step_deps() { npm ci --ignore-scripts --no-audit --no-fund; }

step_build() {
  local out=${1:?usage: build OUT}
  NDR_REQUIRE_NATIVE=1 npm run build:native
  npm run build
  npm prune --omit=dev --no-audit --no-fund
  rm -rf "$out"
  mkdir -p "$out/sensor/capture/native/build/Release"
  cp -a package.json package-lock.json bin dist node_modules "$out/"
  cp -a sensor/capture/native/build/Release/ndr_pcap.node "$out/sensor/capture/native/build/Release/"
  log "runtime tree in $out ($(du -sh "$out" | cut -f1))"
}

step_runtime_system() {
  # libcap2-bin only to set the file capability, then removed again: runtime keeps libpcap0.8.
  install_packages "${RUNTIME_PACKAGES[@]}" libcap2-bin
  grant_capture_caps "$(command -v node)"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y --auto-remove libcap2-bin
  groupadd --system "$APP_USER"
  useradd --system --gid "$APP_USER" --home-dir /var/lib/ndr-sensor --no-create-home --shell /usr/sbin/nologin "$APP_USER"
  install -d -o "$APP_USER" -g "$APP_USER" -m 0750 /var/lib/ndr-sensor
  install -d -m 0755 /etc/ndr-sensor
}

step_lint() {
  local repo=$1
  log "dockerfile-utils lint Dockerfile"
  # dockerfile-utils (rcjsuen, the linter behind the VS Code Docker extension) knows multi-stage
  # builds, ARG-in-FROM and JSON-form HEALTHCHECK; it prints nothing when the file is clean.
  local lint
  lint=$(cd "$repo" && npm exec --yes --package=dockerfile-utils@0.16.3 -- dockerfile-utils lint Dockerfile)
  if [ -n "$lint" ]; then printf '%s\n' "$lint"; die "Dockerfile lint reported problems"; fi
  log "systemd-analyze verify deploy/ndr-sensor.service"
  local unitdir
  unitdir=$(mktemp -d)
  cp "$repo/deploy/ndr-sensor.service" "$unitdir/"
  # verify resolves ExecStart: point it at a stand-in binary of the same name.
  sed -i "s#/opt/ndr-sensor/bin/ndr-sensor#/bin/true#" "$unitdir/ndr-sensor.service"
  local verify
  verify=$(systemd-analyze verify "$unitdir/ndr-sensor.service" 2>&1 || true)
  rm -rf "$unitdir"
  if printf '%s\n' "$verify" | grep -v -e 'Failed to open /etc/systemd' -e '^$' | grep -q . ; then
    printf '%s\n' "$verify"; die "systemd-analyze verify reported problems"
  fi
  if command -v shellcheck >/dev/null; then
    log "shellcheck deploy/*.sh"
    shellcheck "$repo"/deploy/*.sh
  else
    log "shellcheck not installed (apt-get install shellcheck): skipped"
  fi
}

# Checks the assembled runtime tree the way the runtime stage will use it.
verify_runtime_tree() {
  local out=$1 repo=$2 node
  node=$(command -v node)
  log "verify: layout"
  for f in bin/ndr-sensor dist/sensor/capture/live.js dist/sensor/metrics/server.js node_modules/prom-client/package.json \
           sensor/capture/native/build/Release/ndr_pcap.node; do
    [ -e "$out/$f" ] || die "runtime tree lacks $f"
  done
  for d in typescript vitest; do
    [ ! -e "$out/node_modules/$d" ] || die "dev dependency $d in the runtime tree (prune failed)"
  done

  log "verify: the addon links against libpcap0.8 and nothing unresolved"
  local addon=$out/sensor/capture/native/build/Release/ndr_pcap.node libs pcaplib
  libs=$(ldd "$addon")
  if printf '%s\n' "$libs" | grep -q 'not found'; then printf '%s\n' "$libs"; die "unresolved libraries"; fi
  pcaplib=$(printf '%s\n' "$libs" | awk '/libpcap\.so/ {print $3}')
  [ -n "$pcaplib" ] || die "addon does not link libpcap"
  dpkg -S "$(readlink -f "$pcaplib")" | grep -q '^libpcap0.8' || die "$pcaplib is not from package libpcap0.8"

  log "verify: modules and addon load from dist/ with production node_modules only"
  (cd "$out" && "$node" --input-type=module -e "
    const { loadPcapAddon } = await import('./dist/sensor/capture/pcap-addon.js');
    await import('./dist/sensor/capture/live.js');
    await import('./dist/sensor/metrics/registry.js');
    console.error('  addon:', loadPcapAddon().libVersion());")
  local launch
  launch=$("$node" "$out/bin/ndr-sensor" --help 2>&1 >/dev/null || true)
  if printf '%s' "$launch" | grep -q -e 'is missing' -e 'ERR_MODULE_NOT_FOUND' -e 'Cannot find'; then
    printf '%s\n' "$launch"; die "bin/ndr-sensor does not start from the runtime tree"
  fi

  log "verify: the Dockerfile's HEALTHCHECK command against a metrics server from the tree"
  local hc
  hc=$(awk '/^HEALTHCHECK/ {h = 1} h && /CMD \[/ {sub(/^.*CMD /, ""); print; exit}' "$repo/Dockerfile")
  [ -n "$hc" ] || die "no HEALTHCHECK CMD found in the Dockerfile"
  local hcjs
  hcjs=$(printf '%s' "$hc" | "$node" -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>{const a=JSON.parse(s);if(a[0]!=="node"||a[1]!=="-e")process.exit(1);process.stdout.write(a[2])})') \
    || die "HEALTHCHECK is not [\"node\", \"-e\", SCRIPT]: $hc"
  local portfile
  portfile=$(mktemp)
  (cd "$out" && exec "$node" --input-type=module -e "
    const { SensorMetrics } = await import('./dist/sensor/metrics/registry.js');
    const { startMetricsServer } = await import('./dist/sensor/metrics/server.js');
    const s = await startMetricsServer({ metrics: new SensorMetrics(), port: 0, host: '127.0.0.1' });
    (await import('node:fs')).writeFileSync('$portfile', String(s.port));
    setTimeout(() => s.close(), 20000);") &
  local srv=$! port=''
  for _ in $(seq 50); do port=$(cat "$portfile"); [ -n "$port" ] && break; sleep 0.1; done
  [ -n "$port" ] || die "metrics server did not start"
  run_healthcheck() { NDR_METRICS_PORT=$port "$node" -e "$hcjs"; }
  run_healthcheck || die "HEALTHCHECK failed against a running server"
  kill "$srv"; wait "$srv" 2>/dev/null || true
  if run_healthcheck; then die "HEALTHCHECK passed with no server running"; fi
  rm -f "$portfile"

  verify_unprivileged_capture "$out" "$repo"
}

# The image runs node as user ndr with CAP_NET_RAW as a file capability: do the same with a copy
# of node and user nobody, and capture a replayed corpus file on a veth between two namespaces.
verify_unprivileged_capture() {
  local out=$1 repo=$2
  if [ "$(id -u)" != 0 ] || ! ip netns list >/dev/null 2>&1; then
    log "verify: unprivileged capture skipped (needs root and ip netns)"; return
  fi
  local pcap=$repo/../shared/pcaps/corpus/zeek_wikipedia.pcap
  [ -r "$pcap" ] || die "corpus capture $pcap missing"
  local tmp ns="ndrdk$$" expected got
  tmp=$(mktemp -d); chmod 755 "$tmp"
  cp "$(readlink -f "$(command -v node)")" "$tmp/node"
  grant_capture_caps "$tmp/node"
  ip netns add "$ns"
  # shellcheck disable=SC2064
  trap "ip netns del $ns 2>/dev/null || true; rm -rf $tmp; trap - RETURN" RETURN
  ip netns exec "$ns" sysctl -q -w net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
  ip -n "$ns" link add dk0 mtu 9000 type veth peer name dk1 mtu 9000
  ip -n "$ns" link set dk0 up; ip -n "$ns" link set dk1 up
  expected=$(capinfos -M -c "$pcap" | awk '/Number of packets/ {print $4}')
  (cd "$out" && ip netns exec "$ns" setpriv --reuid=nobody --regid=nogroup --clear-groups "$tmp/node" --input-type=module -e "
    const { LiveCapture } = await import('./dist/sensor/capture/live.js');
    let n = 0;
    const c = new LiveCapture({ interface: 'dk1', timeoutMs: 20 });
    c.start((b) => { n += b.count; });
    process.stdout.write('ready\n');
    setTimeout(() => { c.close(); console.log(JSON.stringify({ uid: process.getuid(), packets: n })); }, 1500);" > "$tmp/result") &
  local cap=$!
  for _ in $(seq 50); do grep -q ready "$tmp/result" 2>/dev/null && break; sleep 0.1; done
  ip netns exec "$ns" tcpreplay -q --topspeed -i dk0 "$pcap" >/dev/null
  wait "$cap" || die "unprivileged capture process failed"
  got=$(tail -1 "$tmp/result")
  log "  unprivileged capture: $got (expected $expected packets)"
  printf '%s' "$got" | grep -q "\"packets\":$expected}" || die "unprivileged capture got $got, expected $expected packets"
  printf '%s' "$got" | grep -q '"uid":0,' && die "capture ran as root"
  return 0
}

step_ci() {
  local repo ctx
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  ctx=$(mktemp -d); chmod 755 "$ctx"
  # shellcheck disable=SC2064
  trap "rm -rf $ctx" EXIT
  log "build context (per .dockerignore) → $ctx"
  local excludes=()
  while IFS= read -r pat; do
    case "$pat" in ''|'#'*) continue ;; esac
    excludes+=("--exclude=${pat#\*\*/}")
  done < "$repo/.dockerignore"
  tar -C "$repo" "${excludes[@]}" -cf - . | tar -C "$ctx" -xf -
  export NDR_HOST_RUN=1
  (cd "$ctx" && step_build_system && step_deps && step_build "$ctx/out")
  verify_runtime_tree "$ctx/out" "$repo"
  step_lint "$repo"
  log "OK: Dockerfile build steps ran and the runtime tree works"
}

case "${1:-}" in
  build-system) step_build_system ;;
  deps) step_deps ;;
  build) step_build "${2:-}" ;;
  runtime-system) step_runtime_system ;;
  lint) step_lint "$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)" ;;
  ci) step_ci ;;
  *) echo "usage: $0 build-system|deps|build OUT|runtime-system|lint|ci" >&2; exit 2 ;;
esac
