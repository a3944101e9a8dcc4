#!/bin/sh
# setup-debian.sh - install every Debian package likeness builds, runs and
# tests with. Idempotent and quick when all is there; run as root (or with
# sudo available) on Debian 12.
set -eu
pkgs="build-essential cmake pkg-config ca-certificates clang libclang-rt-14-dev
 libxnnpack-dev libpthreadpool-dev libturbojpeg0-dev libspng-dev libwebp-dev
 libexif-dev libcjson-dev libsqlite3-dev libcurl4-openssl-dev curl
 libmicrohttpd-dev libssl-dev libyaml-dev openssl
 libmosquitto-dev mosquitto mosquitto-clients"
missing=""
for p in $pkgs; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" ||
    missing="$missing $p"
done
# npm fetches the model weights; any node/npm already on PATH will do.
command -v npm >/dev/null 2>&1 || missing="$missing nodejs npm"
[ -z "$missing" ] && exit 0
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
export DEBIAN_FRONTEND=noninteractive
echo "setup-debian: installing$missing" >&2
$sudo apt-get update -qq
# shellcheck disable=SC2086
$sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
