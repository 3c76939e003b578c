#!/usr/bin/env bash
# The live view (minictr view): the server's CPU when nothing changes, and the page's
# smoothness with many objects.
#   bench/view.sh [CONTAINERS] [HOSTS] [IDLE_SECONDS]   (default 200 200 30; root, from the repository)
# 1. idle CPU of the server (its node process and its minictr-netwatch child, /proc/PID/stat
#    utime+stime) over IDLE_SECONDS with no page open, on an empty machine
# 2. CONTAINERS busybox containers (run -d --replicas, --network none as bench/density.sh:
#    on a bridge network each start also adds a port and its firewall rules, and only 169
#    of 200 were up after 15 minutes on the shared 2-CPU machine) and a lab of HOSTS hosts on one Linux
#    bridge come up; the page is opened in headless chromium:
#    time to the first full picture, frame times while panning and zooming for 4 s, how long
#    an `ip netns add` takes to appear on it and an `ip netns del` to be marked gone, an address
#    added inside a namespace the host has no nsid for, an `ovs-vsctl add-br` (when OVS runs)
# 3. idle CPU of the server again, IDLE_SECONDS with the page open, and the kernel events
#    other processes on the machine caused meanwhile (each one is read: they are not idle)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-200}
HOSTS=${2:-200}
IDLE=${3:-30}
WORK=$(mktemp -d /tmp/minictr-view-bench.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
export MINICTR_BRIDGE_NAME=vbb$$ MINICTR_BRIDGE_SUBNET=10.213.0.0/16
P=vb$(($$ % 10000)) # this run's names: hosts ${P}h0.., the switch ${P}s, its ports ${P}p0..
VIEW_PID=
cleanup() {
  [ -n "$VIEW_PID" ] && kill "$VIEW_PID" 2>/dev/null || true
  [ -s "$WORK/view.out" ] && sed 's/^/view: /' "$WORK/view.out" >&2
  bin/minictr rm -f $(bin/minictr ps -aq) >/dev/null 2>&1 || true
  bin/minictr net down "$WORK/lab.yaml" >/dev/null 2>&1 || true
  bin/minictr network rm -f bridge >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

# clock ticks of a process and its children (minictr-netwatch)
ticks() {
  local total=0 p s
  for p in "$1" $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    # a short-lived child (an ip or nsenter of a read) may end between the listing and the read
    s=$(awk '{print $14 + $15}' /proc/"$p"/stat 2>/dev/null) || continue
    [ -n "$s" ] && total=$((total + s))
  done
  echo "$total"
}
idle_cpu() { # label
  local hz t0 t1 mon events
  hz=$(getconf CLK_TCK)
  # what else changed on the machine meanwhile (other users' links and addresses): the view reads those
  ip -o monitor all-nsid link address route > "$WORK/events" 2>/dev/null &
  mon=$!
  t0=$(ticks "$VIEW_PID"); sleep "$IDLE"; t1=$(ticks "$VIEW_PID")
  kill "$mon"; wait "$mon" 2>/dev/null || true
  events=$(wc -l < "$WORK/events")
  printf '%-44s %6.1f ms CPU per second (%d ticks in %d s; %d kernel events by others meanwhile)\n' "$1" "$(echo "($t1 - $t0) * 1000 / $hz / $IDLE" | bc -l)" $((t1 - t0)) "$IDLE" "$events"
}

bin/minictr view --port 0 > "$WORK/view.out" 2>&1 &
VIEW_PID=$!
for _ in $(seq 100); do grep -q 'http://' "$WORK/view.out" && break; sleep 0.1; done
URL=$(grep -o 'http://[^ ]*' "$WORK/view.out")
sleep 2 # its first read
idle_cpu "server idle, no page open"

node -e '
  const [n, file, p] = process.argv.slice(1);
  let y = `name: ${p}\nhosts:\n`;
  for (let i = 0; i < n; i++) y += `  ${p}h${i}:\n    addresses: { eth0: 10.214.${Math.floor(i / 250)}.${(i % 250) + 1}/16 }\n`;
  y += `switches:\n  ${p}s: { type: linux }\nlinks:\n`;
  for (let i = 0; i < n; i++) y += `  - endpoints: [${p}h${i}:eth0, ${p}s:${p}p${i}]\n`;
  require("fs").writeFileSync(file, y);' "$HOSTS" "$WORK/lab.yaml" "$P"
t0=$(date +%s.%N)
bin/minictr net up "$WORK/lab.yaml" >/dev/null 2>&1
t1=$(date +%s.%N)
bin/minictr run -d --network none --replicas "$N" --name "$P" busybox sleep 600 >/dev/null
t2=$(date +%s.%N)
printf 'lab of %d hosts up in %.1f s, %d containers up in %.1f s\n' "$HOSTS" "$(echo "$t1 - $t0" | bc)" "$N" "$(echo "$t2 - $t1" | bc)"

# the page: hosts + their cables + containers + the lab
node bench/view-page.mjs "$URL" $((2 * HOSTS + N)) > "$WORK/page.json" &
PAGE=$!
wait "$PAGE" || echo "page: the page driver failed (its output below)"
echo "page: $(cat "$WORK/page.json")"

node -e '
  const { chromium } = require("playwright-core");
  (async () => {
    const ctx = await chromium.launchPersistentContext(process.argv[3], { executablePath: "/usr/bin/chromium", headless: true,
      args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"] });
    const page = await ctx.newPage(); await page.goto(process.argv[1]);
    process.stdout.write("open\n"); await new Promise((r) => setTimeout(r, (Number(process.argv[2]) + 8) * 1000)); await ctx.close();
  })();' "$URL" "$IDLE" "$WORK/idle-profile" > "$WORK/idle-page.out" &
IDLE_PAGE=$!
for _ in $(seq 100); do grep -q open "$WORK/idle-page.out" && break; sleep 0.2; done
sleep 5 # its first snapshot
idle_cpu "server, page open, $N containers + $HOSTS hosts"
wait "$IDLE_PAGE" || true
