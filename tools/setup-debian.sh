#!/bin/sh
# setup-debian.sh - install every Debian package likeness builds, runs and
# tests with. Idempotent; run as root (or through sudo) on Debian 12.
set -eu
pkgs="build-essential cmake pkg-config clang npm ca-certificates
 libxnnpack-dev libpthreadpool-dev libturbojpeg0-dev libspng-dev libwebp-dev
 libexif-dev libcjson-dev"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing
