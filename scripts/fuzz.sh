#!/usr/bin/env bash
# Runs the libFuzzer harnesses built in $FUZZ_BUILD (default build-fuzz) by
# 'make fuzz-build' (tests/fuzz/README.md).
#   scripts/fuzz.sh run SECONDS [NAME...]    each harness SECONDS; inputs that
#       add coverage are kept in $FUZZ_BUILD/corpus/NAME for the next run
#   FUZZ_RUNS=N scripts/fuzz.sh run SECONDS ...   also stops each after N executions
#   scripts/fuzz.sh smoke SECONDS [NAME...]  each harness SECONDS over its
#       committed corpus; new inputs are thrown away (make check)
# Prints one line per harness, "ok fuzz_NAME: N executions in S s" or
# "not ok fuzz_NAME: ..." followed by the end of its log; a crashing input is
# kept as $FUZZ_BUILD/artifacts/NAME-crash-*. Exits 1 if any harness failed.
set -u
cd "$(dirname "$0")/.."

mode=${1:?usage: scripts/fuzz.sh run|smoke SECONDS [NAME...]}
secs=${2:?usage: scripts/fuzz.sh run|smoke SECONDS [NAME...]}
shift 2
build=${FUZZ_BUILD:-build-fuzz}
if [ $# -gt 0 ]; then
	names=("$@")
else
	names=()
	for f in tests/fuzz/fuzz_*.c; do
		n=${f#tests/fuzz/fuzz_}
		n=${n%.c}
		[ "$n" = util ] || names+=("$n")
	done
fi

# The harnesses' scratch vaults live here (tmpfs when there is one).
scratch=$(mktemp -d /dev/shm/kz-fuzz-run.XXXXXX 2>/dev/null || mktemp -d)
trap 'rm -rf "$scratch"' EXIT
export KZ_FUZZ_TMP=$scratch
export ASAN_OPTIONS="${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"
mkdir -p "$build/artifacts" "$build/logs"

status=0
for n in "${names[@]}"; do
	bin=$build/fuzz/fuzz_$n
	log=$build/logs/$n.log
	if [ ! -x "$bin" ]; then
		echo "not ok fuzz_$n: $bin is missing (make fuzz-build)"
		status=1
		continue
	fi
	if [ "$mode" = run ]; then
		work=$build/corpus/$n
	else
		work=$scratch/corpus-$n
	fi
	mkdir -p "$work"
	args=(-max_total_time="$secs" -print_final_stats=1 -timeout=30 -rss_limit_mb=2048
		-artifact_prefix="$build/artifacts/$n-")
	[ -f "tests/fuzz/$n.dict" ] && args+=(-dict="tests/fuzz/$n.dict")
	# FUZZ_RUNS: stop a harness after that many executions too (the depth
	# SECURITY.md records: 10 million or 30 minutes, whichever comes first).
	[ -n "${FUZZ_RUNS:-}" ] && args+=(-runs="$FUZZ_RUNS")
	# The seeds the harnesses make themselves (a vault, exports in every
	# format), made afresh each run rather than committed.
	gen=$scratch/made-$n
	mkdir -p "$gen"
	case $n in
	import) KZ_FUZZ_WRITE_SEED=$gen "$bin" >/dev/null 2>&1 ;;
	vault) KZ_FUZZ_WRITE_SEED=$gen/seed-vault.kz "$bin" >/dev/null 2>&1 ;;
	esac
	start=$(date +%s)
	"$bin" "${args[@]}" "$work" "tests/fuzz/corpus/$n" "$gen" >"$log" 2>&1
	rc=$?
	took=$(($(date +%s) - start))
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
	if [ "$rc" -eq 0 ] && [ -n "$execs" ]; then
		echo "ok fuzz_$n: $execs executions in ${took} s"
	else
		echo "not ok fuzz_$n: exit $rc after ${took} s (log: $log)"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|fuzz invariant|artifact_prefix|Test unit written)' \
			"$log" | head -n 8 | sed 's/^/  /'
		tail -n 25 "$log" | sed 's/^/  | /'
		status=1
	fi
	rm -rf "$scratch/corpus-$n" "$gen"
done
exit $status
