#!/usr/bin/env bats
# Issue #13, "read": tables at the terminal's width, the pager, couple codes
# without regard to case, one JSON shape per object.

load helpers

# Runs kizuna (with --vault and the passphrase file) on a terminal of COLS x
# ROWS (script(1) gives it one); prints what the terminal showed, without CRs.
on_tty() {
	local cols=$1 rows=$2 cmd
	shift 2
	cmd=$(printf '%q ' "$KZ" --vault "$V" --passphrase-file "$T/pass" "$@")
	script -qec "stty cols $cols rows $rows; $cmd" /dev/null | tr -d '\r'
	return "${PIPESTATUS[0]}"
}

# Fails unless every line of $1 is at most $2 display columns wide (escape
# sequences take none) and the text is valid UTF-8.
assert_width() {
	local plain
	printf '%s\n' "$1" | iconv -f UTF-8 -t UTF-8 >/dev/null || {
		echo "not valid UTF-8: $1"
		return 1
	}
	plain=$(printf '%s\n' "$1" | sed 's/\x1b\[[0-9;]*m//g')
	if [ "$(printf '%s\n' "$plain" | LC_ALL=C.UTF-8 wc -L)" -gt "$2" ]; then
		echo "wider than $2 columns:"
		printf '%s\n' "$plain"
		return 1
	fi
}

long_couples() {
	kzp couple add C014 partner1.name="Aiko-Marie Tanaka-Schmidt von Hohenberg" \
		partner1.origin=Japan partner2.name="Jonas Alexander Friedrich Weber-Lindqvist" \
		partner2.origin=Germany >/dev/null
	# Double-width names: a cut must not split 愛 or leave half of it.
	kzp couple add C021 partner1.name="田中愛子田中愛子田中愛子田中愛子" partner1.origin=日本 \
		partner2.name="山本健太郎山本健太郎山本健太郎" partner2.origin=日本 >/dev/null
}

# ---- point 8: tables ----

@test "tables: 80 columns when stdout is not a terminal, whatever COLUMNS says" {
	new_vault
	long_couples
	run env COLUMNS=200 "$KZ" --vault "$V" --passphrase-file "$T/pass" couple list
	[ "$status" -eq 0 ]
	assert_width "$output" 80
	[[ "$output" == *"…"* ]]
	# The free-text column takes what the row leaves: the line is 80 wide.
	[ "$(printf '%s\n' "$output" | LC_ALL=C.UTF-8 wc -L)" -eq 80 ]
	# Codes, counts and dates are never cut.
	[[ "${lines[1]}" == "C014  active  "* ]]
	[[ "${lines[1]}" == *"  0     " ]]
}

@test "tables: on a terminal they take its width, narrow or wide" {
	new_vault
	long_couples
	for cols in 40 47 52 61 73 100; do
		out=$(on_tty "$cols" 50 couple list)
		assert_width "$out" "$cols"
		[[ "$out" == *"C014  "* ]] && [[ "$out" == *"C021  "* ]]
	done
	# Wide enough, nothing is cut.
	out=$(on_tty 200 50 couple list)
	[[ "$out" != *"…"* ]]
	[[ "$out" == *"Jonas Alexander Friedrich Weber-Lindqvist (Germany)"* ]]
	[[ "$out" == *"山本健太郎山本健太郎山本健太郎 (日本"* ]]
}

@test "tables: the widest free-text column gives way first" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	kzp goal add C014 "$(printf 'Long title word %.0s' $(seq 12))" --target 2026-12-31 >/dev/null
	run kzp goal list
	[ "$status" -eq 0 ]
	# ID, COUPLE, FOR, TARGET and STATUS keep their text; TITLE is cut.
	[[ "${lines[1]}" == "g1  C014    couple  Long title word"*"…  2026-12-31  active"* ]]
	assert_width "$output" 80
}

@test "tables: a cut cell never splits a double-width or UTF-8 character" {
	new_vault
	long_couples
	for cols in 41 42 43 44 45 46 57 58 59; do
		out=$(on_tty "$cols" 50 couple list)
		assert_width "$out" "$cols"
		# A double-width name cut at an odd column ends in "…", not half a character.
		line=$(printf '%s\n' "$out" | grep '^C021')
		[[ "$line" == *"…"* ]]
	done
}

@test "tables: without a UTF-8 locale a cut cell ends with '...'" {
	new_vault
	long_couples
	run env -u LANG -u LC_CTYPE LC_ALL=C "$KZ" --vault "$V" --passphrase-file "$T/pass" couple list
	[ "$status" -eq 0 ]
	[[ "$output" == *"..."* ]]
	[[ "$output" != *"…"* ]]
	run env -u LC_ALL -u LC_CTYPE LANG=de_DE.UTF-8 "$KZ" --vault "$V" --passphrase-file "$T/pass" couple list
	[[ "$output" == *"…"* ]]
}

@test "tables: a cut search highlight is ended in its cell and swallows nothing" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	kzp session add C014 --date 2026-02-02 --text "Holidays. They reconstruct last Christmas: the holidays at his mother's, the holidays in Osaka." >/dev/null
	kzp goal add C014 "Talk about holidays without blame" >/dev/null
	for cols in 38 40 42 44 46 48 50 52 56 60 70 80; do
		out=$(unset NO_COLOR; on_tty "$cols" 50 search holidays)
		assert_width "$out" "$cols"
		# Every data line still starts with the whole code (the old " 014").
		[ "$(printf '%s\n' "$out" | grep -c '^C014  ')" -eq 2 ]
		# Every highlight that starts is ended on the same line, before the
		# next cell or the end of the line.
		while IFS= read -r line; do
			on=$(grep -o $'\e\\[1;7m' <<<"$line" | wc -l)
			off=$(grep -o $'\e\\[0m' <<<"$line" | wc -l)
			[ "$on" -eq "$off" ] || {
				echo "cols $cols: unbalanced highlight: $(cat -v <<<"$line")"
				return 1
			}
		done <<<"$out"
	done
	# The highlight is there at all (the test could fail).
	out=$(unset NO_COLOR; on_tty 80 50 search holidays)
	[[ "$out" == *$'\e[1;7m'* ]]
	# Not on a terminal that shows escapes as text (TERM=dumb: Emacs's shell).
	out=$(unset NO_COLOR; TERM=dumb on_tty 80 50 search holidays)
	[[ "$out" == *"holidays"* ]]
	[[ "$out" != *$'\e['* ]]
}

# ---- point 9: the pager ----

# A pager that records its arguments, the LESS* environment and what it read.
fake_pager() {
	cat >"$T/pager.sh" <<EOF
#!/bin/sh
{
	echo "args=\$*"
	for v in LESSSECURE LESSHISTFILE LESSOPEN LESSCLOSE; do
		eval "echo \$v=\\\${\$v-unset}"
	done
} >"$T/pager.env"
cat >"$T/pager.in"
EOF
	chmod +x "$T/pager.sh"
	export PAGER="$T/pager.sh --one  --two"
}

long_note() {
	kzp couple add C014 partner1.name=Aiko >/dev/null
	seq -f 'Line %g of a long note.' 1 60 >"$T/note"
	kzp session add C014 --date 2026-02-02 --text-file "$T/note" >/dev/null
}

@test "pager: long output on a terminal goes through \$PAGER, with LESSSECURE and no history" {
	new_vault
	long_note
	fake_pager
	export LESSOPEN="|lesspipe %s" LESSCLOSE="lesspipe %s %s"
	out=$(on_tty 80 20 session show s1)
	[ "$(cat "$T/pager.env")" = "args=--one --two
LESSSECURE=1
LESSHISTFILE=-
LESSOPEN=unset
LESSCLOSE=unset" ]
	# The pager got the whole view, and the terminal did not get it besides.
	grep -q "Line 60 of a long note." "$T/pager.in"
	grep -q "^Session s1 — C014" "$T/pager.in"
	[[ "$out" != *"Line 60 of a long note."* ]]
	# What the pager got is what --no-pager prints.
	on_tty 80 20 --no-pager session show s1 >"$T/direct"
	diff "$T/pager.in" "$T/direct"
}

@test "pager: never for short output, pipes, --no-pager (global or per command), TERM=dumb or config pager off" {
	new_vault
	long_note
	fake_pager
	# Short: fits on the screen.
	out=$(on_tty 80 20 couple list)
	[ ! -e "$T/pager.env" ]
	[[ "$out" == *"C014"* ]]
	# A pipe.
	kzp session show s1 | grep -q "Line 60"
	[ ! -e "$T/pager.env" ]
	# --no-pager before or after the command, one-shot and in a script.
	out=$(on_tty 80 20 --no-pager session show s1)
	[[ "$out" == *"Line 60 of a long note."* ]]
	out=$(on_tty 80 20 session show s1 --no-pager)
	[[ "$out" == *"Line 60 of a long note."* ]]
	[ ! -e "$T/pager.env" ]
	# TERM=dumb (Emacs's shell): less could only warn that the terminal is not
	# fully functional.
	out=$(TERM=dumb on_tty 80 20 session show s1)
	[[ "$out" == *"Line 60 of a long note."* ]]
	[ ! -e "$T/pager.env" ]
	# config set pager off, and on again.
	run kzp config set pager maybe
	[ "$status" -eq 2 ]
	[[ "$output" == *"on or off"* ]]
	kzp config set pager off
	[ "$(kzp config get pager)" = off ]
	out=$(on_tty 80 20 session show s1)
	[[ "$out" == *"Line 60 of a long note."* ]]
	[ ! -e "$T/pager.env" ]
	kzp config set pager on
	on_tty 80 20 session show s1 >/dev/null
	[ -e "$T/pager.env" ]
}

@test "pager: a pager that quits early (SIGPIPE) or cannot start leaves kizuna well" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	# Far more than a pipe holds, so that kizuna is still writing when the
	# pager has gone.
	seq -f 'Line %g of a very long note, long enough to fill the pipe.' 1 20000 >"$T/note"
	kzp session add C014 --date 2026-02-02 --text-file "$T/note" >/dev/null
	export PAGER="head -n 2"
	out=$(on_tty 80 20 session show s1)
	[ "$?" -eq 0 ]
	[[ "$out" == *"Session s1"* ]]
	[[ "$out" != *"Line 20000"* ]]
	# The audit trail noted the view: the command completed.
	kzp audit verify >/dev/null
	# No pager: a warning, then the text itself.
	export PAGER="$T/no-such-pager -R"
	out=$(on_tty 80 20 session show s1)
	[ "$?" -eq 0 ]
	[[ "$out" == *"cannot start the pager"*"no-such-pager"* ]]
	[[ "$out" == *"Line 20000 of a very long note"* ]]
}

# ---- point 11: couple codes ----

@test "couple list says what the filter hides" {
	new_vault
	for c in A1 A2 A3 P1 X1 X2; do kzp couple add "$c" >/dev/null; done
	kzp couple set P1 status=paused >/dev/null
	kzp couple close X1 >/dev/null
	kzp couple close x2 >/dev/null
	run kzp couple list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 5 ]
	[ "${lines[4]}" = "1 paused, 2 closed: couple list --status all" ]
	run kzp couple list --status closed
	[ "${lines[3]}" = "3 active, 1 paused: couple list --status all" ]
	run kzp couple list --status all
	[ "${#lines[@]}" -eq 7 ]
	[[ "$output" != *"--status all"* ]]
	# JSON stays one array of the couples shown.
	[ "$(kzp --json couple list | jq length)" -eq 3 ]
	kzp couple close A1 >/dev/null
	kzp couple close A2 >/dev/null
	kzp couple close A3 >/dev/null
	run kzp couple list
	[ "${lines[0]}" = "no couples" ]
	[ "${lines[1]}" = "1 paused, 5 closed: couple list --status all" ]
}

@test "couple codes match without regard to case; C014 and c014 cannot both exist" {
	new_vault
	kzp couple add C014 partner1.name=Aiko >/dev/null
	run kzp couple show c014
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Couple C014 — active"* ]]
	[ "$(kzp --json couple show c014 | jq -r .code)" = C014 ]
	run kzp session add c014 --date 2026-01-05 --text "Lower-case code."
	[ "$status" -eq 0 ]
	[ "$output" = "added session s1 for C014" ]
	run kzp goal add c014 "A goal"
	[ "$output" = "added goal g1 for C014" ]
	[ "$(kzp --json session list c014 | jq -r '.[0].couple')" = C014 ]
	[ "$(kzp --json goal list C014 | jq length)" -eq 1 ]
	[ "$(kzp --json search Lower --couple c014 | jq length)" -eq 1 ]
	kzp export c014 --format json -o "$T/c.json" >/dev/null
	[ "$(jq -r .couple.code "$T/c.json")" = C014 ]
	# A second couple under the same code in another case: refused, exit 2.
	run kzp couple add c014
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: couple C014 already exists (codes are matched without regard to case: c014 is C014)" ]
	run kzp import "$T/c.json" --as c014
	[ "$status" -eq 2 ]
	[[ "$output" == *"already exists"* ]]
	[ "$(kzp --json couple list --status all | jq length)" -eq 1 ]
	# The audit trail names the couple as stored, and --couple ignores case.
	kzp couple show c014 >/dev/null
	[ "$(kzp --json audit log --couple c014 | jq -r '[.[] | select(.cmd == "couple show")][-1].couple')" = C014 ]
	run kzp couple close C014X
	[ "$status" -eq 6 ]
}

@test "attack: two processes adding C009 and c009 at once leave one couple" {
	new_vault
	for i in 1 2 3 4 5; do
		kzp couple add "R$i" >/dev/null &
		kzp couple add "r$i" >/dev/null &
		wait
	done
	[ "$(kzp --json couple list --status all | jq length)" -eq 5 ]
}

@test "attack: a copied couple record (sqlite3) is refused, never a second C004" {
	new_vault
	kzp couple add C004 >/dev/null
	sqlite3 "$V" "CREATE TEMP TABLE m AS SELECT id AS old, randomblob(16) AS new FROM heads;
		INSERT INTO heads SELECT m.new, h.head FROM heads h JOIN m ON h.id = m.old;
		INSERT INTO bodies SELECT m.new, b.body FROM bodies b JOIN m ON b.id = m.old;"
	run kzp couple show c004
	[ "$status" -eq 4 ]
	[[ "$output" == *"failed authentication"* ]]
}

@test "a vault from before (C004 and c004 both there) refuses the ambiguity by name" {
	cp "$BATS_TEST_DIRNAME/fixtures/case-twins.kz" "$V"
	run kzp couple list
	[ "$status" -eq 0 ]
	[[ "$output" == *"C004"*"c004"* ]]
	[[ "$output" == *"warning: couples C004 and c004 differ only in case"* ]]
	before=$(kzp --json session list | jq -c .)
	for code in C004 c004; do
		for cmd in "couple show $code" "session add $code --text x" "goal add $code T" \
			"session list $code" "couple set $code notes=x"; do
			run kzp $cmd
			[ "$status" -eq 1 ]
			[[ "$output" == *"couple code $code is ambiguous: C004, c004 differ only in case"* ]] ||
				[[ "$output" == *"couple code $code is ambiguous: c004, C004 differ only in case"* ]]
		done
	done
	[ "$(kzp --json session list | jq -c .)" = "$before" ]
	# The way out: export by the exact code, import under a new one, close
	# and erase it (couple close, as erase, takes the code spelt exactly).
	kzp export c004 --format json -o "$T/lower.json" >/dev/null
	[ "$(jq -r .couple.partner1.name "$T/lower.json")" = Lower ]
	kzp import "$T/lower.json" --as C005 >/dev/null
	kzp couple close c004 >/dev/null
	run kzp couple delete c004 --yes --before-retention --reason test
	[ "$status" -eq 0 ]
	[[ "$output" == "erased c004: 1 session"* ]]
	[ "$(kzp --json couple show c004 | jq -r .partner1.name)" = Upper ]
	[ "$(kzp --json couple show c005 | jq -r .partner1.name)" = Lower ]
}

# ---- point 12: one JSON shape ----

# Fails unless the object $1 (from list) has every key of it in $2 (from
# show) with the same value.
assert_subset() {
	jq -en --argjson l "$1" --argjson s "$2" \
		'$l | to_entries | all(.value == $s[.key])' >/dev/null || {
		echo "list object not within show object:"
		jq -n --argjson l "$1" --argjson s "$2" \
			'$l | to_entries | map(select(.value != $s[.key])) | map({key, list: .value, show: $s[.key]})'
		return 1
	}
}

@test "JSON: list and show give one shape for couples, sessions and goals" {
	new_vault
	long_couples
	kzp session add C014 --date 2026-01-05 --text "Joint." --theme holidays,language >/dev/null
	kzp session add c014 --date 2026-01-12 --attended 1 --text "Aiko alone." >/dev/null
	kzp session add C021 --date 2026-01-13 --attended partner2 --text "Alone." >/dev/null
	kzp session sign s1 >/dev/null
	kzp goal add C014 "Holidays without blame" --target 2026-12-01 >/dev/null
	kzp goal add C021 "Her own network" --partner 1 >/dev/null
	kzp goal progress g1 4 --session s1 >/dev/null
	n=0
	for kind in couple session goal; do
		list=$(kzp --json $kind list)
		key=$([ $kind = couple ] && echo code || echo id)
		for i in $(seq 0 $(($(jq length <<<"$list") - 1))); do
			obj=$(jq -c ".[$i]" <<<"$list")
			show=$(kzp --json $kind show "$(jq -r ".$key" <<<"$obj")")
			assert_subset "$obj" "$show"
			# No storage fields in either.
			[ "$(jq -r '.kind, .v' <<<"$show")" = "null
null" ]
			n=$((n + 1))
		done
	done
	[ "$n" -eq 7 ]
	# The forms themselves: ids "s1", "g1", couple codes, never a record hash.
	[ "$(kzp --json goal show g1 | jq -r '.id, .couple, .last, .progress[0].session')" = "g1
C014
4
s1" ]
	[ "$(kzp --json session show s1 | jq -r '.id, .couple, .signed, (.signed_at | length)')" = "s1
C014
true
20" ]
	[ "$(kzp --json session show s2 | jq -r '.signed, .signed_at')" = "false
null" ]
}

@test "JSON: attended is both, partner1 or partner2 everywhere, old words read" {
	new_vault
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp session add C014 --date 2026-01-05 --text "Joint." >/dev/null
	kzp session add C014 --date 2026-01-06 --attended 1 --text "Aiko alone." >/dev/null
	kzp session add C014 --date 2026-01-07 --attended partner2 --text "Jonas alone." >/dev/null
	kzp session add C014 --date 2026-01-08 --attended "P1 alone" --text "Old word." >/dev/null
	run kzp session add C014 --attended 3 --text "No."
	[ "$status" -eq 2 ]
	[[ "$output" == *"--attended: both, partner1 or partner2"* ]]
	[ "$(kzp --json session list | jq -r '[.[].attended] | join(",")')" = "both,partner1,partner2,partner1" ]
	[ "$(for s in s1 s2 s3 s4; do kzp --json session show $s | jq -r .attended; done | paste -sd,)" = "both,partner1,partner2,partner1" ]
	run kzp session list
	[[ "${lines[2]}" == *"  partner1  "* ]]
	kzp export C014 --format json -o "$T/c.json" >/dev/null
	jq -e '[.sessions[].attended] == ["both","partner1","partner2","partner1"]' "$T/c.json" >/dev/null
	# An export written by hand (or by another tool) with the short words:
	# read as the same vocabulary, and an individual session stays one.
	jq '.sessions[1].attended = "1" | .sessions[2].attended = "P2 alone"' "$T/c.json" >"$T/old.json"
	kzp import "$T/old.json" --as C015 >/dev/null
	[ "$(kzp --json session list C015 | jq -r '[.[].attended] | join(",")')" = "both,partner1,partner2,partner1" ]
	kzp export C015 --format json --for-partner 2 -o "$T/p2.json" >/dev/null
	[ "$(jq -r '[.sessions[].text] | join("|")' "$T/p2.json")" = "Joint.|Jonas alone." ]
	# An unknown word is refused, not read as "both".
	jq '.sessions[1].attended = "someone"' "$T/c.json" >"$T/bad.json"
	run kzp import "$T/bad.json" --as C016
	[ "$status" -eq 2 ]
	[[ "$output" == *"attended"* ]]
	run kzp couple show C016
	[ "$status" -eq 6 ]
}
