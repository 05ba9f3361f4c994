#!/bin/sh
# The audit log's crash test at CI size: 200 SIGKILLs of a busy writer
# (tests/crash/run.sh), on a fresh log every 8 cycles so that the run stays
# under a minute (every open reads the whole log). Builds the crash writer
# against the library next to $SK_BIN. Prints TAP. Run by tests/run.sh.
set -u
BIN=${SK_BIN:?SK_BIN must name the safekeep binary}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SK_BUILD=$(cd "$(dirname "$BIN")" && pwd)
export SK_BUILD
exec sh "$ROOT/tests/crash/run.sh" 200 8
