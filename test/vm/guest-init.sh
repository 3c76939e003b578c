#!/bin/sh
# PID 1 of the initramfs test/vm/vm.sh builds (busybox sh): make the guest's root from the
# host's / (read-only over 9p) with a tmpfs overlay on top, mount the per-run share and the
# --rw folders at their host paths, then switch_root into that root to run guest-run.sh.
# VMSHARE, VMRW and VMMODULES come from the kernel command line.
export PATH=/bin
mount -t proc proc /proc; mount -t sysfs sys /sys; mount -t devtmpfs dev /dev
for m in $(cat /mods/order); do insmod /mods/$m.ko; done
O=trans=virtio,version=9p2000.L,msize=262144
fail() { echo "vm-init: $*" > /dev/console; echo 1 > /proc/sys/kernel/sysrq; echo o > /proc/sysrq-trigger; sleep 30; }
mount -t 9p -o $O,ro,cache=loose hostroot /lower || fail "cannot mount the host's / over 9p"
mount -t tmpfs -o mode=755 tmpfs /upper && mkdir -p /upper/u /upper/w
mount -t overlay overlay -o lowerdir=/lower,upperdir=/upper/u,workdir=/upper/w /newroot ||
  fail "cannot mount the overlay root"
R=/newroot
mkdir -p $R$VMSHARE && mount -t 9p -o $O vmshare $R$VMSHARE || fail "cannot mount the run share"
i=0
for d in $(echo "$VMRW" | tr ',' ' '); do
  mkdir -p $R$d && mount -t 9p -o $O rw$i $R$d || fail "cannot mount the --rw share $d"
  i=$((i+1))
done
mount -t proc proc $R/proc; mount -t sysfs sys $R/sys; mount -t devtmpfs dev $R/dev
mkdir -p $R/dev/pts $R/dev/shm $R/dev/mqueue
mount -t devpts -o newinstance,ptmxmode=0666 devpts $R/dev/pts; ln -sf pts/ptmx $R/dev/ptmx
ln -sf /proc/self/fd $R/dev/fd
ln -sf /proc/self/fd/0 $R/dev/stdin; ln -sf /proc/self/fd/1 $R/dev/stdout; ln -sf /proc/self/fd/2 $R/dev/stderr
mount -t tmpfs shm $R/dev/shm; mount -t mqueue mqueue $R/dev/mqueue
mount -t tmpfs -o mode=755 tmpfs $R/run
# cgroup v2 only, with every controller the kernel has enabled for children of the root
mount -t cgroup2 -o nsdelegate cgroup2 $R/sys/fs/cgroup
for c in $(cat $R/sys/fs/cgroup/cgroup.controllers); do echo "+$c" > $R/sys/fs/cgroup/cgroup.subtree_control; done
cp /guest-run.sh $R/run/guest-run.sh
# switch_root, not chroot: under a chroot, unshare(CLONE_NEWUSER) fails with EPERM
exec switch_root $R /bin/sh /run/guest-run.sh
