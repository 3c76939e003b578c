#!/usr/bin/env bash
# test/vm/vm.sh: run one command as root under another kernel than the host's, for the tests
# this host's kernel cannot run. Debian's own kernel (linux-image-amd64, which has cgroup v2,
# the Open vSwitch datapath, netem, GRE and VXLAN as modules) boots under QEMU on THIS machine's
# userland: the host's / is shared read-only over virtio-9p with a tmpfs overlay on top, so the
# guest sees the host's binaries, node and the project's build, and can change nothing on the
# host except the folders shared with --rw. cgroups are v2 only (cgroup_no_v1=all), as in an
# Ubuntu Vagrant box. The command's output is printed and its exit status returned.
#
#   test/vm/vm.sh [options] -- CMD [ARGS...]
#     -m MB            guest memory (default 2048)
#     -c N             virtual CPUs (default 1: under emulation, several vCPUs crash node now and then)
#     --rw DIR         share host DIR read-write at the same path (repeatable); whatever else the
#                      guest writes is gone at power-off
#     --modprobe LIST  kernel modules to load before CMD, comma-separated (e.g. openvswitch,sch_netem)
#     --disk MB:DIR    a scratch ext4 disk of MB MiB mounted at DIR in the guest before CMD (virtio-blk;
#                      a sparse file in the run folder, made with mkfs.ext4 here, removed after): for
#                      state a real machine keeps on a disk (page cache), not on the guest's tmpfs
#     --timeout SEC    kill the guest after SEC seconds (default 900)
#     --accel auto|tcg|kvm   auto: KVM only with /dev/kvm and vmx/svm in /proc/cpuinfo, else TCG
#     --append STR     extra kernel command line
#     --keep           keep the per-run folder (console log, output) and print its path
#
# CMD runs under bash as root in the caller's working directory, with TMPDIR=/run/tmp (a tmpfs:
# overlayfs cannot use the guest's overlay root as an upper dir) and `lo` up.
# Exit status: CMD's own; 2 bad usage or a missing package (named); 124 the guest was killed at
# its time limit (the console's tail is printed); 125 the guest ended without finishing CMD.
#
# How: a busybox initramfs (built on first use, cached by kernel version and this script's
# content) loads the virtio/9p/overlay modules, mounts the shares, builds the guest root and
# switch_roots into it; a per-run folder shared over 9p carries the command in and its output,
# exit status and timings out; the guest powers off by sysrq when CMD ends.
# Without hardware virtualisation QEMU emulates the CPU (TCG): ~5 s to boot, CMD ~3-10x slower.
# Needs: apt-get install qemu-system-x86 linux-image-amd64 busybox-static cpio kmod (e2fsprogs for --disk)
# Example: test/vm/vm.sh --rw "$PWD" --modprobe openvswitch -- ovs-vsctl --version
set -euo pipefail

die() { echo "vm.sh: $*" >&2; exit 2; }
MEM=2048 CPUS=1 TIMEOUT=900 ACCEL=auto KEEP=0 APPEND_EXTRA='' MODULES='' DISK='' RW=()
while [ $# -gt 0 ]; do
  case "$1" in
    -m) MEM=${2:?}; shift 2;;
    -c) CPUS=${2:?}; shift 2;;
    --rw) [ -d "${2:-}" ] || die "--rw: no such directory: ${2:-}"; RW+=("$(readlink -f "$2")"); shift 2;;
    --modprobe) MODULES=${2:?}; shift 2;;
    --disk) DISK=${2:?}; shift 2;;
    --timeout) TIMEOUT=${2:?}; shift 2;;
    --accel) ACCEL=${2:?}; shift 2;;
    --append) APPEND_EXTRA=${2:?}; shift 2;;
    --keep) KEEP=1; shift;;
    -h|--help) sed -n '2,35p' "$0" | sed 's/^# \{0,1\}//'; exit 0;;
    --) shift; break;;
    *) die "unknown option $1 (see --help)";;
  esac
done
[ $# -gt 0 ] || die "no command (usage: vm.sh [options] -- CMD [ARGS...])"
[[ $MEM =~ ^[0-9]+$ && $CPUS =~ ^[0-9]+$ && $TIMEOUT =~ ^[0-9]+$ ]] || die "-m, -c and --timeout take whole numbers"
[[ $MODULES =~ ^[A-Za-z0-9_,-]*$ ]] || die "--modprobe: module names are letters, digits, _ and -"
for d in "${RW[@]}"; do [[ $d != *[,\ ]* ]] || die "--rw: a shared path cannot hold a comma or a space: $d"; done
# the kernel command line carries DIR to the guest: no spaces; MB within what a sparse file allows
[ -z "$DISK" ] || [[ $DISK =~ ^[1-9][0-9]{0,6}:/[A-Za-z0-9_./-]*$ ]] ||
  die "--disk takes MB:DIR, a size in MiB and an absolute path of letters, digits, _ . / and - (e.g. 1024:/var/lib/minictr)"

# ---- what the host must have ------------------------------------------------------
command -v qemu-system-x86_64 >/dev/null || die "qemu-system-x86_64 is missing: apt-get install qemu-system-x86"
command -v cpio >/dev/null || die "cpio is missing: apt-get install cpio"
command -v modinfo >/dev/null || die "modinfo is missing: apt-get install kmod"
[ -z "$DISK" ] || command -v mkfs.ext4 >/dev/null || die "mkfs.ext4 is missing (for --disk): apt-get install e2fsprogs"
KVER=${MINICTR_VM_KERNEL_VERSION:-$(ls /lib/modules 2>/dev/null | grep -- '-amd64$' | sort -V | tail -n 1 || true)}
KERNEL=/boot/vmlinuz-$KVER
[ -n "$KVER" ] && [ -r "$KERNEL" ] && [ -d "/lib/modules/$KVER" ] ||
  die "no Debian kernel to boot (/boot/vmlinuz-*-amd64 and its modules): apt-get install linux-image-amd64"
BUSYBOX=$(command -v busybox || true)
# the initramfs has no libc: only a static busybox runs there (ldd fails on a static binary)
[ -n "$BUSYBOX" ] && ! ldd "$BUSYBOX" >/dev/null 2>&1 || die "a static busybox is missing: apt-get install busybox-static"

CACHE=${MINICTR_VM_CACHE:-/var/cache/minictr-test/vm}
mkdir -p "$CACHE"
HERE=$(dirname "$(readlink -f "$0")")

# ---- the initramfs: cached per kernel and per version of this harness ----------------
INITRD="$CACHE/initrd-$KVER-$(cat "$0" "$HERE/guest-init.sh" "$HERE/guest-run.sh" | sha1sum | cut -c1-10).cpio.gz"
if [ ! -s "$INITRD" ]; then
  T=$(mktemp -d "$CACHE/initrd.XXXXXX")
  trap 'rm -rf "$T"' EXIT
  mkdir -p "$T"/{bin,proc,sys,dev,lower,upper,newroot,mods}
  cp "$BUSYBOX" "$T/bin/busybox"
  for a in sh mount mkdir cat echo insmod poweroff sleep ln switch_root tr cp; do ln -s busybox "$T/bin/$a"; done
  # in dependency order: the initramfs has no modprobe; a built-in module has no file
  for m in virtio_ring virtio virtio_pci_modern_dev virtio_pci_legacy_dev virtio_pci \
           netfs fscache 9pnet 9pnet_virtio 9p overlay; do
    f=$(modinfo -k "$KVER" -n "$m" 2>/dev/null) || continue
    case "$f" in
      *.ko) cp "$f" "$T/mods/$m.ko";;
      *.ko.xz) xz -dc "$f" > "$T/mods/$m.ko";;
      *.ko.zst) zstd -qdc "$f" > "$T/mods/$m.ko";;
      *) continue;;
    esac
    echo "$m" >> "$T/mods/order"
  done
  cp "$HERE/guest-init.sh" "$T/init"
  cp "$HERE/guest-run.sh" "$T/guest-run.sh"
  chmod +x "$T/init" "$T/guest-run.sh"
  (cd "$T" && find . | cpio -o -H newc --quiet | gzip -1) > "$INITRD.tmp"
  mv "$INITRD.tmp" "$INITRD"
  rm -rf "$T"
  trap - EXIT
fi

# ---- the per-run share: the command in; its output, status and timings out ----------
RUN=$(mktemp -d "${TMPDIR:-/tmp}/minictr-vm.XXXXXX")
QEMU_PID=''
finish() {
  [ -n "$QEMU_PID" ] && kill -TERM "$QEMU_PID" 2>/dev/null
  rm -f "$RUN/disk.img" # a scratch disk, even with --keep: it can be GiBs
  if [ "$KEEP" = 1 ]; then echo "vm.sh: run folder kept: $RUN" >&2; else rm -rf "$RUN"; fi
}
trap finish EXIT
trap 'exit 130' INT TERM
printf '%q ' "$@" > "$RUN/cmd.sh"; echo >> "$RUN/cmd.sh"
pwd > "$RUN/cwd"
: > "$RUN/out.log"

if [ "$ACCEL" = auto ]; then
  if [ -w /dev/kvm ] && grep -Eqw 'vmx|svm' /proc/cpuinfo; then ACCEL=kvm; else ACCEL=tcg; fi
fi
case "$ACCEL" in
  kvm) ACC=(-accel kvm -cpu host);;
  # QEMU 7.2 was the first to emulate AVX; without it, node under emulation crashed less often
  tcg) ACC=(-accel "tcg,thread=multi" -cpu max,avx=off,avx2=off,fma=off,f16c=off);;
  *) die "--accel takes auto, tcg or kvm";;
esac
share() { echo -fsdev "local,id=$1,path=$2,security_model=none,multidevs=remap$3" -device "virtio-9p-pci,fsdev=$1,mount_tag=$1"; }
# shellcheck disable=SC2046 # share() prints words on purpose; the paths have no spaces
DEVS=($(share hostroot / ,readonly=on) $(share vmshare "$RUN" ''))
i=0; for d in "${RW[@]}"; do DEVS+=($(share "rw$i" "$d" '')); i=$((i+1)); done
RWLIST=$(IFS=,; echo "${RW[*]:-}")
if [ -n "$DISK" ]; then
  # sparse: only what the guest writes takes room on the host; no lazy init, so mkfs writes
  # its tables now and the guest's kernel starts no ext4lazyinit thread during a measurement
  truncate -s "${DISK%%:*}M" "$RUN/disk.img"
  mkfs.ext4 -q -F -E lazy_itable_init=0,lazy_journal_init=0 "$RUN/disk.img" ||
    die "--disk: mkfs.ext4 failed on $RUN/disk.img"
  DEVS+=(-drive "file=$RUN/disk.img,format=raw,if=none,id=scratch" -device virtio-blk-pci,drive=scratch)
fi
# the guest's init reads these as variables (the kernel passes unknown key=value words to init)
APPEND="console=ttyS0 quiet loglevel=3 panic=-1 cgroup_no_v1=all systemd.unified_cgroup_hierarchy=1"
APPEND+=" VMSHARE=$RUN VMRW=$RWLIST VMMODULES=$MODULES VMDISK=${DISK#*:} $APPEND_EXTRA"

t0=$(date +%s%N)
# timeout(1) ends QEMU with SIGTERM (QEMU then exits cleanly) and reports 124
timeout -k 5 "$TIMEOUT" qemu-system-x86_64 -nodefaults -no-user-config -nographic -no-reboot \
  "${ACC[@]}" -m "$MEM" -smp "$CPUS" -serial "file:$RUN/console.log" -monitor none \
  -kernel "$KERNEL" -initrd "$INITRD" -append "$APPEND" "${DEVS[@]}" \
  -device virtio-rng-pci > "$RUN/qemu.log" 2>&1 < /dev/null &
QEMU_PID=$!
# the command's output as it comes, until the guest powers off
tail -n +1 -f --pid="$QEMU_PID" "$RUN/out.log" &
TAIL_PID=$!
set +e
wait "$QEMU_PID"; qrc=$?
set -e
QEMU_PID=''
wait "$TAIL_PID" 2>/dev/null || true
wall=$(( ($(date +%s%N) - t0) / 1000000 ))

if [ ! -f "$RUN/rc" ]; then
  if [ "$qrc" = 124 ]; then
    echo "vm.sh: the command did not finish within ${TIMEOUT} s: the guest was killed; its console's last lines:" >&2; status=124
  else
    echo "vm.sh: the guest stopped before the command finished (qemu status $qrc); its console's last lines:" >&2; status=125
  fi
  tail -n 25 "$RUN/console.log" >&2 2>/dev/null || true
  tail -n 5 "$RUN/qemu.log" >&2 2>/dev/null || true
  exit "$status"
fi
rc=$(cat "$RUN/rc")
read -r boot _ < "$RUN/t_start"; read -r end _ < "$RUN/t_end"
printf 'vm.sh: kernel %s, %s, boot %ss, command %ss, wall %d.%03ds, exit %s\n' "$KVER" "$ACCEL" "$boot" \
  "$(awk -v a="$boot" -v b="$end" 'BEGIN { printf "%.1f", b - a }')" $((wall / 1000)) $((wall % 1000)) "$rc" >&2
exit "$rc"
