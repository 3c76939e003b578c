#!/usr/bin/env bash
# Provisioning shared by the Vagrantfiles (the classroom VM's and examples/two-machines'):
# the packages minictr needs on Ubuntu 24.04, Node.js >= 20, and minictr built from the
# synced folder /vagrant into /opt/minictr, with minictr and minictr-oci on PATH.
set -eu
export DEBIAN_FRONTEND=noninteractive
apt-get update -q
apt-get install -y -q ca-certificates curl gnupg rsync build-essential python3 \
  iproute2 openvswitch-switch ethtool iptables nftables tcpdump busybox-static tar xz-utils musl-tools libseccomp-dev
if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  curl -fsSL https://deb.nodesource.com/setup_22.x | bash -
  apt-get install -y -q nodejs
fi
# build outside the shared folder: node_modules and the addon stay on the VM's own disk
rsync -a --delete --exclude node_modules --exclude build --exclude dist --exclude .git /vagrant/ /opt/minictr/
cd /opt/minictr
npm ci --no-audit --no-fund
ln -sf /opt/minictr/bin/minictr /usr/local/bin/minictr
ln -sf /opt/minictr/bin/minictr-oci /usr/local/bin/minictr-oci
