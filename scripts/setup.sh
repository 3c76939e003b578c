#!/usr/bin/env bash
# Set up a fresh Debian/Ubuntu machine to build, run and test minictr (run as root).
# Installs only what is missing, then `npm ci` (which builds the C addon with node-gyp and
# compiles the TypeScript). Used by .ci/run and by the README's quick start.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "setup: run as root (or with sudo)" >&2; exit 1; }

PACKAGES=(
  # build: the C addon (libseccomp compiles seccomp filters) and the static init
  build-essential python3 libc6-dev musl-tools libseccomp-dev
  # the runtime and its tests
  busybox-static iproute2 iputils-ping tar xz-utils zstd attr procps util-linux psmisc kmod debootstrap
  # seccomp tests: podman's default profile, /usr/share/containers/seccomp.json
  golang-github-containers-common
  # registry tests: a real distribution registry on 127.0.0.1; skopeo reads what push and save
  # wrote; htpasswd (apache2-utils) makes the registry's login file; curl talks to it
  docker-registry skopeo apache2-utils curl
  # minictr-oci under the real engines (test/oci-*.test.ts): containerd with ctr, podman with
  # its monitor conmon, buildah. containers-common needs a network stack even for podman
  # --network none (CNI plugins or netavark): the CNI plugins, which the tests were run with
  containerd podman conmon buildah containernetworking-plugins
  # minictr net: Open vSwitch, ethtool (checksum offload), tc (iproute2)
  openvswitch-switch ethtool iptables nftables
  # net capture (tcpdump in a lab namespace); its tests read the pcap back with tcpdump -r
  tcpdump
  # network tests: a DNS server in an "upstream" namespace
  dnsmasq-base
  # the live view's test (test/view.test.ts): Debian's browser, driven headless by playwright-core
  chromium
  # the VM suite (test/vm/vm.sh: Debian's kernel under QEMU, a busybox initramfs)
  qemu-system-x86 linux-image-amd64 cpio
  # benchmarks, Vagrantfile check
  hyperfine runc crun vagrant
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

if ! command -v node >/dev/null || [ "$(node -p 'process.versions.node.split(".")[0]')" -lt 20 ]; then
  echo "setup: Node.js >= 20 is required (https://nodejs.org or NodeSource)" >&2
  exit 1
fi

npm ci --no-audit --no-fund
echo "setup: done. Try (as root): bin/minictr run -it --rm busybox sh"
