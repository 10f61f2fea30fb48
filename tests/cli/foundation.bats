#!/usr/bin/env bats
# The foundation: init, info, unlock routes, passwd, recovery, config, scripts,
# --json and exit codes (CLI.md).

load helpers

@test "init creates a 0600 vault, prints a recovery key once, refuses to overwrite" {
	new_vault
	[ "$(mode_of "$V")" = 600 ]
	grep -q "Recovery key" "$T/init.out"
	sum=$(sha256sum "$V")
	run kzp init --kdf-memory 8M --kdf-iterations 1
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists; refusing to overwrite"* ]]
	[ "$(sha256sum "$V")" = "$sum" ]
}

@test "init refuses a weak passphrase with a reason and creates nothing" {
	printf 'short\n' >"$T/weak"
	run "$KZ" --vault "$V" --passphrase-file "$T/weak" init --kdf-memory 8M --kdf-iterations 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"too short"* ]]
	printf 'abcdefghijklmn\n' >"$T/weak"
	run "$KZ" --vault "$V" --passphrase-file "$T/weak" init --kdf-memory 8M --kdf-iterations 1
	[ "$status" -eq 2 ]
	[[ "$output" == *"too weak"* ]]
	[ ! -e "$V" ]
}

@test "init rejects bad KDF options with exit 2" {
	run kzp init --kdf-memory lots
	[ "$status" -eq 2 ]
	run kzp init --kdf-iterations 0
	[ "$status" -eq 2 ]
	run kzp init --kdf-time -1
	[ "$status" -eq 2 ]
	[ ! -e "$V" ]
}

@test "init creates missing parent folders 0700" {
	V="$T/deep/er/vault.kz"
	new_vault
	[ "$(mode_of "$T/deep/er")" = 700 ]
	[ "$(mode_of "$V")" = 600 ]
}

@test "info needs no passphrase and --json parses" {
	new_vault
	run kz info </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"Argon2id, t=1, m=8 MiB, 4 lanes"* ]]
	[[ "$output" == *"passphrase, recovery"* ]]
	run kz --json info </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .kdf.memory_kib)" = 8192 ]
	[ "$(echo "$output" | jq -r '.slots | join(",")')" = "passphrase,recovery" ]
	[ "$(echo "$output" | jq -r .records)" = 0 ]
}

@test "a wrong passphrase exits 3 with one clear line" {
	new_vault
	printf 'Tulip harbor lantern 43\n' >"$T/wrong"
	run "$KZ" --vault "$V" --passphrase-file "$T/wrong" config list
	[ "$status" -eq 3 ]
	[ "$output" = "kizuna: wrong passphrase" ]
}

@test "without a passphrase route or terminal, a keyed command exits 3" {
	new_vault
	run kz config list </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"no terminal"* ]]
}

@test "--passphrase-fd reads the first line of a descriptor" {
	new_vault
	run bash -c "\"$KZ\" --vault \"$V\" --passphrase-fd 3 config set therapist.name Ana 3<\"$T/pass\""
	[ "$status" -eq 0 ]
	run bash -c "\"$KZ\" --vault \"$V\" --passphrase-fd 3 config get therapist.name 3<\"$T/pass\""
	[ "$output" = "Ana" ]
	run kz --passphrase-fd 99 info
	[ "$status" -eq 2 ]
}

@test "passwd: the new passphrase unlocks, the old one fails, the recovery key still works" {
	new_vault
	kzp config set practice.name "Praxis am See"
	run kzp passwd --new-passphrase-file "$T/newpass"
	[ "$status" -eq 0 ]
	run kzp config get practice.name
	[ "$status" -eq 3 ]
	run "$KZ" --vault "$V" --passphrase-file "$T/newpass" config get practice.name
	[ "$status" -eq 0 ]
	[ "$output" = "Praxis am See" ]
	printf '%s\n' "$recovery" >"$T/rk"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" config get practice.name
	[ "$status" -eq 0 ]
	[ "$output" = "Praxis am See" ]
}

@test "passwd refuses a weak new passphrase and keeps the old one" {
	new_vault
	printf 'weak\n' >"$T/weak"
	run kzp passwd --new-passphrase-file "$T/weak"
	[ "$status" -eq 2 ]
	run kzp unlock
	[ "$status" -eq 0 ]
}

@test "passwd without a terminal needs --new-passphrase-file" {
	new_vault
	run kzp passwd </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"--new-passphrase-file"* ]]
}

@test "the recovery key unlocks; a wrong one exits 3; recovery rotate retires it" {
	new_vault
	printf '%s\n' "$recovery" >"$T/rk"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" unlock
	[ "$status" -eq 0 ]
	printf '%s\n' "$(echo "$recovery" | tr 'A-Z' 'a-z' | tr -d -)" >"$T/rk-lower"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk-lower" unlock
	[ "$status" -eq 0 ]
	printf '0000-0000-0000-0000-0000-0000-0000-0000\n' >"$T/rk-bad"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk-bad" unlock
	[ "$status" -eq 3 ]
	run kzp --json recovery rotate
	[ "$status" -eq 0 ]
	fresh=$(echo "$output" | jq -r .recovery_key)
	[ "$fresh" != "$recovery" ]
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" unlock
	[ "$status" -eq 3 ]
	printf '%s\n' "$fresh" >"$T/rk2"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk2" unlock
	[ "$status" -eq 0 ]
}

@test "rekey with --passphrase-fd: the passphrase it unlocked with wraps the slot; a later command of a script asks for a file" {
	new_vault
	kzp couple add C010 >/dev/null
	# One command: it unlocked with the descriptor's passphrase, which is
	# kept for it (it was refused before: the descriptor is read once).
	run "$KZ" --vault "$V" --passphrase-fd 3 --json rekey 3<"$T/pass"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .rekeyed)" = true ]
	run kzp --json couple list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[0].code')" = C010 ]
	printf '%s\n' "$recovery" >"$T/rk"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" unlock
	[ "$status" -eq 3 ]
	# A script: its first command unlocked, and that passphrase is gone by
	# the rekey on its second line, which changes nothing.
	printf 'couple list\nrekey\n' >"$T/s.kzs"
	dump=$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name LIKE 'slot.%' ORDER BY name")
	run "$KZ" --vault "$V" --passphrase-fd 3 -f "$T/s.kzs" 3<"$T/pass"
	[ "$status" -eq 2 ]
	[[ "$output" == *"rekey reads the passphrase again: use --passphrase-file"* ]]
	[ "$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name LIKE 'slot.%' ORDER BY name")" = "$dump" ]
	run kzp couple list
	[ "$status" -eq 0 ]
}

@test "a changed KDF parameter in the header makes unlocking fail with exit 3" {
	new_vault
	hex=$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name = 'kdf'")
	# bytes 2..5 are t (little endian): 01000000 -> 02000000
	weak="${hex:0:4}02${hex:6}"
	sqlite3 "$V" "UPDATE header SET value = X'$weak' WHERE name = 'kdf'"
	run kzp unlock
	[ "$status" -eq 3 ]
	sqlite3 "$V" "UPDATE header SET value = X'$hex' WHERE name = 'kdf'"
	run kzp unlock
	[ "$status" -eq 0 ]
}

@test "an altered key slot is named at unlock and by doctor (exit 4); put back, the vault opens" {
	new_vault
	printf '%s\n' "$recovery" >"$T/rk"
	slots() { kzp --json doctor 2>/dev/null | jq -r '.[] | select(.check == "key slots") | .status'; }
	[ "$(slots)" = ok ]
	# The recovery slot, damaged: the passphrase cannot notice by itself, the
	# commitment over the header does, and the slot's MAC names it.
	saved=$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name = 'slot.recovery'")
	sqlite3 "$V" "UPDATE header SET value = randomblob(length(value)) WHERE name = 'slot.recovery'"
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"recovery key slot was altered"* ]]
	run kzp doctor
	[ "$status" -eq 4 ]
	[[ "$output" == *"recovery key slot was altered"* ]]
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" unlock
	[ "$status" -eq 3 ]
	sqlite3 "$V" "UPDATE header SET value = X'$saved' WHERE name = 'slot.recovery'"
	[ "$(slots)" = ok ]
	# The passphrase slot's KDF parameters, changed: the recovery key opens the
	# slot, and the vault names the passphrase slot and stays shut.
	hex=$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name = 'kdf'")
	sqlite3 "$V" "UPDATE header SET value = X'${hex:0:4}02${hex:6}' WHERE name = 'kdf'"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"passphrase slot was altered"* ]]
}

@test "config set, get, list, unset; bad keys and values exit 2; unset key exits 6" {
	new_vault
	run kzp config set practice.name "Praxis Müller & 日本語"
	[ "$status" -eq 0 ]
	run kzp config get practice.name
	[ "$output" = "Praxis Müller & 日本語" ]
	run kzp config set idle-lock 10m
	[ "$status" -eq 0 ]
	run kzp --json config get idle-lock
	[ "$(echo "$output" | jq .value)" = 600 ]
	run kzp config set idle-lock forever
	[ "$status" -eq 2 ]
	run kzp config set nosuch.key x
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown setting 'nosuch.key'"* ]]
	run kzp config get therapist.name
	[ "$status" -eq 6 ]
	run kzp --json config list
	[ "$(echo "$output" | jq -r '."practice.name"')" = "Praxis Müller & 日本語" ]
	[ "$(echo "$output" | jq -r '."therapist.name"')" = null ]
	run kzp config unset practice.name
	[ "$status" -eq 0 ]
	run kzp config get practice.name
	[ "$status" -eq 6 ]
}

@test "a script stops at the first failing command with its exit code" {
	new_vault
	run bash -c "printf '%s\n' 'config set practice.name One' 'config get nosuch' \
		'config set therapist.name Two' | \"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\""
	[ "$status" -eq 2 ]
	run kzp config get practice.name
	[ "$output" = One ]
	run kzp config get therapist.name
	[ "$status" -eq 6 ]
	# --keep-going runs the rest and still reports the failure.
	run bash -c "printf '%s\n' 'config get nosuch' 'config set therapist.name Two' | \
		\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\" --keep-going"
	[ "$status" -eq 2 ]
	run kzp config get therapist.name
	[ "$output" = Two ]
}

@test "-f SCRIPT runs commands with comments and quotes" {
	new_vault
	cat >"$T/script" <<-'S'
		# practice settings
		config set practice.name "Praxis am See"   # trailing comment

		config set therapist.name 'Dr. A. Tanaka'
		config get therapist.name
	S
	run kzp -f "$T/script"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Dr. A. Tanaka"* ]]
	run kzp -f "$T/nosuch"
	[ "$status" -eq 6 ]
}

@test "a failing script command with exit 6 stops the script with 6" {
	new_vault
	run bash -c "printf 'config get therapist.name\nconfig set therapist.name X\n' | \
		\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\""
	[ "$status" -eq 6 ]
	run kzp config get therapist.name
	[ "$status" -eq 6 ]
}

@test "--json: every command prints one JSON document; errors are JSON on stderr" {
	new_vault
	for cmd in "info" "config list" "help" "help config set" "lock" "unlock"; do
		run bash -c "\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\" --json $cmd 2>/dev/null"
		[ "$status" -eq 0 ]
		echo "$output" | jq -e . >/dev/null
		[ "$(echo "$output" | wc -l)" -eq 1 ]
	done
	run bash -c "\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\" --json config get nosuch 2>&1 >/dev/null"
	[ "$status" -eq 2 ]
	[ "$(echo "$output" | jq -r .error.code)" = usage ]
	run bash -c "\"$KZ\" --vault \"$T/none.kz\" --json info 2>&1 >/dev/null"
	[ "$status" -eq 6 ]
	[ "$(echo "$output" | jq -r .error.code)" = not_found ]
}

@test "exit codes: unknown command and option 2 (naming the one meant), missing vault 6, ambiguous prefix 2" {
	new_vault
	run kz frobnicate
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown command 'frobnicate'"* ]]
	run kz --frobnicate info
	[ "$status" -eq 2 ]
	run kz info --frobnicate
	[ "$status" -eq 2 ]
	# a slip of the finger is answered with the word meant, and runs nothing
	run kzp sesion list
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: unknown command 'sesion' (did you mean 'session'? try 'help')" ]
	kzp couple add C001 >/dev/null
	run kzp session add C001 --interpeter --text "Met with both."
	[ "$status" -eq 2 ]
	[[ "$output" == *"unknown option '--interpeter' (did you mean '--interpreter'?"* ]]
	[ "$(kzp --json session list | jq length)" -eq 0 ]
	run "$KZ" --vualt "$V" info
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: unknown option '--vualt' (did you mean '--vault'? try 'kizuna --help')" ]
	run kz in
	[ "$status" -eq 2 ]
	[[ "$output" == *"ambiguous"* ]]
	run "$KZ" --vault "$T/none.kz" info
	[ "$status" -eq 6 ]
	run kz --version
	[ "$status" -eq 0 ]
	[[ "$output" == "kizuna "* ]]
}

@test "the default vault path follows KIZUNA_VAULT, then XDG_DATA_HOME" {
	export KIZUNA_VAULT="$T/env.kz"
	run "$KZ" --passphrase-file "$T/pass" init --kdf-memory 8M --kdf-iterations 1
	[ "$status" -eq 0 ]
	[ -f "$T/env.kz" ]
	unset KIZUNA_VAULT
	export XDG_DATA_HOME="$T/xdg"
	run "$KZ" --passphrase-file "$T/pass" init --kdf-memory 8M --kdf-iterations 1
	[ "$status" -eq 0 ]
	[ -f "$T/xdg/kizuna/vault.kz" ]
}

@test "a file that is not a vault exits 4" {
	head -c 4096 /dev/urandom >"$V"
	run kz info
	[ "$status" -eq 4 ]
}

@test "no plaintext on disk: a canary set through config is in no vault file nor /tmp" {
	new_vault
	c=$(canary)
	mkfifo "$T/cmds"
	# Keep kizuna running (so the -wal and -shm files exist) while we look.
	"$KZ" --vault "$V" --passphrase-file "$T/pass" <"$T/cmds" >"$T/out" 2>&1 &
	pid=$!
	exec 7>"$T/cmds"
	echo "config set practice.name 'Praxis $c'" >&7
	echo "config set therapist.name 'Dr $c'" >&7
	for _ in $(seq 50); do grep -q "therapist.name set" "$T/out" && break; sleep 0.1; done
	grep -q "therapist.name set" "$T/out"
	ls "$T/vault"
	[ -e "$V-wal" ]
	assert_absent "$c" "$T/vault" /tmp /dev/shm "$HOME"
	echo "quit" >&7
	exec 7>&-
	wait "$pid"
	assert_absent "$c" "$T/vault" /tmp /dev/shm "$HOME"
	# And it did reach the vault, sealed: it reads back.
	run kzp config get practice.name
	[ "$output" = "Praxis $c" ]
}

@test "help lists every command from the table; help CMD shows usage" {
	run kz help
	[ "$status" -eq 0 ]
	for c in init info passwd lock unlock "config set" "config get" "config list" help quit; do
		[[ "$output" == *"$c"* ]]
	done
	run kz help init
	[[ "$output" == *"usage: init [--kdf-time S]"* ]]
	run kz help nosuch
	[ "$status" -eq 2 ]
}

@test "kizuna(1), the contract of record, names every option that --help and help CMD show" {
	local text cmds c o missing=()
	# The manual as plain text: groff's \- and font changes dropped.
	text=$(sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' "$BATS_TEST_DIRNAME/../../man/kizuna.1")
	run kz help
	[ "$status" -eq 0 ]
	mapfile -t cmds < <(printf '%s\n' "$output" |
		sed -n 's/^  \([a-z][a-z-]*\( [a-z][a-z-]*\)\{0,1\}\)  .*/\1/p')
	[ "${#cmds[@]}" -ge 70 ]
	run kz --help
	for o in $(printf '%s\n' "$output" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
		grep -qF -- "$o" <<<"$text" || missing+=("kizuna $o")
	done
	for c in "${cmds[@]}"; do
		run kz help $c
		[ "$status" -eq 0 ]
		for o in $(printf '%s\n' "$output" | grep -o -- '--[a-z][a-z-]*' | sort -u); do
			grep -qF -- "$o" <<<"$text" || missing+=("$c $o")
		done
	done
	[ "${#missing[@]}" -eq 0 ] || { printf 'not in kizuna(1): %s\n' "${missing[@]}"; false; }
}
