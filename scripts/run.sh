#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-3.0-or-later
# `make run` and `make demo`: says once where the binary is (while no kizuna is
# on PATH), then runs it and exits with kizuna's own status.
#   scripts/run.sh [KIZUNA OPTIONS]        (BUILD=build by default)
# On a terminal kizuna runs as a job of its own (set -m), so that Ctrl-C
# reaches kizuna alone: it ends its prompt cleanly, and make and this script
# see no interrupt of their own.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case $BUILD in
/*) ;;
*) BUILD=$PWD/$BUILD ;;
esac
bin=$BUILD/kizuna
hint=$BUILD/.path-hint-shown

if [ ! -e "$hint" ] && ! command -v kizuna >/dev/null 2>&1; then
	echo "kizuna is $bin; 'make install PREFIX=\$HOME/.local' puts it on your PATH"
	case ":$PATH:" in
	*":$HOME/.local/bin:"*) ;;
	*) echo "(~/.local/bin is not on your PATH yet: Debian's ~/.profile adds it at the next login once it exists)" ;;
	esac
	: >"$hint" 2>/dev/null || true
fi
if [ -t 0 ] && [ -t 1 ]; then
	set -m
fi
"$bin" "$@"
exit $?
