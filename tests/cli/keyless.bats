#!/usr/bin/env bats
# Keyless audit events are taken at none of their words. Anyone who can write
# the vault file can seal an event to the inbox public key (tests/tools/kzforge
# does, without any key); at the next unlock it joins the chain with the fold
# time (the time it claims kept as "claimed"), only the fields its kind has,
# marked unverified in `audit log`, and it never counts as a backup for doctor.

load helpers

set -o pipefail

forge() { "$(dirname "$KZ")/tests/kzforge" "$V" "$@"; }

# The log as JSON (the unlock of the reading command itself at the end).
log() { kzp --json audit log; }

# The newest entry that is not an unlock (as JSON).
last_forged() { log | jq -c '[.[] | select(.event != "unlock")] | last'; }

# doctor's "last backup" check as JSON: {status, detail}.
backup_check() {
	kzp --json doctor 2>/dev/null | jq -c '.[] | select(.check == "last backup") | {status, detail}'
}

now() { date -u +%Y-%m-%dT%H:%M:%SZ; }

@test "a forged backup event with an old or a future time keeps the fold time, marked unverified" {
	new_vault
	# No unverified entry: no NOTE column.
	run kzp audit log
	[ "$status" -eq 0 ]
	[[ "$output" == SEQ* && "$output" != *NOTE* ]]
	before=$(now)
	forge '{"t":"2001-02-03T04:05:06Z","event":"backup","cmd":"backup create","ref":"nightly.age"}'
	forge '{"t":"2099-12-31T23:59:59Z","event":"backup","cmd":"backup create"}'
	# Queued, not yet in the chain.
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit_pending')" -eq 2 ]
	run log
	[ "$status" -eq 0 ]
	[ "$(jq '[.[] | select(.event == "backup")] | length' <<<"$output")" -eq 2 ]
	old=$(jq -c '[.[] | select(.event == "backup")][0]' <<<"$output")
	future=$(jq -c '[.[] | select(.event == "backup")][1]' <<<"$output")
	# The time kept is the fold's, at or after the forging; the claim is kept apart.
	for e in "$old" "$future"; do
		t=$(jq -r .t <<<"$e")
		[[ ! "$t" < "$before" ]]
		[ "$(jq -r .event <<<"$e")" = backup ]
		[ "$(jq -r .unverified <<<"$e")" = true ]
		[ "$(jq -r .keyless <<<"$e")" = true ]
	done
	[ "$(jq -r .claimed <<<"$old")" = 2001-02-03T04:05:06Z ]
	[ "$(jq -r .ref <<<"$old")" = nightly.age ]
	[ "$(jq -r .claimed <<<"$future")" = 2099-12-31T23:59:59Z ]
	# A boolean on every row: the unlocks written with the key are verified.
	[ "$(jq -c '[.[] | .unverified | type] | unique' <<<"$output")" = '["boolean"]' ]
	[ "$(jq -c '[.[] | select(.event == "unlock") | .unverified] | unique' <<<"$output")" = '[false]' ]
	# The date filters see the fold time: neither claimed day finds them.
	run kzp --json audit log --since 2001-02-03 --until 2001-02-03
	[ "$(jq length <<<"$output")" -eq 0 ]
	run kzp --json audit log --since 2099-12-31
	[ "$(jq length <<<"$output")" -eq 0 ]
	# session list's and search's names for the same
	run kzp --json audit log --from 2099-12-31
	[ "$(jq length <<<"$output")" -eq 0 ]
	run kzp --json audit log --from 2001-02-03 --to 2099-12-31
	[ "$(jq length <<<"$output")" -gt 0 ]
	# The table says so in words, with the claimed time.
	run kzp audit log
	[ "$status" -eq 0 ]
	[[ "$output" == *NOTE* ]]
	[ "$(grep -c 'unverified, claimed 2001-02-03T04:05:06Z' <<<"$output")" -eq 1 ]
	[ "$(grep -c 'unverified, claimed 2099-12-31T23:59:59Z' <<<"$output")" -eq 1 ]
	[ "$(grep -c unverified <<<"$output")" -eq 2 ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "doctor: a forged backup event never satisfies the last-backup check" {
	new_vault
	run backup_check
	[ "$(jq -r .status <<<"$output")" = warn ]
	[[ "$(jq -r .detail <<<"$output")" == *"no backup recorded"* ]]
	# Forged "today", then far in the future: still no backup that counts.
	forge "{\"t\":\"$(now)\",\"event\":\"backup\",\"cmd\":\"backup create\",\"keyless\":false}"
	run backup_check
	echo "$output"
	[ "$(jq -r .status <<<"$output")" = warn ]
	[[ "$(jq -r .detail <<<"$output")" == *"only keyless backups are recorded"*"is unverified"* ]]
	forge '{"t":"2099-12-31T23:59:59Z","event":"backup","cmd":"backup create"}'
	run backup_check
	[ "$(jq -r .status <<<"$output")" = warn ]
	[[ "$(jq -r .detail <<<"$output")" == *"claimed 2099-12-31"*"is unverified"* ]]
	# A real backup without the key is no better: its event is keyless too.
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	kz backup create "$T/b.age" </dev/null >/dev/null
	run backup_check
	[ "$(jq -r .status <<<"$output")" = warn ]
	[ "$(log | jq -c '[.[] | select(.event == "backup") | .unverified] | unique')" = '[true]' ]
	# Given the passphrase, backup create unlocks and writes its event with the key.
	run kzp backup create --force "$T/b.age"
	[ "$status" -eq 0 ]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit_pending')" -eq 0 ]
	[ "$(log | jq -c '[.[] | select(.event == "backup")] | last | .unverified')" = false ]
	run backup_check
	echo "$output"
	[ "$(jq -r .status <<<"$output")" = ok ]
	# A keyless one forged after it is named, but the check stays on the keyed one.
	forge '{"t":"2099-12-31T23:59:59Z","event":"backup","cmd":"backup create"}'
	run backup_check
	[ "$(jq -r .status <<<"$output")" = ok ]
	[[ "$(jq -r .detail <<<"$output")" == "0 days ago"*"is unverified"* ]]
	# So does a backup made in the unlocked shell (a second vault).
	V="$T/vault/two.kz"
	new_vault
	kzp recipients add "$R" >/dev/null
	printf 'unlock\nbackup create %s\n' "$T/c.age" | kzp >/dev/null
	run backup_check
	[ "$(jq -r .status <<<"$output")" = ok ]
}

@test "an event of an unknown kind is kept only as pending_invalid" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	forge '{"t":"2001-01-01T00:00:00Z","event":"delete","cmd":"couple delete","ref":"C014","couple":"C014"}'
	forge '{"event":"wipe_all_notes","cmd":"wipe"}'
	forge "{\"event\":\"$(printf 'k%.0s' $(seq 40))\"}"
	forge 'not json at all'
	forge '["backup"]'
	run log
	[ "$status" -eq 0 ]
	# No forged kind reaches the log: not a delete, not a new kind.
	[ "$(jq '[.[] | select(.event == "delete" or .event == "wipe_all_notes")] | length' <<<"$output")" -eq 0 ]
	inv=$(jq -c '[.[] | select(.event == "pending_invalid")]' <<<"$output")
	[ "$(jq length <<<"$inv")" -eq 5 ]
	[ "$(jq -c '[.[] | .unverified] | unique' <<<"$inv")" = '[true]' ]
	# Only the size and (short) claimed kind are kept: no record, couple or time.
	[ "$(jq -c '[.[] | keys - ["t", "event", "cmd", "bytes", "keyless", "pending", "seq", "unverified"]] | add' <<<"$inv")" = '[]' ]
	[ "$(jq -c '[.[] | .pending.event]' <<<"$inv")" = '["delete","wipe_all_notes",null,null,null]' ]
	[ "$(jq -r '.[0].bytes' <<<"$inv")" -gt 60 ]
	# The couple's own log does not show the forged delete.
	run kzp --json audit log --couple C014
	[ "$(jq '[.[] | select(.event != "create")] | length' <<<"$output")" -eq 0 ]
	run kzp audit log
	[[ "$output" == *"unverified, claimed to be delete"* ]]
}

@test "extra fields, a couple and a record are dropped from a forged event of a known kind" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	forge '{"t":"2026-01-01T00:00:00Z","event":"backup","cmd":"couple delete","ref":"b.age","couple":"C014","how":"passphrase","keyless":false,"unverified":false,"seq":1,"folded":"2026-01-01T00:00:00Z","extra":{"a":[1,2]}}'
	forge '{"t":"yesterday","event":"unlock_failed","cmd":"unlock","how":"passphrase","ref":"C014","couple":"C014"}'
	forge '{"event":"restore","cmd":"backup restore","ref":"C014","how":"x"}'
	forge '{"event":"backup","ref":"line\u001b[2Jbreak"}'
	run log
	[ "$status" -eq 0 ]
	b=$(jq -c '[.[] | select(.event == "backup")][0]' <<<"$output")
	u=$(jq -c '[.[] | select(.event == "unlock_failed")][0]' <<<"$output")
	r=$(jq -c '[.[] | select(.event == "restore")][0]' <<<"$output")
	esc=$(jq -c '[.[] | select(.event == "backup")][1]' <<<"$output")
	# Only the kind's own fields survive; the command is the kind's own.
	[ "$(jq -c 'keys' <<<"$b")" = '["claimed","cmd","dropped","event","keyless","ref","seq","t","unverified"]' ]
	[ "$(jq -r .cmd <<<"$b")" = "backup create" ]
	[ "$(jq -r .dropped <<<"$b")" -eq 8 ]
	[ "$(jq -r .keyless <<<"$b")" = true ]
	[ "$(jq -r .unverified <<<"$b")" = true ]
	[ "$(jq -c 'keys' <<<"$u")" = '["cmd","dropped","event","how","keyless","seq","t","unverified"]' ]
	[ "$(jq -r .how <<<"$u")" = passphrase ]
	[ "$(jq -r .dropped <<<"$u")" -eq 3 ] # t (not a time), ref, couple
	[ "$(jq -c 'keys' <<<"$r")" = '["cmd","dropped","event","keyless","seq","t","unverified"]' ]
	# A control character (a terminal escape) in a kept field drops the field.
	[ "$(jq -r '.ref // "none"' <<<"$esc")" = none ]
	# No forged event is listed for the couple.
	run kzp --json audit log --couple C014
	[ "$(jq -c '[.[] | .event]' <<<"$output")" = '["create"]' ]
	run kzp audit log
	[[ "$output" == *"unverified, claimed 2026-01-01T00:00:00Z, 8 fields dropped"* ]]
	[[ "$output" != *$'\e'* ]]
}

@test "a huge field is dropped; an event past the inbox limit joins as pending_unreadable" {
	new_vault
	big=$(printf 'x%.0s' $(seq 3000))
	forge "{\"event\":\"backup\",\"cmd\":\"backup create\",\"ref\":\"$big\"}"
	fine=$(printf 'y%.0s' $(seq 1000))
	forge "{\"event\":\"backup\",\"cmd\":\"backup create\",\"ref\":\"$fine\"}"
	head -c 100000 /dev/zero | tr '\0' a | forge -
	run log
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.[] | select(.event == "backup") | [(.ref // "" | length), .dropped]]' <<<"$output")" = '[[0,1],[1000,null]]' ]
	un=$(jq -c '[.[] | select(.event == "pending_unreadable")][0]' <<<"$output")
	[ "$(jq -r .bytes <<<"$un")" -eq $((100000 + 48)) ]
	[ "$(jq -r .unverified <<<"$un")" = true ]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM audit_pending')" -eq 0 ]
	# Nothing of the 100 kB was kept in the chain.
	[ "$(sqlite3 "$V" 'SELECT max(length(blob)) FROM audit')" -lt 2000 ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "the events kizuna itself writes without the key keep their fields" {
	new_vault
	printf 'Wrong harbor lantern 41\n' >"$T/bad"
	run "$KZ" --vault "$V" --passphrase-file "$T/bad" couple list
	[ "$status" -eq 3 ]
	R=$("$KZ" --json keygen -o "$T/kz.id" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
	kz backup create "$T/b.age" </dev/null >/dev/null
	run log
	[ "$status" -eq 0 ]
	[ "$(jq -c '[.[] | select(.unverified) | [.event, .cmd, .how, .ref, .dropped]]' <<<"$output")" = "[[\"unlock_failed\",\"unlock\",\"passphrase\",null,null],[\"backup\",\"backup create\",null,\"$T/b.age\",null]]" ]
	[ "$(jq -c '[.[] | select(.unverified) | .claimed | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$")] | unique' <<<"$output")" = '[true]' ]
}
