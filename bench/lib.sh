# Shared by the bench scripts (sourced). make_runc_bundle DIR ROOTFS: an OCI bundle for runc
# and crun with their default spec (`runc spec`), command `true`, on ROOTFS read-only.
make_runc_bundle() {
  mkdir -p "$1"
  (cd "$1" && runc spec)
  node -e "
    const fs = require('fs'); const f = process.argv[1];
    const s = JSON.parse(fs.readFileSync(f, 'utf8'));
    s.process.args = ['true']; s.process.terminal = false;
    s.root = { path: process.argv[2], readonly: true };
    fs.writeFileSync(f, JSON.stringify(s, null, 2));" "$1/config.json" "$2"
}

# class_dockerfile BASE: the class's Dockerfile (issue 14) on the image BASE (an ARG's default).
class_dockerfile() {
  printf 'ARG BASE=%s\nFROM ${BASE}\nRUN apt update -y\nRUN apt install -y nano\nCMD ["/bin/bash"]\n' "$1"
}

# buildah_import_base NAME TAR: the rootfs tarball TAR as buildah's image localhost/NAME, in the
# storage of the caller's BUD array (buildah and its --root/--runroot flags).
buildah_import_base() {
  local c
  c=$("${BUD[@]}" from scratch)
  "${BUD[@]}" add "$c" "$2" / >/dev/null
  "${BUD[@]}" commit --rm "$c" "localhost/$1" >/dev/null 2>&1
}

# load_avg: the 1, 5 and 15 minute load averages, for the heading of each table (results on a
# shared machine are read against the load they were measured at).
load_avg() {
  cut -d' ' -f1-3 /proc/loadavg
}

# load_average: the same as a line of its own, printed before a table
load_average() {
  echo "load average: $(load_avg)"
}

# drop_caches: sync, then drop the page cache, dentries and inodes, before a memory reading:
# what the CLIs read meanwhile (node, the bundles; over 9p in test/vm/vm.sh's guest, where it
# lowered MemAvailable by ~2.8 MiB a container) would otherwise count as the containers'.
drop_caches() {
  sync; echo 3 > /proc/sys/vm/drop_caches
}

# pcp_free_kib: free pages the page allocator keeps on its per-cpu lists (/proc/zoneinfo's
# "count:"). MemFree and MemAvailable leave them out, and they come and go by MiB (up to
# "high:", 80-117 MiB a CPU on this host), so a reading adds them back: they grew by 5 MiB
# while crun started 100 containers in test/vm/vm.sh's guest (50 KiB a container), and
# moved by 70-140 MiB during a 100-container run on this loaded host.
pcp_free_kib() {
  awk -v ps="$(getconf PAGESIZE)" '$1 == "count:" {s += $2} END {printf "%d\n", s * ps / 1024}' /proc/zoneinfo
}

# settle_memory: after containers are removed the kernel frees much of them later (network
# namespaces in a workqueue, tasks and cgroups after RCU grace periods): wait until the free
# memory (MemFree and the per-cpu lists) stops rising, less than 256 KiB in a second, at
# most 60 s, so that the next reading does not count the last containers' leftovers.
# Prints the seconds it waited.
settle_memory() {
  local prev cur i
  prev=$(drop_caches; echo $(($(awk '/^MemFree:/ {print $2}' /proc/meminfo) + $(pcp_free_kib))))
  for i in $(seq 60); do
    sleep 1
    cur=$(drop_caches; echo $(($(awk '/^MemFree:/ {print $2}' /proc/meminfo) + $(pcp_free_kib))))
    [ $((cur - prev)) -lt 256 ] && break
    prev=$cur
  done
  echo "$i"
}

# hyperfine_both_orders RUNS CMD...: one hyperfine table of the commands (-N, 3 warm-ups), then
# the same commands in the opposite order (a busy machine's drift falls on the other rows),
# each after the load average
hyperfine_both_orders() {
  local runs=$1 i rev=()
  shift
  load_average
  hyperfine -N -w 3 -r "$runs" "$@"
  for ((i = $#; i >= 1; i--)); do rev+=("${!i}"); done
  load_average
  hyperfine -N -w 3 -r "$runs" "${rev[@]}"
}
