#!/bin/sh
# Build one of minictr's in-container helpers (minictr-init, minictr-monitor) as a static
# binary. With musl (Debian: musl-tools) it is ~30-50 KiB; glibc's static build works too but
# is ~700 KiB, and every container's init is a copy of it in memory (a sealed memfd).
#   build-static.sh SOURCE OUTPUT
set -eu
src=$1 out=$2
mkdir -p "$(dirname "$out")"
if command -v musl-gcc >/dev/null 2>&1; then
  cc=musl-gcc
else
  cc=${CC:-cc}
  echo "build-static: musl-gcc not found, using $cc -static (install musl-tools for a smaller init)" >&2
fi
exec $cc -std=gnu11 -D_GNU_SOURCE -Wall -Wextra -Os -static -s -o "$out" "$src"
