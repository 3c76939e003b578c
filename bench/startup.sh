#!/usr/bin/env bash
# The CLI's own start-up (issue 18) and the warm build of the class's Dockerfile (issue 14), side
# by side in one hyperfine run each (-N, no shell):
#   node -e 0 and node on an empty file (the floor of any Node CLI)
#   minictr --version, minictr ps (no container: start-up, commander, one store read)
#   minictr run --rm --network none busybox true
#   minictr build of the class's Dockerfile, every step from the cache, against buildah bud
#     --layers of the same file on the same base, its cache warm too (as bench/build.sh)
# Options:
#   --runs N          hyperfine runs per command (default 30; warm-up 3)
#   --other DIR       the same minictr rows for another checkout too (DIR/bin/minictr, e.g. one
#                     at an older commit: before/after in one run)
#   --snapshot        rows for a V8 start-up snapshot of the bundle (`node --build-snapshot`,
#                     Node 20), built here in the work dir: what BENCHMARKS.md's verdict on it
#                     is based on
#   --no-build        skip the build rows (they need the tests' Debian image and its mirror)
# Run as root from the repository. The class row's first build is a cold one (apt through
# Debian's mirror, ~20 s for each tool); it prints the load average before each table.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
# as bench/oci.sh: with NODE_EXTRA_CA_CERTS node parses its certificates on every start
unset NODE_EXTRA_CA_CERTS
RUNS=30
OTHER=
SNAPSHOT=0
BUILD=1
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) RUNS=$2; shift 2;;
    --other) OTHER=$(cd "$2" && pwd); shift 2;;
    --snapshot) SNAPSHOT=1; shift;;
    --no-build) BUILD=0; shift;;
    *) echo "usage: $0 [--runs N] [--other DIR] [--snapshot] [--no-build]" >&2; exit 2;;
  esac
done

WORK=$(mktemp -d /tmp/minictr-bench-startup.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
export MINICTR_BRIDGE_NAME=${MINICTR_BRIDGE_NAME:-mbs$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export MINICTR_BRIDGE_SUBNET=${MINICTR_BRIDGE_SUBNET:-10.$((150 + RANDOM % 50)).0.0/16}
BUD=(buildah --root "$WORK/buildah/root" --runroot "$WORK/buildah/runroot" --storage-driver overlay)
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
cleanup() {
  bin/minictr network rm -f bridge >/dev/null 2>&1 || true
  if [ "$BUILD" = 1 ]; then
    "${BUD[@]}" rm --all >/dev/null 2>&1 || true
    "${BUD[@]}" rmi --all --force >/dev/null 2>&1 || true
  fi
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

: > "$WORK/empty.js"
bin/minictr run --rm --network none busybox true # the busybox image, made on first use

minictrs=("$PWD/bin/minictr")
[ -z "$OTHER" ] || minictrs+=("$OTHER/bin/minictr")
cmds=("node -e 0" "node $WORK/empty.js")
for m in "${minictrs[@]}"; do
  cmds+=("$m --version" "$m ps" "$m run --rm --network none busybox true")
done

if [ "$SNAPSHOT" = 1 ]; then
  # the bundle's top level run at build time, main(argv) after deserialization
  node --input-type=module - "$WORK/snapshot-entry.cjs" <<'JS'
import { build } from 'esbuild';
import { bundleOptions } from './scripts/bundle.mjs';
await build({
  ...bundleOptions,
  stdin: {
    contents: "import v8 from 'node:v8'; import { main } from './main.js';\n" +
      'v8.startupSnapshot.setDeserializeMainFunction(() => { void main(process.argv); });\n',
    resolveDir: 'src/cli', loader: 'ts', sourcefile: 'snapshot-entry.ts',
  },
  outfile: process.argv[2],
  logLevel: 'error',
});
JS
  # beside the bundle, so that paths relative to it (build/, bin/, profiles/) are the same
  cp "$WORK/snapshot-entry.cjs" dist/bundle/.bench-snapshot-entry.cjs
  (cd dist/bundle && node --snapshot-blob "$WORK/minictr.blob" --build-snapshot .bench-snapshot-entry.cjs 2>/dev/null)
  rm -f dist/bundle/.bench-snapshot-entry.cjs
  echo "void 0" > "$WORK/empty-entry.cjs"
  node --snapshot-blob "$WORK/empty.blob" --build-snapshot "$WORK/empty-entry.cjs"
  snap="node --snapshot-blob $WORK/minictr.blob $PWD/bin/minictr"
  cmds+=("node --snapshot-blob $WORK/empty.blob $WORK/empty.js" "$snap --version" "$snap ps" "$snap run --rm --network none busybox true")
fi

for c in "${cmds[@]}"; do $c >/dev/null; $c >/dev/null; done # the code caches
hyperfine_both_orders "$RUNS" "${cmds[@]}"

[ "$BUILD" = 1 ] || exit 0
DEBIAN_TAR=${MINICTR_TEST_CACHE:-/var/cache/minictr-test}/debian-bookworm-minbase-1.tar.gz
[ -f "$DEBIAN_TAR" ] || { echo "no $DEBIAN_TAR: run test/image-debian.test.ts once to build it" >&2; exit 1; }
bin/minictr import "$DEBIAN_TAR" bench-debian >/dev/null
buildah_import_base bench-debian "$DEBIAN_TAR"
CL=$WORK/class; mkdir -p "$CL"
class_dockerfile bench-debian >"$CL/myDocker.dockerfile"
bud=("${BUD[@]}" bud --layers --runtime /usr/sbin/runc --network host -f "$CL/myDocker.dockerfile" -t localhost/class "$CL")
# cold: apt through the mirror (its output only when it fails)
"${bud[@]}" >"$WORK/cold.log" 2>&1 || { tail -20 "$WORK/cold.log" >&2; exit 1; }
bin/minictr build --progress plain -f "$CL/myDocker.dockerfile" -t class "$CL" >"$WORK/cold.log" 2>&1 || { tail -20 "$WORK/cold.log" >&2; exit 1; }
bcmds=("${bud[*]}")
for m in "${minictrs[@]}"; do bcmds+=("$m build --progress plain -f $CL/myDocker.dockerfile -t class $CL"); done
bcmds+=("node -e 0")
for c in "${bcmds[@]}"; do $c >/dev/null 2>&1; done # every step cached, the code caches of short runs
hyperfine_both_orders "$RUNS" "${bcmds[@]}"
