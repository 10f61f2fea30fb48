#!/usr/bin/env bats
# timeline CODE: one screen of a couple's therapy. A constructed couple drawn
# at 80 columns compared with tests/cli/expected/timeline-80.txt; one screen
# at 60 and 120; ASCII without a UTF-8 locale; --json; the audit event; bad
# input; a view the audit trail cannot note is not shown.

load helpers

set -o pipefail

EXPECTED="$BATS_TEST_DIRNAME/expected/timeline-80.txt"

# The couple T1 (one script, one unlock): joint sessions weekly from
# 2026-01-07 with a gap of six weeks after 2026-03-11, partner 1 alone on
# 2026-02-25, partner 2 alone on 2026-03-11, s6 voided, s13 and s16 unsigned,
# themes, two goals with progress (g2 achieved) and ORS scores of both.
t1_script() {
	local d i=0 th
	echo "couple add T1 partner1.name=Aiko partner2.name=Jonas"
	for d in 2026-01-07 2026-01-14 2026-01-21 2026-01-28 2026-02-04 2026-02-11 2026-02-18 \
		2026-03-04 2026-04-21 2026-04-22 2026-04-29 2026-05-06 2026-05-13; do
		i=$((i + 1))
		case $((i % 3)) in
		0) th=conflict,silence ;;
		1) th=language ;;
		*) th=family-of-origin,language ;;
		esac
		echo "session add T1 --date $d --theme $th --text note-$i"
	done
	echo "session add T1 --date 2026-02-25 --attended partner1 --theme autonomy --text alone-1"
	echo "session add T1 --date 2026-03-11 --attended partner2 --theme identity --text alone-2"
	echo "session add T1 --date 2026-05-20 --theme holidays --text unsigned-last"
	for i in 1 2 3 4 5 7 8 9 10 11 12 14 15; do echo "session sign s$i"; done
	echo "session void s6 --reason wrong-couple"
	echo "goal add T1 -- Fewer fights at dinner"
	echo "goal add T1 --partner 1 -- Weekly time together"
	echo "goal progress g1 3 --date 2026-01-07"
	echo "goal progress g1 5 --date 2026-02-18"
	echo "goal progress g1 8 --date 2026-05-13"
	echo "goal progress g2 6 --date 2026-01-14"
	echo "goal progress g2 4 --date 2026-04-22"
	echo "goal done g2 --date 2026-05-06"
	echo "score add s1 --partner 1 --measure ORS 4,5,4,5"
	echo "score add s1 --partner 2 --measure ORS 22"
	echo "score add s4 --partner 1 --measure ORS 21.5"
	echo "score add s9 --partner 1 --measure ORS 24"
	echo "score add s9 --partner 2 --measure ORS 23"
	echo "score add s13 --partner 1 --measure ORS 30"
	echo "score add s13 --partner 2 --measure ORS 24.5"
}

t1() {
	new_vault
	t1_script >"$T/script"
	KIZUNA_TEST_TODAY=2026-07-01 kzp <"$T/script" >"$T/script.out" 2>&1 || {
		cat "$T/script.out"
		return 1
	}
}

# The records (heads and bodies) as sealed: every unlock adds audit entries,
# so the file as a whole changes; the records must not.
records_sum() { sqlite3 "$V" "SELECT hex(id), hex(head) FROM heads ORDER BY id;
	SELECT hex(id), hex(body) FROM bodies ORDER BY id" | sha256sum; }

# The timeline of T1 as the terminal would show it, without colour.
tl() { LC_ALL=C.UTF-8 KIZUNA_TEST_TODAY=2026-07-01 kzp timeline T1 "$@"; }

@test "timeline: T1 at 80 columns is the checked-in picture" {
	t1
	tl --width 80 >"$T/out"
	diff -u "$EXPECTED" "$T/out"
	# The parts the picture must show (so that a wrong expected file fails too).
	grep -qx 'T1: 15 sessions, 2026-01-07 → 2026-05-20; 2 unsigned, 1 void' "$T/out"
	grep -qx 'gap: 6 weeks, 2026-03-11 → 2026-04-21' "$T/out"
	grep -qx 'no session since 2026-05-20 (6 weeks)' "$T/out"
	grep -q '^joint .*×.*○ *13$' "$T/out"
	grep -q '^partner 1 .*◐ *1$' "$T/out"
	grep -q '^partner 2 .*◑ *1$' "$T/out"
	grep -q '^g2 Weekly time to… .* 6→4 achieved$' "$T/out"
	grep -q '^ORS P1 .* 18→30$' "$T/out"
	# Themes by frequency: language (9) first, then family-of-origin (4).
	[ "$(grep -n '^language ' "$T/out" | cut -d: -f1)" -lt "$(grep -n '^family-of-origin ' "$T/out" | cut -d: -f1)" ]
	# No colour when stdout is no terminal.
	! grep -q $'\033' "$T/out"
}

@test "timeline: one screen (24 lines) within the width at 60, 80 and 120 columns" {
	t1
	for w in 60 80 120; do
		tl --width "$w" >"$T/out"
		[ "$(wc -l <"$T/out")" -le 24 ]
		[ "$(LC_ALL=C.UTF-8 wc -L <"$T/out")" -le "$w" ]
	done
	# Not a terminal and no --width: 80 columns, the golden picture again.
	tl >"$T/out"
	diff -u "$EXPECTED" "$T/out"
	# COLUMNS does not widen it when stdout is no terminal.
	COLUMNS=200 tl >"$T/out"
	[ "$(LC_ALL=C.UTF-8 wc -L <"$T/out")" -le 80 ]
}

@test "timeline: ASCII only when the locale is not UTF-8" {
	t1
	LC_ALL=C KIZUNA_TEST_TODAY=2026-07-01 kzp timeline T1 --width 80 >"$T/out"
	! LC_ALL=C grep -q '[^ -~]' "$T/out"
	grep -q '^joint .*x.*o *13$' "$T/out"
	grep -q '^partner 1 .*1 *1$' "$T/out"
	grep -qx 'gap: 6 weeks, 2026-03-11 -> 2026-04-21' "$T/out"
}

@test "timeline --json: sessions, gaps, themes, goals and scores" {
	t1
	run tl --json
	[ "$status" -eq 0 ]
	j=$output
	[ "$(jq -r .couple <<<"$j")" = T1 ]
	[ "$(jq '.sessions | length' <<<"$j")" -eq 16 ]
	[ "$(jq -c '.sessions[0]' <<<"$j")" = '{"id":"s1","date":"2026-01-07","attended":"both","signed":true,"void":false,"themes":["language"]}' ]
	[ "$(jq -r '[.sessions[] | select(.void) | .id] | join(",")' <<<"$j")" = s6 ]
	[ "$(jq -r '[.sessions[] | select(.attended != "both") | .id + ":" + .attended] | join(",")' <<<"$j")" = s14:partner1,s15:partner2 ]
	[ "$(jq -c .gaps <<<"$j")" = '[{"from":"2026-03-11","to":"2026-04-21","days":41,"text":"6 weeks"}]' ]
	[ "$(jq -c '.themes[0]' <<<"$j")" = '{"name":"language","count":9,"first":"2026-01-07","last":"2026-05-13"}' ]
	[ "$(jq -r '[.themes[].name] | join(",")' <<<"$j")" = language,family-of-origin,conflict,silence,autonomy,holidays,identity ]
	[ "$(jq -c '[.goals[] | [.id, .status, [.progress[].score]]]' <<<"$j")" = '[["g1","active",[3,5,8]],["g2","achieved",[6,4]]]' ]
	[ "$(jq -c '[.scores[] | [.measure, .partner, [.points[].total]]]' <<<"$j")" = '[["ORS",1,[18,21.5,24,30]],["ORS",2,[22,23,24.5]]]' ]
	[ "$(jq -r '.scores[0].points[0].session' <<<"$j")" = s1 ]
}

@test "timeline: a view event in the audit trail, naming the couple" {
	t1
	tl >/dev/null
	e=$(kzp --json audit log | jq -c '[.[] | select(.cmd == "timeline")] | last')
	[ "$(jq -r .event <<<"$e")" = view ]
	[ "$(jq -r .ref <<<"$e")" = T1 ]
	[ "$(jq -r .couple <<<"$e")" = T1 ]
}

@test "timeline: bad input is a one-line message, its exit code, the vault unchanged" {
	t1
	sum=$(records_sum)
	run kzp timeline NOPE
	[ "$status" -eq 6 ]
	[ "$output" = "kizuna: no couple NOPE (see 'couple list')" ]
	run kzp timeline
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: usage: timeline CODE [--width N]" ]
	for w in 39 501 abc 80x -80 ""; do
		run kzp timeline T1 --width "$w"
		[ "$status" -eq 2 ]
		[ "$output" = "kizuna: timeline: --width is a whole number from 40 to 500" ]
	done
	run kzp timeline T1 --height 3
	[ "$status" -eq 2 ]
	[ "$(records_sum)" = "$sum" ]
	# Nor does a view: only the audit trail grows.
	tl >/dev/null
	[ "$(records_sum)" = "$sum" ]
	# A couple without anything yet.
	kzp couple add EMPTY >/dev/null
	run kzp timeline EMPTY
	[ "$status" -eq 0 ]
	[ "$output" = "EMPTY: no sessions" ]
}

@test "timeline: a view the audit trail cannot note is not shown (another process holds the write lock)" {
	t1
	export KIZUNA_BUSY_TIMEOUT_MS=300
	mkfifo "$T/hold"
	# A second process with sqlite3 takes the write lock and keeps it.
	sqlite3 "$V" <"$T/hold" >/dev/null 2>&1 &
	exec 8>"$T/hold"
	printf 'BEGIN IMMEDIATE;\nINSERT INTO header SELECT * FROM header WHERE 0;\n' >&8
	sleep 0.5
	status=0
	tl >"$T/out" 2>"$T/err" || status=$?
	exec 8>&-
	wait
	[ "$status" -eq 5 ]
	[ ! -s "$T/out" ]
	grep -q "not shown: the audit trail could not note it" "$T/err"
	# Once the lock is gone, the same view is shown.
	tl >"$T/out"
	diff -u "$EXPECTED" "$T/out"
}

@test "timeline: colour on a terminal only, never with NO_COLOR or --no-color" {
	command -v script >/dev/null || skip "script (util-linux) is not installed"
	t1
	run_tty() { PAGER=cat script -qec "$*" /dev/null; }
	base="LC_ALL=C.UTF-8 KIZUNA_TEST_TODAY=2026-07-01 '$KZ' --vault '$V' --passphrase-file '$T/pass'"
	run_tty "$base timeline T1 --width 80" >"$T/tty"
	grep -q $'\033\\[33m\xe2\x97\x8b\033\\[0m' "$T/tty" # unsigned in yellow
	run_tty "NO_COLOR=1 $base timeline T1 --width 80" >"$T/tty"
	! grep -q $'\033' "$T/tty"
	run_tty "$base --no-color timeline T1 --width 80" >"$T/tty"
	! grep -q $'\033' "$T/tty"
	# The same picture as without a terminal, but for the line ends.
	tr -d '\r' <"$T/tty" | diff -u "$EXPECTED" -
}
