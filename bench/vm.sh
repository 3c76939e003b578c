#!/usr/bin/env bash
# bench/vm.sh: run a bench script in test/vm/vm.sh's guest: Debian's kernel with cgroup v2
# only (the layout of an Ubuntu VM), nothing else running, the host's / read-only and this
# checkout writable. The quietest place on this machine to measure memory; under emulation
# (TCG) every time is 3-10x the host's, so read only its memory figures. The bench's state
# goes under TMPDIR (the guest's tmpfs /run/tmp); VAR=VALUE words before the script are its
# environment (the host's is not passed in). One vCPU: several crash node now and then.
#   bench/vm.sh [-m MB] [--timeout SEC] [--disk MB] [VAR=VALUE...] SCRIPT [ARGS...]   (root)
#     -m MB          guest memory (default 4096)
#     --timeout SEC  kill the guest after SEC seconds (default 1500)
#     --disk MB      a scratch ext4 disk of MB MiB (virtio-blk, removed after) at /var/lib/minictr
#                    in the guest, as a real VM keeps its state on a disk; the script is given
#                    BENCH_LIB=/var/lib/minictr (density-memory.sh puts MINICTR_ROOT and crun's
#                    bundle there; MINICTR_RUN and crun's --root stay on the tmpfs, as /run is)
#   bench/vm.sh bench/density-memory.sh 50
#   bench/vm.sh ROWS=crun bench/density-memory.sh 50     one runtime alone, on a fresh kernel
#   bench/vm.sh --disk 2048 ROWS=minictr bench/density-memory.sh 100   the state on a disk
set -euo pipefail
cd "$(dirname "$0")/.."
MEM=4096 TIMEOUT=1500 DISK=() DISK_ENV=()
while [ $# -gt 0 ]; do
  case "$1" in
    -m) MEM=${2:?}; shift 2;;
    --timeout) TIMEOUT=${2:?}; shift 2;;
    --disk) DISK=(--disk "${2:?}:/var/lib/minictr"); DISK_ENV=(BENCH_LIB=/var/lib/minictr); shift 2;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    *) break;;
  esac
done
[ $# -gt 0 ] || { echo "bench/vm.sh: no bench script (usage: bench/vm.sh [-m MB] [--timeout SEC] [--disk MB] [VAR=VALUE...] SCRIPT [ARGS...])" >&2; exit 2; }
exec test/vm/vm.sh -m "$MEM" -c 1 --timeout "$TIMEOUT" --rw "$PWD" "${DISK[@]}" -- env "${DISK_ENV[@]}" "$@"
