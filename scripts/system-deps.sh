#!/usr/bin/env bash
# Installs the Debian packages Stratus and its tests use, when they are missing and we are root.
# Each entry is "command:package", where the command may instead be an absolute path the package
# installs (a library's file, for packages with no command). Without root, missing commands are only reported; the tests
# that need them skip with a printed reason (and fail under CI=true).
set -uo pipefail
need=()
for entry in "$@"; do
  cmd=${entry%%:*}
  pkg=${entry#*:}
  if [ -e "$cmd" ] || command -v "$cmd" >/dev/null 2>&1; then continue; fi
  need+=("$pkg")
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing (not root, not installing): ${need[*]}" >&2
  exit 0
fi
echo "installing: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq && apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
