#!/usr/bin/env bats
# Backups, keys, export and import: age files that the stock age tool reads and
# writes (Debian's age 1.1.1), tampering, atomic files, no plaintext, and the
# export JSON round trip.

load helpers

# A failure anywhere in a pipeline fails the test (kzage ... | cmp).
set -o pipefail

# The test tool built beside kizuna (tests/tools/kzage.c).
kzage() { "$(dirname "$KZ")/tests/kzage" "$@"; }

# An age-keygen identity ($T/age.id, recipient $R1) and a kizuna one ($T/kz.id, $R2).
keys() {
	age-keygen -o "$T/age.id" 2>/dev/null
	R1=$(age-keygen -y "$T/age.id")
	R2=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	[[ "$R1" == age1* && "$R2" == age1* ]]
}

# Flips the lowest bit of the byte at offset $2 of file $1.
flip() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "$(printf '\\%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none
}

# Replaces the byte at offset $2 of file $1 with the character $3.
poke() { printf '%s' "$3" | dd of="$1" bs=1 seek="$2" conv=notrunc status=none; }

# C014 with a joint session s1 (working on g1 and g2), partner 1's s2 and
# partner 2's s3 (each with its own text), a joint goal g1 (progress linked to
# s1 and s3), partner 2's goal g2 and partner 1's goal g3. $c is the canary;
# texts carry it so leaks show.
couple_with_records() {
	c=$(canary)
	kzp couple add C014 partner1.name=Aiko partner1.origin=Japan partner1.local=no \
		partner2.name=Jonas partner2.origin=Germany partner2.local=yes \
		"formulation.problem=She calls it homesickness $c" >/dev/null
	kzp goal add C014 "Plan the holidays together" >/dev/null
	kzp goal add C014 "Jonas: name his anger" --partner 2 >/dev/null
	kzp goal add C014 "Aiko: call her sister weekly" --partner 1 --target 2026-12-31 >/dev/null
	kzp session add C014 --date 2026-01-10 --minutes 60 --theme holidays --goal g1,g2 \
		--text "Joint JT$c" --process-notes "PJ$c" --homework "Write a list" >/dev/null
	kzp session add C014 --date 2026-01-17 --attended 1 --goal g3 \
		--text "Aiko alone A1$c" --process-notes "PA$c" >/dev/null
	kzp session add C014 --date 2026-01-24 --attended 2 --goal g1,g2 \
		--text "Jonas alone B2$c" --process-notes "PB$c" >/dev/null
	kzp goal progress g1 4 --date 2026-01-10 --session s1 --note "first try" >/dev/null
	kzp goal progress g1 6 --date 2026-01-24 --session s3 --note "after his session N3$c" >/dev/null
	kzp goal progress g3 5 --date 2026-01-17 --session s2 >/dev/null
}

# A note of about 200 KB, so that the backup spans several 64 KiB chunks.
big_note() {
	head -c 150000 /dev/urandom | base64 -w 76 >"$T/big.txt"
	kzp session add C014 --date 2026-02-01 --text-file "$T/big.txt" >/dev/null
}

# Runs "$@" with a private, empty /dev/shm when possible and then lists what
# is left there in $T/shm.left (the scratch copy of backup verify lives there).
with_private_shm() {
	if unshare -m true 2>/dev/null; then
		unshare -m bash -c 'mount -t tmpfs kzshm /dev/shm || exit 99
			"$@"; rc=$?; ls -A /dev/shm >"'"$T"'/shm.left"; exit $rc' bash "$@"
	else
		ls -A /dev/shm | sort >"$T/shm.before"
		"$@"
		local rc=$?
		ls -A /dev/shm | sort | comm -13 "$T/shm.before" - >"$T/shm.left"
		return $rc
	fi
}

@test "kzage and age read each other's files, binary and armored, at the chunk edges" {
	keys
	# kizuna's identity file is what age-keygen would write for that key.
	[ "$(age-keygen -y "$T/kz.id")" = "$R2" ]
	[ "$(mode_of "$T/kz.id")" = 600 ]
	grep -qx "# public key: $R2" "$T/kz.id"
	run "$KZ" keygen -o "$T/kz.id"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(age-keygen -y "$T/kz.id")" = "$R2" ]

	for n in 0 1 65535 65536 65537 5242880; do
		head -c "$n" /dev/urandom >"$T/p"
		# kizuna writes, age reads (two recipients: each identity opens it).
		kzage -e -r "$R1" -r "$R2" <"$T/p" >"$T/k.age"
		age -d -i "$T/age.id" "$T/k.age" | cmp - "$T/p"
		age -d -i "$T/kz.id" "$T/k.age" | cmp - "$T/p"
		# age writes, kizuna reads.
		age -r "$R1" -r "$R2" <"$T/p" >"$T/a.age"
		kzage -d -i "$T/kz.id" <"$T/a.age" | cmp - "$T/p"
		kzage -d -i "$T/age.id" <"$T/a.age" | cmp - "$T/p"
		# The same chunking: no empty final chunk at 64 KiB multiples.
		[ "$(stat -c %s "$T/k.age")" -eq "$(stat -c %s "$T/a.age")" ]
		# Armored, both ways.
		kzage -e -a -r "$R2" <"$T/p" >"$T/k.asc"
		head -n 1 "$T/k.asc" | grep -qx -- '-----BEGIN AGE ENCRYPTED FILE-----'
		age -d -i "$T/kz.id" "$T/k.asc" | cmp - "$T/p"
		age -a -r "$R1" <"$T/p" >"$T/a.asc"
		kzage -d -i "$T/age.id" <"$T/a.asc" | cmp - "$T/p"
		[ "$(stat -c %s "$T/k.asc")" -eq "$(stat -c %s "$T/a.asc")" ]
	done
	# The wrong key is "no match" (3), a cut file an integrity failure (4).
	run kzage -d -i "$T/kz.id" <"$T/a.asc"
	[ "$status" -eq 3 ]
	[[ "$output" == *"no match"* ]]
	head -c 1000000 "$T/a.age" >"$T/cut.age"
	run kzage -d -i "$T/age.id" <"$T/cut.age"
	[ "$status" -eq 4 ]
	[[ "$output" == *"payload failure"* ]]
}

@test "age -d opens a kizuna backup as a vault the original passphrase unlocks" {
	keys
	new_vault
	couple_with_records
	run kzp recipients add "$R1"
	[ "$status" -eq 0 ]
	run kz backup create "$T/b.age" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"backup written to $T/b.age"* ]]
	[ "$(mode_of "$T/b.age")" = 600 ]
	head -n 1 "$T/b.age" | grep -qx 'age-encryption.org/v1'
	age -d -i "$T/age.id" -o "$T/out.kz" "$T/b.age"
	run "$KZ" --vault "$T/out.kz" --passphrase-file "$T/pass" --json session show s1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .text)" = "Joint JT$c" ]
	run "$KZ" --vault "$T/out.kz" --passphrase-file "$T/newpass" session show s1
	[ "$status" -eq 3 ]
	# --to overrides the configured recipients; --armor writes text.
	run kz backup create "$T/b.asc" --to "$R2" --to "$R1" --armor </dev/null
	[ "$status" -eq 0 ]
	head -n 1 "$T/b.asc" | grep -qx -- '-----BEGIN AGE ENCRYPTED FILE-----'
	age -d -i "$T/kz.id" -o "$T/out2.kz" "$T/b.asc"
	cmp <(age -d -i "$T/age.id" "$T/b.asc") "$T/out2.kz"
	run "$KZ" --vault "$T/out2.kz" --passphrase-file "$T/pass" --json session show s3
	[ "$(echo "$output" | jq -r .text)" = "Jonas alone B2$c" ]
}

@test "backup verify and restore take what sqlite3 .backup and age wrote" {
	keys
	new_vault
	couple_with_records
	sqlite3 "$V" ".backup '$T/snap.kz'"
	age -r "$R1" -o "$T/b.age" "$T/snap.kz"
	age -a -r "$R2" -o "$T/b.asc" "$T/snap.kz"
	run "$KZ" backup verify "$T/b.age" -i "$T/age.id" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"is intact"* ]]
	run "$KZ" --passphrase-file "$T/pass" --json backup verify "$T/b.asc" --identity "$T/kz.id"
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .ok)" = true ]
	records=$(echo "$output" | jq -r .records)
	[ "$records" -ge 7 ]
	[ "$(echo "$output" | jq -r .authenticated)" = "$records" ]
	# A wrong vault passphrase fails the record check with exit 3.
	run "$KZ" --passphrase-file "$T/newpass" backup verify "$T/b.asc" -i "$T/kz.id"
	[ "$status" -eq 3 ]

	mkdir "$T/r"
	run "$KZ" backup restore "$T/b.age" --to-vault "$T/r/new.kz" -i "$T/age.id" </dev/null
	[ "$status" -eq 0 ]
	[ "$(ls -A "$T/r")" = new.kz ]
	[ "$(mode_of "$T/r/new.kz")" = 600 ]
	run "$KZ" --vault "$T/r/new.kz" --passphrase-file "$T/pass" --json session show s2
	[ "$(echo "$output" | jq -r .text)" = "Aiko alone A1$c" ]
	run "$KZ" backup restore "$T/b.asc" --to-vault "$T/r/new2.kz" -i "$T/kz.id" </dev/null
	[ "$status" -eq 0 ]
	run "$KZ" --vault "$T/r/new2.kz" --passphrase-file "$T/pass" --json goal show g1
	[ "$(echo "$output" | jq -r '.progress[1].note')" = "after his session N3$c" ]
	[ "$(echo "$output" | jq -r '.progress[1].session')" = s3 ]
	# A restored vault is a full vault: it takes new notes.
	run "$KZ" --vault "$T/r/new.kz" --passphrase-file "$T/pass" session add C014 --text "after restore"
	[ "$status" -eq 0 ]
}

@test "backup create in a script needs no passphrase with recipients, exit 2 without" {
	keys
	new_vault
	couple_with_records
	run kz recipients list </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"no backup recipients"* ]]
	run kz backup create "$T/vault/b.age" </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"no recipients"*"recipients add"* ]]
	[ "$(ls -A "$T/vault")" = vault.kz ]
	# Adding a recipient changes the vault's sealed settings: it needs the key.
	run kz recipients add "$R1" </dev/null
	[ "$status" -eq 3 ]
	run kzp recipients add age1notakey
	[ "$status" -eq 2 ]
	run kzp recipients add "$R1"
	[ "$status" -eq 0 ]
	run kzp recipients add "$R1"
	[ "$status" -eq 2 ]
	run kzp recipients add "$R2"
	[ "$status" -eq 0 ]
	run kz --json recipients list </dev/null
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.[].recipient] | join(" ")')" = "$R1 $R2" ]
	# cron: no terminal, no passphrase.
	run kz backup create "$T/vault/b.age" </dev/null
	[ "$status" -eq 0 ]
	[ "$(ls -A "$T/vault" | sort | tr '\n' ' ')" = "b.age vault.kz " ]
	age -d -i "$T/age.id" "$T/vault/b.age" | cmp -s - <(age -d -i "$T/kz.id" "$T/vault/b.age")
	run "$KZ" backup verify "$T/vault/b.age" -i "$T/kz.id" </dev/null
	[ "$status" -eq 0 ]
	# A removed recipient's key no longer opens new backups.
	run kz recipients remove "$R2" </dev/null
	[ "$status" -eq 3 ]
	run kzp recipients remove "$R2"
	[ "$status" -eq 0 ]
	run kz backup create "$T/b2.age" </dev/null
	[ "$status" -eq 0 ]
	run "$KZ" backup verify "$T/b2.age" -i "$T/kz.id" </dev/null
	[ "$status" -eq 3 ]
	# A passphrase backup needs a way to ask for one.
	run kz backup create "$T/p.age" --passphrase </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"no terminal"* ]]
	[ ! -e "$T/p.age" ]
}

@test "a passphrase backup: strength checked, kzage and verify open it, wrong passphrase exit 3" {
	new_vault
	couple_with_records
	printf 'password\n' >"$T/weak"
	run kz backup create "$T/w.age" --backup-passphrase-file "$T/weak" </dev/null
	[ "$status" -eq 2 ]
	[ ! -e "$T/w.age" ]
	run kz backup create "$T/p.age" --backup-passphrase-file "$T/newpass" --to age1x </dev/null
	[ "$status" -eq 2 ]
	run kz backup create "$T/p.age" --backup-passphrase-file "$T/newpass" </dev/null
	[ "$status" -eq 0 ]
	grep -aq '^-> scrypt ' "$T/p.age"
	KZAGE_PASSPHRASE="$NEWPASS" kzage -d -p <"$T/p.age" >"$T/p.kz"
	run "$KZ" --vault "$T/p.kz" --passphrase-file "$T/pass" --json session show s1
	[ "$(echo "$output" | jq -r .text)" = "Joint JT$c" ]
	run "$KZ" backup verify "$T/p.age" --backup-passphrase-file "$T/newpass" </dev/null
	[ "$status" -eq 0 ]
	run "$KZ" backup verify "$T/p.age" --backup-passphrase-file "$T/pass" </dev/null
	[ "$status" -eq 3 ]
	run "$KZ" backup verify "$T/p.age" </dev/null
	[ "$status" -eq 3 ]
	# And kizuna reads a passphrase file written by the age module's writer.
	sqlite3 "$V" ".backup '$T/snap.kz'"
	KZAGE_PASSPHRASE="$NEWPASS" kzage -e -p <"$T/snap.kz" >"$T/q.age"
	run "$KZ" backup restore "$T/q.age" --to-vault "$T/q.kz" --backup-passphrase-file "$T/newpass" </dev/null
	[ "$status" -eq 0 ]
	# The records are those of the snapshot, byte for byte (restore may add
	# an audit entry of its own).
	[ "$(sqlite3 "$T/q.kz" .dump | grep -c 'INSERT INTO bodies')" -ge 7 ]
	diff <(sqlite3 "$T/q.kz" '.dump heads') <(sqlite3 "$T/snap.kz" '.dump heads')
	diff <(sqlite3 "$T/q.kz" '.dump bodies') <(sqlite3 "$T/snap.kz" '.dump bodies')
	run "$KZ" --vault "$T/q.kz" --passphrase-file "$T/pass" --json session show s2
	[ "$(echo "$output" | jq -r .text)" = "Aiko alone A1$c" ]
}

@test "a damaged backup fails verify with exit 4 naming the failure; restore creates nothing" {
	keys
	new_vault
	couple_with_records
	big_note
	run kz backup create "$T/b.age" --to "$R1" </dev/null
	[ "$status" -eq 0 ]
	size=$(stat -c %s "$T/b.age")
	[ "$size" -gt $((3 * 65552)) ]
	mac=$(grep -abo -- '^--- ' "$T/b.age" | head -n 1 | cut -d: -f1)
	[ -n "$mac" ]

	for kind in cut1 cutchunk extended header-mac header-version payload-mid payload-last; do
		cp "$T/b.age" "$T/$kind.age"
	done
	truncate -s $((size - 1)) "$T/cut1.age"
	truncate -s $((size - 65552)) "$T/cutchunk.age"
	printf 'more' >>"$T/extended.age"
	# A MAC character changed to another base64 character: the header MAC fails.
	if [ "$(od -An -c -j $((mac + 8)) -N1 "$T/b.age" | tr -d ' ')" = A ]; then
		poke "$T/header-mac.age" $((mac + 8)) B
	else
		poke "$T/header-mac.age" $((mac + 8)) A
	fi
	flip "$T/header-version.age" 20 # age-encryption.org/v1 -> /v0
	flip "$T/payload-mid.age" $((size - 70000))
	flip "$T/payload-last.age" $((size - 1))

	mkdir "$T/r"
	for kind in cut1 cutchunk extended header-mac header-version payload-mid payload-last; do
		case $kind in
		header-mac) want="HMAC failure" ;;
		header-version) want="header failure" ;;
		*) want="payload failure" ;;
		esac
		run with_private_shm "$KZ" backup verify "$T/$kind.age" -i "$T/age.id" </dev/null
		echo "$kind: $status $output"
		[ "$status" -eq 4 ]
		[[ "$output" == *"$T/$kind.age"*"damaged"*"$want"* ]]
		[ ! -s "$T/shm.left" ]
		run kz backup restore "$T/$kind.age" --to-vault "$T/r/new.kz" -i "$T/age.id" </dev/null
		[ "$status" -eq 4 ]
		[[ "$output" == *"$want"* ]]
		[ -z "$(ls -A "$T/r")" ]
	done

	# Not a vault inside: the age layer is fine, the content is not.
	head -c 300000 /dev/urandom | age -r "$R1" >"$T/random.age"
	run "$KZ" backup verify "$T/random.age" -i "$T/age.id" </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"$T/random.age does not hold a kizuna vault"* ]]
	run "$KZ" backup restore "$T/random.age" --to-vault "$T/r/new.kz" -i "$T/age.id" </dev/null
	[ "$status" -eq 4 ]
	[ -z "$(ls -A "$T/r")" ]
	# Not an age file at all.
	run "$KZ" backup verify "$V" -i "$T/age.id" </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"$V is not an age file"* ]]
	# The wrong identity: exit 3, nothing created.
	run "$KZ" backup verify "$T/b.age" -i "$T/kz.id" </dev/null
	[ "$status" -eq 3 ]
	run kz backup restore "$T/b.age" --to-vault "$T/r/new.kz" -i "$T/kz.id" </dev/null
	[ "$status" -eq 3 ]
	[ -z "$(ls -A "$T/r")" ]
	# An existing destination is never overwritten.
	printf 'keep me\n' >"$T/r/existing.kz"
	run kz backup restore "$T/b.age" --to-vault "$T/r/existing.kz" -i "$T/age.id" </dev/null
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(cat "$T/r/existing.kz")" = "keep me" ]
	[ "$(ls -A "$T/r")" = existing.kz ]
	# The intact file still verifies and restores.
	run with_private_shm "$KZ" backup verify "$T/b.age" -i "$T/age.id" </dev/null
	[ "$status" -eq 0 ]
	[ ! -s "$T/shm.left" ]
	run kz backup restore "$T/b.age" --to-vault "$T/r/new.kz" -i "$T/age.id" </dev/null
	[ "$status" -eq 0 ]
	[ "$(ls -A "$T/r" | sort | tr '\n' ' ')" = "existing.kz new.kz " ]
}

@test "a backup file never exists half written" {
	keys
	new_vault
	couple_with_records
	big_note
	# The destination's folder does not exist: exit 6, nothing created.
	run kz backup create "$T/nowhere/b.age" --to "$R1" </dev/null
	[ "$status" -eq 6 ]
	[[ "$output" == *"$T/nowhere/b.age"* ]]
	[ ! -e "$T/nowhere" ]
	# A bad recipient: exit 2 before anything is written.
	mkdir "$T/bk"
	run kz backup create "$T/bk/b.age" --to age1notakey </dev/null
	[ "$status" -eq 2 ]
	[ -z "$(ls -A "$T/bk")" ]
	# A good backup, then one that fails in mid-stream (the file size limit
	# stops the write): the old backup is left whole, no temporary file stays.
	run kz backup create "$T/bk/b.age" --to "$R1" </dev/null
	[ "$status" -eq 0 ]
	cp "$T/bk/b.age" "$T/old.age"
	kzp session add C014 --text "one more" >/dev/null
	sqlite3 "$V" ".backup '$T/snap.kz'"
	limit=$(($(stat -c %s "$T/snap.kz") / 1024))
	run bash -c 'trap "" XFSZ; ulimit -f "$1"; shift; "$@" </dev/null' _ "$limit" \
		"$KZ" --vault "$V" backup create --force "$T/bk/b.age" --to "$R1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"File too large"* ]]
	cmp "$T/bk/b.age" "$T/old.age"
	[ "$(ls -A "$T/bk")" = b.age ]
	# Without the limit the same command replaces it in one step.
	run kz backup create --force "$T/bk/b.age" --to "$R1" </dev/null
	[ "$status" -eq 0 ]
	[ "$(ls -A "$T/bk")" = b.age ]
	! cmp -s "$T/bk/b.age" "$T/old.age"
	run "$KZ" backup verify "$T/bk/b.age" -i "$T/age.id" </dev/null
	[ "$status" -eq 0 ]
}

@test "backup create while another process reads the vault: a snapshot with the latest note" {
	keys
	new_vault
	couple_with_records
	big_note
	sql_hold "$V" "BEGIN; SELECT count(*) FROM header;" # a reader
	# Written after the reader began: only in the WAL, not in the vault file.
	kzp session add C014 --date 2026-03-01 --text "Late note L$c" >/dev/null
	[ -s "$V-wal" ]
	mkdir "$T/bk"
	run env KIZUNA_BUSY_TIMEOUT_MS=100 "$KZ" --vault "$V" backup create "$T/bk/b.age" --to "$R1" </dev/null
	[ "$status" -eq 0 ]
	[ "$(ls -A "$T/bk")" = b.age ]
	# The same fallback failing half-way leaves neither snapshot nor temporary file.
	sqlite3 "$V" ".backup '$T/snap.kz'"
	limit=$(($(stat -c %s "$T/snap.kz") / 1024))
	run bash -c 'trap "" XFSZ; ulimit -f "$1"; shift; "$@" </dev/null' _ "$limit" \
		env KIZUNA_BUSY_TIMEOUT_MS=100 "$KZ" --vault "$V" backup create "$T/bk/c.age" --to "$R1"
	[ "$status" -eq 1 ]
	[[ "$output" == *"File too large"* ]]
	[ "$(ls -A "$T/bk")" = b.age ]
	sql_release COMMIT
	run kz backup restore "$T/bk/b.age" --to-vault "$T/new.kz" -i "$T/age.id" </dev/null
	[ "$status" -eq 0 ]
	run "$KZ" --vault "$T/new.kz" --passphrase-file "$T/pass" --json session show s5
	[ "$(echo "$output" | jq -r .text)" = "Late note L$c" ]
}

@test "a backup holds no plaintext: canaries and the SQLite header are absent" {
	keys
	new_vault
	couple_with_records
	mkdir "$T/bk"
	kz backup create "$T/bk/b.age" --to "$R1" </dev/null >/dev/null
	kz backup create "$T/bk/b.asc" --to "$R1" --armor </dev/null >/dev/null
	kz backup create "$T/bk/p.age" --backup-passphrase-file "$T/newpass" </dev/null >/dev/null
	[ "$(ls -A "$T/bk" | sort | tr '\n' ' ')" = "b.age b.asc p.age " ]
	assert_absent "$c" "$T/bk"
	assert_absent "SQLite format 3" "$T/bk"
	# The needle is in the decrypted file: the check above can fail.
	age -d -i "$T/age.id" -o "$T/plain.kz" "$T/bk/b.age"
	run assert_absent "SQLite format 3" "$T/plain.kz"
	[ "$status" -eq 1 ]
}

# Replaces ids by their place in the export (S0.., G0..) in sessions, goals,
# goal links and progress, and drops what differs between two exports.
NORM='. as $d
| ([range(0; $d.sessions | length) | {key: $d.sessions[.].id, value: "S\(.)"}]
   + [range(0; $d.goals | length) | {key: $d.goals[.].id, value: "G\(.)"}] | from_entries) as $m
| del(.exported)
| .couple |= del(.created, .updated)
| .sessions |= map(.id = $m[.id] | .goals |= map($m[.]) | del(.created, .updated))
| .goals |= map(.id = $m[.id]
    | .progress |= map(if .session != null then .session = $m[.session] else . end)
    | del(.created, .updated))'

@test "export --format json, then import into another vault gives the same couple" {
	keys
	new_vault
	couple_with_records
	run kzp export C014 --format json -o "$T/f.json"
	[ "$status" -eq 0 ]
	[ "$(mode_of "$T/f.json")" = 600 ]
	[ "$(jq -r .format "$T/f.json")" = kizuna-export ]
	[ "$(jq '.sessions | length' "$T/f.json")" = 3 ]
	[ "$(jq '.goals | length' "$T/f.json")" = 3 ]
	[ "$(jq '[.sessions[] | has("process_notes")] | any' "$T/f.json")" = false ]

	# Another vault whose short ids are taken already: the import renumbers.
	V="$T/other/vault.kz"
	mkdir -p "$T/other"
	new_vault
	kzp couple add C001 >/dev/null
	kzp goal add C001 "Someone else's goal" >/dev/null
	kzp session add C001 --date 2026-01-02 --goal g1 --text "x" >/dev/null
	kzp session add C001 --date 2026-01-03 --text "y" >/dev/null
	run kzp import "$T/f.json"
	[ "$status" -eq 0 ]
	[[ "$output" == *"imported couple C014 with 3 sessions and 3 goals"* ]]
	run kzp export C014 --format json -o "$T/f2.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.sessions[].id, .goals[].id]' "$T/f2.json")" = '["s3","s4","s5","g2","g3","g4"]' ]
	diff <(jq -S "$NORM" "$T/f.json") <(jq -S "$NORM" "$T/f2.json")
	# The links survived the renumbering (not all null).
	[ "$(jq -c '[.goals[0].progress[].session]' "$T/f2.json")" = '["s3","s5"]' ]
	[ "$(jq -c '[.sessions[].goals]' "$T/f2.json")" = '[["g2","g3"],["g4"],["g2","g3"]]' ]
	[ "$(jq -r .couple.formulation.problem "$T/f2.json")" = "She calls it homesickness $c" ]
	# The imported records work like any other: listed, searchable, shown.
	run kzp --json session list C014
	[ "$(echo "$output" | jq -r '[.[].attended] | join(",")')" = "both,partner1,partner2" ]
	run kzp --json search "B2$c"
	[ "$(echo "$output" | jq -r '.[0].id')" = s5 ]
	run kzp --json goal list C014 --status all
	[ "$(echo "$output" | jq -r '[.[].for] | join(",")')" = "couple,Jonas,Aiko" ]
	run kzp --json goal show g2
	[ "$(echo "$output" | jq -r '.progress[1].note')" = "after his session N3$c" ]
	# Process notes travel only when asked for.
	run kzp --json session show s3
	[ "$(echo "$output" | jq -r .process_notes)" = "" ]
	V="$T/vault/vault.kz"
	kzp export C014 --format json --include-process-notes -o "$T/pn.json" >/dev/null
	V="$T/other/vault.kz"
	run kzp import "$T/pn.json" --as C015
	[ "$status" -eq 0 ]
	run kzp --json session list C015
	first=$(echo "$output" | jq -r '.[0].id')
	run kzp --json session show "$first"
	[ "$(echo "$output" | jq -r .process_notes)" = "PJ$c" ]
	[ "$(echo "$output" | jq -r .text)" = "Joint JT$c" ]
}

@test "import refuses a CODE clash (exit 2) unless --as, and non-exports change nothing" {
	new_vault
	couple_with_records
	kzp export C014 --format json -o "$T/f.json" >/dev/null
	before=$(kz --json info | jq .records)
	run kzp import "$T/f.json"
	[ "$status" -eq 2 ]
	[[ "$output" == *"C014 already exists"*"--as"* ]]
	[ "$(kz --json info | jq .records)" = "$before" ]
	run kzp import "$T/f.json" --as "bad code"
	[ "$status" -eq 2 ]
	for bad in '{"a": 1}' '[1, 2]' 'not json at all' '{"format": "kizuna-export", "couple": {}}'; do
		printf '%s\n' "$bad" >"$T/bad.json"
		run kzp import "$T/bad.json"
		[ "$status" -eq 2 ]
		[ "$(kz --json info | jq .records)" = "$before" ]
	done
	# Well-formed at the top, broken further down (a session without a date):
	# the couple and the goals already written are rolled back.
	jq '.sessions[1].date = ""' "$T/f.json" >"$T/broken.json"
	run kzp import "$T/broken.json" --as C099
	[ "$status" -eq 2 ]
	[[ "$output" == *"session without a date"* ]]
	[ "$(kz --json info | jq .records)" = "$before" ]
	run kzp couple show C099
	[ "$status" -eq 6 ]
	run kzp import "$T/missing.json"
	[ "$status" -eq 6 ]
	run kzp import "$T/f.json" --as C015
	[ "$status" -eq 0 ]
	[ "$(kz --json info | jq .records)" = $((before + 7)) ]
	run kzp --json couple show C015
	[ "$(echo "$output" | jq -r .code)" = C015 ]
	[ "$(echo "$output" | jq -r .partner1.name)" = Aiko ]
	run kzp --json session list C015
	[ "$(echo "$output" | jq length)" = 3 ]
	# 64 MiB of plain JSON at most: the export followed by spaces up to the
	# limit imports; one byte more is refused before anything is parsed.
	cp "$T/f.json" "$T/edge.json"
	truncate -s 64M "$T/edge.json"
	tr '\0' ' ' <"$T/edge.json" >"$T/edge2.json"
	rm "$T/edge.json"
	run kzp import "$T/edge2.json" --as C016
	[ "$status" -eq 0 ]
	[ "$(kz --json info | jq .records)" = $((before + 14)) ]
	printf ' ' >>"$T/edge2.json"
	run kzp import "$T/edge2.json" --as C017
	[ "$status" -eq 2 ]
	[[ "$output" == *"edge2.json is larger than 64 MiB" ]]
	[ "$(kz --json info | jq .records)" = $((before + 14)) ]
	rm "$T/edge2.json"
}

@test "export --to writes an age file that import -i reads; no plaintext in it" {
	keys
	new_vault
	couple_with_records
	run kzp export C014 --format json --to "$R2" -o "$T/f.age"
	[ "$status" -eq 0 ]
	head -n 1 "$T/f.age" | grep -qx 'age-encryption.org/v1'
	[ "$(mode_of "$T/f.age")" = 600 ]
	assert_absent "$c" "$T/f.age"
	assert_absent "kizuna-export" "$T/f.age"
	[ "$(age -d -i "$T/kz.id" "$T/f.age" | jq -r .couple.code)" = C014 ]
	V="$T/other/vault.kz"
	mkdir -p "$T/other"
	new_vault
	run kzp import "$T/f.age" </dev/null
	[ "$status" -eq 3 ]
	run kzp import "$T/f.age" -i "$T/age.id"
	[ "$status" -eq 3 ]
	run kzp couple show C014
	[ "$status" -eq 6 ]
	run kzp import "$T/f.age" -i "$T/kz.id"
	[ "$status" -eq 0 ]
	run kzp --json session show s2
	[ "$(echo "$output" | jq -r .text)" = "Aiko alone A1$c" ]
	# Armored too, read back by import.
	V="$T/vault/vault.kz"
	kzp export C014 --format json --to "$R1" -a -o "$T/f.asc" >/dev/null
	head -n 1 "$T/f.asc" | grep -qx -- '-----BEGIN AGE ENCRYPTED FILE-----'
	V="$T/other/vault.kz"
	run kzp import "$T/f.asc" -i "$T/age.id" --as C016
	[ "$status" -eq 0 ]
	# A damaged age export is an integrity failure that imports nothing.
	before=$(kz --json info | jq .records)
	cp "$T/f.age" "$T/cut.age"
	truncate -s -3 "$T/cut.age"
	run kzp import "$T/cut.age" -i "$T/kz.id" --as C017
	[ "$status" -eq 4 ]
	[ "$(kz --json info | jq .records)" = "$before" ]
}

@test "--for-partner 1 leaves out partner 2's sessions, goals and process notes" {
	new_vault
	couple_with_records
	run kzp export C014 --format json --for-partner 1 -o "$T/p1.json"
	[ "$status" -eq 0 ]
	[ "$(jq -r .for_partner "$T/p1.json")" = 1 ]
	[ "$(jq -c '[.sessions[].id]' "$T/p1.json")" = '["s1","s2"]' ]
	[ "$(jq -c '[.sessions[].attended]' "$T/p1.json")" = '["both","partner1"]' ]
	[ "$(jq -c '[.goals[].id]' "$T/p1.json")" = '["g1","g3"]' ]
	# The joint session's link to partner 2's goal goes too.
	[ "$(jq -c '[.sessions[].goals]' "$T/p1.json")" = '[["g1"],["g3"]]' ]
	! grep -q '"g2"' "$T/p1.json"
	# Progress recorded in partner 2's session keeps its score, not the link or note.
	[ "$(jq -c '.goals[0].progress[1] | [.score, .session, has("note")]' "$T/p1.json")" = '[6,null,false]' ]
	[ "$(jq -c '.goals[0].progress[0] | [.score, .session, .note]' "$T/p1.json")" = '[4,"s1","first try"]' ]
	assert_absent "B2$c" "$T/p1.json"
	assert_absent "N3$c" "$T/p1.json"
	assert_absent "name his anger" "$T/p1.json"
	for p in PJ PA PB; do assert_absent "$p$c" "$T/p1.json"; done
	grep -q "A1$c" "$T/p1.json"
	grep -q "JT$c" "$T/p1.json"

	run kzp export C014 --format json --for-partner 1 --include-process-notes -o "$T/p1pn.json"
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.sessions[].process_notes]' "$T/p1pn.json")" = "[\"PJ$c\",\"PA$c\"]" ]
	assert_absent "PB$c" "$T/p1pn.json"

	run kzp export C014 --format json --for-partner 2 -o "$T/p2.json"
	[ "$(jq -c '[.sessions[].id]' "$T/p2.json")" = '["s1","s3"]' ]
	[ "$(jq -c '[.goals[].id]' "$T/p2.json")" = '["g1","g2"]' ]
	[ "$(jq -c '[.sessions[].goals]' "$T/p2.json")" = '[["g1","g2"],["g1","g2"]]' ]
	assert_absent "A1$c" "$T/p2.json"
	assert_absent "call her sister" "$T/p2.json"

	run kzp export C014 --for-partner 1 -o "$T/p1.md"
	[ "$status" -eq 0 ]
	grep -q "Copy for partner 1" "$T/p1.md"
	grep -q "^### Session s2: 2026-01-17$" "$T/p1.md"
	! grep -q "^### Session s3" "$T/p1.md"
	assert_absent "B2$c" "$T/p1.md"
	assert_absent "PA$c" "$T/p1.md"
	run kzp export C014 --for-partner 3 -o "$T/p3.md"
	[ "$status" -eq 2 ]
	[ ! -e "$T/p3.md" ]
}

@test "Markdown export: the headings, mode 0600, never overwrites" {
	new_vault
	couple_with_records
	run kzp export C014 -o "$T/c.md"
	[ "$status" -eq 0 ]
	[ "$(mode_of "$T/c.md")" = 600 ]
	for h in "# Couple record C014" "## Profile" "## Cultural formulation" "## Goals" \
		"## Sessions" "### Session s1: 2026-01-10" "### Session s2: 2026-01-17" \
		"### Session s3: 2026-01-24" "### Partner 1: Aiko" "### g1: Plan the holidays together"; do
		grep -qxF -- "$h" "$T/c.md" || { echo "missing heading: $h"; false; }
	done
	# Sessions in date order, the complete record, no process notes.
	[ "$(grep -n '^### Session' "$T/c.md" | cut -d: -f2- | tr '\n' '|')" = \
		"### Session s1: 2026-01-10|### Session s2: 2026-01-17|### Session s3: 2026-01-24|" ]
	grep -q "Complete record" "$T/c.md"
	grep -qF "She calls it homesickness $c" "$T/c.md"
	grep -qF "Jonas alone B2$c" "$T/c.md"
	assert_absent "PJ$c" "$T/c.md"
	cp "$T/c.md" "$T/c.orig"
	run kzp export C014 -o "$T/c.md"
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	cmp "$T/c.md" "$T/c.orig"
	run kzp export C014 --format json -o "$T/c.md"
	[ "$status" -eq 1 ]
	cmp "$T/c.md" "$T/c.orig"
	# Unknown couple, bad format: nothing written.
	run kzp export C999 -o "$T/none.md"
	[ "$status" -eq 6 ]
	run kzp export C014 --format pdf -o "$T/none.md"
	[ "$status" -eq 2 ]
	[ ! -e "$T/none.md" ]
	[ "$(ls -A "$T" | grep -c 'tmp-')" = 0 ]
}
