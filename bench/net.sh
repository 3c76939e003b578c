#!/usr/bin/env bash
# bench/net.sh: minictr net against the same raw ip/ovs-vsctl commands typed one by one.
#
#   1. The demo's setup (red/green, one switch; no pings): `net demo --keep --no-proof`, and
#      `net up` of examples/red-green.yaml, vs a shell script of the lab's raw commands.
#   2. A 50-host linear chain of Linux bridges (Mininet's `linear,50`): up, and up+down,
#      vs the equivalent raw script.
#
# Needs root, hyperfine, and a built CLI (npm run build). Uses the fixed names red, green,
# ovs1 and l{h,s}1..50: do not run it while the test suite runs.
#   bench/net.sh [--bridge ovs|linux] [--runs N] [--export FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
BRIDGE=auto RUNS=10 EXPORT=
while [ $# -gt 0 ]; do
  case "$1" in
    --bridge) BRIDGE=$2; shift 2;; --runs) RUNS=$2; shift 2;; --export) EXPORT=$2; shift 2;;
    *) echo "usage: bench/net.sh [--bridge ovs|linux] [--runs N] [--export FILE.md]" >&2; exit 2;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench/net.sh: run as root" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "bench/net.sh: needs hyperfine (apt-get install hyperfine)" >&2; exit 2; }
[ -f dist/bundle/main.cjs ] || [ -f dist/cli/main.js ] || npm run build >/dev/null

if [ "$BRIDGE" = auto ]; then command -v ovs-vsctl >/dev/null && BRIDGE=ovs || BRIDGE=linux; fi
NETDEV=0
if [ "$BRIDGE" = ovs ]; then
  ovs-vsctl --timeout=2 show >/dev/null 2>&1 || /usr/share/openvswitch/scripts/ovs-ctl start >/dev/null
  # Same detection as minictr: no kernel datapath -> userspace datapath + TX offload off.
  [ -d /sys/module/openvswitch ] || genl ctrl get name ovs_datapath >/dev/null 2>&1 || NETDEV=1
fi

W=$(mktemp -d /tmp/minictr-bench-net.XXXX)
export MINICTR_RUN="$W/run"
trap 'bin/minictr net down -q red-green >/dev/null 2>&1 || true; bin/minictr net down -q linear50 >/dev/null 2>&1 || true; bash "$W/demo-down.sh" >/dev/null 2>&1 || true; bash "$W/linear-down.sh" >/dev/null 2>&1 || true; rm -rf "$W"' EXIT
MINICTR="$PWD/bin/minictr"

# ---- 1. the demo's setup --------------------------------------------------------------
sed "s/type: ovs/type: $BRIDGE/" examples/red-green.yaml > "$W/red-green.yaml"
{
  echo 'set -e'
  echo 'ip netns add red; ip netns add green'
  echo 'ip link add eth0-r type veth peer name veth-r; ip link set eth0-r netns red'
  echo 'ip link add eth0-g type veth peer name veth-g; ip link set eth0-g netns green'
  if [ "$BRIDGE" = ovs ]; then
    if [ $NETDEV = 1 ]; then echo 'ovs-vsctl add-br ovs1 -- set bridge ovs1 datapath_type=netdev'; else echo 'ovs-vsctl add-br ovs1'; fi
    echo 'ovs-vsctl add-port ovs1 veth-r; ovs-vsctl add-port ovs1 veth-g'
    [ $NETDEV = 1 ] && echo 'ethtool -K veth-r tx off >/dev/null; ethtool -K veth-g tx off >/dev/null; ip netns exec red ethtool -K eth0-r tx off >/dev/null; ip netns exec green ethtool -K eth0-g tx off >/dev/null'
  else
    echo 'ip link add ovs1 type bridge; ip link set veth-r master ovs1; ip link set veth-g master ovs1; ip link set ovs1 up'
  fi
  echo 'ip link set veth-r up; ip link set veth-g up'
  echo 'ip -n red link set lo up; ip -n red link set eth0-r up; ip -n red addr add 10.0.0.1/24 dev eth0-r'
  echo 'ip -n green link set lo up; ip -n green link set eth0-g up; ip -n green addr add 10.0.0.2/24 dev eth0-g'
  echo 'mkdir -p /etc/netns/red /etc/netns/green'
  echo 'printf "127.0.0.1 localhost\n10.0.0.1 red\n10.0.0.2 green\n" | tee /etc/netns/red/hosts > /etc/netns/green/hosts'
} > "$W/demo-up.sh"
cat > "$W/demo-down.sh" <<'EOS'
ovs-vsctl --if-exists del-br ovs1 2>/dev/null
ip link del veth-r 2>/dev/null; ip link del veth-g 2>/dev/null; ip link del ovs1 2>/dev/null
ip netns del red 2>/dev/null; ip netns del green 2>/dev/null
rm -rf /etc/netns/red /etc/netns/green
true
EOS
printf '%s\n' "$MINICTR net down -q red-green >/dev/null 2>&1; bash $W/demo-down.sh >/dev/null 2>&1; true" > "$W/reset-demo.sh"
RESET_DEMO="bash $W/reset-demo.sh"

echo "== demo setup ($BRIDGE$([ $NETDEV = 1 ] && echo ', userspace datapath'))"
hyperfine -N --warmup 2 --runs "$RUNS" --prepare "$RESET_DEMO" --prepare "$RESET_DEMO" --prepare "$RESET_DEMO" \
  -n "minictr net demo --keep --no-proof" "$MINICTR net demo --bridge $BRIDGE --keep --no-proof --quiet" \
  -n "minictr net up red-green.yaml" "$MINICTR net up -q $W/red-green.yaml" \
  -n "raw ip/ovs-vsctl script" "bash $W/demo-up.sh" \
  ${EXPORT:+--export-markdown "$W/demo.md"}
$RESET_DEMO

# ---- 2. linear,50 --------------------------------------------------------------------
N=50
{
  echo 'name: linear50'
  echo 'hosts:'
  for i in $(seq 1 $N); do echo "  lh$i: { addresses: { eth0: 10.50.$((i / 250)).$((i % 250 + 1))/16 } }"; done
  echo 'switches:'
  for i in $(seq 1 $N); do echo "  ls$i: { type: linux }"; done
  echo 'links:'
  for i in $(seq 1 $N); do echo "  - endpoints: [lh$i:eth0, ls$i:ls$i-h]"; done
  for i in $(seq 1 $((N - 1))); do echo "  - endpoints: [ls$i:ls$i-ls$((i + 1)), ls$((i + 1)):ls$((i + 1))-ls$i]"; done
} > "$W/linear50.yaml"
{
  echo 'set -e'
  for i in $(seq 1 $N); do echo "ip netns add lh$i"; done
  for i in $(seq 1 $N); do echo "ip link add eth0 netns lh$i type veth peer name ls$i-h"; done
  for i in $(seq 1 $((N - 1))); do echo "ip link add ls$i-ls$((i + 1)) type veth peer name ls$((i + 1))-ls$i"; done
  for i in $(seq 1 $N); do echo "ip link add ls$i type bridge"; done
  for i in $(seq 1 $N); do echo "ip link set ls$i-h master ls$i"; done
  for i in $(seq 1 $((N - 1))); do echo "ip link set ls$i-ls$((i + 1)) master ls$i; ip link set ls$((i + 1))-ls$i master ls$((i + 1))"; done
  for i in $(seq 1 $N); do echo "ip link set ls$i up; ip link set ls$i-h up"; done
  for i in $(seq 1 $((N - 1))); do echo "ip link set ls$i-ls$((i + 1)) up; ip link set ls$((i + 1))-ls$i up"; done
  for i in $(seq 1 $N); do echo "ip -n lh$i link set lo up; ip -n lh$i link set eth0 up; ip -n lh$i addr add 10.50.$((i / 250)).$((i % 250 + 1))/16 dev eth0"; done
  echo 'H="127.0.0.1 localhost"'
  for i in $(seq 1 $N); do echo "H=\"\$H"$'\n'"10.50.$((i / 250)).$((i % 250 + 1)) lh$i\""; done
  for i in $(seq 1 $N); do echo "mkdir -p /etc/netns/lh$i; echo \"\$H\" > /etc/netns/lh$i/hosts"; done
} > "$W/linear-up.sh"
{
  for i in $(seq 1 $N); do echo "ip link del ls$i-h 2>/dev/null"; done
  for i in $(seq 1 $((N - 1))); do echo "ip link del ls$i-ls$((i + 1)) 2>/dev/null"; done
  for i in $(seq 1 $N); do echo "ip link del ls$i 2>/dev/null"; done
  for i in $(seq 1 $N); do echo "ip netns del lh$i 2>/dev/null"; done
  for i in $(seq 1 $N); do echo "rm -rf /etc/netns/lh$i"; done
  echo true
} > "$W/linear-down.sh"
printf '%s\n' "$MINICTR net down -q linear50 >/dev/null 2>&1; bash $W/linear-down.sh >/dev/null 2>&1; true" > "$W/reset-linear.sh"
RESET_LINEAR="bash $W/reset-linear.sh"

echo "== linear,$N: up"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$RESET_LINEAR" --prepare "$RESET_LINEAR" \
  -n "minictr net up (linear,$N)" "$MINICTR net up -q $W/linear50.yaml" \
  -n "raw ip script (linear,$N)" "bash $W/linear-up.sh" \
  ${EXPORT:+--export-markdown "$W/linear-up.md"}
$RESET_LINEAR

echo "== linear,$N: up + down"
hyperfine --warmup 1 --runs "$RUNS" --prepare "$RESET_LINEAR" --prepare "$RESET_LINEAR" \
  -n "minictr net up + down (linear,$N)" "$MINICTR net up -q $W/linear50.yaml && $MINICTR net down -q $W/linear50.yaml" \
  -n "raw ip script up + down (linear,$N)" "bash $W/linear-up.sh && bash $W/linear-down.sh" \
  ${EXPORT:+--export-markdown "$W/linear-cycle.md"}

if [ -n "$EXPORT" ]; then
  { echo "### minictr net ($(uname -r), $(nproc) CPUs, bridge: $BRIDGE$([ $NETDEV = 1 ] && echo ', OVS userspace datapath'))"; echo
    echo "Demo setup (red/green):"; echo; cat "$W/demo.md"; echo
    echo "linear,$N up:"; echo; cat "$W/linear-up.md"; echo
    echo "linear,$N up + down:"; echo; cat "$W/linear-cycle.md"; } > "$EXPORT"
  echo "wrote $EXPORT"
fi
