# Shared set-up for the CLI tests: a private folder, HOME and a strong passphrase.
# KIZUNA names the binary under test (scripts/check.sh sets it).

PASS="Tulip harbor lantern 42"
NEWPASS="Orchid valley compass 77"

setup() {
	KZ="${KIZUNA:?set KIZUNA to the kizuna binary}"
	T="$BATS_TEST_TMPDIR"
	export HOME="$T/home"
	mkdir -p "$HOME"
	unset KIZUNA_VAULT XDG_DATA_HOME
	# Colour on a terminal whatever the runner's TERM (dumb turns it off).
	export TERM=xterm
	export KIZUNA_BUSY_TIMEOUT_MS=2000
	V="$T/vault/vault.kz"
	mkdir -p "$T/vault"
	printf '%s\n' "$PASS" >"$T/pass"
	printf '%s\n' "$NEWPASS" >"$T/newpass"
	# What this test writes is newer than this (2 s back: file times are coarse).
	touch -d "@$(($(date +%s) - 2))" "$T/.start"
}

kz() { "$KZ" --vault "$V" "$@"; }
kzp() { "$KZ" --vault "$V" --passphrase-file "$T/pass" "$@"; }

# Creates the vault with test-sized KDF costs; sets $recovery.
new_vault() {
	kzp init --kdf-memory 8M --kdf-iterations 1 >"$T/init.out" 2>&1 || {
		cat "$T/init.out"
		return 1
	}
	recovery=$(grep -oE '[0-9A-Z]{4}(-[0-9A-Z]{4}){7}' "$T/init.out")
	[ -n "$recovery" ]
}

# A random marker that appears in no file until kizuna is given it.
canary() { printf 'kzc%s' "$(od -An -tx1 -N10 /dev/urandom | tr -d ' \n')"; }

# Asserts that $1 (a string) is in none of the files under the folders given.
# Only files written since the test began are read: $1 is a canary the test
# made, so no older file can hold it (kizuna never sets a file's times), and a
# /tmp full of other things does not make the test slow.
assert_absent() {
	local needle=$1 hits
	shift
	hits=$(find "$@" -type f -newer "$T/.start" -print0 2>/dev/null |
		xargs -0 -r grep -laF --devices=skip -- "$needle" 2>/dev/null || true)
	if [ -n "$hits" ]; then
		echo "plaintext '$needle' found in: $hits"
		return 1
	fi
}

# Prints the octal mode of a file.
mode_of() { stat -c '%a' "$1"; }

# Another process (sqlite3) keeps a transaction open on the vault file FILE:
# SQL begins it ("BEGIN; SELECT ...": a reader, as a second kizuna reading
# would be; "BEGIN IMMEDIATE; INSERT ...": the write lock), then it waits for
# sql_release, which ends it with END (COMMIT or ROLLBACK).
sql_hold() { # FILE SQL
	mkfifo "$T/sq"
	sqlite3 "$1" <"$T/sq" >"$T/sq.out" 2>&1 3>&- &
	sqpid=$!
	exec 8>"$T/sq"
	echo "$2" >&8
	echo ".system touch '$T/sq.ready'" >&8
	for _ in $(seq 100); do [ -e "$T/sq.ready" ] && break; sleep 0.05; done
	[ -e "$T/sq.ready" ]
}
sql_release() { # END
	echo "$1;" >&8
	exec 8>&-
	wait "$sqpid"
	sqpid=
	rm -f "$T/sq" "$T/sq.ready"
}
