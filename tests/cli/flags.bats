#!/usr/bin/env bats
# Feedback flags (issue #15): each flag from a history built with score add,
# shown by flags, couple show and couple list; its edges; healthy histories
# raise none; voided sessions' scores are left out; a score deleted or rolled
# back with sqlite3 exits 4 rather than give a different flag.

load helpers

set -o pipefail

EXPECTED="$BATS_TEST_DIRNAME/expected"

setup_file() { export KIZUNA_TEST_TODAY=2026-06-01; }

# One score line, none for "-".
score_line() { [ "$4" = - ] || echo "score add $1 --partner $2 --measure $3 $4"; }

# Script lines: a session of couple $1 per total (numbered from s$2, a week
# apart from 2026-01-05) with measure $3's totals for partner 1 ($4) and
# partner 2 ($5), space-separated, "-" for none.
hist() {
	local code=$1 first=$2 m=$3 i n
	local -a a b
	read -ra a <<<"$4"
	read -ra b <<<"$5"
	n=$((${#a[@]} > ${#b[@]} ? ${#a[@]} : ${#b[@]}))
	for ((i = 0; i < n; i++)); do
		echo "session add $code --date $(date -d "2026-01-05 +$((7 * i)) days" +%F) --text note"
		score_line "s$((first + i))" 1 "$m" "${a[i]:--}"
		score_line "s$((first + i))" 2 "$m" "${b[i]:--}"
	done
}

# Script lines: measure $2's totals on the sessions from s$1 on, without new sessions.
more() {
	local first=$1 m=$2 i n
	local -a a b
	read -ra a <<<"$3"
	read -ra b <<<"$4"
	n=$((${#a[@]} > ${#b[@]} ? ${#a[@]} : ${#b[@]}))
	for ((i = 0; i < n; i++)); do
		score_line "s$((first + i))" 1 "$m" "${a[i]:--}"
		score_line "s$((first + i))" 2 "$m" "${b[i]:--}"
	done
}

couple() { echo "couple add $1 partner1.name=${2:-Aiko} partner2.name=${3:-Jonas}"; }

# Runs the script on stdin in one kizuna; fails showing its output.
script() {
	kzp -f /dev/stdin >"$T/script.out" 2>&1 || {
		cat "$T/script.out"
		return 1
	}
}

ARROW=$'\xe2\x86\x92'

@test "flags: no reliable improvement by the 4th score, per partner; exactly the reliable change is improvement" {
	new_vault
	{ couple C1; hist C1 1 ORS "22 23 21" "20 21 22"; } | script
	run kzp flags C1
	[ "$status" -eq 0 ]
	[ "$output" = "no flags" ] # 3 scores: too early to say
	{ echo "session add C1 --date 2026-01-26 --text note"; more 4 ORS "24" "23"; } | script
	run kzp flags C1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Aiko: ORS has not improved reliably over 4 sessions (22 $ARROW 24; reliable change is 5): worth asking together what is and is not helping." ]
	[ "${lines[1]}" = "Jonas: ORS has not improved reliably over 4 sessions (20 $ARROW 23; reliable change is 5): worth asking together what is and is not helping." ]
	[ "${#lines[@]}" -eq 2 ]
	# +5 exactly (22 -> 27) and +4.5 (20 -> 24.5).
	{ couple C2; hist C2 5 ORS "22 23 24 27" "20 21 22 24.5"; } | script
	run kzp --json flags C2
	[ "$status" -eq 0 ]
	# Aiko improved by exactly 5, Jonas did not: no flag for her, and they diverge.
	[ "$(jq -c '[.[] | [.kind, .partner, .from, .to, .count]]' <<<"$output")" = '[["no_improvement",2,20,24.5,4],["diverging",1,22,27,4]]' ]
}

@test "flags: a drop by the reliable change (exactly 5 counts, 4.5 does not), on any measure" {
	new_vault
	{ couple C1; hist C1 1 ORS "28 22" "30 25"; couple C2; hist C2 3 ORS "28 23.5" "-"; } | script
	run kzp flags C1
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "Aiko: ORS fell by 6 since the session before (28 $ARROW 22; reliable change is 5): worth asking what has changed since then." ]
	[ "${lines[1]}" = "Jonas: ORS fell by 5 since the session before (30 $ARROW 25; reliable change is 5): worth asking what has changed since then." ]
	[ "${#lines[@]}" -eq 2 ]
	run kzp flags C2
	[ "$output" = "no flags" ]
	# SRS 40 -> 35 is a drop and below the cut-off.
	more 3 SRS "40 35" "-" | script
	run kzp --json flags C2
	[ "$(jq -c '[.[] | [.measure, .kind, .from, .to, .session]]' <<<"$output")" = '[["SRS","drop",40,35,"s4"],["SRS","low_alliance",35,35,"s4"]]' ]
}

@test "flags: the alliance below its cut-off at the last session (36 itself is not)" {
	new_vault
	{ couple C1; hist C1 1 SRS "30 38 35" "34 35 36"; } | script
	run kzp flags C1
	[ "$status" -eq 0 ]
	[ "$output" = "Aiko: SRS at the last session was 35, below the cut-off of 36: worth asking how the sessions are working for them and what could change." ]
	run kzp --json flags C1
	[ "$(jq -c '.[0] | [.kind, .partner, .to, .cutoff, .count, .session]' <<<"$output")" = '["low_alliance",1,35,36,1,"s3"]' ]
}

@test "flags: partners diverging, one improved reliably and the other not; one partner without scores raises none" {
	new_vault
	{ couple C1; hist C1 1 ORS "18 26" "20 21"; couple C2; hist C2 3 ORS "18 26" "-"; } | script
	run kzp flags C1
	[ "$status" -eq 0 ]
	[ "$output" = "Aiko's ORS improved reliably (18 $ARROW 26) while Jonas's did not (20 $ARROW 21; reliable change is 5): worth talking together about how each of them sees what is changing." ]
	run kzp --json flags C1
	[ "$(jq -c '.[0] | [.couple, .kind, .partner, .from, .to, .other_from, .other_to, .other_count]' <<<"$output")" = '["C1","diverging",1,18,26,20,21,2]' ]
	run kzp flags C2
	[ "$output" = "no flags" ]
	# Both improved reliably: no divergence.
	{ echo "session add C1 --date 2026-01-19 --text note"; more 5 ORS "27" "25"; } | script
	run kzp flags C1
	[ "$output" = "no flags" ]
}

@test "flags: a healthy history raises nothing, in flags, couple show and couple list" {
	new_vault
	{
		couple C1
		hist C1 1 ORS "19 22 25 27" "21 23 26 28"
		more 1 SRS "37 38 38 39" "36 38 39 40"
	} | script
	run kzp flags C1
	[ "$status" -eq 0 ]
	[ "$output" = "no flags" ]
	run kzp flags
	[ "$output" = "no flags" ]
	run kzp couple show C1
	[ "$status" -eq 0 ]
	[[ "$output" != *Flags* ]]
	[ "$(kzp --json couple show C1 | jq -c .flags)" = "[]" ]
	[ "$(kzp --json couple list | jq -c '[.[] | .flags]')" = "[[]]" ]
	# No couple shown has flags: the table as before, without the mark column.
	run kzp couple list
	[[ "${lines[0]}" =~ ^CODE\ +STATUS\ +PARTNERS ]]
	[[ "$output" != *$'\xe2\x9a\x91'* ]]
}

@test "flags: couple show has a Flags section, couple list marks the couple (! and -> without UTF-8)" {
	new_vault
	{ couple C1; hist C1 1 ORS "18 26" "20 21"; couple C2 Mia Ole; hist C2 3 ORS "20 22" "21 23"; } | script
	run kzp couple show C1
	[ "$status" -eq 0 ]
	want="  Aiko's ORS improved reliably (18 $ARROW 26) while Jonas's did not (20 $ARROW 21;"
	[ "${lines[${#lines[@]} - 2]}" = Flags ]
	[[ "${lines[${#lines[@]} - 1]}" == "$want"* ]]
	run kzp couple show C2
	[[ "$output" != *Flags* ]]
	run kzp --json couple show C1
	[ "$(jq -c '.flags | [.[] | [.couple, .kind, .partner]]' <<<"$output")" = '[["C1","diverging",1]]' ]
	[ "$(jq -r '.flags[0].text' <<<"$output")" = "$(kzp --json flags C1 | jq -r '.[0].text')" ]
	run kzp --json couple list
	# The list object is within the show object (kizuna(1), JSON output).
	[ "$(jq -c '[.[] | [.code, (.flags | length)]]' <<<"$output")" = '[["C1",1],["C2",0]]' ]
	[ "$(jq -c '.[0].flags' <<<"$output")" = "$(kzp --json couple show C1 | jq -c .flags)" ]
	LC_ALL=C.UTF-8 run kzp couple list
	[ "$status" -eq 0 ]
	[[ "${lines[1]}" =~ ^C1\ +$'\xe2\x9a\x91'\ +active ]]
	[[ "${lines[2]}" =~ ^C2\ +active ]]
	LC_ALL=C run kzp couple list
	[[ "${lines[1]}" =~ ^C1\ +!\ +active ]]
	LC_ALL=C run kzp flags C1
	[[ "$output" == *"(18 -> 26) while Jonas's did not (20 -> 21;"* ]]
}

@test "flags without CODE: every active couple's, a line each after its code; paused couples left out" {
	new_vault
	{
		couple C2 Mia Ole
		hist C2 1 ORS "28 22" "-"
		couple C1
		hist C1 3 SRS "30" "35"
		couple C3 Yuki Ben
		hist C3 4 ORS "28 22" "-"
		couple C4
		hist C4 6 ORS "20 25" "20 25"
		echo "couple set C3 status=paused"
	} | script
	run kzp flags
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	[[ "${lines[0]}" == "C1        Aiko: SRS at the last session was 30, below"* ]]
	[[ "${lines[1]}" == "C1        Jonas: SRS at the last session was 35, below"* ]]
	[[ "${lines[2]}" == "C2        Mia: ORS fell by 6 since"* ]]
	[[ "$output" != *C3* && "$output" != *Yuki* ]]
	run kzp --json flags
	[ "$(jq -c '[.[] | [.couple, .kind, .partner]]' <<<"$output")" = '[["C1","low_alliance",1],["C1","low_alliance",2],["C2","drop",1]]' ]
	# Named, the paused couple's flags are shown.
	run kzp flags c3
	[[ "$output" == "Yuki: ORS fell by 6"* ]]
}

@test "flags for every couple at once (flags, couple list: one pass over the heads) are each couple's own" {
	new_vault
	# Four couples' sessions and scores interleaved in the vault, on two
	# measures; one couple's drop is in a session voided later.
	{
		couple C1
		couple C2 Mia Ole
		couple C3 Yuki Ben
		couple C4 Ana Luis
		for i in 0 1 2 3; do
			for c in C1 C2 C3 C4; do
				echo "session add $c --date $(date -d "2026-01-05 +$((7 * i)) days" +%F) --text note"
			done
		done
	} | script
	# s1..s16: C1 s1,s5,s9,s13; C2 s2,s6,s10,s14; C3 s3,s7,...; C4 s4,s8,...
	{
		for s in 1 5 9 13; do score_line "s$s" 1 ORS 20; score_line "s$s" 2 SRS 30; done
		score_line s2 1 ORS 28; score_line s6 1 ORS 22; score_line s2 2 SRS 38; score_line s6 2 SRS 39
		score_line s3 1 ORS 15; score_line s7 1 ORS 25; score_line s3 2 ORS 15; score_line s7 2 ORS 16
		score_line s4 1 ORS 30; score_line s8 1 ORS 24; score_line s12 1 ORS 27
		echo "session void s8 --reason wrong couple"
	} | script
	run kzp --json flags
	[ "$status" -eq 0 ]
	all=$output
	each=$(for c in C1 C2 C3 C4; do kzp --json flags "$c"; done | jq -c -s 'add')
	[ "$(jq -c . <<<"$all")" = "$each" ]
	# Every couple raised something but C4 (its drop was in the voided s8).
	[ "$(jq -c '[.[].couple] | unique' <<<"$all")" = '["C1","C2","C3"]' ]
	run kzp --json couple list
	[ "$status" -eq 0 ]
	for c in C1 C2 C3 C4; do
		[ "$(jq -c --arg c "$c" '.[] | select(.code == $c) | .flags' <<<"$output")" = \
			"$(kzp --json flags "$c" | jq -c .)" ]
	done
}

@test "flags: a voided session's scores are not counted" {
	new_vault
	{ couple C1; hist C1 1 ORS "28 22 23" "-"; } | script
	run kzp flags C1
	[ "$output" = "no flags" ] # 22 -> 23
	echo "session void s3 --reason wrong couple" | script
	run kzp flags C1
	[[ "$output" == "Aiko: ORS fell by 6 since the session before (28 $ARROW 22;"* ]]
	echo "session void s2 --reason wrong couple" | script
	run kzp flags C1
	[ "$output" = "no flags" ] # one score left
	[ "$(kzp --json couple list | jq '.[0].flags | length')" -eq 0 ]
}

@test "flags: a view in the audit trail naming the couple; bad input exits 2 or 6" {
	new_vault
	{ couple C1; hist C1 1 ORS "28 22" "-"; } | script
	run kzp flags c1
	[ "$status" -eq 0 ]
	e=$(kzp --json audit log | jq -c '[.[] | select(.event == "view")] | last')
	[ "$(jq -r .cmd <<<"$e")" = flags ]
	[ "$(jq -r .ref <<<"$e")" = C1 ]
	run kzp flags
	[ "$status" -eq 0 ]
	[ "$(kzp --json audit log | jq '[.[] | select(.event == "view" and .cmd == "flags")] | length')" -eq 2 ]
	run kzp flags C999
	[ "$status" -eq 6 ]
	[[ "$output" == *"no couple C999"* ]]
	run kzp flags C1 C2
	[ "$status" -eq 2 ]
	run kzp flags --bogus
	[ "$status" -eq 2 ]
}

# The ids of the records, one per line (hex).
rec_ids() { sqlite3 "$V" "SELECT hex(id) FROM heads ORDER BY id"; }

@test "attack: a score deleted or rolled back with sqlite3 exits 4 rather than give a different flag" {
	new_vault
	{ couple C1; hist C1 1 ORS "28 29" "-"; } | script
	sqlite3 "$V" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	cp "$V" "$T/before.kz"
	rec_ids >"$T/ids-before"
	echo "session add C1 --date 2026-01-19 --text note" | script
	rec_ids >"$T/ids-session"
	more 3 ORS "22" "-" | script
	rec_ids >"$T/ids-after"
	run kzp flags C1
	[[ "$output" == "Aiko: ORS fell by 7"* ]]
	score=$(comm -13 "$T/ids-session" "$T/ids-after")
	[ "$(wc -l <<<"$score")" -eq 1 ]
	sqlite3 "$V" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	# The new score deleted: the drop would vanish.
	cp "$V" "$T/del.kz"
	sqlite3 "$T/del.kz" "DELETE FROM heads WHERE id = X'$score'; DELETE FROM bodies WHERE id = X'$score'"
	run "$KZ" --vault "$T/del.kz" --passphrase-file "$T/pass" flags C1
	[ "$status" -eq 4 ]
	[[ "$output" != *"fell by"* && "$output" != "no flags" ]]
	run "$KZ" --vault "$T/del.kz" --passphrase-file "$T/pass" couple list
	[ "$status" -eq 4 ]
	# The records rolled back to before the score (and its session).
	cp "$V" "$T/rb.kz"
	sqlite3 "$T/rb.kz" "ATTACH '$T/before.kz' AS o; DELETE FROM heads; INSERT INTO heads SELECT * FROM o.heads;
		DELETE FROM bodies; INSERT INTO bodies SELECT * FROM o.bodies"
	run "$KZ" --vault "$T/rb.kz" --passphrase-file "$T/pass" flags C1
	[ "$status" -eq 4 ]
	[[ "$output" != "no flags" ]]
	# The vault itself still gives the flag.
	run kzp flags C1
	[ "$status" -eq 0 ]
	[[ "$output" == "Aiko: ORS fell by 7"* ]]
}

@test "golden: flags and couple list at 80 columns match tests/cli/expected/flags.txt" {
	export LC_ALL=C.UTF-8 COLUMNS=80
	new_vault
	{
		couple C014 Aiko Jonas
		hist C014 1 ORS "22 23 21 24 24" "18 20 24 26 27"
		more 1 SRS "38 37 36 35 34" "39 40 40 40 38"
		couple C015 Mia Ole
		hist C015 6 ORS "28 22" "30 31"
		couple C016 Yuki Ben
		hist C016 8 ORS "19 22 25 27" "21 23 26 28"
	} | script
	{
		echo "\$ flags"
		kzp flags
		echo "\$ flags C014"
		kzp flags C014
		echo "\$ couple list"
		kzp couple list
		echo "\$ couple show C015 (tail)"
		kzp couple show C015 | tail -n 4
	} >"$T/got.txt" 2>&1
	# KZ_GOLDEN_UPDATE=1 writes the file anew (look at the diff before committing it).
	[ -z "${KZ_GOLDEN_UPDATE:-}" ] || cp "$T/got.txt" "$EXPECTED/flags.txt"
	diff -u "$EXPECTED/flags.txt" "$T/got.txt"
}
