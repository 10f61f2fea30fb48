#!/usr/bin/env bats
# The vault file's format: a format-1 vault (kizuna 0.1, tests/cli/fixtures/v1.kz,
# made by the first release with the test passphrase) is upgraded at its first
# unlock; format 2 hides record kinds and order (padding buckets, no rowid).

load helpers

@test "a format-1 vault is upgraded at its first unlock: notes, ids, recovery key and kept heads survive" {
	cp "$BATS_TEST_DIRNAME/fixtures/v1.kz" "$V"
	chmod 600 "$V"
	[ "$(kz --json info | jq .format)" -eq 1 ]
	run kzp --json session show s1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .text)" = "First joint session, format one" ]
	[ "$(kz --json info | jq .format)" -eq 2 ]
	# Short ids go on where they were; the head an auditor kept still verifies.
	run kzp session add C014 --text "after the upgrade"
	[ "$output" = "added session s4 for C014" ]
	run kzp audit verify --expect-head "18:a62d5b111ac9380298d4adfa4c4c5bded95f317462bab5618f49fe6a17c59cd5"
	[ "$status" -eq 0 ]
	"$KZ" --vault "$V" --recovery-key-file "$BATS_TEST_DIRNAME/fixtures/v1.recovery" goal show g1 >/dev/null
	run kzp --json doctor
	[ "$(echo "$output" | jq -r '.[] | select(.check == "commitment") | .status')" = ok ]
	# The old sealed rows, put back after the upgrade, are refused.
	sqlite3 "$V" "ATTACH '$BATS_TEST_DIRNAME/fixtures/v1.kz' AS o;
		DELETE FROM heads; INSERT INTO heads (id, head) SELECT id, head FROM o.records;
		DELETE FROM bodies; INSERT INTO bodies (id, body) SELECT id, body FROM o.records"
	run kzp session list
	[ "$status" -eq 4 ]
}

@test "after the upgrade, the config record's counters of a format-1 vault still count: its deleted s3 is not given again" {
	# Format 1 kept the short-id counters in the config record; the commitment
	# keeps them from the upgrade on, and reads the config's until its own are set.
	cp "$BATS_TEST_DIRNAME/fixtures/v1.kz" "$V"
	chmod 600 "$V"
	run kzp session delete s3 --yes
	[ "$output" = "deleted session s3 of C014" ]
	run kzp session add C014 --text "after the upgrade"
	[ "$output" = "added session s4 for C014" ]
	run kzp session add C014 --text "and again"
	[ "$output" = "added session s5 for C014" ]
	run kzp goal add C014 "Another goal"
	[ "$output" = "added goal g2 for C014" ]
}

@test "format 2 hides kinds and order: one head size, body buckets from 2 KiB, rows keyed by random ids" {
	new_vault
	kzp >/dev/null <<-'S'
		couple add C014 partner1.name=Aiko partner1.origin=Japan partner2.name=Jonas "partner1.languages=ja:native, de:B1" formulation.problem="homesickness or sulking"
		session add C014 --text "short"
		goal add C014 "Plan the holidays together"
		goal progress g1 6 --note "better"
		themes add in-laws
		config set practice.name "Praxis am See"
	S
	# Every head one size, every small body one size, whatever its kind.
	[ "$(sqlite3 "$V" "SELECT count(DISTINCT length(head)) FROM heads")" -eq 1 ]
	[ "$(sqlite3 "$V" "SELECT count(DISTINCT length(body)) FROM bodies")" -eq 1 ]
	[ "$(sqlite3 "$V" "SELECT min(length(body)) FROM bodies")" -ge 2048 ]
	# A long note goes to a bucket (Padme: at most 12% over).
	head -c 5000 /dev/zero | tr '\0' 'x' >"$T/long"
	kzp session add C014 --text-file "$T/long" >/dev/null
	n=$(sqlite3 "$V" "SELECT max(length(body)) FROM bodies")
	[ "$n" -ge 5000 ] && [ "$n" -le 5700 ]
	# No rowid, no creation order; no row rewritten only by some kinds: the
	# counters live in the commitment, which every change rewrites.
	for t in heads bodies; do
		sqlite3 "$V" "SELECT sql FROM sqlite_schema WHERE name = '$t'" | grep -q "WITHOUT ROWID"
		run sqlite3 "$V" "SELECT rowid FROM $t"
		[ "$status" -ne 0 ]
	done
	sqlite3 "$V" "SELECT hex(id), hex(head), hex(body) FROM heads JOIN bodies USING (id) ORDER BY id" >"$T/rows1"
	kzp couple add C099 >/dev/null
	sqlite3 "$V" "SELECT hex(id), hex(head), hex(body) FROM heads JOIN bodies USING (id) ORDER BY id" >"$T/rows2"
	[ "$(comm -13 "$T/rows1" "$T/rows2" | wc -l)" -eq 1 ] # only the new couple's row
	[ "$(comm -23 "$T/rows1" "$T/rows2" | wc -l)" -eq 0 ]
	sqlite3 "$V" "SELECT hex(id), hex(head), hex(body) FROM heads JOIN bodies USING (id) ORDER BY id" >"$T/rows1"
	kzp session add C014 --text "another" >/dev/null
	sqlite3 "$V" "SELECT hex(id), hex(head), hex(body) FROM heads JOIN bodies USING (id) ORDER BY id" >"$T/rows2"
	[ "$(comm -13 "$T/rows1" "$T/rows2" | wc -l)" -eq 1 ] # only the new session's row
	[ "$(comm -23 "$T/rows1" "$T/rows2" | wc -l)" -eq 0 ]
}

@test "two processes opening a vault of an older schema at once: one upgrades it, the other finds it upgraded" {
	cp "$BATS_TEST_DIRNAME/fixtures/v1.kz" "$V"
	chmod 600 "$V"
	[ "$(sqlite3 "$V" 'PRAGMA user_version')" -eq 1 ]
	# sqlite3 holds the write lock: both read the old schema version, then
	# wait for the lock to upgrade it.
	sql_hold "$V" "BEGIN IMMEDIATE; INSERT INTO audit_pending(blob) VALUES (x'00');"
	KIZUNA_BUSY_TIMEOUT_MS=5000 "$KZ" --vault "$V" info >"$T/a.out" 2>&1 &
	a=$!
	KIZUNA_BUSY_TIMEOUT_MS=5000 "$KZ" --vault "$V" info >"$T/b.out" 2>&1 &
	b=$!
	sleep 0.5
	sql_release ROLLBACK
	ra=0 rb=0
	wait "$a" || ra=$?
	wait "$b" || rb=$?
	cat "$T/a.out" "$T/b.out"
	[ "$ra" -eq 0 ]
	[ "$rb" -eq 0 ]
	[ "$(sqlite3 "$V" 'PRAGMA user_version')" -eq 2 ]
	run kzp --json session show s1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .text)" = "First joint session, format one" ]
}
