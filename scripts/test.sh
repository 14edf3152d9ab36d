#!/bin/sh
# The whole test suite on a fresh Debian 12 machine, as root:
# installs what is missing, builds, runs every test (the kernel data path's
# in a QEMU guest), then runs the unit,
# vector, CLI and namespace tests again under AddressSanitizer and UBSan,
# and the threaded daemon under ThreadSanitizer.
set -e
cd "$(dirname "$0")/.."
sh scripts/deps.sh
make -j"$(nproc)" all
make check
make -j"$(nproc)" all SAN=address,undefined
# (The sanitized daemons move 256 MiB each way in netns/15-bulk, not 1 GiB:
# the volume is the plain pass's test, the paths are the same. The guest's
# tests run in the plain pass only, for time: emulated, a sanitized guest is
# slow; `make check-vm SAN=address,undefined` runs them so. The package's
# test builds its own weft, the plain one: it runs once. To keep the whole
# under 30 minutes, the sanitizer pass leaves out the simulations and the
# longest membership scenarios, whose code (the gossip core, the membership
# handlers) the sanitized unit tests, fuzzers and the other namespace tests
# (the malicious member's 97 among them) run.)
WEFT_BULK_MBYTES=256 make check SAN=address,undefined NO_FUZZ=1 NO_VM=1 NO_PACKAGE=1 \
	SKIP="sim/ netns/85 netns/90 netns/91 netns/92 netns/95 netns/98 netns/99"
make check-tsan
