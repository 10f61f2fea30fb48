#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue #13, point 4: dates as a therapist types them (1.3.2026, today,
# yesterday, -3d, -2w, +1d), an unlikely date asks or needs --yes, an invalid
# one is refused, and config date-format chooses how dates are shown while JSON
# and the stored records stay ISO. "Today" is fixed with KIZUNA_TEST_TODAY
# (a test-only override, see kizuna(1) ENVIRONMENT).

load helpers

# Today is Sunday 2026-03-01 in every test here, unless TODAY says otherwise.
kzt() { KIZUNA_TEST_TODAY=${TODAY:-2026-03-01} "$KZ" --vault "$V" --passphrase-file "$T/pass" "$@"; }

# The stored (ISO) dates of all sessions, one a line, by id.
session_dates() {
	kzt --json session list | python3 -c '
import json, sys
for r in sorted(json.load(sys.stdin), key=lambda r: int(r["id"][1:])):
    print(r["id"], r["date"])'
}

@test "every typed form is stored as the ISO date it means" {
	new_vault
	kzt couple add C001 </dev/null
	for d in 2026-02-20 1.2.2026 01.02.2026 5.2.2026 today yesterday -3d -2w +1d -0d; do
		run kzt session add C001 --date "$d" --text "on $d" </dev/null
		[ "$status" -eq 0 ] || { echo "--date $d: $output"; return 1; }
	done
	run session_dates
	[ "$status" -eq 0 ]
	echo "$output"
	[ "$output" = "s1 2026-02-20
s2 2026-02-01
s3 2026-02-01
s4 2026-02-05
s5 2026-03-01
s6 2026-02-28
s7 2026-02-26
s8 2026-02-15
s9 2026-03-02
s10 2026-03-01" ]
	# The body holds ISO too, whatever was typed.
	run kzt --json session show s4
	[[ "$output" == *'"date": "2026-02-05"'* || "$output" == *'"date":"2026-02-05"'* ]]
	# The default is today (KIZUNA_TEST_TODAY), not the clock's day.
	kzt session add C001 --text "no date" </dev/null
	run session_dates
	[[ "$output" == *"s11 2026-03-01"* ]]
}

@test "an invalid or unknown date is refused with one clear line, exit 2, nothing saved" {
	new_vault
	kzt couple add C001 </dev/null
	kzt session add C001 --date 2026-02-10 --text first </dev/null
	before=$(session_dates)
	run kzt session add C001 --date 31.02.2026 --text x </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: --date: 31.02.2026 is not a date (February 2026 has 28 days)" ]
	run kzt session add C001 --date 2026-04-31 --text x </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"April 2026 has 30 days"* ]]
	run kzt session add C001 --date 29.2.2025 --text x </dev/null
	[ "$status" -eq 2 ]
	run kzt session add C001 --date "next week" --text x </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: --date: 'next week' is not a date (write 2026-03-01, 1.3.2026, today, yesterday, -3d, -2w or +1d)" ]
	for d in tomorrow 3d -3m 1.3.26 2026-3-1 20260301 1.13.2026 0.1.2026 1.1.1899 -99999d; do
		run kzt session add C001 --date "$d" --text x </dev/null
		[ "$status" -eq 2 ] || { echo "--date $d: status $status: $output"; return 1; }
		[ "${#lines[@]}" -eq 1 ]
	done
	# Slashes are not read while dates are shown as ISO: 01/03 could be either order.
	run kzt session add C001 --date 01/03/2026 --text x </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"date-format"* ]]
	[ "$(session_dates)" = "$before" ]
	# The same for every other place a date is typed.
	run kzt session edit s1 --date 30.2.2026 --text y </dev/null
	[ "$status" -eq 2 ]
	run kzt goal add C001 "Talk" --target 31.4.2026
	[ "$status" -eq 2 ]
	[[ "$output" == *"--target: 31.4.2026 is not a date"* ]]
	run kzt couple set C001 intake=31.02.2026
	[ "$status" -eq 2 ]
	run kzt session list --from 32.1.2026
	[ "$status" -eq 2 ]
	run kzt search first --to 31.2.2026
	[ "$status" -eq 2 ]
	[[ "$output" == *"--to: 31.2.2026 is not a date"* ]]
	run kzt audit log --since 30.02.2026
	[ "$status" -eq 2 ]
	[[ "$output" == *"--since: 30.02.2026 is not a date"* ]]
	run kzt audit log --until soon
	[ "$status" -eq 2 ]
	[ "$(session_dates)" = "$before" ]
	run kzt --json goal list --status all
	[ "$output" = "[]" ]
}

@test "a date more than a day ahead or before 1950 needs --yes in a script; nothing saved without" {
	new_vault
	kzt couple add C001 </dev/null
	run kzt session add C001 --date 2062-03-01 --text far </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: --date: 2062-03-01 is 36 years ahead; add --yes to keep it (nothing saved)" ]
	run kzt session add C001 --date +2d --text soon </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: --date: 2026-03-03 is 2 days ahead; add --yes to keep it (nothing saved)" ]
	run kzt session add C001 --date 1.9.2026 --text later </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"2026-09-01 is 6 months ahead; add --yes"* ]]
	run kzt session add C001 --date 31.12.1949 --text old </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: --date: 1949-12-31 is 76 years ago; add --yes to keep it (nothing saved)" ]
	run kzt --json session list
	[ "$output" = "[]" ]
	# Tomorrow (a time zone away) and 1950 itself pass without a question.
	kzt session add C001 --date +1d --text tomorrow </dev/null
	kzt session add C001 --date 1.1.1950 --text old </dev/null
	# --yes keeps it, stored as ISO.
	kzt session add C001 --date 2062-03-01 --yes --text far </dev/null
	kzt session add C001 -y --date 31.12.1949 --text old </dev/null
	run session_dates
	[ "$output" = "s1 2026-03-02
s2 1950-01-01
s3 2062-03-01
s4 1949-12-31" ]
	# session edit: the question comes before anything changes.
	run kzt session edit s1 --date 2030-01-01 --text changed </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"add --yes"* ]]
	run kzt --json session show s1
	[[ "$output" == *tomorrow* ]]
	[[ "$output" != *changed* ]]
	kzt session edit s1 --date 2030-01-01 --yes </dev/null
	[[ "$(session_dates)" == *"s1 2030-01-01"* ]]
}

@test "in a script file the question cannot be answered: the line fails with exit 2" {
	new_vault
	kzt couple add C001 </dev/null
	printf 'session add C001 --date 2062-03-01 --text far\n' >"$T/script"
	run kzt -f "$T/script"
	[ "$status" -eq 2 ]
	[[ "$output" == *"add --yes to keep it"* ]]
	run kzt --json session list
	[ "$output" = "[]" ]
}

@test "goals: a target may lie ahead (up to ten years), a score's date may not" {
	new_vault
	kzt couple add C001 </dev/null
	kzt goal add C001 "Talk every evening" --target +12w
	kzt goal add C001 "Holidays together" --target 24.12.2026
	run kzt goal add C001 "Far off" --target 2040-01-01
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: --target: 2040-01-01 is 13 years ahead; add --yes to keep it (nothing saved)" ]
	run kzt goal add C001 "Long past" --target 1.1.1900
	[ "$status" -eq 2 ]
	kzt goal add C001 "Far off" --target 2040-01-01 --yes
	run kzt --json goal list
	python3 -c '
import json, sys
t = {g["title"]: g["target"] for g in json.loads(sys.argv[1])}
assert t == {"Talk every evening": "2026-05-24", "Holidays together": "2026-12-24",
             "Far off": "2040-01-01"}, t' "$output"
	kzt goal progress g1 4 --date -1w
	kzt goal progress g1 6 --date yesterday
	run kzt goal progress g1 9 --date +3d
	[ "$status" -eq 2 ]
	[[ "$output" == *"2026-03-04 is 3 days ahead; add --yes"* ]]
	run kzt goal progress g1 9 --date 31.02.2026
	[ "$status" -eq 2 ]
	run kzt goal done g1 --date 2030-01-01
	[ "$status" -eq 2 ]
	kzt goal done g2 --date 1.3.2026
	run kzt --json goal show g1
	python3 -c '
import json, sys
g = json.loads(sys.argv[1])
assert [(p["date"], p["score"]) for p in g["progress"]] == [("2026-02-22", 4), ("2026-02-28", 6)], g
assert g["status"] == "active", g' "$output"
	run kzt --json goal show g2
	[[ "$output" == *'"closed": "2026-03-01"'* || "$output" == *'"closed":"2026-03-01"'* ]]
}

@test "couple intake: typed forms stored as ISO; an unlikely one needs --yes" {
	new_vault
	kzt couple add C001 intake=15.1.2026 </dev/null
	run kzt couple add C002 intake=2062-01-01 </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: intake: 2062-01-01 is 35 years ahead; add --yes to keep it (nothing saved)" ]
	run kzt couple show C002
	[ "$status" -eq 6 ]
	run kzt couple set C001 intake=1.1.1940
	[ "$status" -eq 2 ]
	[[ "$output" == *"1940-01-01 is 86 years ago; add --yes"* ]]
	run kzt --json couple show C001
	[[ "$output" == *'"intake": "2026-01-15"'* || "$output" == *'"intake":"2026-01-15"'* ]]
	kzt couple set C001 intake=1.1.1940 --yes
	run kzt --json couple show C001
	[[ "$output" == *'"intake": "1940-01-01"'* || "$output" == *'"intake":"1940-01-01"'* ]]
	# Another field does not ask again about the intake already kept.
	kzt couple set C001 notes=ok
}

@test "config set date-format: tables and show follow it, JSON stays ISO" {
	new_vault
	kzt couple add C001 intake=2026-01-15 partner1.name=Aiko </dev/null
	kzt session add C001 --date 2026-02-05 --text "Holidays planned" </dev/null
	kzt session sign s1
	TODAY=2026-02-06 kzt session amend s1 --text "Holidays moved"
	kzt goal add C001 "Talk" --target 2026-06-30
	kzt goal progress g1 5 --date 2026-02-05
	run kzt config get date-format
	[ "$status" -eq 6 ]
	run kzt session list
	[[ "$output" == *"2026-02-05"* ]]

	kzt config set date-format dd.mm.yyyy
	run kzt config get date-format
	[ "$output" = "dd.mm.yyyy" ]
	run kzt session list
	echo "$output"
	[[ "$output" == *"05.02.2026"* ]]
	[[ "$output" != *"2026-02-05"* ]]
	run kzt session show s1
	echo "$output"
	[[ "${lines[0]}" == *"C001, 05.02.2026, 50 min"* ]]
	[[ "$output" == *"Addendum 06.02.2026"* ]]
	run kzt couple list
	[[ "$output" == *"05.02.2026"* ]]
	run kzt couple show C001
	[[ "${lines[0]}" == *"intake 15.01.2026"* ]]
	[[ "$output" == *"(last 05.02.2026)"* ]]
	[[ "$output" != *"2026-01-15"* ]]
	run kzt goal list
	[[ "$output" == *"30.06.2026"* ]]
	run kzt goal show g1
	[[ "$output" == *"target       30.06.2026"* ]]
	[[ "$output" == *"  05.02.2026   5"* ]]
	[[ "$output" != *"2026-0"* ]]
	run kzt search holidays
	[[ "$output" == *"05.02.2026"* ]]
	[[ "$output" == *"06.02.2026"* ]]
	run kzt goal progress g1 6 --date 2026-02-06
	[ "$output" = "goal g1: 6 on 06.02.2026" ]

	# JSON: ISO always, in every shape.
	for cmd in "session list" "session show s1" "couple list" "couple show C001" \
		"goal list" "goal show g1" "search holidays"; do
		run kzt --json $cmd
		[ "$status" -eq 0 ]
		[[ "$output" == *"2026-02-0"* ]] || { echo "$cmd: $output"; return 1; }
		[[ "$output" != *".2026"* ]] || { echo "$cmd shows a dotted date: $output"; return 1; }
	done
	run kzt --json goal progress g1 7 --date 7.2.2026
	[[ "$output" == *'"date":"2026-02-07"'* || "$output" == *'"date": "2026-02-07"'* ]]

	kzt config set date-format mm/dd/yyyy
	run kzt session list
	[[ "$output" == *"02/05/2026"* ]]
	# What is shown can be typed back: slashes in the order shown.
	kzt session add C001 --date 02/20/2026 --text x </dev/null
	run kzt session add C001 --date 20/02/2026 --text x </dev/null
	[ "$status" -eq 2 ]
	kzt config set date-format DD/MM/YYYY
	run kzt config get date-format
	[ "$output" = "dd/mm/yyyy" ]
	kzt session add C001 --date 21/02/2026 --text x </dev/null
	run session_dates
	[[ "$output" == *"s2 2026-02-20"* ]]
	[[ "$output" == *"s3 2026-02-21"* ]]
	run kzt session list --from 20/02/2026 --to 21/02/2026
	[ "${#lines[@]}" -eq 3 ]

	kzt config set date-format iso
	run kzt config get date-format
	[ "$output" = "iso" ]
	run kzt session list
	[[ "$output" == *"2026-02-21"* ]]
	kzt config unset date-format
	run kzt session list
	[[ "$output" == *"2026-02-21"* ]]
}

@test "config set date-format refuses other values and keeps the setting" {
	new_vault
	kzt config set date-format dd.mm.yyyy
	for v in german dd.mm.yy d.m.yyyy yyyy/mm/dd "" "dd.mm.yyyy x"; do
		run kzt config set date-format "$v"
		[ "$status" -eq 2 ] || { echo "'$v' accepted"; return 1; }
		[ "$output" = "kizuna: date-format: iso (2026-03-01, the default), dd.mm.yyyy, dd/mm/yyyy or mm/dd/yyyy" ]
	done
	run kzt config get date-format
	[ "$output" = "dd.mm.yyyy" ]
	run kzt config list
	[[ "$output" == *"date-format"*"dd.mm.yyyy"* ]]
	run kzt --json config list
	[[ "$output" == *'"date-format"'* ]]
	run kzt help config set
	[[ "$output" == *"date-format"* ]]
}

@test "date-format is sealed like every setting: the vault file never shows it" {
	new_vault
	kzt config set date-format mm/dd/yyyy
	kzt config set date-format dd/mm/yyyy
	assert_absent "mm/dd/yyyy" "$T/vault"
	assert_absent "dd/mm/yyyy" "$T/vault"
	assert_absent "date-format" "$T/vault"
}

@test "import takes stored dates as strict ISO only: a crafted export with \"today\" is refused" {
	new_vault
	kzt couple add C001 </dev/null
	kzt session add C001 --date 2026-02-05 --text x </dev/null
	kzt export C001 --format json -o "$T/c.json" --yes
	python3 - "$T/c.json" "$T/bad.json" <<-'EOF'
		import json, sys
		d = json.load(open(sys.argv[1]))
		def walk(o):
		    if isinstance(o, dict):
		        if o.get("kind") == "session" or ("date" in o and "text" in o and "minutes" in o):
		            o["date"] = "today"
		        for v in o.values():
		            walk(v)
		    elif isinstance(o, list):
		        for v in o:
		            walk(v)
		walk(d)
		s = json.dumps(d)
		assert '"today"' in s
		open(sys.argv[2], "w").write(s)
	EOF
	kzt couple close C001 >/dev/null
	kzt couple delete C001 --yes --before-retention --reason test
	run kzt import "$T/bad.json"
	[ "$status" -ne 0 ]
	[[ "$output" == *"without a date"* ]]
	run kzt --json couple list --status all
	[ "$output" = "[]" ]
}

@test "KIZUNA_TEST_TODAY moves only the calendar day: audit times keep the clock, doctor says so" {
	new_vault
	kzt couple add C001 </dev/null
	KIZUNA_TEST_TODAY=2031-07-04 kzp session add C001 --text x </dev/null
	run kzp --json session list
	[[ "$output" == *'"date":"2031-07-04"'* ]]
	run kzp --json audit log --limit 1
	[[ "$output" != *"2031-07-04T"* ]]
	year=$(date -u +%Y)
	[[ "$output" == *"\"t\":\"$year-"* ]]
	run env KIZUNA_TEST_TODAY=2031-07-04 "$KZ" --vault "$V" --passphrase-file "$T/pass" doctor
	[[ "$output" == *"KIZUNA_TEST_TODAY is set"*"2031-07-04"* ]]
	run kzp doctor
	[[ "$output" != *"KIZUNA_TEST_TODAY"* ]]
	# Anything but an ISO date in it is ignored: today is the clock's day.
	KIZUNA_TEST_TODAY="next year" kzp session add C001 --text y </dev/null
	run kzp --json session list
	[[ "$output" == *"\"date\":\"$(date +%Y-%m-%d)\""* ]]
}
