#!/usr/bin/env bash
# Install the Debian packages the shop needs (nginx to run it; chromium too to test it).
# As root it runs apt-get; otherwise it says exactly what to run and fails.
set -euo pipefail

declare -A provides=([nginx]=nginx [chromium]=chromium [npm]=npm [sqlite3]=sqlite3 [wrk]=wrk [postgresql]=pg_ctlcluster)
missing=()
for package in "$@"; do
  binary=${provides[$package]:-$package}
  if ! command -v "$binary" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$binary" ]; then
    missing+=("$package")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "Missing system packages: ${missing[*]}" >&2
  echo "Install them with:  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing system packages: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
