#!/usr/bin/env bats
# Goals (add, list, progress, show, done, drop) and themes (list, add).

load helpers

# Two couples: C014 with named partners, C015 without names.
couples() {
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null &&
		kzp couple add C015 >/dev/null
}

# The number of goals of every status (JSON).
goal_count() { kzp --json goal list --status all | jq length; }

@test "goal add stores the documented body and prints the short id" {
	new_vault
	couples
	run kzp goal add C014 "Speak about the holidays without blame"
	[ "$status" -eq 0 ]
	[ "$output" = "added goal g1 for C014" ]
	run kzp goal add C015 "Aiko finds work of her own" --partner 1 --target 2026-09-01 \
		--description "Less dependent on Jonas for money and for German."
	[ "$output" = "added goal g2 for C015" ]
	run kzp --json goal add C014 "Third" --partner 2
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .added)" = g3 ]
	[ "$(echo "$output" | jq -r .couple)" = C014 ]

	run kzp --json goal show g1
	[ "$status" -eq 0 ]
	g=$output
	# One shape with goal list (kizuna(1), JSON output): "g1", the couple's code.
	[ "$(echo "$g" | jq -r .kind)" = null ]
	[ "$(echo "$g" | jq -r .v)" = null ]
	[ "$(echo "$g" | jq -r .id)" = g1 ]
	[ "$(echo "$g" | jq -r .couple)" = C014 ]
	[ "$(echo "$g" | jq -r .partner)" = 0 ]
	[ "$(echo "$g" | jq -r .title)" = "Speak about the holidays without blame" ]
	[ "$(echo "$g" | jq -r .description)" = "" ]
	[ "$(echo "$g" | jq -r .target)" = "" ]
	[ "$(echo "$g" | jq -r .status)" = active ]
	[ "$(echo "$g" | jq -c .progress)" = "[]" ]
	[[ "$(echo "$g" | jq -r .created)" =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]

	run kzp --json goal show 2
	[ "$(echo "$output" | jq -r .couple)" = C015 ]
	[ "$(echo "$output" | jq -r .partner)" = 1 ]
	[ "$(echo "$output" | jq -r .target)" = 2026-09-01 ]
	[ "$(echo "$output" | jq -r .description)" = "Less dependent on Jonas for money and for German." ]
	# Goals of different couples point at different couple records.
	[ "$(echo "$output" | jq -r .couple)" != "$(echo "$g" | jq -r .couple)" ]
	[ "$(kzp --json goal show g3 | jq -r .couple)" = "$(echo "$g" | jq -r .couple)" ]
}

@test "goal add refuses bad titles, dates and partners with exit 2, unknown CODE with 6" {
	new_vault
	couples
	run kzp goal add C014 ""
	[ "$status" -eq 1 ]
	[[ "$output" == *"nothing written; no goal added"*"title"* ]]
	run kzp goal add C014 "$(printf 'x%.0s' $(seq 201))"
	[ "$status" -eq 2 ]
	run kzp goal add C014 "$(printf 'two\nlines')"
	[ "$status" -eq 2 ]
	run kzp goal add C014 "Holidays" --target 2026-02-30
	[ "$status" -eq 2 ]
	[[ "$output" == *"2026-02-30"*"not a date"* ]]
	run kzp goal add C014 "Holidays" --target soon
	[ "$status" -eq 2 ]
	run kzp goal add C014 "Holidays" --partner 3
	[ "$status" -eq 2 ]
	[[ "$output" == *"--partner"* ]]
	run kzp goal add C014 "Holidays" --partner 0
	[ "$status" -eq 2 ]
	run kzp goal add C014
	[ "$status" -eq 2 ]
	run kzp goal add C014 "Holidays" --colour red
	[ "$status" -eq 2 ]
	run kzp goal add C999 "Holidays"
	[ "$status" -eq 6 ]
	[[ "$output" == *"no couple C999"* ]]
	[ "$(goal_count)" = 0 ]
	# 200 bytes is the limit, in UTF-8 too (100 two-byte letters).
	run kzp goal add C014 "$(printf 'x%.0s' $(seq 200))"
	[ "$status" -eq 0 ]
	run kzp goal add C014 "$(printf 'ü%.0s' $(seq 100))"
	[ "$status" -eq 0 ]
	run kzp goal add C014 "$(printf 'ü%.0s' $(seq 101))"
	[ "$status" -eq 2 ]
	[ "$(goal_count)" = 2 ]
}

@test "goal list: active by default, FOR uses the partner's name, LAST is the latest score" {
	new_vault
	couples
	kzp goal add C014 "Talk about holidays" >/dev/null
	kzp goal add C014 "Aiko builds her own friendships" --partner 1 --target 2026-12-01 >/dev/null
	kzp goal add C015 "Decide the language at home" --partner 2 >/dev/null
	kzp goal add C015 "Dropped one" >/dev/null
	kzp goal progress g2 3 --date 2026-01-10 >/dev/null
	kzp goal progress g2 6 --date 2026-03-10 >/dev/null
	kzp goal progress g2 4 --date 2026-02-10 >/dev/null
	kzp goal drop g4 >/dev/null

	run kzp --json goal list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.[].id] | join(",")')" = "g1,g2,g3" ]
	[ "$(echo "$output" | jq -r '.[0].for')" = couple ]
	[ "$(echo "$output" | jq -r '.[1].for')" = Aiko ]
	[ "$(echo "$output" | jq -r '.[1].partner')" = 1 ]
	[ "$(echo "$output" | jq -r '.[2].for')" = "partner 2" ]
	[ "$(echo "$output" | jq -r '.[1].target')" = 2026-12-01 ]
	# The latest by date, not the last one entered.
	[ "$(echo "$output" | jq -r '.[1].last')" = 6 ]
	[ "$(echo "$output" | jq -r '.[1].last_date')" = 2026-03-10 ]
	[ "$(echo "$output" | jq -r '.[0].last')" = null ]

	run kzp goal list
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "ID"*"COUPLE"*"FOR"*"TITLE"*"TARGET"*"STATUS"*"LAST" ]]
	[[ "$output" == *"g2"*"C014"*"Aiko"*"2026-12-01"*"active"*"6"* ]]
	[[ "$output" != *"Dropped one"* ]]

	run kzp --json goal list C015
	[ "$(echo "$output" | jq -r '[.[].id] | join(",")')" = "g3" ]
	run kzp --json goal list C015 --status all
	[ "$(echo "$output" | jq -r '[.[].id] | join(",")')" = "g3,g4" ]
	run kzp --json goal list --status dropped
	[ "$(echo "$output" | jq -r '[.[].id] | join(",")')" = "g4" ]
	[ "$(echo "$output" | jq -r '.[0].status')" = dropped ]
	run kzp --json goal list --status achieved
	[ "$output" = "[]" ]
	run kzp goal list --status achieved
	[ "$status" -eq 0 ]
	[ "$output" = "no goals" ]

	run kzp goal list --status paused
	[ "$status" -eq 2 ]
	run kzp goal list --status someday
	[ "$status" -eq 2 ]
	run kzp goal list C999
	[ "$status" -eq 6 ]
}

@test "goal list fits 80 columns with long titles, names and codes" {
	new_vault
	kzp couple add C0123456789-ABCDEF partner1.name="Aiko-Marie Tanaka-Schmidt von Hohenberg" >/dev/null
	kzp goal add C0123456789-ABCDEF "$(printf 'Long title word %.0s' $(seq 12))" --partner 1 --target 2026-12-31 >/dev/null
	kzp goal add C0123456789-ABCDEF "家族と日本語で休暇について話す、長い長い長い目標のタイトル" >/dev/null
	kzp goal progress g1 10 >/dev/null
	run kzp goal list
	[ "$status" -eq 0 ]
	[ "${#lines[@]}" -eq 3 ]
	width=$(kzp goal list | LC_ALL=C.UTF-8 wc -L)
	[ "$width" -le 80 ]
	[[ "$output" == *"…"* ]]
}

@test "goal progress: scores 0-10 only, sessions of the same couple, sorted by date" {
	new_vault
	couples
	kzp goal add C014 "Talk about holidays" >/dev/null
	kzp session add C014 --date 2026-01-10 --text "First." >/dev/null
	kzp session add C015 --date 2026-01-11 --text "Other couple." >/dev/null

	for bad in 11 -1 5.5 x "" 010 " 5"; do
		run kzp goal progress g1 -- "$bad"
		[ "$status" -eq 2 ]
		[ "$output" = "kizuna: score must be a whole number from 0 to 10" ]
	done
	run kzp goal progress g1 5 --date 2026-02-30
	[ "$status" -eq 2 ]
	run kzp goal progress g99 5
	[ "$status" -eq 6 ]
	run kzp goal progress g1 5 --session s99
	[ "$status" -eq 6 ]
	run kzp goal progress g1 5 --session s2
	[ "$status" -eq 2 ]
	[[ "$output" == *"s2"*"C015"* ]]
	# None of the refused entries was kept.
	[ "$(kzp --json goal show g1 | jq '.progress | length')" = 0 ]

	run kzp goal progress g1 7 --date 2026-03-01 --session s1 --note "They planned Christmas together"
	[ "$status" -eq 0 ]
	[[ "$output" == *"g1"*"7"*"2026-03-01"* ]]
	kzp goal progress g1 0 --date 2026-01-05 >/dev/null
	kzp goal progress 1 10 --date 2026-02-01 --session 1 >/dev/null
	run kzp --json goal show g1
	[ "$(echo "$output" | jq -r '[.progress[].date] | join(",")')" = "2026-01-05,2026-02-01,2026-03-01" ]
	[ "$(echo "$output" | jq -r '[.progress[].score] | join(",")')" = "0,10,7" ]
	[ "$(echo "$output" | jq -r '.progress[0].session')" = null ]
	[ "$(echo "$output" | jq -r '.progress[0].note')" = "" ]
	[ "$(echo "$output" | jq -r '.progress[1].session')" = s1 ]
	[ "$(echo "$output" | jq -r '.progress[2].note')" = "They planned Christmas together" ]
	# Without --date the entry is today's.
	kzp goal progress g1 4 >/dev/null
	[ "$(kzp --json goal show g1 | jq -r '.progress[-1].date')" = "$(date +%F)" ]
}

@test "goal progress --json errors are one JSON object on stderr" {
	new_vault
	couples
	kzp goal add C014 "Talk about holidays" >/dev/null
	run bash -c "\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\" --json goal progress g1 12 2>&1 >/dev/null"
	[ "$status" -eq 2 ]
	[ "$(echo "$output" | jq -r .error.code)" = usage ]
	[ "$(echo "$output" | jq -r .error.message)" = "score must be a whole number from 0 to 10" ]
}

@test "goal show draws the sparkline between the first and last dates" {
	new_vault
	couples
	kzp goal add C014 "Aiko builds her own friendships" --partner 1 --target 2026-12-01 \
		--description "She has no friends here apart from Jonas's." >/dev/null
	run kzp goal show g1
	[ "$status" -eq 0 ]
	[[ "$output" == *"No progress yet"* ]]
	kzp session add C014 --date 2026-03-01 --text "x" >/dev/null
	kzp goal progress g1 3 --date 2026-01-10 --note "lonely at the Christmas market" >/dev/null
	kzp goal progress g1 4 --date 2026-02-01 >/dev/null
	kzp goal progress g1 6 --date 2026-03-01 --session s1 >/dev/null
	kzp goal progress g1 7 --date 2026-04-15 >/dev/null
	kzp goal progress g1 8 --date 2026-06-02 --note "joined a choir" >/dev/null
	run kzp goal show g1
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "Goal g1 — Aiko builds her own friendships" ]]
	[[ "$output" == *"couple"*"C014"* ]]
	[[ "$output" == *"for"*"Aiko (partner 1)"* ]]
	[[ "$output" == *"target"*"2026-12-01"* ]]
	[[ "$output" == *"status"*"active"* ]]
	[[ "$output" == *"She has no friends here apart from Jonas's."* ]]
	[[ "$output" == *"2026-01-10 ▃▄▅▆▇ 2026-06-02  (3 → 8)"* ]]
	[[ "$output" == *"2026-01-10   3  -"*"lonely at the Christmas market"* ]]
	[[ "$output" == *"2026-03-01   6  s1"* ]]
	[[ "$output" == *"2026-06-02   8  -"*"joined a choir"* ]]
	run kzp goal show g2
	[ "$status" -eq 6 ]
	run kzp goal show x7
	[ "$status" -eq 2 ]
	run kzp goal show
	[ "$status" -eq 2 ]
}

@test "goal show keeps the sparkline to the latest 50 entries" {
	new_vault
	couples
	kzp goal add C014 "Weekly check-in" >/dev/null
	# One script, one unlock: 55 daily scores from 2026-01-01.
	for i in $(seq 0 54); do
		echo "goal progress g1 $((i % 11)) --date $(date -d "2026-01-01 + $i days" +%F)"
	done >"$T/script"
	kzp <"$T/script" >/dev/null
	[ "$(kzp --json goal show g1 | jq '.progress | length')" = 55 ]
	run kzp goal show g1
	line=$(echo "$output" | grep '^Progress')
	# Entries 6..55: from 2026-01-06 (score 5) to 2026-02-24 (score 10).
	[[ "$line" == "Progress  2026-01-06 "*" 2026-02-24  (5 → 10)  the last 50 of 55" ]]
	bars=${line#Progress  2026-01-06 }
	bars=${bars%% *}
	[ "$(printf '%s' "$bars" | LC_ALL=C.UTF-8 wc -m)" -eq 50 ]
}

@test "goal done and drop close a goal with its date; the head follows" {
	new_vault
	couples
	kzp goal add C014 "Talk about holidays" >/dev/null
	kzp goal add C014 "Separate bank accounts" >/dev/null
	[ "$(kzp --json couple show C014 | jq -r .active_goals)" = 2 ]
	run kzp goal done g1
	[ "$status" -eq 0 ]
	[[ "$output" == *"g1"*"achieved"* ]]
	run kzp --json goal show g1
	[ "$(echo "$output" | jq -r .status)" = achieved ]
	[ "$(echo "$output" | jq -r .closed)" = "$(date +%F)" ]
	run kzp goal drop g2 --date 2026-05-01
	[ "$status" -eq 0 ]
	[ "$(kzp --json goal show g2 | jq -r .closed)" = 2026-05-01 ]
	[ "$(kzp --json goal show g2 | jq -r .status)" = dropped ]
	# The heads changed too: listing and the couple's count go by them.
	[ "$(kzp --json goal list | jq length)" = 0 ]
	[ "$(kzp --json goal list --status achieved | jq -r '.[0].id')" = g1 ]
	[ "$(kzp --json couple show C014 | jq -r .active_goals)" = 0 ]
	run kzp goal show g1
	[[ "$output" == *"achieved on $(date +%F)"* ]]

	run kzp goal done g1
	[ "$status" -eq 2 ]
	[[ "$output" == *"already achieved"* ]]
	run kzp goal drop g2
	[ "$status" -eq 2 ]
	run kzp goal done g9
	[ "$status" -eq 6 ]
	run kzp goal drop g9
	[ "$status" -eq 6 ]
	run kzp goal done g1 --date never
	[ "$status" -eq 2 ]
	# A dropped goal can still be marked achieved.
	run kzp goal done g2
	[ "$status" -eq 0 ]
	[ "$(kzp --json goal show g2 | jq -r .status)" = achieved ]
}

@test "progress on a closed goal is kept, with a warning on stderr" {
	new_vault
	couples
	kzp goal add C014 "Talk about holidays" >/dev/null
	kzp goal done g1 >/dev/null
	run bash -c "\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\" goal progress g1 9 2>\"$T/err\""
	[ "$status" -eq 0 ]
	grep -q "warning: goal g1 is achieved" "$T/err"
	[[ "$output" != *"warning"* ]]
	[ "$(kzp --json goal show g1 | jq '.progress | length')" = 1 ]
	# In JSON mode stdout stays one document; the warning is JSON on stderr.
	run bash -c "\"$KZ\" --vault \"$V\" --passphrase-file \"$T/pass\" --json goal progress g1 8 2>\"$T/err\""
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r .score)" = 8 ]
	[ "$(jq -r .warning "$T/err")" = "goal g1 is achieved; the score was recorded all the same" ]
}

@test "goal titles and progress notes stay sealed in the vault file" {
	new_vault
	couples
	title=$(canary)
	note=$(canary)
	kzp goal add C014 "$title" >/dev/null
	kzp goal progress g1 5 --note "$note" >/dev/null
	[ "$(kzp --json goal show g1 | jq -r .title)" = "$title" ]
	assert_absent "$title" "$T/vault"
	assert_absent "$note" "$T/vault"
}

@test "themes lists the starter vocabulary, then the therapist's own" {
	new_vault
	run kzp themes
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == "THEME"*"SOURCE" ]]
	[[ "$output" == *"bridge-role"*"starter"* ]]
	run kzp --json themes list
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '[.[] | select(.source == "starter") | .name] | index("isolation")')" != null ]
	[ "$(echo "$output" | jq -r '[.[] | select(.source == "own")] | length')" = 0 ]
	starters=$(echo "$output" | jq length)
	[ "$starters" -ge 12 ]

	run kzp themes add in-laws
	[ "$status" -eq 0 ]
	[ "$output" = "added theme in-laws" ]
	run kzp themes add 家族
	[ "$status" -eq 0 ]
	run kzp themes add food
	[ "$status" -eq 0 ]
	run kzp --json themes
	[ "$(echo "$output" | jq length)" = $((starters + 3)) ]
	# Starters first, then the own ones.
	[ "$(echo "$output" | jq -r '.[0].source')" = starter ]
	[ "$(echo "$output" | jq -r '[.[-3:][] | .source] | unique | join(",")')" = own ]
	[ "$(echo "$output" | jq -r '[.[-3:][] | .name] | sort | join(",")')" = "food,in-laws,家族" ]
	run kzp themes list
	[[ "$output" == *"in-laws"*"own"* ]]
	[[ "$output" == *"家族"*"own"* ]]
	run kzp themes nonsense
	[ "$status" -eq 2 ]
}

@test "themes add refuses bad names and duplicates with exit 2, keeping nothing" {
	new_vault
	for bad in "In-Laws" "in laws" "-x" "a,b" "$(printf 'a%.0s' $(seq 41))"; do
		run kzp themes add -- "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"not a theme name"* ]]
	done
	run kzp themes add
	[ "$status" -eq 2 ]
	run kzp themes add holidays
	[ "$status" -eq 2 ]
	[[ "$output" == *"already a theme"* ]]
	kzp themes add in-laws >/dev/null
	run kzp themes add in-laws
	[ "$status" -eq 2 ]
	[[ "$output" == *"'in-laws' is already a theme"* ]]
	[ "$(kzp --json themes | jq '[.[] | select(.source == "own")] | length')" = 1 ]
}

@test "sessions accept a theme once it is added" {
	new_vault
	couples
	run kzp session add C014 --theme in-laws --text "Her mother's visit."
	[ "$status" -eq 2 ]
	[[ "$output" == *"themes add in-laws"* ]]
	kzp themes add in-laws >/dev/null
	run kzp session add C014 --theme in-laws,holidays --text "Her mother's visit."
	[ "$status" -eq 0 ]
	run kzp --json session list --theme in-laws
	[ "$(echo "$output" | jq length)" = 1 ]
}
