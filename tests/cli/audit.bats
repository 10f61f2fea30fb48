#!/usr/bin/env bats
# The audit trail: every event kind with its record and couple, keyless events
# folded at the next unlock, tampering and rollback, doctor, rekey (and a rekey
# killed midway), and scripts/audit.sh as cron runs it.

load helpers

set -o pipefail

AUDIT_SH="$BATS_TEST_DIRNAME/../../scripts/audit.sh"

# The log as JSON, with the unlock of the reading command itself at the end.
log() { kzp --json audit log; }

# The newest entry that is not an unlock, a failed unlock or a lock (as JSON).
last_event() { log | jq -c '[.[] | select(.event | IN("unlock", "unlock_failed", "lock") | not)] | last'; }

# Asserts the newest such entry: EVENT CMD REF COUPLE ("" for absent).
expect_event() {
	local e
	e=$(last_event) || return 1
	if [ "$(jq -r .event <<<"$e")" != "$1" ] || [ "$(jq -r .cmd <<<"$e")" != "$2" ] ||
		[ "$(jq -r '.ref // ""' <<<"$e")" != "$3" ] || [ "$(jq -r '.couple // ""' <<<"$e")" != "$4" ]; then
		echo "expected event=$1 cmd=$2 ref=$3 couple=$4, the log ends with: $e"
		return 1
	fi
}

# Flips the lowest bit of the middle byte of a blob: db table where column.
flip_blob() {
	local h n mid c
	h=$(sqlite3 "$1" "SELECT hex($4) FROM $2 WHERE $3")
	[ -n "$h" ] || return 1
	n=${#h}
	mid=$((n / 2 - n / 2 % 2)) # a byte boundary in the hex
	c=$(printf '%02X' $((0x${h:mid:2} ^ 1)))
	sqlite3 "$1" "UPDATE $2 SET $4 = X'${h:0:mid}$c${h:mid+2}' WHERE $3"
}

# Runs "$@" with a private, empty /dev/shm when the system allows one, so that
# doctor's editor-leftover check does not see other programs' files.
private_shm() {
	if unshare -m true 2>/dev/null; then
		unshare -m sh -c 'mount -t tmpfs kzshm /dev/shm || exit 99; exec "$@"' sh "$@"
	else
		"$@"
	fi
}

# A vault at RFC 9106's floor, so doctor's key-derivation check passes.
floor_vault() {
	kzp init --kdf-memory 64M --kdf-iterations 3 >"$T/init.out" 2>&1 || {
		cat "$T/init.out"
		return 1
	}
}

# doctor --json (stdout only: the error document goes to stderr).
doctor_json() { private_shm "$KZ" --vault "$V" --passphrase-file "$T/pass" --json doctor 2>/dev/null; }

# doctor's status of one check (from --json doctor output in $output).
check_status() { jq -r --arg c "$1" '.[] | select(.check == $c) | .status' <<<"$output"; }

# A couple with a session, a goal and progress.
some_records() {
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp session add C014 --date 2026-01-10 --minutes 60 --text "First joint session" >/dev/null
	kzp goal add C014 "Plan the holidays together" >/dev/null
	kzp goal progress g1 4 --session s1 --note "first try" >/dev/null
}

# ---- events ----

@test "audit log: unlock, create, change, sign, amend with their record and couple" {
	new_vault
	run kzp couple add C014 partner1.name=Aiko
	[ "$status" -eq 0 ]
	expect_event create "couple add" C014 C014
	# Every command that needed the key logged an unlock first.
	[ "$(log | jq -r '.[0].event')" = unlock ]
	[ "$(log | jq -r '.[0].how')" = passphrase ]
	[ "$(log | jq -r '.[-1].event')" = unlock ]
	[ "$(log | jq -r '[.[] | .seq] == [range(1; length + 1)]')" = true ]
	run kzp session add C014 --date 2026-01-10 --text "First joint session"
	[ "$status" -eq 0 ]
	expect_event create "session add" s1 C014
	run kzp goal add C014 "Plan the holidays together"
	[ "$status" -eq 0 ]
	expect_event create "goal add" g1 C014
	run kzp couple set C014 residence=Germany
	[ "$status" -eq 0 ]
	expect_event change "couple set" C014 C014
	run kzp session edit s1 --text "First joint session, corrected"
	[ "$status" -eq 0 ]
	expect_event change "session edit" s1 C014
	run kzp goal progress g1 4 --session s1 --note "first try"
	[ "$status" -eq 0 ]
	expect_event change "goal progress" g1 C014
	run kzp session sign s1
	[ "$status" -eq 0 ]
	expect_event sign "session sign" s1 C014
	run kzp session amend s1 --text "Addendum"
	[ "$status" -eq 0 ]
	expect_event amend "session amend" s1 C014
	# A failed command logs nothing but its unlock.
	n=$(log | jq length)
	run kzp couple set C999 residence=X
	[ "$status" -eq 6 ]
	[ "$(log | jq length)" -eq $((n + 2)) ]
	expect_event amend "session amend" s1 C014
	# The recovery key's unlock says so ($recovery: set by new_vault).
	# shellcheck disable=SC2154
	printf '%s\n' "$recovery" >"$T/rk"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" --json audit log
	[ "$(echo "$output" | jq -r '.[-1].how')" = "recovery key" ]
}

@test "audit log: view events for couple show, session show and search (the query is not logged)" {
	new_vault
	some_records
	run kzp couple show C014
	[ "$status" -eq 0 ]
	expect_event view "couple show" C014 C014
	run kzp session show s1
	[ "$status" -eq 0 ]
	expect_event view "session show" s1 C014
	run kzp goal show g1
	[ "$status" -eq 0 ]
	expect_event view "goal show" g1 C014
	run kzp search joint
	[ "$status" -eq 0 ]
	[[ "$output" == *s1* ]]
	expect_event view search "" ""
	[[ "$(log)" != *joint* ]]
	[ "$(log | jq '[.[] | select(.event == "view")] | length')" -eq 4 ]
}

@test "audit log: delete, export and import name the couple, whatever the order of options" {
	new_vault
	some_records
	run kzp export C014 --format json -o "$T/c014.json"
	[ "$status" -eq 0 ]
	expect_event export export C014 C014
	run kzp import "$T/c014.json" --as C015
	[ "$status" -eq 0 ]
	expect_event import import C015 C015
	[[ "$(log)" != *c014.json* ]]
	kzp couple close C015 >/dev/null
	run kzp couple delete C015 --yes --before-retention --reason test
	[ "$status" -eq 0 ]
	expect_event erase "couple delete" C015 C015
	# Options before the code, flags and values alike, do not hide the couple.
	run kzp export --include-process-notes -o "$T/c014.md" C014
	[ "$status" -eq 0 ]
	expect_event export export C014 C014
	kzp import "$T/c014.json" --as C016 >/dev/null
	kzp couple close C016 >/dev/null
	run kzp couple delete --yes C016 --before-retention --reason test
	[ "$status" -eq 0 ]
	expect_event erase "couple delete" C016 C016
	run kzp --json session add --date 2026-01-17 --minutes 50 C014 --text "Second"
	[ "$status" -eq 0 ]
	sid=$(echo "$output" | jq -r .added)
	[[ "$sid" == s* ]]
	expect_event create "session add" "$sid" C014
}

@test "audit log: setting, passphrase and rekey events" {
	new_vault
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	run kzp config set practice.name "Praxis am See"
	[ "$status" -eq 0 ]
	expect_event setting "config set" practice.name ""
	[[ "$(log)" != *"Praxis am See"* ]]
	run kzp recipients add "$R"
	[ "$status" -eq 0 ]
	expect_event setting "recipients add" "$R" ""
	run kzp passwd --new-passphrase-file "$T/newpass"
	[ "$status" -eq 0 ]
	# Only the new passphrase unlocks now.
	run kzp audit log
	[ "$status" -eq 3 ]
	cp "$T/newpass" "$T/pass"
	expect_event passphrase passwd "" ""
	run kzp recovery rotate
	[ "$status" -eq 0 ]
	expect_event passphrase "recovery rotate" "" ""
	run kzp rekey
	[ "$status" -eq 0 ]
	expect_event rekey rekey "" ""
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "audit log: lock and unlock in a script (the passphrase file is read again)" {
	new_vault
	run sh -c 'printf "unlock\nlock\nunlock\n" | "$@"' sh "$KZ" --vault "$V" --passphrase-file "$T/pass"
	[ "$status" -eq 0 ]
	[ "$(log | jq -c '[.[-4:-1][] | [.event, .how]]')" = '[["unlock","passphrase"],["lock","manual"],["unlock","passphrase"]]' ]
	# Locked again, the script cannot go on without the key.
	run sh -c 'printf "unlock\nlock\ncouple list\n" | "$@"' sh "$KZ" --vault "$V"
	[ "$status" -eq 3 ]
}

@test "audit log --limit N: the latest N; 0 and scripts all; --couple's latest; a terminal's latest screenful and its count" {
	new_vault
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp couple add C015 partner1.name=Mele partner2.name=Tomasz >/dev/null
	for i in 1 2 3 4 5 6; do
		kzp session add "C01$((4 + i % 2))" --date "2026-01-0$i" --text "note $i" >/dev/null
	done
	# Entries are numbered from 1 without a gap; each command adds its unlock.
	lim3=$(kzp --json audit log --limit 3 | jq -c '[.[] | .seq]')
	all=$(log | jq -c '[.[] | .seq]')
	n=$(jq length <<<"$all")
	[ "$n" -gt 16 ]
	[ "$(jq -c '.[-4:-1]' <<<"$all")" = "$lim3" ] # the latest 3 when it ran
	run kzp audit log --limit 3
	[ "$status" -eq 0 ]
	[ "$(grep -cE '^[0-9]+ +20[0-9]{2}-' <<<"$output")" -eq 3 ]
	[[ "$output" == *$'\n'"$((n + 1)) "* ]]
	[[ "$output" != *"--limit 0 for all"* ]] # a script's output is as it was
	# 0, as many as there are, and no --limit in a script: every entry.
	m=$((n + 1))
	for lim in 0 "$((n + 5))" ""; do
		m=$((m + 1))
		[ "$(kzp --json audit log ${lim:+--limit "$lim"} | jq -c '[.[] | .seq] | [length, .[0], .[-1]]')" = "[$m,1,$m]" ]
	done
	# With --couple, the latest of that couple's (the code's case ignored).
	c15=$(kzp --json audit log --couple c015 | jq -c '[.[] | .seq]')
	[ "$(jq length <<<"$c15")" -ge 4 ]
	[ "$(kzp --json audit log --couple C015 --limit 2 | jq -c '[.[] | .seq]')" = "$(jq -c '.[-2:]' <<<"$c15")" ]
	[ "$(kzp --json audit log --couple C015 | jq '[.[] | select(.couple != "C015")] | length')" -eq 0 ]
	for bad in -1 x 1.5 ""; do
		run kzp audit log --limit "$bad"
		[ "$status" -eq 2 ]
		[ "$output" = "kizuna: audit log: --limit takes a number of rows (0 for all), not '$bad'" ]
	done
	# A terminal without --limit gets the latest screenful (its rows less 6, at
	# least 10) and a line saying how many there are.
	last=$(kzp --json audit log --limit 1 | jq '.[0].seq')
	run env LINES=12 script -qec "$KZ --vault $V --passphrase-file $T/pass --no-pager audit log" /dev/null
	echo "$output"
	[ "$(grep -cE '^[0-9]+ +20[0-9]{2}-' <<<"$output")" -eq 10 ]
	[[ "$output" == *"$((last + 1)) events; the latest 10 shown: --limit 0 for all"* ]]
	[[ "$output" == *$'\n'"$((last + 1)) "* ]]   # the newest: its own unlock
	[[ "$output" == *$'\n'"$((last - 8)) "* ]]   # the 10th newest
	[[ "$output" != *$'\n'"$((last - 9)) "* ]]   # the 11th is not shown
	# The attack: an old entry altered with sqlite3. Showing only the latest
	# still checks the whole chain: exit 4 naming it, nothing shown.
	flip_blob "$V" audit "seq = 3" blob
	run kzp audit log --limit 2
	[ "$status" -eq 4 ]
	[ "$output" = "kizuna: audit chain broken at entry 3: its link does not verify (altered, removed or reordered entries)" ]
}

@test "three wrong passphrases then the right one: three unlock_failed before the unlock" {
	new_vault
	printf 'Wrong harbor lantern 41\n' >"$T/bad"
	for _ in 1 2 3; do
		run "$KZ" --vault "$V" --passphrase-file "$T/bad" couple list
		[ "$status" -eq 3 ]
	done
	run kzp --json audit log
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c '[.[-4:][] | .event]')" = '["unlock_failed","unlock_failed","unlock_failed","unlock"]' ]
	[ "$(echo "$output" | jq -c '[.[-4:-1][] | .keyless]')" = '[true,true,true]' ]
	[ "$(echo "$output" | jq -c '[.[-4:-1][] | .how] | unique')" = '["passphrase"]' ]
	# A wrong recovery key too.
	printf '0000-0000-0000-0000-0000-0000-0000-0000\n' >"$T/rk"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk" couple list
	[ "$status" -eq 3 ]
	run kzp --json audit log
	[ "$(echo "$output" | jq -c '.[-2] | [.event, .how]')" = '["unlock_failed","recovery key"]' ]
}

@test "backup without the passphrase is a keyless event, folded at the next unlock" {
	new_vault
	some_records
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	n=$(log | jq length)
	run kz backup create "$T/b.age" </dev/null
	[ "$status" -eq 0 ]
	# Pending, sealed to the inbox key: not in the chain and not readable.
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit_pending')" -eq 1 ]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit')" -eq "$n" ]
	[ -z "$(sqlite3 "$V" 'SELECT blob FROM audit_pending' | grep -a backup || true)" ]
	run kzp --json audit log
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq $((n + 2)) ]
	e=$(echo "$output" | jq -c '.[-2]')
	[ "$(jq -r .event <<<"$e")" = backup ]
	[ "$(jq -r .cmd <<<"$e")" = "backup create" ]
	[ "$(jq -r .keyless <<<"$e")" = true ]
	[ "$(echo "$output" | jq -r '.[-1].event')" = unlock ]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit_pending')" -eq 0 ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "restore: the restored vault's log shows it after unlocking" {
	new_vault
	some_records
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	kz backup create "$T/b.age" </dev/null >/dev/null
	run "$KZ" backup restore "$T/b.age" --to-vault "$T/r.kz" -i "$T/kz.id" </dev/null
	[ "$status" -eq 0 ]
	run "$KZ" --vault "$T/r.kz" --passphrase-file "$T/pass" --json audit log
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -c '.[-2] | [.event, .cmd, .keyless]')" = '["restore","backup restore",true]' ]
	run "$KZ" --vault "$T/r.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 0 ]
	# The original vault's own log has no restore.
	[ "$(log | jq '[.[] | select(.event == "restore")] | length')" -eq 0 ]
}

# Seals JSON to the vault's inbox key and queues it, as anyone who can write the
# file can (the inbox key is public, in the header): a forged keyless event.
forge_pending() { "$(dirname "$KZ")/tests/kzforge" "$V" "$1"; }

@test "a pending event forged without the key joins the chain only as keyless" {
	new_vault
	some_records
	forge_pending '{"t":"2026-01-01T00:00:00Z","event":"delete","cmd":"couple delete","ref":"C014","couple":"C014","keyless":false}'
	forge_pending '{"t":"2026-01-01T00:00:00Z","event":"backup","cmd":"backup create","keyless":false}'
	forge_pending 'not json at all'
	run kzp --json audit log
	[ "$status" -eq 0 ]
	# Every folded entry says it was written without the key ...
	[ "$(echo "$output" | jq -c '[.[-4:-1][] | .keyless]')" = '[true,true,true]' ]
	# ... and an event that only the key holder causes is not taken at its word.
	[ "$(echo "$output" | jq '[.[] | select(.event == "delete")] | length')" -eq 0 ]
	[ "$(echo "$output" | jq -r '.[-4].event')" = pending_invalid ]
	[ "$(echo "$output" | jq -r '.[-4].pending.event')" = delete ]
	[ "$(echo "$output" | jq -r '.[-3].event')" = backup ]
	[ "$(echo "$output" | jq -r '.[-2].event')" = pending_invalid ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "a damaged inbox key does not hide unlocks; audit verify and doctor exit 4" {
	new_vault
	some_records
	cp "$V" "$T/pk.kz"
	sqlite3 "$V" "UPDATE header SET value = zeroblob(length(value)) WHERE name = 'inbox.sk'"
	printf 'Wrong harbor lantern 41\n' >"$T/bad"
	run "$KZ" --vault "$V" --passphrase-file "$T/bad" couple list
	[ "$status" -eq 3 ]
	n=$(sqlite3 "$V" 'SELECT count(*) FROM audit')
	# The header is in the vault's commitment: nothing opens, nothing is shown.
	run kzp session show s1
	[ "$status" -eq 4 ]
	[[ "$output" == *"header was changed"* ]]
	[[ "$output" != *"First joint session"* ]]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit')" -eq "$n" ]
	run kzp audit verify
	[ "$status" -eq 4 ]
	run doctor_json
	[ "$status" -eq 4 ]
	# An inbox public key replaced by someone else's: found too.
	sqlite3 "$T/pk.kz" "UPDATE header SET value = randomblob(32) WHERE name = 'inbox.pk'"
	run "$KZ" --vault "$T/pk.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 4 ]
	[[ "$output" == *"header was changed"* ]]
}

@test "processes at once: no event is lost and the chain stays whole" {
	new_vault
	some_records
	printf 'Wrong harbor lantern 41\n' >"$T/bad"
	for _ in 1 2 3; do
		(
			for _ in 1 2 3 4 5 6; do
				"$KZ" --vault "$V" --passphrase-file "$T/pass" couple show C014 >/dev/null || echo "show failed"
				"$KZ" --vault "$V" --passphrase-file "$T/bad" couple show C014 >/dev/null 2>&1 || true
			done
		) &
	done
	wait
	run kzp --json audit log
	[ "$status" -eq 0 ]
	echo "$output" | jq -c 'group_by(.event) | map([.[0].event, length])'
	[ "$(echo "$output" | jq '[.[] | select(.event == "view")] | length')" -eq 18 ]
	[ "$(echo "$output" | jq '[.[] | select(.event == "unlock_failed")] | length')" -eq 18 ]
	[ "$(echo "$output" | jq '[.[] | .seq] == [range(1; length + 1)]')" = true ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

# ---- tampering ----

@test "audit verify: a deleted, altered or swapped entry exits 4 naming it" {
	new_vault
	some_records
	kzp session show s1 >/dev/null
	run kzp audit verify
	[ "$status" -eq 0 ]
	[[ "$output" == *"audit chain verifies"* ]]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit')" -ge 8 ]
	for t in del byte swap macswap; do cp "$V" "$T/$t.kz"; done

	sqlite3 "$T/del.kz" 'DELETE FROM audit WHERE seq = 3'
	run "$KZ" --vault "$T/del.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 4 ]
	[[ "$output" == *"entry 3"* ]]

	flip_blob "$T/byte.kz" audit "seq = 5" blob
	run "$KZ" --vault "$T/byte.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 4 ]
	[[ "$output" == *"entry 5"* ]]

	sqlite3 "$T/swap.kz" "UPDATE audit SET blob = CASE seq WHEN 4 THEN (SELECT blob FROM audit WHERE seq = 6)
		ELSE (SELECT blob FROM audit WHERE seq = 4) END, mac = CASE seq WHEN 4 THEN
		(SELECT mac FROM audit WHERE seq = 6) ELSE (SELECT mac FROM audit WHERE seq = 4) END WHERE seq IN (4, 6)"
	run "$KZ" --vault "$T/swap.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 4 ]
	[[ "$output" == *"entry 4"* ]]

	# A recomputed-looking MAC of another entry does not help either.
	sqlite3 "$T/macswap.kz" "UPDATE audit SET mac = (SELECT mac FROM audit WHERE seq = 2) WHERE seq = 7"
	run "$KZ" --vault "$T/macswap.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 4 ]
	[[ "$output" == *"entry 7"* ]]

	# audit log refuses a broken chain too; doctor names the check.
	run "$KZ" --vault "$T/del.kz" --passphrase-file "$T/pass" audit log
	[ "$status" -eq 4 ]
	V="$T/byte.kz" run doctor_json
	[ "$status" -eq 4 ]
	[ "$(check_status 'audit chain')" = FAIL ]
	[[ "$(jq -r '.[] | select(.check == "audit chain") | .detail' <<<"$output")" == *"entry 5"* ]]
	# The untouched vault still verifies.
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "audit verify --expect-head: an older copy says rolled back; a removed last entry is caught" {
	new_vault
	some_records
	cp "$V" "$T/old.kz"
	kzp couple set C014 residence=Japan >/dev/null
	kzp session show s1 >/dev/null
	kzp goal show g1 >/dev/null
	head=$(kz audit head)
	[[ "$head" =~ ^[0-9]+:[0-9a-f]{64}$ ]]
	run kzp audit verify --expect-head "$head"
	[ "$status" -eq 0 ]
	# The head is what shows the rollback: alone, the old copy's chain is whole.
	cp "$T/old.kz" "$T/old2.kz"
	run "$KZ" --vault "$T/old2.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 0 ]
	cp "$T/old.kz" "$V"
	run kzp audit verify --expect-head "$head"
	[ "$status" -eq 4 ]
	[[ "$output" == *"rolled back"* ]]
	[[ "$output" == *"entry ${head%%:*}"* ]]

	# Removing the newest entry: found only against the recorded head.
	rm -f "$V"
	new_vault
	some_records
	head=$(kz audit head)
	last=${head%%:*}
	sqlite3 "$V" "DELETE FROM audit WHERE seq = $last"
	cp "$V" "$T/cut.kz"
	# The vault's commitment names the audit head: caught without a kept head.
	run kzp audit verify
	[ "$status" -eq 4 ]
	[[ "$output" == *"audit trail does not end where"* ]]
	cp "$T/cut.kz" "$V"
	run kzp audit verify --expect-head "$head"
	[ "$status" -eq 4 ]
	[[ "$output" == *"entry $last"* ]]
	# A malformed head is a usage error.
	rm -f "$V"
	new_vault
	run kzp audit verify --expect-head nonsense
	[ "$status" -eq 2 ]
}

# ---- doctor ----

@test "doctor passes on a fresh vault at the KDF floor and after a backup; --json is an array" {
	floor_vault
	run private_shm "$KZ" --vault "$V" --passphrase-file "$T/pass" doctor
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"records"* ]]
	run doctor_json
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r 'type')" = array ]
	[ "$(echo "$output" | jq '[.[] | select(has("check") and has("status") and has("detail"))] | length')" -eq "$(echo "$output" | jq length)" ]
	[ "$(echo "$output" | jq '[.[] | select(.status == "FAIL")] | length')" -eq 0 ]
	[ "$(check_status 'key derivation')" != FAIL ]
	[ "$(check_status 'last backup')" = warn ]
	# The swap row as this machine is (unit-tested against made-up ones):
	# ok and "none" without swap, never a failure.
	if [ "$(sed 1d /proc/swaps | wc -l)" -eq 0 ]; then
		[ "$(check_status swap)" = ok ]
		[[ "$(jq -r '.[] | select(.check == "swap") | .detail' <<<"$output")" == none:* ]]
	else
		[[ "$(check_status swap)" == @(ok|warn) ]]
	fi
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	some_records
	# A backup without the key is a keyless event: it satisfies nothing.
	kz backup create "$T/b.age" </dev/null >/dev/null
	run doctor_json
	[ "$status" -eq 0 ]
	[ "$(check_status 'last backup')" = warn ]
	[[ "$(jq -r '.[] | select(.check == "last backup") | .detail' <<<"$output")" == *"only keyless backups"*unverified* ]]
	# With the passphrase, its event is written with the key.
	kzp backup create --force "$T/b.age" </dev/null >/dev/null
	run doctor_json
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(check_status 'last backup')" = ok ]
	[ "$(check_status records)" = ok ]
	[ "$(check_status 'backup recipients')" = ok ]
}

@test "doctor fails naming the check: file permissions (1), an altered record (4)" {
	floor_vault
	some_records
	chmod 644 "$V"
	run private_shm "$KZ" --vault "$V" --passphrase-file "$T/pass" doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"file permissions"*"chmod 600"* ]]
	run doctor_json
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -c '[.[] | select(.status == "FAIL") | .check]')" = '["file permissions"]' ]
	chmod 600 "$V"
	flip_blob "$V" bodies "id = (SELECT max(id) FROM bodies)" body
	run private_shm "$KZ" --vault "$V" --passphrase-file "$T/pass" doctor
	[ "$status" -eq 4 ]
	[[ "$output" == *"records"*"failed authentication"* ]]
	run doctor_json
	[ "$status" -eq 4 ]
	[ "$(echo "$output" | jq -c '[.[] | select(.status == "FAIL") | .check]')" = '["records"]' ]
	[ "$(echo "$output" | jq -r '.[] | select(.check == "records") | .integrity')" = true ]
}

@test "doctor fails on KDF costs below the floor (exit 1, key derivation)" {
	new_vault
	run private_shm "$KZ" --vault "$V" --passphrase-file "$T/pass" doctor
	[ "$status" -eq 1 ]
	[[ "$output" == *"key derivation"*"below"* ]]
	run doctor_json
	[ "$status" -eq 1 ]
	[ "$(echo "$output" | jq -c '[.[] | select(.status == "FAIL") | .check]')" = '["key derivation"]' ]
}

# ---- rekey ----

@test "rekey: records read the same, the chain verifies, only the new recovery key opens" {
	new_vault
	some_records
	kzp session add C014 --date 2026-01-17 --text "Second session" >/dev/null
	kzp config set practice.name "Praxis am See" >/dev/null
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	snapshot() {
		for c in "session show s1" "session show s2" "couple show C014" "goal show g1" \
			"config list" "recipients list" "session list" "goal list"; do
			# shellcheck disable=SC2086
			kzp --json $c || return 1
		done
	}
	snapshot >"$T/before.json"
	sqlite3 "$V" "SELECT hex(id) || ' ' || hex(body) FROM bodies" >"$T/old-bodies"
	old_audit=$(sqlite3 "$V" "SELECT hex(blob) || ' ' || hex(mac) FROM audit WHERE seq = 2")
	[ "$(kzp --json info | jq .key_epoch)" -eq 1 ]
	pre=$(kz audit head)

	run kzp --json rekey
	[ "$status" -eq 0 ]
	newrk=$(echo "$output" | jq -r .recovery_key)
	# A head an auditor kept before the rekey still verifies.
	run kzp audit verify --expect-head "$pre"
	[ "$status" -eq 0 ]
	[[ "$newrk" =~ ^[0-9A-Z]{4}(-[0-9A-Z]{4}){7}$ ]]
	[ "$newrk" != "$recovery" ]
	[ "$(kzp --json info | jq .key_epoch)" -eq 2 ]
	snapshot >"$T/after.json"
	diff "$T/before.json" "$T/after.json"
	run kzp audit verify
	[ "$status" -eq 0 ]
	run kzp --json audit log
	[ "$(echo "$output" | jq -r '.[1].event')" = create ]
	# Every body was sealed again.
	sqlite3 "$V" "SELECT hex(id) || ' ' || hex(body) FROM bodies" >"$T/new-bodies"
	[ -z "$(sort "$T/old-bodies" "$T/new-bodies" | uniq -d)" ]
	# Recovery keys: the old one is refused (3), the new one opens.
	printf '%s\n' "$recovery" >"$T/rk-old"
	printf '%s\n' "$newrk" >"$T/rk-new"
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk-old" session show s1
	[ "$status" -eq 3 ]
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk-new" --json session show s1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .text)" = "First joint session" ]
	# Backups still go to the recipients (their MAC follows the new key).
	run kz backup create "$T/b.age" </dev/null
	[ "$status" -eq 0 ]
	run doctor_json
	[ "$(check_status 'backup recipients')" = ok ]
	[ "$(check_status records)" = ok ]
	[ "$(check_status 'audit chain')" = ok ]
	run kzp recipients list
	[[ "$output" == *"$R"* ]]

	# Blobs sealed before the rekey, put back, no longer open.
	cp "$V" "$T/audit-old.kz"
	while read -r id body; do
		sqlite3 "$V" "UPDATE bodies SET body = X'$body' WHERE id = X'$id'"
	done <"$T/old-bodies"
	run kzp session show s1
	[ "$status" -eq 4 ]
	run kzp couple show C014
	[ "$status" -eq 4 ]
	# The chain is not rewritten: entries before the rekey are as they were,
	# and a head kept before the rekey still verifies as a prefix.
	[ "$(sqlite3 "$T/audit-old.kz" "SELECT hex(blob) || ' ' || hex(mac) FROM audit WHERE seq = 2")" = "$old_audit" ]
	run "$KZ" --vault "$T/audit-old.kz" --passphrase-file "$T/pass" --json audit log
	[[ "$output" == *'"key_transition"'* ]]
}

@test "rekey killed at random moments: the vault always opens, authenticates and verifies" {
	new_vault
	# About 300 records through one kizuna process.
	{
		for i in $(seq 0 9); do echo "couple add C1$i partner1.name=P$i"; done
		for i in $(seq 1 290); do
			echo "session add C1$((i % 10)) --date 2026-01-01 --text \"note $i: lorem ipsum dolor sit amet, consectetur adipiscing elit\""
		done
	} >"$T/make.txt"
	kzp -f "$T/make.txt" >/dev/null
	run doctor_json
	records=$(echo "$output" | jq -r '.[] | select(.check == "records") | .detail')
	[[ "$records" == "all 30"*" records authenticate" ]]
	# How long a whole rekey takes here, to spread the kills over it.
	t0=$(date +%s%N)
	kzp rekey >/dev/null
	full=$((($(date +%s%N) - t0) / 1000000))
	echo "a full rekey takes ${full} ms"
	[ "$(kzp --json info | jq .key_epoch)" -eq 2 ]
	# REKEY_DELAYS="ms ms ..." replays a run.
	delays=${REKEY_DELAYS:-}
	if [ -z "$delays" ]; then
		for _ in $(seq 20); do delays="$delays $((RANDOM % (full * 6 / 5 + 1)))"; done
	fi
	echo "delays (ms):$delays"
	for d in $delays; do
		"$KZ" --vault "$V" --passphrase-file "$T/pass" rekey >/dev/null 2>&1 &
		pid=$!
		sleep "$(printf '%d.%03d' $((d / 1000)) $((d % 1000)))"
		kill -9 "$pid" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
		run doctor_json
		if [ "$(echo "$output" | jq -r '.[] | select(.check == "records") | .detail')" != "$records" ] ||
			[ "$(check_status 'audit chain')" != ok ] || [ "$(check_status 'SQLite integrity')" != ok ]; then
			echo "after a kill at ${d} ms: $output"
			return 1
		fi
		run kzp audit verify
		if [ "$status" -ne 0 ]; then
			echo "after a kill at ${d} ms: $output"
			return 1
		fi
	done
	echo "key epoch at the end: $(kzp --json info | jq .key_epoch)"
	run kzp --json session show s290
	[ "$(echo "$output" | jq -r .text)" = "note 290: lorem ipsum dolor sit amet, consectetur adipiscing elit" ]
}

@test "rekey refuses a broken chain (exit 4) and changes nothing" {
	new_vault
	some_records
	flip_blob "$V" audit "seq = 3" blob
	sum=$(sqlite3 "$V" "SELECT hex(body) FROM bodies ORDER BY id" | sha256sum)
	run kzp rekey
	[ "$status" -eq 4 ]
	[[ "$output" == *"entry 3"* ]]
	[ "$(kzp --json info | jq .key_epoch)" -eq 1 ]
	[ "$(sqlite3 "$V" "SELECT hex(body) FROM bodies ORDER BY id" | sha256sum)" = "$sum" ]
	run kzp --json session show s1
	[ "$status" -eq 0 ]
}

# ---- scripts/audit.sh ----

@test "scripts/audit.sh from cron: verifies, records the head, reports, backs up; catches a rollback" {
	floor_vault
	some_records
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	mkdir -m 700 "$T/state" "$T/backups"
	audit_sh() {
		KIZUNA="$KZ" private_shm setsid -w "$AUDIT_SH" --vault "$V" --passphrase-file "$T/pass" \
			--head-file "$T/state/head" --backup-dir "$T/backups" </dev/null
	}
	run audit_sh
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(mode_of "$T/state/head")" = 600 ]
	head1=$(cat "$T/state/head")
	[[ "$head1" =~ ^[0-9]+:[0-9a-f]{64}$ ]]
	report=$(ls "$T/state"/doctor-*.json)
	[[ "$report" =~ doctor-[0-9]{8}-[0-9]{6}\.json$ ]]
	[ "$(jq -r type "$report")" = array ]
	[ "$(jq '[.[] | select(.status == "FAIL")] | length' "$report")" -eq 0 ]
	backup=$(ls "$T/backups"/vault-*.age)
	[[ "$backup" =~ vault-[0-9]{8}-[0-9]{6}\.age$ ]]
	run "$KZ" backup verify "$backup" -i "$T/kz.id" </dev/null
	[ "$status" -eq 0 ]
	[[ "$output" == *"is intact"* ]]
	[ -z "$(find "$T/state" -mindepth 1 ! -name head ! -name 'doctor-*' -print)" ]

	cp "$V" "$T/old.kz"
	kzp session add C014 --date 2026-01-17 --text "Second session" >/dev/null
	kzp session show s2 >/dev/null
	run audit_sh
	echo "$output"
	[ "$status" -eq 0 ]
	head2=$(cat "$T/state/head")
	[ "${head2%%:*}" -gt "${head1%%:*}" ]
	[ "$(find "$T/backups" -name 'vault-*.age' | wc -l)" -eq 2 ]
	# The backup of the first run was folded into the chain at the second.
	run kzp --json audit log
	[ "$(echo "$output" | jq '[.[] | select(.event == "backup")] | length')" -ge 1 ]

	# An older copy put back: the run fails with the integrity status, head kept.
	cp "$T/old.kz" "$V"
	run audit_sh
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"rolled back"* ]]
	[[ "$output" == *"audit.sh: audit chain check failed"* ]]
	[ "$(cat "$T/state/head")" = "$head2" ]
	[ "$(find "$T/backups" -name 'vault-*.age' | wc -l)" -eq 2 ]
}

@test "scripts/audit.sh: usage errors exit 2; a missing vault 6; a wrong passphrase 3" {
	run "$AUDIT_SH" --vault "$V"
	[ "$status" -eq 2 ]
	[[ "$output" == *usage* ]]
	run env KIZUNA="$KZ" "$AUDIT_SH" --vault "$T/none.kz" --passphrase-file "$T/pass" </dev/null
	[ "$status" -eq 6 ]
	new_vault
	printf 'Wrong harbor lantern 41\n' >"$T/bad"
	run env KIZUNA="$KZ" "$AUDIT_SH" --vault "$V" --passphrase-file "$T/bad" --head-file "$T/h" </dev/null
	[ "$status" -eq 3 ]
	[ ! -e "$T/h" ]
}
