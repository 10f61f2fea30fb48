#!/usr/bin/env bash
# Static analysis (make lint): cppcheck and clang-tidy with the checked-in
# configuration, over src/ and the test programs (see below), and the file
# graph of the build (scripts/filegraph.py: no loop between files, no layer
# used from below).
#   scripts/lint.sh [cppcheck|tidy|graph|all]     (default all)
# cppcheck: options here, library configuration in tests/lint/kizuna.cfg,
#   suppressions (each with its reason) in tests/lint/cppcheck.supp.
# clang-tidy: checks in .clang-tidy; tests/lint/clang-tidy.supp lists
#   "path check" pairs to drop (each with its reason); an entry that no longer
#   matches anything is reported, so that it gets removed.
# Prints the findings and "lint NAME: ok" or "lint NAME: N findings"; exits 1
# on any finding.
set -u
cd "$(dirname "$0")/.."

what=${1:-all}
jobs=$(nproc 2>/dev/null || echo 2)
pkgs="libsodium sqlite3 libargon2 readline jansson pwquality libqrencode libutf8proc cmocka"
# shellcheck disable=SC2207
src=($(ls src/*.c src/*/*.c))
# cppcheck reads the tests too; clang-tidy only the harnesses and tools: on the
# cmocka tests its analyzer cannot tell that a failed assert_* does not return.
# shellcheck disable=SC2207
tests=($(ls tests/unit/*.c tests/fuzz/*.c tests/tools/*.c tests/bench/*.c 2>/dev/null))
# shellcheck disable=SC2207
tidy_tests=($(ls tests/fuzz/*.c tests/tools/*.c 2>/dev/null))
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kizuna-lint.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
status=0

run_cppcheck() {
	local out=$tmp/cppcheck.txt n
	if ! command -v cppcheck >/dev/null; then
		echo "lint cppcheck: cppcheck is not installed (scripts/deps.sh test)"
		return 1
	fi
	# warning+style+performance+portability; "information" only says which
	# system headers cppcheck was not given (on purpose: kizuna.cfg instead).
	cppcheck --std=c11 --language=c --enable=warning,style,performance,portability \
		--inline-suppr --suppressions-list=tests/lint/cppcheck.supp \
		--library=posix --library=gnu --library=sqlite3 --library=tests/lint/kizuna.cfg \
		-Iinclude -Itests/unit -Itests/fuzz -D_GNU_SOURCE -DKZ_VERSION='"0.1.0"' \
		--template='{file}:{line}:{column}: {severity}: {message} [{id}]' \
		--quiet -j "$jobs" "${src[@]}" "${tests[@]}" >"$out" 2>&1
	n=$(grep -cE '^[^ ].*: (error|warning|style|performance|portability): ' "$out")
	cat "$out"
	if [ "$n" -eq 0 ]; then
		echo "lint cppcheck: ok"
	else
		echo "lint cppcheck: $n findings"
		return 1
	fi
}

run_tidy() {
	local out=$tmp/tidy.txt kept=$tmp/tidy-kept.txt tidy n path check reason used stale=0
	tidy=$(command -v clang-tidy-14 || command -v clang-tidy) || {
		echo "lint clang-tidy: clang-tidy is not installed (scripts/deps.sh test)"
		return 1
	}
	# The flags of the build (Makefile), so that clang-tidy sees the same code.
	# shellcheck disable=SC2046
	printf '%s\n' -std=c11 -D_GNU_SOURCE '-DKZ_VERSION="0.1.0"' -Iinclude -Itests/unit \
		-Itests/fuzz $(pkg-config --cflags $pkgs 2>/dev/null) >"$tmp/flags"
	printf '%s\n' "${src[@]}" "${tidy_tests[@]}" |
		xargs -P "$jobs" -I{} sh -c '"$1" --quiet "$2" -- $(cat "$3") >"$4/$(echo "$2" | tr / _).out" 2>&1' \
			sh "$tidy" {} "$tmp/flags" "$tmp"
	# One line per diagnostic (a header's once), path relative to the tree.
	cat "$tmp"/*.out | grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' |
		sed "s|^$PWD/||" | sort -u >"$out"
	cp "$out" "$kept"
	while read -r path check reason; do
		case "$path" in '' | '#'*) continue ;; esac
		used=$(grep -c "^$path:.*\[$check[],]" "$kept")
		if [ "$used" -eq 0 ]; then
			echo "tests/lint/clang-tidy.supp: stale entry (nothing matches it now): $path $check"
			stale=$((stale + 1))
		fi
		grep -v "^$path:.*\[$check[],]" "$kept" >"$kept.new"
		mv "$kept.new" "$kept"
	done <tests/lint/clang-tidy.supp
	n=$(($(wc -l <"$kept") + stale))
	cat "$kept"
	if [ "$n" -eq 0 ]; then
		echo "lint clang-tidy: ok ($(wc -l <"$out") suppressed by tests/lint/clang-tidy.supp)"
	else
		echo "lint clang-tidy: $n findings"
		return 1
	fi
}

# The file graph of the objects in $BUILD (default build), built first when
# they are missing or stale; the checker's own test (tests/lint/filegraph.sh)
# runs first, so that a checker that sees no loop is known to see one.
run_graph() {
	local build=${BUILD:-build} out=$tmp/graph.txt
	if ! tests/lint/filegraph.sh >"$tmp/graph-test.txt" 2>&1; then
		cat "$tmp/graph-test.txt"
		echo "lint graph: the checker's own test fails"
		return 1
	fi
	if ! make --no-print-directory -s BUILD="$build" "$build/libkizuna.a" "$build/src/main.o" \
		>"$tmp/graph-build.txt" 2>&1; then
		tail -n 20 "$tmp/graph-build.txt"
		echo "lint graph: the build failed"
		return 1
	fi
	scripts/filegraph.py --objdir "$build/src" >"$out" 2>&1
	local rc=$?
	cat "$out"
	if [ "$rc" -eq 0 ]; then
		echo "lint graph: ok"
	else
		echo "lint graph: $(grep -c '^loop [0-9]' "$out") loops, $(grep -c '^layer: ' "$out") layer violations"
		return 1
	fi
}

case "$what" in
cppcheck) run_cppcheck || status=1 ;;
tidy) run_tidy || status=1 ;;
graph) run_graph || status=1 ;;
all)
	run_cppcheck || status=1
	run_tidy || status=1
	run_graph || status=1
	;;
*)
	echo "usage: scripts/lint.sh [cppcheck|tidy|graph|all]" >&2
	exit 2
	;;
esac
exit $status
