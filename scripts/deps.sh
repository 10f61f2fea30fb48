#!/bin/sh
# Installs the Debian packages kizuna needs to build and test, when missing.
# Usage: scripts/deps.sh [build|test|all]   (default: all)
# Runs apt-get only if something is missing; needs root or sudo then.
set -eu

build_pkgs="build-essential pkg-config libsodium-dev libsqlite3-dev libargon2-dev \
libreadline-dev libjansson-dev libpwquality-dev cracklib-runtime libzxcvbn-dev libqrencode-dev \
libutf8proc-dev"
# clang with libFuzzer's runtime (libclang-rt-dev) for make fuzz; cppcheck and
# clang-tidy for make lint; valgrind for make valgrind and its smoke in make
# check; perl (Time::HiRes) for the crash test's log watcher; vim for the
# editor test (tests/cli/editor.bats types into a real vim), less for the pager
# test (tests/tty/read_pager.exp); sqlite3 and python3
# (its sqlite3 module) hold the vault's write lock in the concurrency tests;
# rclone carries 'backup create -' to a local remote and back (week_backup.bats);
# xmllint (libxml2-utils) and rsvg-convert (librsvg2-bin) check and render the
# pictures 'report' writes (report.bats).
test_pkgs="libcmocka-dev zlib1g-dev bats expect age jq sqlite3 clang libclang-rt-dev \
clang-tidy cppcheck valgrind perl vim python3 less rclone libxml2-utils librsvg2-bin"

case "${1:-all}" in
build) want="$build_pkgs" ;;
test) want="$test_pkgs" ;;
*) want="$build_pkgs $test_pkgs" ;;
esac

missing=""
for p in $want; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done
[ -z "$missing" ] && exit 0

echo "deps: installing$missing" >&2
SUDO=""
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO="sudo"
	else
		echo "deps: missing packages:$missing (run as root or install sudo)" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $missing >&2
