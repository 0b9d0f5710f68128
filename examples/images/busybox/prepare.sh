#!/usr/bin/env bash
# Lays out a build context for the busybox image in OUT: this folder's Dockerfile, passwd and
# group, and rootfs/ with Debian's static /bin/busybox and a symlink per applet (what
# `busybox --install -s` would make), plus /tmp, /root and /var/www.
set -euo pipefail
out=${1:?usage: prepare.sh OUT}
here=$(cd "$(dirname "$0")" && pwd)
busybox=${BUSYBOX:-/bin/busybox}
[ -x "$busybox" ] || { echo "prepare.sh: $busybox is missing (apt-get install busybox-static)" >&2; exit 1; }
rm -rf "$out"
mkdir -p "$out/rootfs/bin" "$out/rootfs/sbin" "$out/rootfs/usr/bin" "$out/rootfs/usr/sbin" \
  "$out/rootfs/tmp" "$out/rootfs/root" "$out/rootfs/var/www" "$out/rootfs/etc"
chmod 1777 "$out/rootfs/tmp"
chmod 0700 "$out/rootfs/root"
cp "$busybox" "$out/rootfs/bin/busybox"
"$busybox" --list-full | while read -r applet; do
  [ "$applet" = bin/busybox ] && continue
  ln -sf /bin/busybox "$out/rootfs/$applet"
done
cp "$here/Dockerfile" "$here/passwd" "$here/group" "$out/"
