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
