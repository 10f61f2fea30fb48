#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# Runs every terminal test (tests/tty/*.exp) against the kizuna binary given as
# $1 and reports in TAP: "ok N - name" / "not ok N - name", then a summary line
# "tty: N passed, N failed". Exits non-zero when any test failed. The tests
# spend most of their time waiting (idle locks, timeouts), each in a pty,
# vault and HOME of its own: KZ_TTY_JOBS of them (default 3) run at once,
# reported in order.
#   tests/tty/run.sh build/kizuna            (from anywhere)
#   KZ_TTY_VERBOSE=1 tests/tty/run.sh ...     a failing test shows its whole conversation
set -u

if [ $# -ne 1 ]; then
    echo "usage: $0 /path/to/kizuna" >&2
    exit 2
fi
case $1 in
/*) bin=$1 ;;
*) bin=$(pwd)/$1 ;;
esac
if [ ! -x "$bin" ]; then
    echo "tty: $bin is not an executable" >&2
    exit 2
fi
if ! command -v expect >/dev/null 2>&1; then
    echo "tty: expect is not installed (apt-get install expect)" >&2
    exit 2
fi

dir=$(cd "$(dirname "$0")" && pwd)
jobs_max=${KZ_TTY_JOBS:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT HUP INT TERM

set -- "$dir"/*.exp
if [ ! -e "$1" ]; then
    echo "tty: no tests in $dir" >&2
    exit 2
fi
echo "1..$#"
n=0
for t in "$@"; do
    n=$((n + 1))
    while [ "$(jobs -rp | wc -l)" -ge "$jobs_max" ]; do
        wait -n
    done
    (
        rc=0
        KZ_TTY_TRANSCRIPT=$work/$n.transcript expect "$t" "$bin" >"$work/$n.out" 2>&1 || rc=$?
        echo "$rc" >"$work/$n.rc"
    ) &
done
wait
n=0
passed=0
failed=0
for t in "$@"; do
    n=$((n + 1))
    name=$(basename "$t" .exp)
    if [ "$(cat "$work/$n.rc" 2>/dev/null)" = 0 ]; then
        echo "ok $n - $name"
        passed=$((passed + 1))
    else
        echo "not ok $n - $name"
        failed=$((failed + 1))
        [ -s "$work/$n.out" ] && sed 's/^/# /' "$work/$n.out"
        if [ -s "$work/$n.transcript" ]; then
            echo "# last terminal lines:"
            # without carriage returns and terminal escapes; a newline at the end
            tail -n 15 "$work/$n.transcript" | tr -d '\r' |
                awk '{ gsub(/\033\[[0-9;?]*[A-Za-z]/, ""); print "#   " $0 }'
        fi
    fi
done
echo "tty: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
