#!/bin/sh
# Installs every Debian package that building, testing and running the demo need.
# Idempotent: packages already present are not touched, and apt is not asked
# anything when nothing is missing. Runs as root, or through sudo.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-14-dev clang-format
libsqlite3-dev sqlite3 libsodium-dev libjansson-dev libcmocka-dev
libmicrohttpd-dev libpq-dev libssl-dev libcurl4-openssl-dev iso-codes curl ca-certificates time
python3"

missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done

if [ -z "$missing" ]; then
    exit 0
fi

if [ "$(id -u)" -eq 0 ]; then
    SUDO=""
elif command -v sudo >/dev/null 2>&1; then
    SUDO="sudo"
else
    echo "deps.sh: need root or sudo to install:$missing" >&2
    exit 1
fi

echo "deps.sh: installing:$missing" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q >/dev/null
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing >/dev/null
