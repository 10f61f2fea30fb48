#!/usr/bin/env bash
# Builds kizuna and runs every suite (unit, CLI, terminal) in a normal build
# and, beside it on the other core, under AddressSanitizer +
# UndefinedBehaviorSanitizer in its own build folder; in the time both leave
# idle, a libFuzzer smoke run of each harness (KZ_SKIP_FUZZ=1 skips it), the
# static analysis (KZ_SKIP_LINT=1 skips it) and a valgrind memcheck smoke over
# five CLI tests (KZ_SKIP_VALGRIND=1 skips it). Ends with the line
# "N passed, N failed".
#   scripts/check.sh          both builds, fuzz smoke, lint, valgrind smoke
#   scripts/check.sh --one    the normal build only ($BUILD, default build)
set -u
cd "$(dirname "$0")/.."

passed=0
failed=0
t0=$SECONDS
failures=()
jobs=$(nproc 2>/dev/null || echo 2)
log_dir=$(mktemp -d "${TMPDIR:-/tmp}/kizuna-check.XXXXXX")
trap '[ -z "${extras_pid:-}" ] || kill "$extras_pid" 2>/dev/null
[ -z "${asan_pid:-}" ] || kill "$asan_pid" 2>/dev/null; rm -rf "$log_dir"' EXIT

count() { # label status
	if [ "$2" = ok ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$1")
	fi
}

run_unit() { # build label
	local t name out
	for t in "$1"/tests/test_*; do
		[ -x "$t" ] || continue
		name=$(basename "$t")
		out="$log_dir/$2-$name.log"
		if "$t" >"$out" 2>&1; then
			n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
			for _ in $(seq "${n:-1}"); do count "$2 unit $name" ok; done
			grep -E '^age-cctv:' "$out" | sed "s/^/  [$2] /"
		else
			n=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out" | tail -n 1)
			for _ in $(seq "${n:-0}"); do count "$2 unit $name" ok; done
			grep -E '^\[  FAILED  \] [a-z_]' "$out" | sed 's/^\[  FAILED  \] //' |
				while read -r f; do echo "$f"; done >"$out.failed"
			if [ -s "$out.failed" ]; then
				while read -r f; do count "$2 unit $name: $f" fail; done <"$out.failed"
			else
				count "$2 unit $name (crashed)" fail
			fi
			echo "---- $2 unit $name ----"
			tail -n 40 "$out"
		fi
	done
}

run_tap() { # label log
	local line
	while IFS= read -r line; do
		case "$line" in
		"ok "*) count "$1 ${line#ok }" ok ;;
		"not ok "*) count "$1 ${line#not ok }" fail ;;
		esac
	done <"$2"
	# The figures the hardening tests report (SECURITY.md quotes them).
	grep '^# \[report\] ' "$2" | sed "s/^# \[report\] /  [$1] /"
	if grep -q '^not ok' "$2"; then
		echo "---- $1 failures ----"
		grep -A 15 '^not ok' "$2" | head -n 120
	fi
}

suite() { # build-dir label [make args...]
	local dir=$1 label=$2
	shift 2
	echo "== $label build ($dir) [$((SECONDS - t0)) s]"
	if ! make --no-print-directory -j"$jobs" BUILD="$dir" "$@" all >"$log_dir/$label-build.log" 2>&1; then
		tail -n 40 "$log_dir/$label-build.log"
		count "$label build" fail
		return 1
	fi
	echo "== $label unit tests [$((SECONDS - t0)) s]"
	run_unit "$dir" "$label"
	[ "$extras" = 1 ] && [ "$label" = normal ] && start_extras
	echo "== $label CLI tests (bats) [$((SECONDS - t0)) s]"
	KIZUNA="$PWD/$dir/kizuna" bats --tap tests/cli >"$log_dir/$label-cli.tap" 2>&1
	run_tap "$label cli" "$log_dir/$label-cli.tap"
	echo "== $label terminal tests (expect) [$((SECONDS - t0)) s]"
	tests/tty/run.sh "$PWD/$dir/kizuna" >"$log_dir/$label-tty.tap" 2>&1
	run_tap "$label tty" "$log_dir/$label-tty.tap"
}

# The sanitizer lane: its build and suite in the background, from the moment
# the normal build is done, so that the two suites (each a process at a time,
# several times slower under ASan) use the two cores. Its report and counts
# wait in files until the normal lane is done.
asan_args=(SANITIZE=1 CC=clang)
asan_pid=""
start_asan_lane() {
	(
		passed=0 failed=0 failures=()
		# Under ASan every process runs several times slower, so the four
		# longest tests take a sample there (the normal build runs them
		# whole): the stress test 10 s (25), the I/O-error test every 3rd
		# call (every one), the crash test 25 kills (100), the tamper matrix
		# every 307th byte (101).
		export STRESS_SECONDS="${STRESS_SECONDS_ASAN:-10}" KZ_IOERR_STEP="${KZ_IOERR_STEP_ASAN:-3}" \
			KZ_CRASH_TRIALS="${KZ_CRASH_TRIALS_ASAN:-25}" KZ_TAMPER_STEP="${KZ_TAMPER_STEP_ASAN:-307}"
		suite build-asan asan "${asan_args[@]}"
		echo "== asan done [$((SECONDS - t0)) s]"
		echo "$passed $failed" >"$log_dir/asan.counts"
		printf '%s\n' "${failures[@]}" >"$log_dir/asan.failures"
	) >"$log_dir/asan.out" 2>&1 &
	asan_pid=$!
}

finish_asan_lane() {
	local p f
	wait "$asan_pid"
	asan_pid=""
	cat "$log_dir/asan.out"
	if ! read -r p f <"$log_dir/asan.counts" 2>/dev/null; then
		count "asan lane (ended early)" fail
		return
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	while IFS= read -r f; do
		[ -z "$f" ] || failures+=("$f")
	done <"$log_dir/asan.failures"
}

# The libFuzzer smoke (make fuzz-smoke: each harness 4 s over its committed
# corpus, one test per harness; KZ_SKIP_FUZZ=1 leaves it out) and the static
# analysis (make lint: cppcheck, clang-tidy and the file graph, one test each;
# KZ_SKIP_LINT=1 leaves it out) use the CPU the CLI and terminal tests leave
# idle: they run in the background, niced, from the first CLI suite on, and are
# counted at the end. The valgrind smoke (one process at a time, about 200
# CPU-seconds) runs beside the fuzz smoke and lint rather than after them:
# after them it was most of what was left once both lanes were done, on one
# core while the other waited.
extras_pid=""
start_extras() {
	[ -z "$extras_pid" ] || return 0
	(
		(
			if [ "${KZ_SKIP_FUZZ:-0}" != 1 ]; then
				nice -n 15 make --no-print-directory -j"$jobs" fuzz-smoke >"$log_dir/fuzz.log" 2>&1
			fi
			if [ "${KZ_SKIP_LINT:-0}" != 1 ]; then
				for tool in cppcheck tidy graph; do
					nice -n 15 scripts/lint.sh "$tool" >"$log_dir/lint-$tool.log" 2>&1
					echo $? >"$log_dir/lint-$tool.rc"
				done
			fi
		) &
		if [ "${KZ_SKIP_VALGRIND:-0}" != 1 ]; then
			nice -n 15 env BUILD="${BUILD:-build}" tests/valgrind.sh -f "$valgrind_smoke" \
				tests/cli >"$log_dir/valgrind.log" 2>&1
			echo $? >"$log_dir/valgrind.rc"
		fi
		wait
	) &
	extras_pid=$!
}

# The valgrind smoke (KZ_SKIP_VALGRIND=1 leaves it out): five CLI tests that
# between them run every layer (init and unlock, records, age export and
# import, a damaged backup, the audit chain) with each kizuna under memcheck;
# make valgrind runs the whole CLI suite so (about an hour).
valgrind_smoke='^(init creates a 0600|session add/list/show|export --to writes an age|a damaged backup fails verify|audit verify: a deleted)'

valgrind_report() {
	local log=$log_dir/valgrind.log
	echo "== valgrind smoke (memcheck, $(grep -c '^ok ' "$log" 2>/dev/null || echo 0) CLI tests)"
	run_tap valgrind "$log"
	if [ "$(cat "$log_dir/valgrind.rc" 2>/dev/null)" != 0 ] && ! grep -q '^not ok' "$log"; then
		count "valgrind reports" fail
		tail -n 60 "$log" 2>/dev/null
	fi
	tail -n 1 "$log" 2>/dev/null | sed 's/^/  /'
}

fuzz_report() {
	local log=$log_dir/fuzz.log
	echo "== fuzz smoke (libFuzzer + ASan + UBSan, build-fuzz)"
	if ! grep -qE '^(not )?ok fuzz_' "$log" 2>/dev/null; then
		tail -n 40 "$log" 2>/dev/null
		count "fuzz build" fail
		return
	fi
	grep -E '^(not )?ok fuzz_' "$log" | sed 's/^/  /'
	run_tap fuzz "$log"
}

lint_report() {
	local tool
	echo "== lint (cppcheck, clang-tidy, file graph)"
	for tool in cppcheck tidy graph; do
		if [ "$(cat "$log_dir/lint-$tool.rc" 2>/dev/null)" = 0 ]; then
			count "lint $tool" ok
		else
			count "lint $tool" fail
			echo "---- lint $tool ----"
			tail -n 40 "$log_dir/lint-$tool.log" 2>/dev/null
		fi
		tail -n 1 "$log_dir/lint-$tool.log" 2>/dev/null | sed 's/^/  /'
	done
}

export KZ_TESTKIT="${KZ_TESTKIT:-$PWD/../shared/testkit}"
# Sanitizer builds: abort on the first report, leaks included.
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

extras=0
[ "${1:-}" = --one ] || extras=1
# The normal build samples three long tests too (make stress runs them whole):
# the stress test 15 s (300), 50 crash kills (100), every 2nd I/O error (every
# one). The sanitizer lane
# starts once the normal build is done (two compilers at once would only
# share the cores).
if make --no-print-directory -j"$jobs" BUILD="${BUILD:-build}" all >/dev/null 2>&1 &&
	[ "$extras" = 1 ]; then
	start_asan_lane
fi
STRESS_SECONDS="${STRESS_SECONDS:-15}" KZ_CRASH_TRIALS="${KZ_CRASH_TRIALS:-50}" \
	KZ_IOERR_STEP="${KZ_IOERR_STEP:-2}" suite "${BUILD:-build}" normal
if [ "$extras" = 1 ]; then
	echo "== normal done; waiting for the sanitizer lane [$((SECONDS - t0)) s]"
	[ -z "$asan_pid" ] || finish_asan_lane
	start_extras # if no CLI suite ran
	echo "== waiting for the fuzz smoke, lint and valgrind [$((SECONDS - t0)) s]"
	wait "$extras_pid"
	[ "${KZ_SKIP_FUZZ:-0}" = 1 ] || fuzz_report
	[ "${KZ_SKIP_LINT:-0}" = 1 ] || lint_report
	[ "${KZ_SKIP_VALGRIND:-0}" = 1 ] || valgrind_report
fi

if [ "${#failures[@]}" -gt 0 ]; then
	echo "failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
