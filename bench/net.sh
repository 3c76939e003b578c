#!/usr/bin/env bash
# bench/net.sh: minictr net against the same raw ip/ovs-vsctl commands typed one by one.
#
#   1. The demo's setup (red/green, one switch; no pings): `net demo --keep --no-proof`, and
#      `net up` of examples/red-green.yaml, vs a shell script of the lab's raw commands.
#   2. A 50-host linear chain of Linux bridges (Mininet's `linear,50`): up, and up+down,
#      vs the equivalent raw script; and linear,200 up (the issue's goal: within 2 s, and at
#      least 5x faster than the raw commands one by one).
#   3. The two-machine lab (examples/two-machines with Linux bridges): two emulated machines
#      (network namespaces joined by a veth underlay, as test/helpers/machines.ts makes them),
#      `net up --machine vmN` inside each, up and up+down, vs the raw commands in each.
#
# Needs root, hyperfine, and a built CLI (npm run build). Uses the fixed names red, green,
# ovs1, l{h,s}1..200 and tm-*: do not run it while the test suite runs.
#   bench/net.sh [--bridge ovs|linux] [--runs N] [--only demo,linear,two] [--export FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
BRIDGE=auto RUNS=10 EXPORT= ONLY=demo,linear,two
while [ $# -gt 0 ]; do
  case "$1" in
    --bridge) BRIDGE=$2; shift 2;; --runs) RUNS=$2; shift 2;; --export) EXPORT=$2; shift 2;; --only) ONLY=$2; shift 2;;
    *) echo "usage: bench/net.sh [--bridge ovs|linux] [--runs N] [--only demo,linear,two] [--export FILE.md]" >&2; exit 2;;
  esac
done
want() { [[ ",$ONLY," == *",$1,"* ]]; }
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
cleanup() {
  bin/minictr net down -q red-green >/dev/null 2>&1 || true
  for n in 50 200; do bin/minictr net down -q "linear$n" >/dev/null 2>&1 || true; bash "$W/linear$n-down.sh" >/dev/null 2>&1 || true; done
  bash "$W/demo-down.sh" >/dev/null 2>&1 || true
  bash "$W/two-reset.sh" >/dev/null 2>&1 || true
  ip netns del tm-m1 2>/dev/null || true; ip netns del tm-m2 2>/dev/null || true
  rm -rf "$W"
}
trap cleanup EXIT
MINICTR="$PWD/bin/minictr"

if want demo; then
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

fi

# ---- 2. linear,N ----------------------------------------------------------------------
# linear_files N: the lab file and the raw up/down scripts of Mininet's linear,N
linear_files() {
  local N=$1 i
  {
    echo "name: linear$N"
    echo 'hosts:'
    for i in $(seq 1 $N); do echo "  lh$i: { addresses: { eth0: 10.50.$((i / 250)).$((i % 250 + 1))/16 } }"; done
    echo 'switches:'
    for i in $(seq 1 $N); do echo "  ls$i: { type: linux }"; done
    echo 'links:'
    for i in $(seq 1 $N); do echo "  - endpoints: [lh$i:eth0, ls$i:ls$i-h]"; done
    for i in $(seq 1 $((N - 1))); do echo "  - endpoints: [ls$i:ls$i-ls$((i + 1)), ls$((i + 1)):ls$((i + 1))-ls$i]"; done
  } > "$W/linear$N.yaml"
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
  } > "$W/linear$N-up.sh"
  {
    for i in $(seq 1 $N); do echo "ip link del ls$i-h 2>/dev/null"; done
    for i in $(seq 1 $((N - 1))); do echo "ip link del ls$i-ls$((i + 1)) 2>/dev/null"; done
    for i in $(seq 1 $N); do echo "ip link del ls$i 2>/dev/null"; done
    for i in $(seq 1 $N); do echo "ip netns del lh$i 2>/dev/null"; done
    for i in $(seq 1 $N); do echo "rm -rf /etc/netns/lh$i"; done
    echo true
  } > "$W/linear$N-down.sh"
  printf '%s\n' "$MINICTR net down -q linear$N >/dev/null 2>&1; bash $W/linear$N-down.sh >/dev/null 2>&1; true" > "$W/reset-linear$N.sh"
}

if want linear; then
N=50
linear_files $N
RESET_LINEAR="bash $W/reset-linear$N.sh"
echo "== linear,$N: up"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$RESET_LINEAR" --prepare "$RESET_LINEAR" \
  -n "minictr net up (linear,$N)" "$MINICTR net up -q $W/linear$N.yaml" \
  -n "raw ip script (linear,$N)" "bash $W/linear$N-up.sh" \
  ${EXPORT:+--export-markdown "$W/linear-up.md"}
$RESET_LINEAR

echo "== linear,$N: up + down"
hyperfine --warmup 1 --runs "$RUNS" --prepare "$RESET_LINEAR" --prepare "$RESET_LINEAR" \
  -n "minictr net up + down (linear,$N)" "$MINICTR net up -q $W/linear$N.yaml && $MINICTR net down -q $W/linear$N.yaml" \
  -n "raw ip script up + down (linear,$N)" "bash $W/linear$N-up.sh && bash $W/linear$N-down.sh" \
  ${EXPORT:+--export-markdown "$W/linear-cycle.md"}
$RESET_LINEAR

# linear,200: ~2000 raw commands a run, so fewer runs (at most 5)
N=200
linear_files $N
RESET_LINEAR="bash $W/reset-linear$N.sh"
echo "== linear,$N: up"
hyperfine -N --runs "$((RUNS < 5 ? RUNS : 5))" --prepare "$RESET_LINEAR" \
  -n "minictr net up (linear,$N)" "$MINICTR net up -q $W/linear$N.yaml" \
  -n "raw ip script (linear,$N)" "bash $W/linear$N-up.sh" \
  ${EXPORT:+--export-markdown "$W/linear200-up.md"}
$RESET_LINEAR

fi

if want two; then
# ---- 3. two machines ----------------------------------------------------------------------
# Two emulated machines, tm-m1 and tm-m2 (198.18.254.1 and .2 on a veth underlay), each running
# minictr inside it; the lab file is examples/two-machines with Linux bridges and its own names.
ip netns add tm-m1; ip netns add tm-m2
ip link add tm-u1 netns tm-m1 type veth peer name tm-u2 netns tm-m2
ip -n tm-m1 addr add 198.18.254.1/24 dev tm-u1; ip -n tm-m2 addr add 198.18.254.2/24 dev tm-u2
ip -n tm-m1 link set tm-u1 up; ip -n tm-m2 link set tm-u2 up
sed -e 's/address: 192.168.56.11 }/address: 198.18.254.1, dev: tm-u1 }/; s/address: 192.168.56.12 }/address: 198.18.254.2, dev: tm-u2 }/' \
    -e 's/type: ovs/type: linux/; s/\bred\b/tm-red/g; s/\bgreen\b/tm-green/g; s/\bovs\([12]\)\b/tm-s\1/g; s/name: two-machines/name: tm-lab/' \
    examples/two-machines/lab.yaml > "$W/two.yaml"
# minictr as on the machine: its netns, its own sysfs, its own state (test/helpers/machines.ts)
cat > "$W/on.sh" <<EOS
m=\$1; shift
MINICTR_RUN=$W/run-\$m exec nsenter --net=/run/netns/tm-\$m unshare -m --propagation unchanged \
  sh -c 'mount --make-rprivate /sys && mount -t sysfs none /sys && exec "\$@"' sh $MINICTR "\$@"
EOS
cat > "$W/two-up.sh" <<EOS
bash $W/on.sh m1 net up -q $W/two.yaml --machine vm1 && bash $W/on.sh m2 net up -q $W/two.yaml --machine vm2
EOS
cat > "$W/two-down.sh" <<EOS
bash $W/on.sh m1 net down -q tm-lab && bash $W/on.sh m2 net down -q tm-lab
EOS
# the same commands typed one by one, on each machine (ip netns exec tm-mN = "on that machine")
cat > "$W/two-raw-up.sh" <<'EOS'
set -e
for side in "1 red 10.0.0.1 2" "2 green 10.0.0.2 1"; do
  set -- $side; m=tm-m$1 h=tm-$2 s=tm-s$1
  ip netns add $h
  ip -n $m link add eth0 mtu 1450 netns $h type veth peer name veth-$1 mtu 1450
  ip -n $m link add $s type bridge
  ip -n $m link set veth-$1 master $s
  ip -n $m link add vx-$1 mtu 1450 type vxlan id 42 local 198.18.254.$1 remote 198.18.254.$4 dstport 4789 dev tm-u$1
  ip -n $m link set vx-$1 master $s
  ip -n $m link set vx-$1 up; ip -n $m link set $s up; ip -n $m link set veth-$1 up
  ip -n $h link set lo up; ip -n $h link set eth0 up; ip -n $h addr add $3/24 dev eth0
  mkdir -p /etc/netns/$h; printf "127.0.0.1 localhost\n10.0.0.1 tm-red\n10.0.0.2 tm-green\n" > /etc/netns/$h/hosts
done
EOS
cat > "$W/two-raw-down.sh" <<'EOS'
for i in 1 2; do ip -n tm-m$i link del veth-$i; ip -n tm-m$i link del vx-$i; ip -n tm-m$i link del tm-s$i; done
ip netns del tm-red; ip netns del tm-green; rm -rf /etc/netns/tm-red /etc/netns/tm-green
EOS
cat > "$W/two-reset.sh" <<EOS
bash $W/two-down.sh >/dev/null 2>&1; bash $W/two-raw-down.sh >/dev/null 2>&1; true
EOS
RESET_TWO="bash $W/two-reset.sh"
echo "== two machines (emulated): up"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$RESET_TWO" \
  -n "minictr net up --machine vm1, then vm2" "bash $W/two-up.sh" \
  -n "raw ip commands on each machine" "bash $W/two-raw-up.sh" \
  ${EXPORT:+--export-markdown "$W/two-up.md"}
$RESET_TWO
echo "== two machines (emulated): up + down"
hyperfine -N --warmup 1 --runs "$RUNS" --prepare "$RESET_TWO" \
  -n "minictr net up + down on each machine" "bash -c 'bash $W/two-up.sh && bash $W/two-down.sh'" \
  -n "raw ip commands up + down" "bash -c 'bash $W/two-raw-up.sh && bash $W/two-raw-down.sh'" \
  ${EXPORT:+--export-markdown "$W/two-cycle.md"}
$RESET_TWO

fi

if [ -n "$EXPORT" ]; then
  { echo "### minictr net ($(uname -r), $(nproc) CPUs, bridge: $BRIDGE$([ $NETDEV = 1 ] && echo ', OVS userspace datapath'))"; echo
    section() { [ -f "$W/$2" ] && { echo "$1:"; echo; cat "$W/$2"; echo; }; true; }
    section "Demo setup (red/green)" demo.md
    section "linear,50 up" linear-up.md
    section "linear,50 up + down" linear-cycle.md
    section "linear,200 up" linear200-up.md
    section "Two machines (emulated), up" two-up.md
    section "Two machines (emulated), up + down" two-cycle.md; } > "$EXPORT"
  echo "wrote $EXPORT"
fi
