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
