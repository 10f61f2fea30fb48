#!/usr/bin/env bash
# Runs the CLI suite (bats tests/cli) with every kizuna process under
# valgrind's memcheck: a memory error or a definite leak makes that process
# exit 99, so its test fails. Slow (about an hour on 2 cores): `make
# valgrind` runs it all on the normal build; `make check` runs five tests
# (scripts/check.sh, valgrind_smoke).
#   tests/valgrind.sh [BATS ARGS...]     (e.g. tests/cli/records.bats, -f NAME)
# BUILD names the build folder (default build). Valgrind's reports go to one
# log per process; those with errors are printed at the end, then the line
# "valgrind: N passed, N failed".
# The two long hardening tests run shorter here (KZ_CRASH_TRIALS=10, every
# 997th byte for the tamper matrix), and the I/O-error test fails every 40th
# call only (KZ_IOERR_STEP=40), unless those variables are set.
set -u
cd "$(dirname "$0")/.."

build=${BUILD:-build}
bin="$PWD/$build/kizuna"
if [ ! -x "$bin" ]; then
	echo "valgrind: no $bin (make BUILD=$build first)" >&2
	exit 2
fi
if ! command -v valgrind >/dev/null 2>&1; then
	if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
		echo "valgrind: installing valgrind" >&2
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >&2 ||
			{ apt-get update -qq >&2 && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends valgrind >&2; }
	fi
	command -v valgrind >/dev/null 2>&1 || {
		echo "valgrind: install valgrind first (apt-get install valgrind)" >&2
		exit 2
	}
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/kizuna-valgrind.XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/bin" "$work/logs"
# Tests find helper tools beside the binary ($(dirname "$KZ")/tests/kzage).
ln -s "$PWD/$build/tests" "$work/bin/tests"
supp=()
[ -f tests/valgrind.supp ] && supp=(--suppressions="$PWD/tests/valgrind.supp")
# The wrapper: valgrind's own output goes to a log, so that what the tests
# compare on stderr stays kizuna's.
{
	echo '#!/bin/sh'
	printf 'exec valgrind --tool=memcheck --error-exitcode=99 --leak-check=full'
	printf ' --errors-for-leak-kinds=definite --quiet'
	printf ' %q' "${supp[@]}" "--log-file=$work/logs/%p.log" "$bin"
	printf ' "$@"\n'
} >"$work/bin/kizuna"
chmod +x "$work/bin/kizuna"

export KZ_CRASH_TRIALS=${KZ_CRASH_TRIALS:-10}
export KZ_TAMPER_STEP=${KZ_TAMPER_STEP:-997}
export KZ_IOERR_STEP=${KZ_IOERR_STEP:-40}
export STRESS_SECONDS=${STRESS_SECONDS:-20}
# One test at a time (bats without --jobs): valgrind is slow enough already,
# and the timing-scaled tests measure their own speed.
unset BATS_NUMBER_OF_PARALLEL_JOBS
[ $# -gt 0 ] || set -- tests/cli
KIZUNA="$work/bin/kizuna" bats --tap "$@" | tee "$work/tap"

passed=$(grep -c '^ok ' "$work/tap")
failed=$(grep -c '^not ok ' "$work/tap")
reports=0
for log in "$work"/logs/*.log; do
	[ -s "$log" ] || continue
	reports=$((reports + 1))
	echo "---- valgrind report $(basename "$log" .log) ----"
	head -n 60 "$log"
done
[ "$reports" -eq 0 ] || echo "valgrind: $reports processes reported errors"
echo "valgrind: $passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$reports" -eq 0 ]
