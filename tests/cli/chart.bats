#!/usr/bin/env bats
# chart: both partners' scores across sessions, drawn in the terminal (issue #15).
# The text is compared with checked-in files at a fixed width; regenerate them
# with KZ_UPDATE_GOLDEN=1 after a deliberate change and review the diff.

load helpers

EXP="$BATS_TEST_DIRNAME/expected"

# C1: eight fortnightly sessions; Aiko improves reliably, Jonas stays flat and
# misses one session's score.
history() {
	local p1=(14 16 15 19 21 24 26 27) p2=(22 21 23 20 22 21 23 22) i d
	kzp couple add C1 partner1.name=Aiko partner2.name=Jonas >/dev/null
	for i in 0 1 2 3 4 5 6 7; do
		d=$(date -d "2026-01-05 +$((i * 14)) days" +%F)
		kzp session add C1 --date "$d" --text "note $i" >/dev/null
		kzp score add "s$((i + 1))" --partner 1 --measure ORS "${p1[$i]}" >/dev/null
		if [ "$i" -ne 5 ]; then
			kzp score add "s$((i + 1))" --partner 2 --measure ors "${p2[$i]}" >/dev/null
		fi
	done
}

# Compares $1 (text) with the expected file $2, or rewrites it when asked.
golden() {
	if [ -n "${KZ_UPDATE_GOLDEN:-}" ]; then
		printf '%s\n' "$1" >"$EXP/$2"
	fi
	diff -u "$EXP/$2" <(printf '%s\n' "$1")
}

setup_file() {
	export KIZUNA_TEST_TODAY=2026-06-30
}

@test "chart: 80 columns, UTF-8, no colour, as checked in" {
	new_vault
	history
	run env LC_ALL=C.UTF-8 "$KZ" --vault "$V" --passphrase-file "$T/pass" chart C1 --width 80
	[ "$status" -eq 0 ]
	golden "$output" chart-80.txt
	[[ "$output" != *$'\033'* ]]
	[[ "$output" == *"● Aiko   14 → 27  +13 reliably better"* ]]
	[[ "$output" == *"○ Jonas  22 → 22  0 no reliable change"* ]]
	# Any case for the couple and the measure: the same chart.
	run env LC_ALL=C.UTF-8 "$KZ" --vault "$V" --passphrase-file "$T/pass" chart c1 --measure oRs --width 80
	golden "$output" chart-80.txt
}

@test "chart: ASCII at 50 columns when the locale is not UTF-8, as checked in" {
	new_vault
	history
	run env LC_ALL=C LANG=C "$KZ" --vault "$V" --passphrase-file "$T/pass" chart C1 --width 50
	[ "$status" -eq 0 ]
	golden "$output" chart-50-ascii.txt
	# ASCII only, every line within 50 columns.
	! printf '%s' "$output" | LC_ALL=C grep -q '[^ -~]'
	[ "$(printf '%s\n' "$output" | awk '{ if (length($0) > m) m = length($0) } END { print m }')" -le 50 ]
}

@test "chart: the golden test fails when a score changes" {
	new_vault
	history
	kzp score remove r1 --yes >/dev/null
	kzp score add s1 --partner 1 --measure ORS 15 >/dev/null
	run env LC_ALL=C.UTF-8 "$KZ" --vault "$V" --passphrase-file "$T/pass" chart C1 --width 80
	[ "$status" -eq 0 ]
	! diff -q "$EXP/chart-80.txt" <(printf '%s\n' "$output") >/dev/null
}

@test "chart: colour on a terminal, none with NO_COLOR or --no-color or in a pipe" {
	new_vault
	history
	out=$(unset NO_COLOR; LC_ALL=C.UTF-8 script -qec "stty cols 100 rows 60; $(printf '%q ' "$KZ" --vault "$V" --passphrase-file "$T/pass" --no-pager chart C1)" /dev/null)
	[[ "$out" == *$'\033[36m●'* ]]
	[[ "$out" == *$'\033[33m○'* ]]
	out=$(NO_COLOR=1 LC_ALL=C.UTF-8 script -qec "stty cols 100 rows 60; $(printf '%q ' "$KZ" --vault "$V" --passphrase-file "$T/pass" --no-pager chart C1)" /dev/null)
	[[ "$out" != *$'\033['* ]]
	[[ "$out" == *"●"* ]]
	out=$(unset NO_COLOR; LC_ALL=C.UTF-8 script -qec "stty cols 100 rows 60; $(printf '%q ' "$KZ" --vault "$V" --passphrase-file "$T/pass" --no-pager --no-color chart C1)" /dev/null)
	[[ "$out" != *$'\033['* ]]
	# The terminal's width: the x axis spans 100 columns.
	line=$(printf '%s\n' "$out" | tr -d '\r' | grep '└')
	[ "$(printf '%s' "$line" | LC_ALL=C.UTF-8 wc -m)" -eq 100 ]
	# In a pipe: 80 columns, no colour.
	run env -u NO_COLOR LC_ALL=C.UTF-8 "$KZ" --vault "$V" --passphrase-file "$T/pass" chart C1
	[[ "$output" != *$'\033'* ]]
	golden "$output" chart-80.txt
}

@test "chart: --json gives the measure and each partner's points" {
	new_vault
	history
	run kzp --json chart C1
	[ "$status" -eq 0 ]
	[ "$(jq -r '.couple' <<<"$output")" = C1 ]
	[ "$(jq -r '.measure.name + " " + (.measure.cutoff|tostring) + " " + (.measure.rci|tostring)' <<<"$output")" = "ORS 25 5" ]
	[ "$(jq -r '.partners[0].name' <<<"$output")" = Aiko ]
	[ "$(jq '.partners[0].points | length' <<<"$output")" -eq 8 ]
	[ "$(jq '.partners[1].points | length' <<<"$output")" -eq 7 ]
	[ "$(jq -c '.partners[0].points[0]' <<<"$output")" = '{"session":"s1","date":"2026-01-05","total":14,"score":"r1"}' ]
	[ "$(jq -r '[.partners[1].points[].session] | join(",")' <<<"$output")" = "s1,s2,s3,s4,s5,s7,s8" ]
}

@test "chart: refusals and the empty case, each with its exit code" {
	new_vault
	history
	run kzp chart C9
	[ "$status" -eq 6 ]
	[[ "$output" == *"no couple C9"* ]]
	run kzp chart C1 --measure NOPE
	[ "$status" -eq 6 ]
	[[ "$output" == *"no measure NOPE"* ]]
	run kzp chart C1 --width 19
	[ "$status" -eq 2 ]
	[[ "$output" == *"--width takes 20 to 1000 columns"* ]]
	run kzp chart C1 --width 80x
	[ "$status" -eq 2 ]
	run kzp chart
	[ "$status" -eq 2 ]
	# A couple without scores on the measure: said plainly, exit 0.
	run kzp chart C1 --measure SRS
	[ "$status" -eq 0 ]
	[ "$output" = "C1 has no SRS scores yet: score add SESSION --partner 1|2 --measure SRS VALUES" ]
	kzp couple add C2 partner1.name=Ana >/dev/null
	run kzp chart C2
	[ "$status" -eq 0 ]
	[[ "$output" == "C2 has no ORS scores yet"* ]]
}

@test "chart: a void session's scores leave the chart; the view is in the audit log" {
	new_vault
	history
	kzp session void s8 --reason "wrong couple" >/dev/null
	run kzp --json chart C1
	[ "$(jq '.partners[0].points | length' <<<"$output")" -eq 7 ]
	run kzp audit log
	[[ "$output" == *"view"*"chart"*"C1"* ]]
}

@test "chart: 1,000 sessions squeeze into 80 columns" {
	new_vault
	kzp couple add C1 partner1.name=Aiko partner2.name=Jonas >/dev/null
	{
		for i in $(seq 1000); do
			d=$(date -d "2020-01-01 +$i days" +%F)
			printf 'session add C1 --date %s --text n\n' "$d"
			printf 'score add s%d --partner 1 --measure ORS %d\n' "$i" $((10 + i % 20))
		done
	} >"$T/script"
	kzp -f "$T/script" >/dev/null
	run env LC_ALL=C.UTF-8 "$KZ" --vault "$V" --passphrase-file "$T/pass" chart C1 --width 80
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | LC_ALL=C.UTF-8 wc -L)" -le 80 ]
	[[ "$output" == *"sessions with scores: 1 = 2020-01-02, 1000 = 2022-09-27"* ]]
}
