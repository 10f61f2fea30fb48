#!/usr/bin/env bats
# Costs chosen by the file are capped before anything is spent on them: a vault
# header's Argon2id settings beyond what init can choose (exit 4, naming the
# setting), and an age file's scrypt work factor above 20 unless
# --max-work-factor allows it (exit 1: the file is well formed, kizuna declines
# to spend 1 GiB and more on it). Where the system lets us, the refused commands
# run under a 1 GiB address-space limit: had they tried to allocate what the file
# asks for, they would fail differently (the control cases show how).

load helpers

set -o pipefail

# Runs "$@" with at most 1 GiB of address space.
limited() { bash -c 'ulimit -v 1048576 && exec "$@"' limited "$@"; }

# True when kizuna runs under that limit (not under ASan or valgrind, which
# reserve more address space than that for themselves).
can_limit() { limited "$KZ" --version >/dev/null 2>&1; }

# Runs "$@" limited when possible.
maybe_limited() {
	if can_limit; then limited "$@"; else "$@"; fi
}

# A 32-bit little-endian number as hex.
le32() { printf '%02X%02X%02X%02X' $(($1 & 255)) $(($1 >> 8 & 255)) $(($1 >> 16 & 255)) $(($1 >> 24 & 255)); }

# Rewrites the vault's kdf header row (kz_kdf_encode: version, algorithm, then
# t, m in KiB and lanes as u32le, then the salt): set_kdf T M_KIB LANES.
set_kdf() {
	local hex
	hex=$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name = 'kdf'")
	[ ${#hex} -eq 60 ] || return 1
	sqlite3 "$V" "UPDATE header SET value = X'${hex:0:4}$(le32 "$1")$(le32 "$2")$(le32 "$3")${hex:28}' WHERE name = 'kdf'"
}

GIB=$((1024 * 1024)) # in KiB

@test "a vault header asking for 8 GiB and t=1000 exits 4 at once, naming the memory, allocating nothing" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	orig=$(sqlite3 "$V" "SELECT hex(value) FROM header WHERE name = 'kdf'")
	set_kdf 1000 $((8 * GIB)) 4
	before=$(sha256sum <"$V")
	run maybe_limited "$KZ" --vault "$V" --passphrase-file "$T/pass" couple list
	echo "$output"
	[ "$status" -eq 4 ]
	[ "$(wc -l <<<"$output")" -eq 1 ]
	[[ "$output" == *"key-derivation memory 8192 MiB is above the 4096 MiB"* ]]
	# info, doctor and the recovery key's doctor read the same header.
	run maybe_limited "$KZ" --vault "$V" info
	[ "$status" -eq 4 ]
	[[ "$output" == *"memory 8192 MiB"* ]]
	run maybe_limited "$KZ" --vault "$V" --passphrase-file "$T/pass" doctor
	[ "$status" -eq 4 ]
	# Nothing was written: no failed unlock, no fold.
	[ "$(sha256sum <"$V")" = "$before" ]
	# Put back, the vault opens as before.
	sqlite3 "$V" "UPDATE header SET value = X'$orig' WHERE name = 'kdf'"
	run kzp --json couple list
	[ "$status" -eq 0 ]
	[ "$(jq -r '.[0].code' <<<"$output")" = C014 ]
}

@test "control: 4 GiB, which kizuna allows, does try to allocate (under the limit it fails with exit 1)" {
	can_limit || skip "kizuna does not run under a 1 GiB address-space limit here (ASan, valgrind)"
	new_vault
	set_kdf 1 $((4 * GIB)) 4
	run limited "$KZ" --vault "$V" --passphrase-file "$T/pass" couple list
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"key derivation failed"* ]]
	# The same header, one KiB more: refused before the allocation.
	set_kdf 1 $((4 * GIB + 1)) 4
	run limited "$KZ" --vault "$V" --passphrase-file "$T/pass" couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"memory 4096 MiB is above"* ]]
}

@test "iterations, lanes and memory per lane beyond init's range exit 4 naming the setting" {
	new_vault
	# t=1000 on 8 MiB would take seconds and end in "wrong passphrase" (exit 3).
	set_kdf 1000 8192 4
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"key-derivation iterations 1000 are outside 1 to 64"* ]]
	set_kdf 65 8192 4
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"iterations 65"* ]]
	set_kdf 0 8192 4
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"iterations 0"* ]]
	set_kdf 1 8192 65
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"key-derivation lanes 65 are outside 1 to 64"* ]]
	set_kdf 1 8192 4294967295
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"lanes 4294967295"* ]]
	set_kdf 1 24 4
	run kzp couple list
	[ "$status" -eq 4 ]
	[[ "$output" == *"memory 24 KiB is below 8 KiB per lane"* ]]
	# The same limits bound init, and a header at init's maximum is read.
	run kz init --kdf-iterations 65 --kdf-memory 8M </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"from 1 to 64"* ]]
	run kz init --kdf-memory 5G </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"at most 4G"* ]]
	run kz init --kdf-lanes 65 </dev/null
	[ "$status" -eq 2 ]
	V="$T/vault/max.kz"
	run kzp init --kdf-iterations 64 --kdf-lanes 64 --kdf-memory 512K
	[ "$status" -eq 0 ]
	run kzp --json info
	[ "$(jq -c '[.kdf.iterations, .kdf.lanes]' <<<"$output")" = '[64,64]' ]
	run kzp couple list
	[ "$status" -eq 0 ]
}

@test "on a terminal the header is refused before the passphrase is asked" {
	command -v expect >/dev/null || skip "expect is not installed"
	new_vault
	set_kdf 1000 $((8 * GIB)) 4
	run expect -c "
		set timeout 20
		spawn $KZ --vault $V couple list
		expect {
			-re {Passphrase for} { exit 10 }
			-re {memory 8192 MiB is above} { }
			timeout { exit 11 }
		}
		expect eof
		lassign [wait] pid spawnid oserr rc
		exit \$rc"
	echo "$output"
	[ "$status" -eq 4 ]
}

# ---- age: the scrypt work factor ----

# A passphrase backup of the vault by kizuna's own writer (work factor 18).
pass_backup() { # FILE [--armor]
	printf '%s\n' "$NEWPASS" >"$T/bpass"
	kz backup create "$1" --backup-passphrase-file "$T/bpass" "${@:2}" </dev/null >/dev/null
}

# Copies an age file with its scrypt stanza's work factor replaced (the header
# MAC no longer matches: the limit must fire before that is checked).
with_work_factor() { # IN OUT N
	{
		head -n 1 "$1"
		sed -n 2p "$1" | sed -E "s/^(-> scrypt [^ ]+) [0-9]+\$/\\1 $3/"
		tail -n +3 "$1"
	} >"$2"
	sed -n 2p "$2" | grep -q "^-> scrypt [^ ]* $3\$"
}

@test "an age file asking for scrypt work factor 22 (or 21) is refused before scrypt runs (exit 1)" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	pass_backup "$T/b.age"
	sed -n 2p "$T/b.age" | grep -q '^-> scrypt [^ ]* 18$'
	with_work_factor "$T/b.age" "$T/w22.age" 22
	with_work_factor "$T/b.age" "$T/w21.age" 21
	for f in w22 w21; do
		n=${f#w}
		run maybe_limited "$KZ" backup verify "$T/$f.age" --backup-passphrase-file "$T/bpass"
		echo "$output"
		[ "$status" -eq 1 ]
		[ "$(wc -l <<<"$output")" -eq 1 ]
		[[ "$output" == *"$T/$f.age: the file asks for scrypt work factor $n ("*" MiB of memory), above the limit of 20"*"--max-work-factor"* ]]
		run maybe_limited "$KZ" backup restore "$T/$f.age" --to-vault "$T/r.kz" --backup-passphrase-file "$T/bpass"
		[ "$status" -eq 1 ]
		[[ "$output" == *"work factor $n"* ]]
		[ ! -e "$T/r.kz" ]
		[ -z "$(find "$T" -maxdepth 1 -name 'r.kz*' -print)" ]
	done
	[[ "$output" == *"2048 MiB"* ]] # 21: 2^21 KiB
	# import reads age files with a passphrase too.
	kzp export C014 --format json -o "$T/e.json" </dev/null >/dev/null
	KZAGE_PASSPHRASE="$NEWPASS" "$(dirname "$KZ")/tests/kzage" -e -p <"$T/e.json" >"$T/e.age"
	with_work_factor "$T/e.age" "$T/e22.age" 22
	n=$(sqlite3 "$V" 'SELECT count(*) FROM heads')
	run maybe_limited "$KZ" --vault "$V" --passphrase-file "$T/pass" import "$T/e22.age" --as C015 --backup-passphrase-file "$T/bpass"
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"e22.age: the file asks for scrypt work factor 22 (4096 MiB"* ]]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM heads')" -eq "$n" ]
	# Armored: the same.
	pass_backup "$T/b.asc" --armor
	{
		echo '-----BEGIN AGE ENCRYPTED FILE-----'
		sed '1d;$d' "$T/b.asc" | base64 -d >"$T/b.bin"
		with_work_factor "$T/b.bin" "$T/w.bin" 22
		base64 -w 64 "$T/w.bin"
		echo '-----END AGE ENCRYPTED FILE-----'
	} >"$T/w22.asc"
	run maybe_limited "$KZ" backup verify "$T/w22.asc" --backup-passphrase-file "$T/bpass"
	[ "$status" -eq 1 ]
	[[ "$output" == *"work factor 22"*"limit of 20"* ]]
	# Over 22 stays a header failure (exit 4), whatever --max-work-factor says.
	with_work_factor "$T/b.age" "$T/w23.age" 23
	run "$KZ" backup verify "$T/w23.age" --backup-passphrase-file "$T/bpass" --max-work-factor 22
	[ "$status" -eq 4 ]
	[[ "$output" == *"too large (over 22)"* ]]
}

@test "--max-work-factor 22 lets the file through to scrypt (which under the limit fails to allocate)" {
	can_limit || skip "kizuna does not run under a 1 GiB address-space limit here (ASan, valgrind)"
	new_vault
	pass_backup "$T/b.age"
	with_work_factor "$T/b.age" "$T/w22.age" 22
	run limited "$KZ" backup verify "$T/w22.age" --backup-passphrase-file "$T/bpass" --max-work-factor 22
	echo "$output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"scrypt failed (out of memory?)"* ]]
	[[ "$output" != *"limit of"* ]]
}

@test "--max-work-factor moves the limit both ways; log N 18 files (kizuna's, stock age's) open by default" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	pass_backup "$T/b.age"
	run "$KZ" backup verify "$T/b.age" --backup-passphrase-file "$T/bpass"
	[ "$status" -eq 0 ]
	[[ "$output" == *"is intact"* ]]
	run "$KZ" backup verify "$T/b.age" --backup-passphrase-file "$T/bpass" --max-work-factor 17
	[ "$status" -eq 1 ]
	[[ "$output" == *"work factor 18 (256 MiB of memory), above the limit of 17"* ]]
	run "$KZ" backup verify "$T/b.age" --backup-passphrase-file "$T/bpass" --max-work-factor 18
	[ "$status" -eq 0 ]
	run "$KZ" backup restore "$T/b.age" --to-vault "$T/r.kz" --backup-passphrase-file "$T/bpass" --max-work-factor 17
	[ "$status" -eq 1 ]
	[ ! -e "$T/r.kz" ]
	run "$KZ" backup restore "$T/b.age" --to-vault "$T/r.kz" --backup-passphrase-file "$T/bpass" --max-work-factor 18
	[ "$status" -eq 0 ]
	# Bad values are usage errors, asked before anything else.
	for bad in 0 23 -1 x 18x ""; do
		run "$KZ" backup verify "$T/b.age" --backup-passphrase-file "$T/bpass" --max-work-factor "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--max-work-factor takes a number from 1 to 22"* ]]
	done
	# An X25519 file has no work factor: the option changes nothing.
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kz backup create "$T/x.age" --to "$R" </dev/null >/dev/null
	run "$KZ" backup verify "$T/x.age" -i "$T/kz.id" --max-work-factor 1
	[ "$status" -eq 0 ]
	# The stock age tool's passphrase files (log N 18) open under the default limit.
	command -v age >/dev/null && command -v expect >/dev/null || skip "age or expect is not installed"
	sqlite3 "$V" ".backup '$T/snap.kz'"
	run expect -c "
		set timeout 60
		spawn age -p -o $T/c.age $T/snap.kz
		expect -re {[Pp]assphrase[^\r\n]*: ?}
		send -- {$NEWPASS}; send \"\r\"
		expect -re {[Cc]onfirm[^\r\n]*: ?}
		send -- {$NEWPASS}; send \"\r\"
		expect eof
		lassign [wait] pid spawnid oserr rc
		exit \$rc"
	[ "$status" -eq 0 ]
	sed -n 2p "$T/c.age" | grep -q '^-> scrypt [^ ]* 18$'
	run "$KZ" --passphrase-file "$T/pass" backup verify "$T/c.age" --backup-passphrase-file "$T/bpass"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"every one authenticated"* ]]
	run "$KZ" backup verify "$T/c.age" --backup-passphrase-file "$T/bpass" --max-work-factor 17
	[ "$status" -eq 1 ]
}
