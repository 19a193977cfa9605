#!/bin/sh
# Installs, idempotently, every Debian package Lightcone needs to build, test,
# build example modules and run benchmarks.  Safe to run again: packages that
# are already installed are skipped, and apt is not touched at all when
# nothing is missing.
#
#   scripts/deps.sh          install what is missing (uses sudo when not root)
#   scripts/deps.sh --check  exit 1 and list what is missing, install nothing
set -eu

PACKAGES="
build-essential
pkg-config
clang
lld
libclang-rt-14-dev
libclang-rt-14-dev-wasm32
wasi-libc
libuv1-dev
libhttp-parser-dev
libwslay-dev
libjansson-dev
libjwt-dev
libssl-dev
openssl
socat
zlib1g-dev
libbrotli-dev
libsqlite3-dev
wabt
clang-format
nodejs
npm
postgresql
postgresql-contrib
"

missing=""
for p in $PACKAGES; do
    # npm/nodejs may come from outside Debian (e.g. a node install in /usr/local):
    # accept the command when present.
    case "$p" in
    nodejs) command -v node >/dev/null 2>&1 && continue ;;
    npm) command -v npm >/dev/null 2>&1 && continue ;;
    esac
    status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
    case "$status" in
    *"install ok installed"*) ;;
    *) missing="$missing $p" ;;
    esac
done

if [ -z "$missing" ]; then
    exit 0
fi
if [ "${1:-}" = "--check" ]; then
    echo "missing Debian packages:$missing"
    exit 1
fi

echo "deps: installing Debian packages:$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then
    SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086  # word splitting of the package list is wanted
$SUDO apt-get install -y -q --no-install-recommends $missing
