#!/usr/bin/env bats
# export --pseudonymize (issue #15): a copy for supervision with no name,
# place or calendar date of the couple's, roles in their place, the list of
# replacements on stderr only, process notes only when asked, through age too.

load helpers

# Every name and place the profile and the notes hold (the profile's spelling):
# whole words in any case, and the Japanese ones anywhere.
NAMES=(Aiko Tanaka Jonas Mia Ken Leipzig Yuki Weber)
CJK=(田中 愛子)

setup_couple() {
	new_vault
	export KIZUNA_TEST_TODAY=2026-03-20
	kzp couple add C014 "partner1.name=Aiko Tanaka 田中 愛子" partner1.origin=Japan \
		partner2.name=Jonas partner2.origin=Germany "residence=Leipzig, Germany" \
		"children=Mia:2019:de ja; Ken:2021" "support=Aiko's sister Yuki" \
		"referral=Dr. Weber, GP" intake=2026-01-10 "notes=Jonas moved to Leipzig on 1.9.2024" \
		>/dev/null
	kzp session add C014 --date 2026-01-12 --process-notes "PROCESS I felt protective of AIKO" \
		--homework "jonas calls Mia" -- "Aiko's and JONAS' fight about Ken's school in Leipzig." \
		"Aikos Mutter kam am 3.2.2026. 愛子さん cried. Kenya and a token stay." >/dev/null
	kzp session add C014 --date 2026-01-26 --attended 2 -- "Jonas alone: Yuki called 2026-01-20." >/dev/null
	kzp goal add C014 "Aiko and Jonas plan Mia's birthday" --target 2026-06-01 \
		--description "ask Weber" >/dev/null
	kzp goal progress g1 5 --session s1 --note "Ken helped" --date 2026-01-20 >/dev/null
	kzp session sign s1 --yes >/dev/null
	kzp session amend s1 --text "Jonas phoned on 14.1.2026" >/dev/null
}

# Asserts that the file $1 holds no name (any case) and no date.
assert_clean() {
	local n
	for n in "${NAMES[@]}"; do
		if grep -qiwF -- "$n" "$1"; then
			echo "'$n' is still in $1:"
			grep -niwF -- "$n" "$1"
			return 1
		fi
	done
	for n in "${CJK[@]}"; do
		if grep -qF -- "$n" "$1"; then
			echo "'$n' is still in $1:"
			grep -niF -- "$n" "$1"
			return 1
		fi
	done
	if grep -nE '[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|[0-9]{1,2}[./][0-9]{1,2}[./][0-9]{4}|[0-9]{4}年' "$1"; then
		echo "a date is still in $1"
		return 1
	fi
}

@test "export --pseudonymize (md): no name, place or date; roles and weeks in their place" {
	setup_couple
	run kzp export C014 --pseudonymize --yes -o "$T/sup.md"
	[ "$status" -eq 0 ]
	[[ "$output" == *"pseudonymized"* ]]
	assert_clean "$T/sup.md"
	grep -qF "### Partner 1: Partner A (Japan)" "$T/sup.md"
	grep -qF "### Partner 2: Partner B (Germany)" "$T/sup.md"
	grep -qF "**Children:** Child 1 (about 7 at the start); Child 2 (about 5 at the start)" "$T/sup.md"
	grep -qF "**Living in:** city in Germany" "$T/sup.md"
	grep -qF "Partner A (Japan)'s sister support person 1" "$T/sup.md"
	grep -qF "Dr. referrer, GP" "$T/sup.md"
	grep -qF "Partner A (Japan)'s and Partner B (Germany)' fight about Child 2's school in city in Germany." "$T/sup.md"
	grep -qF "Partner A (Japan)'s Mutter kam am week 4." "$T/sup.md"
	grep -qF "Partner A (Japan)さん cried. Kenya and a token stay." "$T/sup.md"
	grep -qF "### Session s1: week 1" "$T/sup.md"
	grep -qF "### Session s2: week 3" "$T/sup.md"
	grep -qF -- "- week 2: 5/10 — Child 2 helped" "$T/sup.md"
	grep -qF "target week 21" "$T/sup.md"
	# The plain export of the same couple holds them all (the test can fail).
	kzp export C014 --yes -o "$T/plain.md" >/dev/null
	! assert_clean "$T/plain.md"
}

@test "export --pseudonymize: the list of replacements goes to stderr, never into the copy" {
	setup_couple
	kzp export C014 --pseudonymize --yes >"$T/out.md" 2>"$T/err"
	assert_clean "$T/out.md"
	grep -qF "Aiko → Partner A (Japan): " "$T/err"
	grep -qF "Jonas → Partner B (Germany): 7 times" "$T/err"
	grep -qF "Leipzig → city in Germany: 2 times" "$T/err"
	grep -qF "Mia → Child 1: 3 times" "$T/err"
	grep -qE "Ken → Child 2: 3 times \(also a common word" "$T/err"
	grep -qF "Weber → referrer: 2 times" "$T/err"
	grep -qF "Yuki → support person 1: 2 times" "$T/err"
	grep -qF "dates → therapy weeks" "$T/err"
	! grep -qF "→" "$T/out.md"
}

@test "export --pseudonymize --format json: parses, nothing left, no times; import refuses it" {
	setup_couple
	kzp export C014 --pseudonymize --format json --yes -o "$T/sup.json" 2>/dev/null
	jq -e . "$T/sup.json" >/dev/null
	assert_clean "$T/sup.json"
	[ "$(jq -r .format "$T/sup.json")" = kizuna-export-pseudonymized ]
	[ "$(jq -r .couple.partner1.name "$T/sup.json")" = "Partner A (Japan)" ]
	[ "$(jq -r '.couple.children[1].name' "$T/sup.json")" = "Child 2" ]
	[ "$(jq -r '.couple.children[0].age_at_start' "$T/sup.json")" = 7 ]
	[ "$(jq -r '.couple.intake' "$T/sup.json")" = "week 1" ]
	[ "$(jq -r '.couple.notes' "$T/sup.json")" = "Partner B (Germany) moved to city in Germany on 71 weeks before the start" ]
	[ "$(jq -r '.sessions[0].signed' "$T/sup.json")" != null ]
	[ "$(jq -r '[.. | objects | (.created, .updated, .at, .exported) | select(. != null)] | length' "$T/sup.json")" = 0 ]
	[ "$(jq -r 'has("therapist") or has("practice")' "$T/sup.json")" = false ]
	run kzp import "$T/sup.json" --as C099
	[ "$status" -eq 2 ]
	[[ "$output" == *"not a kizuna export"* ]]
}

@test "export --pseudonymize: process notes only with --process-notes, pseudonymized too" {
	setup_couple
	kzp export C014 --pseudonymize --yes -o "$T/a.md" 2>/dev/null
	! grep -qF "PROCESS" "$T/a.md"
	kzp export C014 --pseudonymize --process-notes --yes -o "$T/b.md" 2>/dev/null
	grep -qF "**Process notes:** PROCESS I felt protective of Partner A (Japan)" "$T/b.md"
	assert_clean "$T/b.md"
	kzp export C014 --pseudonymize --format json --include-process-notes --yes -o "$T/c.json" 2>/dev/null
	[ "$(jq -r '.sessions[0].process_notes' "$T/c.json")" = "PROCESS I felt protective of Partner A (Japan)" ]
}

@test "export --pseudonymize --to: the age file opens to the pseudonymized copy" {
	setup_couple
	age-keygen -o "$T/age.id" 2>/dev/null
	R=$(age-keygen -y "$T/age.id")
	kzp export C014 --pseudonymize --format json --to "$R" -o "$T/sup.age" 2>"$T/err"
	! grep -qaF "Partner A" "$T/sup.age"
	age -d -i "$T/age.id" "$T/sup.age" >"$T/dec.json"
	jq -e . "$T/dec.json" >/dev/null
	assert_clean "$T/dec.json"
	[ "$(jq -r .couple.partner2.name "$T/dec.json")" = "Partner B (Germany)" ]
	grep -qF "Jonas → Partner B (Germany)" "$T/err"
}

@test "export --pseudonymize --for-partner 1: the other's session stays out, names still replaced" {
	setup_couple
	kzp export C014 --pseudonymize --for-partner 1 --format json --yes -o "$T/p1.json" 2>/dev/null
	assert_clean "$T/p1.json"
	[ "$(jq -r '.sessions | length' "$T/p1.json")" = 1 ]
}

@test "export --pseudonymize: the audit trail records a pseudonymized export" {
	setup_couple
	kzp export C014 --yes -o "$T/plain.md" >/dev/null
	kzp export C014 --pseudonymize --yes -o "$T/sup.md" 2>/dev/null
	kzp --json audit log >"$T/log.json"
	[ "$(jq '[.[] | select(.event == "export")] | length' "$T/log.json")" = 2 ]
	[ "$(jq -r '[.[] | select(.event == "export")][0].reason' "$T/log.json")" = null ]
	[ "$(jq -r '[.[] | select(.event == "export")][1].reason' "$T/log.json")" = pseudonymized ]
	kzp audit verify >/dev/null
}

@test "export --pseudonymize: a vault changed behind kizuna's back is refused, nothing written" {
	setup_couple
	# Someone with sqlite3 changes a byte of every sealed body: the export stops.
	sqlite3 "$V" "UPDATE bodies SET body = substr(body, 1, 40) || CASE WHEN substr(body, 41, 1) = X'00' THEN X'01' ELSE X'00' END || substr(body, 42)"
	run kzp export C014 --pseudonymize --yes -o "$T/x.md"
	[ "$status" -eq 4 ]
	[ ! -e "$T/x.md" ]
}
