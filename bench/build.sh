#!/usr/bin/env bash
# Building images: `buildah bud` against `minictr build`, the same Dockerfiles on the same base
# rootfs, cold (--no-cache) and warm (everything from the cache), side by side in one run:
#   - the no-network Dockerfile: ENV/ARG/WORKDIR, three COPYs (wildcards, a dir, --chown),
#     one RUN, LABEL/EXPOSE/USER/CMD, on busybox;
#   - the class's one: RUN apt update -y, RUN apt install -y nano, CMD, on the tests' Debian
#     image (test/helpers/debian-image.ts's debootstrap tarball; needs Debian's mirror).
# buildah runs with runc, --layers (one layer per step, as minictr, and its cache) and storage
# of its own; its RUNs use the host's network for apt (its default network has no DNS here),
# --network none for the other file.
#   bench/build.sh [RUNS [ROW...]]   (RUNS default 3; ROW nonet and/or class, default both; as
#                                     root from the repository)
# WARM_RUNS=N times the warm builds N times instead (they take a fraction of a second).
# minictr's default network gets a bridge and subnet of the run's own (MINICTR_BRIDGE_NAME,
# MINICTR_BRIDGE_SUBNET, unless set), removed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
. bench/lib.sh
RUNS=${1:-3}
WARM_RUNS=${WARM_RUNS:-$RUNS}
shift || true
ROWS=("$@")
[ ${#ROWS[@]} -gt 0 ] || ROWS=(nonet class)
export MINICTR_BRIDGE_NAME=${MINICTR_BRIDGE_NAME:-mbb$(head -c3 /dev/urandom | od -An -tx1 | tr -d ' \n')}
export MINICTR_BRIDGE_SUBNET=${MINICTR_BRIDGE_SUBNET:-10.$((200 + RANDOM % 50)).0.0/16}
WORK=$(mktemp -d /tmp/minictr-bench-build.XXXXXX)
export MINICTR_ROOT=$WORK/lib MINICTR_RUN=$WORK/run
BUD=(buildah --root "$WORK/buildah/root" --runroot "$WORK/buildah/runroot" --storage-driver overlay)
export TMPDIR=$WORK/tmp
mkdir -p "$TMPDIR"
cleanup() {
  bin/minictr network rm -f bridge >/dev/null 2>&1 || true
  "${BUD[@]}" rm --all >/dev/null 2>&1 || true
  "${BUD[@]}" rmi --all --force >/dev/null 2>&1 || true
  grep -o " $WORK[^ ]*" /proc/self/mountinfo | sort -r | xargs -r -n1 umount -l 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
DEBIAN_TAR=${MINICTR_TEST_CACHE:-/var/cache/minictr-test}/debian-bookworm-minbase-1.tar.gz
[ -f "$DEBIAN_TAR" ] || { echo "no $DEBIAN_TAR: run test/image-debian.test.ts once to build it" >&2; exit 1; }

# the bases, in both stores
bin/minictr run --rm --network none busybox true
BB_DIR=$(node --input-type=module -e "
  const r = await import('./dist/image/resolve.js');
  const s = await import('./dist/image/store.js');
  console.log(s.layerDirs(await r.resolveImage('busybox')).at(-1));")
tar --numeric-owner -C "$BB_DIR" -cf "$WORK/busybox.tar" .
bin/minictr import "$DEBIAN_TAR" bench-debian >/dev/null
buildah_import_base busybox "$WORK/busybox.tar"
buildah_import_base bench-debian "$DEBIAN_TAR"

# the contexts
NN=$WORK/nonet; mkdir -p "$NN/conf/sub" "$NN/data/two"
cat >"$NN/Dockerfile" <<'EOF'
ARG BASE=busybox
FROM ${BASE}
ARG WHO=world
ENV GREETING="hi there" APP_HOME=/app
WORKDIR ${APP_HOME}
COPY *.txt ./
COPY conf/ /etc/myapp/
COPY --chown=1234:2345 data /data
RUN echo "$GREETING $WHO" > greeting && mkdir -p /var/lib/app && echo state > /var/lib/app/state && rm /app/b.txt
LABEL org.example.course="containers" version=2
EXPOSE 8080/tcp 53/udp
USER nobody
CMD ["cat", "/app/greeting"]
EOF
echo alpha >"$NN/a.txt"; echo bravo >"$NN/b.txt"; echo port=8080 >"$NN/conf/app.conf"
echo deep >"$NN/conf/sub/deep.conf"; echo 1 >"$NN/data/one"; echo 3 >"$NN/data/two/three"
CL=$WORK/class; mkdir -p "$CL"
class_dockerfile bench-debian >"$CL/myDocker.dockerfile"

now() { date +%s.%N; }
# measure cold|warm CMD...: time CMD RUNS (or WARM_RUNS) times; prints "mean ± sd s" (sample sd)
measure() {
  local ts=() t0 t1 n=$RUNS
  [ "$1" != warm ] || n=$WARM_RUNS
  shift
  for _ in $(seq "$n"); do
    t0=$(now); "$@" >/dev/null 2>&1 || { echo "failed: $*" >&2; return 1; }; t1=$(now)
    ts+=("$(echo "$t1 - $t0" | bc -l)")
  done
  printf '%s\n' "${ts[@]}" | awk '{s+=$1; q+=$1*$1; n++} END {m=s/n; v=(n>1)?(q-n*m*m)/(n-1):0; if (v<0) v=0; printf "%.2f ± %.2f s", m, sqrt(v)}'
}

row() { # label buildah-args minictr-args
  local name=$1; shift
  local -a bud=("${BUD[@]}" bud --layers --runtime /usr/sbin/runc) mct=(bin/minictr build --progress plain)
  local ctx file bnet mnet
  case $name in
    nonet) ctx=$NN; file=$NN/Dockerfile; bnet=(--network none); mnet=(--network none) ;;
    # buildah's own default network resolves no names here (its netns gets no DNS): its RUNs
    # use the host's network; minictr's use its default bridge with NAT
    class) ctx=$CL; file=$CL/myDocker.dockerfile; bnet=(--network host); mnet=() ;;
  esac
  local bcold mcold bwarm mwarm
  bcold=$(measure cold "${bud[@]}" "${bnet[@]}" --no-cache -f "$file" -t "localhost/$name" "$ctx")
  mcold=$(measure cold "${mct[@]}" "${mnet[@]}" --no-cache -f "$file" -t "$name" "$ctx")
  bwarm=$(measure warm "${bud[@]}" "${bnet[@]}" -f "$file" -t "localhost/$name" "$ctx")
  mwarm=$(measure warm "${mct[@]}" "${mnet[@]}" -f "$file" -t "$name" "$ctx")
  printf '| %s | cold (--no-cache) | %s | %s |\n' "$name" "$bcold" "$mcold"
  printf '| %s | warm (all cached) | %s | %s |\n' "$name" "$bwarm" "$mwarm"
}

echo "| Dockerfile | cache | buildah bud --layers | minictr build |"
echo "| --- | --- | ---: | ---: |"
for r in "${ROWS[@]}"; do row "$r"; done
