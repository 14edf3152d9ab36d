#!/bin/sh
# The whole test suite on a fresh Debian 12 machine, as root:
# installs what is missing, builds, runs every test, then runs the unit,
# vector, CLI and namespace tests again under AddressSanitizer and UBSan,
# and the threaded daemon under ThreadSanitizer.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)" all
make check
make -j"$(nproc)" all SAN=address,undefined
make check SAN=address,undefined NO_FUZZ=1
make check-tsan
