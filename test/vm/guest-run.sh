#!/bin/sh
# The guest's second stage (test/vm/vm.sh), in the guest's real root: run the command from the
# per-run share with its output, exit status and timings written back there, then power off.
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mkdir -p /run/tmp && chmod 1777 /run/tmp && export TMPDIR=/run/tmp
hostname vm
ip link set lo up
cat /proc/uptime > "$VMSHARE/t_start"
rc=0
for m in $(echo "$VMMODULES" | tr ',' ' '); do
  modprobe "$m" >> "$VMSHARE/out.log" 2>&1 || { echo "vm.sh: cannot load the module $m in the guest" >> "$VMSHARE/out.log"; rc=125; }
done
# --disk: the only virtio-blk device is vda; its node comes once virtio_blk has probed it
if [ $rc = 0 ] && [ -n "$VMDISK" ]; then
  { modprobe virtio_blk && modprobe ext4 &&
    for i in $(seq 50); do [ -b /dev/vda ] && break; sleep 0.1; done &&
    mkdir -p "$VMDISK" && mount -t ext4 /dev/vda "$VMDISK"; } >> "$VMSHARE/out.log" 2>&1 ||
    { echo "vm.sh: cannot mount the scratch disk at $VMDISK in the guest" >> "$VMSHARE/out.log"; rc=125; }
fi
if [ $rc = 0 ]; then
  cd "$(cat "$VMSHARE/cwd")" 2>/dev/null || cd /
  /bin/bash "$VMSHARE/cmd.sh" >> "$VMSHARE/out.log" 2>&1 < /dev/null
  rc=$?
fi
echo $rc > "$VMSHARE/rc"
cat /proc/uptime > "$VMSHARE/t_end"
sync
echo 1 > /proc/sys/kernel/sysrq; echo o > /proc/sysrq-trigger
sleep 30
