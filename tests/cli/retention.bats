#!/usr/bin/env bats
# Issue #16, retention and archive: couple close archives (read-only, hidden
# from lists and search), reopen, legal hold and release, config
# retention.years, the retention command, doctor's warning; attacks with
# sqlite3 on the closing and the hold.

load helpers

# The records as sealed (heads and bodies): equal before and after a refusal.
records() { sqlite3 -separator ' ' "$V" "SELECT hex(id), hex(head) FROM heads ORDER BY id; SELECT hex(id), hex(body) FROM bodies ORDER BY id"; }

# A vault with C014 (a session, a goal, a score) and C020, both active.
two_couples() {
	new_vault
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp couple add C020 partner1.name=Mara partner2.name=Lev >/dev/null
	kzp session add C014 --date 2026-01-05 --text "harbor lantern talk" >/dev/null
	kzp session add C020 --date 2026-01-06 --text "harbor walk" >/dev/null
	kzp goal add C014 "talk more" >/dev/null
	kzp score add s1 --partner 1 --measure srs 9,9,9,9 >/dev/null
	kzp session add C014 --date 2026-01-12 --text "signed one" >/dev/null
	kzp session sign s3 >/dev/null
}

doctor_json() { "$KZ" --vault "$V" --passphrase-file "$T/pass" --json doctor 2>/dev/null; }

@test "couple close archives: the closing date, read-only for every change (exit 1, records unchanged)" {
	two_couples
	run kzp score list C014
	[ "$status" -eq 0 ]
	[[ "$output" == *r1* ]]
	KIZUNA_TEST_TODAY=2026-06-15 run kzp couple close C014
	[ "$status" -eq 0 ]
	[[ "$output" == *"archived"* ]]
	run kzp --json couple show C014
	[ "$(echo "$output" | jq -r .status)" = closed ]
	[ "$(echo "$output" | jq -r .closed)" = 2026-06-15 ]
	before=$(records)
	for change in "couple set C014 residence=Berlin" "couple set C014 status=active" \
		"couple edit C014" "session add C014 --text x" "session edit s1 --text y" \
		"session sign s1" "session amend s3 --text z" "session void s1 --reason wrong" \
		"session delete s1 --yes" "goal add C014 another" "goal progress g1 5 --note n" \
		"goal done g1" "goal drop g1" "score add s1 --partner 2 --measure srs 1,1,1,1" \
		"score remove r1 --yes"; do
		# shellcheck disable=SC2086
		run kzp $change </dev/null
		if [ "$status" -ne 1 ] || [[ "$output" != *"C014 is closed (archived): couple reopen C014 to change it"* ]]; then
			echo "$change: $status $output"
			return 1
		fi
	done
	[ "$(records)" = "$before" ]
	run kzp couple close C014
	[ "$status" -eq 1 ]
	[[ "$output" == *"C014 is already closed since 2026-06-15"* ]]
	# The other couple is untouched by it.
	run kzp session add C020 --text fine
	[ "$status" -eq 0 ]
}

@test "couple reopen: changeable again, the closing date dropped, an audit event" {
	two_couples
	kzp couple close C014 >/dev/null
	KIZUNA_TEST_TODAY=2026-07-01 run kzp couple reopen C014
	[ "$status" -eq 0 ]
	run kzp --json couple show C014
	[ "$(echo "$output" | jq -r .status)" = active ]
	[ "$(echo "$output" | jq -r .closed)" = null ]
	[ "$(echo "$output" | jq -r .reopened)" = 2026-07-01 ]
	run kzp session add C014 --text "back again"
	[ "$status" -eq 0 ]
	run kzp couple reopen C014
	[ "$status" -eq 1 ]
	[[ "$output" == *"C014 is not closed (active)"* ]]
	run kzp --json audit log
	[ "$(echo "$output" | jq -r '[.[] | select(.cmd == "couple reopen")] | length')" = 1 ]
	run kzp couple reopen C999
	[ "$status" -eq 6 ]
}

@test "closed couples are hidden from couple list, session list and search unless asked" {
	two_couples
	kzp couple close C014 >/dev/null
	run kzp couple list
	[ "$status" -eq 0 ]
	[[ "$output" != *C014* ]]
	[[ "$output" == *C020* ]]
	[[ "$output" == *"1 closed: couple list --status all"* ]]
	run kzp couple list --status all
	[[ "$output" == *C014*closed* ]]
	run kzp session list
	[[ "$output" != *C014* ]]
	[[ "$output" == *"2 sessions of closed (archived) couples left out: session list --archived"* ]]
	run kzp session list --archived
	[[ "$output" == *C014* ]]
	run kzp session list C014
	[[ "$output" == *s1* ]]
	run kzp search harbor
	[ "$status" -eq 0 ]
	[[ "$output" != *C014* ]]
	[[ "$output" == *C020* ]]
	[[ "$output" == *"1 match in closed (archived) couples left out: add --archived"* ]]
	run kzp search harbor --archived
	[[ "$output" == *C014* ]]
	[[ "$output" == *C020* ]]
	[[ "$output" != *"left out"* ]]
	run kzp search Aiko
	[[ "$output" == *"no match"* ]]
	[[ "$output" == *"1 match in closed"* ]]
	run kzp search harbor --couple C014
	[[ "$output" == *C014* ]]
}

@test "couple hold and release: the reason in show, list and the audit trail; errors" {
	two_couples
	KIZUNA_TEST_TODAY=2026-03-01 run kzp couple hold C014 --reason court order 12 O 34/26
	[ "$status" -eq 0 ]
	run kzp couple show C014
	[[ "$output" == *"Legal hold since 2026-03-01: court order 12 O 34/26"* ]]
	run kzp couple list
	[[ "$output" == *"active (hold)"* ]]
	run kzp --json couple list
	[ "$(echo "$output" | jq -r '.[] | select(.code == "C014") | .hold.reason')" = "court order 12 O 34/26" ]
	[ "$(echo "$output" | jq -r '.[] | select(.code == "C020") | .hold')" = null ]
	run kzp couple hold C014 --reason again
	[ "$status" -eq 1 ]
	[[ "$output" == *"C014 is already on legal hold since 2026-03-01 (court order 12 O 34/26): couple release C014 first"* ]]
	run kzp couple hold C020
	[ "$status" -eq 2 ]
	# A closed couple can be held and released: not a change to its records.
	kzp couple close C014 >/dev/null
	run kzp couple release C014
	[ "$status" -eq 0 ]
	run kzp couple release C014
	[ "$status" -eq 1 ]
	[[ "$output" == *"C014 is not on legal hold"* ]]
	run kzp --json audit log
	[ "$(echo "$output" | jq -r '[.[] | select(.event == "hold")][0].reason')" = "court order 12 O 34/26" ]
	[ "$(echo "$output" | jq -r '[.[] | select(.event == "release")][0].reason')" = "court order 12 O 34/26" ]
}

@test "retention: none past it today; 11 years ahead the closed couple is listed, text and JSON" {
	two_couples
	KIZUNA_TEST_TODAY=2026-06-15 kzp couple close C014 >/dev/null
	run kzp retention
	[ "$status" -eq 0 ]
	[[ "$output" == *"none past retention"* ]]
	KIZUNA_TEST_TODAY=2036-06-15 run kzp retention
	[[ "$output" == *"none past retention"* ]] # the last day kept
	KIZUNA_TEST_TODAY=2037-06-15 run kzp retention
	[ "$status" -eq 0 ]
	[[ "$output" == *C014*2026-06-15*2026-01-12*2036-06-15* ]]
	[[ "$output" != *C020* ]]
	KIZUNA_TEST_TODAY=2037-06-15 run kzp couple hold C014 --reason audit by the chamber
	KIZUNA_TEST_TODAY=2037-06-15 run kzp --json retention
	[ "$(echo "$output" | jq -c '.[0]')" = '{"code":"C014","closed":"2026-06-15","last_session":"2026-01-12","kept_until":"2036-06-15","hold":"audit by the chamber"}' ]
	[ "$(echo "$output" | jq length)" = 1 ]
	# A shorter period brings the date nearer.
	kzp config set retention.years 1 >/dev/null
	KIZUNA_TEST_TODAY=2027-06-16 run kzp --json retention
	[ "$(echo "$output" | jq -r '.[0].kept_until')" = 2027-06-15 ]
	# A second closed couple: each listed with its own last session.
	KIZUNA_TEST_TODAY=2026-07-01 kzp couple close C020 >/dev/null
	KIZUNA_TEST_TODAY=2027-07-02 run kzp --json retention
	[ "$(echo "$output" | jq -c 'sort_by(.code) | [.[] | [.code, .last_session, .kept_until]]')" = \
		'[["C014","2026-01-12","2027-06-15"],["C020","2026-01-06","2027-07-01"]]' ]
	run kzp --json audit log
	[ "$(echo "$output" | jq -r '[.[] | select(.cmd == "retention")] | length')" -ge 1 ]
}

@test "config retention.years: 1 to 100, 10 by default; anything else exit 2, config unchanged" {
	new_vault
	run kzp config list
	[ "$status" -eq 0 ]
	[[ "$output" == *retention.years*10* ]]
	for bad in 0 101 10y ten ""; do
		run kzp config set retention.years "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"retention.years: takes a number of years from 1 to 100"* ]]
	done
	run kzp config set retention.years 30
	[ "$status" -eq 0 ]
	run kzp config get retention.years
	[[ "$output" == *30* ]]
	run kzp config set retention.years 101
	run kzp config get retention.years
	[[ "$output" == *30* ]]
}

@test "doctor warns (not fails) about couples past retention, with the command to see them" {
	two_couples
	KIZUNA_TEST_TODAY=2026-06-15 kzp couple close C014 >/dev/null
	run doctor_json
	[ "$(echo "$output" | jq -r '[.[] | select(.check == "retention")] | length')" = 0 ]
	KIZUNA_TEST_TODAY=2037-06-15 run doctor_json
	[ "$(echo "$output" | jq -r '.[] | select(.check == "retention") | .status')" = warn ]
	[ "$(echo "$output" | jq -r '.[] | select(.check == "retention") | .detail')" = "1 closed couple past retention (10 years after closing): 'retention' lists them" ]
}

# The sealed head and body of the record whose head changed between two dumps.
changed_rows() { diff <(echo "$1") <(echo "$2") | sed -n 's/^< //p'; }

@test "attack: a closed couple rolled back to active with sqlite3 is an integrity error (exit 4)" {
	two_couples
	old=$(records)
	kzp couple close C014 >/dev/null
	# Put the couple's sealed head and body from before the closing back.
	changed_rows "$old" "$(records)" >"$T/rows"
	[ "$(wc -l <"$T/rows")" -eq 2 ]
	id=$(head -1 "$T/rows" | cut -d' ' -f1)
	head=$(sed -n 1p "$T/rows" | cut -d' ' -f2)
	body=$(sed -n 2p "$T/rows" | cut -d' ' -f2)
	sqlite3 "$V" "UPDATE heads SET head = X'$head' WHERE id = X'$id'; UPDATE bodies SET body = X'$body' WHERE id = X'$id'"
	run kzp session add C014 --text "sneaked in"
	[ "$status" -eq 4 ]
	run kzp couple list
	[ "$status" -eq 4 ]
}

@test "attack: a legal hold removed by editing the file is an integrity error (exit 4)" {
	two_couples
	kzp couple close C014 >/dev/null
	old=$(records)
	kzp couple hold C014 --reason subpoena >/dev/null
	changed_rows "$old" "$(records)" >"$T/rows"
	[ "$(wc -l <"$T/rows")" -eq 2 ]
	id=$(head -1 "$T/rows" | cut -d' ' -f1)
	head=$(sed -n 1p "$T/rows" | cut -d' ' -f2)
	body=$(sed -n 2p "$T/rows" | cut -d' ' -f2)
	sqlite3 "$V" "UPDATE heads SET head = X'$head' WHERE id = X'$id'; UPDATE bodies SET body = X'$body' WHERE id = X'$id'"
	run kzp couple show C014
	[ "$status" -eq 4 ]
	run kzp retention
	[ "$status" -eq 4 ]
}

@test "export and import of a closed, held couple: it stays closed with its date and hold" {
	two_couples
	KIZUNA_TEST_TODAY=2026-06-15 kzp couple close C014 >/dev/null
	kzp couple hold C014 --reason kept >/dev/null
	kzp export C014 --format json -o "$T/c.json" >/dev/null
	run kzp import "$T/c.json" --as C015
	[ "$status" -eq 0 ]
	run kzp --json couple show C015
	[ "$(echo "$output" | jq -r .status)" = closed ]
	[ "$(echo "$output" | jq -r .closed)" = 2026-06-15 ]
	[ "$(echo "$output" | jq -r .hold.reason)" = kept ]
	[ "$(echo "$output" | jq -r .sessions)" = 2 ]
	run kzp session add C015 --text x
	[ "$status" -eq 1 ]
}
