#!/bin/sh
# The test command: installs what the suite needs (scripts/setup.sh), then builds and runs every
# test with Maven. Real Debian kernel packages are fetched with apt-get download and cached in
# ~/.cache/lkm-preresolver (LKMPR_CACHE); QEMU boots the real kernel.
set -eu
cd "$(dirname "$0")/.."
sh scripts/setup.sh all
exec mvn -B -ntp verify "$@"
