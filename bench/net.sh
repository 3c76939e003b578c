#!/usr/bin/env bash
# bench/net.sh: minictr net against the same raw ip/ovs-vsctl commands typed one by one.
#
#   1. The demo's setup (red/green, one switch; no pings): `net demo --keep --no-proof`, and
#      `net up` of examples/red-green.yaml, vs a shell script of the lab's raw commands.
#   2. Mininet's `linear,N` (N hosts, N Linux bridges in a chain, 2N-1 veth pairs) for N = 50
#      and 200: up, and up+down, vs the equivalent raw script (issue 16's goal for linear,200:
#      up within 2 s, and at least 5x faster than the raw commands one by one).
#   3. The two-machine lab (examples/two-machines with Linux bridges): two emulated machines
#      (network namespaces joined by a veth underlay, as test/helpers/machines.ts makes them),
#      `net up --machine vmN` inside each, up and up+down, vs the raw commands in each.
#
# Needs root, hyperfine, and a built CLI (npm run build). Uses the fixed names red, green,
# ovs1, l{h,s}1..200 and tm-*: do not run it while the test suite runs.
#   bench/net.sh [--bridge ovs|linux] [--runs N] [--only demo,linear,linear200,two] [--export FILE.md]
# MINICTR_BIN=/path/to/bin/minictr measures another build (an older checkout) the same way;
# MINICTR_BASELINE=/path/to/bin/minictr adds that build's rows to the linear tables, side by side.
# Each table's heading has the load average it was measured at (a shared machine is noisy:
# compare the ratios, and hyperfine's User/System CPU times).
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
BRIDGE=auto RUNS=10 EXPORT= ONLY=demo,linear,linear200,two
while [ $# -gt 0 ]; do
  case "$1" in
    --bridge) BRIDGE=$2; shift 2;; --runs) RUNS=$2; shift 2;; --export) EXPORT=$2; shift 2;; --only) ONLY=$2; shift 2;;
    *) echo "usage: bench/net.sh [--bridge ovs|linux] [--runs N] [--only demo,linear,linear200,two] [--export FILE.md]" >&2; exit 2;;
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
MINICTR="${MINICTR_BIN:-$PWD/bin/minictr}"

# measure TITLE FILE RUNS WARMUP RESET NAME CMD [NAME CMD]...: one hyperfine table of the
# commands side by side (RESET before each run of each), exported as $W/FILE for --export.
SECTIONS=()
measure() {
  local title=$1 file=$2 runs=$3 warmup=$4 reset=$5 args=() before
  shift 5
  while [ $# -gt 0 ]; do args+=(-n "$1" "$2"); shift 2; done
  before=$(load_avg)
  echo "== $title (load $before)"
  hyperfine -N --warmup "$warmup" --runs "$runs" --prepare "$reset" "${args[@]}" ${EXPORT:+--export-markdown "$W/$file"}
  $reset
  echo "   load after: $(load_avg)"
  [ -z "$EXPORT" ] || sed -i "1i load average before: $before, after: $(load_avg)\n" "$W/$file"
  SECTIONS+=("$title|$file")
}

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

measure "Demo setup ($BRIDGE$([ $NETDEV = 1 ] && echo ', userspace datapath'))" demo.md "$RUNS" 2 "$RESET_DEMO" \
  "minictr net demo --keep --no-proof" "$MINICTR net demo --bridge $BRIDGE --keep --no-proof --quiet" \
  "minictr net up red-green.yaml" "$MINICTR net up -q $W/red-green.yaml" \
  "raw ip/ovs-vsctl script" "bash $W/demo-up.sh"

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

# linear N RUNS WARMUP: up, and up + down, of linear,N beside its raw script
linear() {
  local n=$1 runs=$2 warmup=$3 reset="bash $W/reset-linear$1.sh"
  local base=${MINICTR_BASELINE:-}
  linear_files "$n"
  measure "linear,$n up" "linear$n-up.md" "$runs" "$warmup" "$reset" \
    "minictr net up (linear,$n)" "$MINICTR net up -q $W/linear$n.yaml" \
    ${base:+"baseline net up (linear,$n)" "$base net up -q $W/linear$n.yaml"} \
    "raw ip script (linear,$n)" "bash $W/linear$n-up.sh"
  measure "linear,$n up + down" "linear$n-cycle.md" "$runs" "$warmup" "$reset" \
    "minictr net up + down (linear,$n)" "bash -c '$MINICTR net up -q $W/linear$n.yaml && $MINICTR net down -q linear$n'" \
    ${base:+"baseline net up + down (linear,$n)" "bash -c '$base net up -q $W/linear$n.yaml && $base net down -q linear$n'"} \
    "raw ip script up + down (linear,$n)" "bash -c 'bash $W/linear$n-up.sh && bash $W/linear$n-down.sh'"
}
want linear && linear 50 "$RUNS" 1
# linear,200: ~2000 raw commands a run, so at most 5 runs and no warmup
want linear200 && linear 200 "$((RUNS < 5 ? RUNS : 5))" 0


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
measure "Two machines (emulated), up" two-up.md "$RUNS" 1 "$RESET_TWO" \
  "minictr net up --machine vm1, then vm2" "bash $W/two-up.sh" \
  "raw ip commands on each machine" "bash $W/two-raw-up.sh"
measure "Two machines (emulated), up + down" two-cycle.md "$RUNS" 1 "$RESET_TWO" \
  "minictr net up + down on each machine" "bash -c 'bash $W/two-up.sh && bash $W/two-down.sh'" \
  "raw ip commands up + down" "bash -c 'bash $W/two-raw-up.sh && bash $W/two-raw-down.sh'"

fi

if [ -n "$EXPORT" ]; then
  { echo "### minictr net ($(uname -r), $(nproc) CPUs, bridge: $BRIDGE$([ $NETDEV = 1 ] && echo ', OVS userspace datapath'))"; echo
    for s in "${SECTIONS[@]}"; do echo "${s%%|*}:"; echo; cat "$W/${s#*|}"; echo; done; } > "$EXPORT"
  echo "wrote $EXPORT"
fi
