#!/usr/bin/env bash
# A PyTorch 2 for `sortscope bench --torch` on a Debian machine without PyPI: Debian unstable's
# python3-torch (2.14.1 when written: oneDNN, OpenBLAS) in a chroot, with a wrapper interpreter.
#   sudo scripts/torch-chroot.sh [DIR]      # DIR defaults to /opt/torch-sid; ≈ 2 GB, a few minutes
#   npx sortscope bench --torch DIR/python3
# Needs root, debootstrap (apt-get install debootstrap) and Debian's package mirror. Notes from
# the first run (2026-12-02):
# - libopenblas0-openmp, not -pthread: with OpenBLAS' own thread pool beside PyTorch's OpenMP
#   threads every operator waited on the other pool (120 ms per batch-64 step instead of 7);
# - the mirror's unstable Release file had expired, hence Check-Valid-Until=false;
# - /proc, /sys and /dev are bind-mounted (CPU detection), and /work so that the repo's paths
#   are the same inside (change WORK for a checkout elsewhere).
set -euo pipefail
DIR=${1:-/opt/torch-sid}
WORK=${WORK:-$(cd "$(dirname "$0")/.." && pwd)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}
APT=(-o Acquire::Check-Valid-Until=false)
[ "$(id -u)" = 0 ] || { echo "torch-chroot: run as root (debootstrap, chroot, mount)" >&2; exit 2; }
command -v debootstrap >/dev/null || { echo "torch-chroot: needs debootstrap (apt-get install -y debootstrap)" >&2; exit 2; }
[ -x "$DIR/usr/bin/python3" ] || debootstrap --variant=minbase sid "$DIR" "$MIRROR"
for m in proc sys dev; do mountpoint -q "$DIR/$m" || mount --bind "/$m" "$DIR/$m"; done
mkdir -p "$DIR$WORK" && { mountpoint -q "$DIR$WORK" || mount --bind "$WORK" "$DIR$WORK"; }
cp /etc/resolv.conf "$DIR/etc/"
chroot "$DIR" apt-get "${APT[@]}" update -q
chroot "$DIR" env DEBIAN_FRONTEND=noninteractive apt-get "${APT[@]}" install -y -q --no-install-recommends python3-torch libopenblas0-openmp
for alt in libblas.so.3 liblapack.so.3 libopenblas.so.0; do
  chroot "$DIR" update-alternatives --set "$alt-x86_64-linux-gnu" "/usr/lib/x86_64-linux-gnu/openblas-openmp/$alt" >/dev/null
done
cat > "$DIR/python3" <<WRAP
#!/bin/sh
# python3 of the chroot $DIR, started in the caller's directory (paths under $WORK are the same inside)
exec chroot "$DIR" /bin/sh -c 'cd "\$0" 2>/dev/null || cd /; exec /usr/bin/python3 "\$@"' "\$PWD" "\$@"
WRAP
chmod +x "$DIR/python3"
"$DIR/python3" -c 'import torch; print("torch-chroot: torch", torch.__version__, "mkldnn", torch.backends.mkldnn.is_available())'
