#!/usr/bin/env bats
# search in a shell or a script: the in-memory index of the notes' words is
# kept from the first search on and must follow every change (this process's
# and other processes'), be gone at lock and never reach a disk; --limit.

load helpers

teardown() {
	[ -z "${kz_pid:-}" ] || kill -9 "$kz_pid" 2>/dev/null || true
	exec 7>&- 2>/dev/null || true
	wait 2>/dev/null || true
}

base_vault() {
	new_vault
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp session add C014 --date 2026-01-05 --text "We talked about the holidays with her family." >/dev/null
	kzp session add C014 --date 2026-01-12 --text "Weihnachtsmarkt in Osaka, holidays again." >/dev/null
}

@test "search in one script sees the script's own add, edit, delete and couple set" {
	base_vault
	cat >"$T/s.kz" <<-'EOF'
	search zebra
	search holidays
	session add C014 --date 2026-01-20 --text "A zebra at the zoo."
	search zebra
	session edit s1 --text "We talked about the giraffe."
	search holidays
	search giraffe
	session delete s3 --yes
	search zebra
	couple set C014 partner2.name=Zebulon
	search zebu
	EOF
	run kzp --json -f "$T/s.kz"
	echo "$output"
	[ "$status" -eq 0 ]
	mapfile -t docs < <(printf '%s\n' "$output" | jq -c . )
	[ "${docs[0]}" = "[]" ]
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[1]}")" = "s1,s2" ]
	# docs[2] is the session add
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[3]}")" = "s3" ]
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[5]}")" = "s2" ]
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[6]}")" = "s1" ]
	[ "${docs[8]}" = "[]" ]
	[ "$(jq -r '.[0].where' <<<"${docs[10]}")" = "profile partner2.name" ]
	[ "$(jq -r '.[0].match' <<<"${docs[10]}")" = "Zebu" ]
}

@test "search in a running script sees what another process added and changed meanwhile" {
	base_vault
	mkfifo "$T/in"
	"$KZ" --vault "$V" --passphrase-file "$T/pass" --json <"$T/in" >"$T/out" 2>"$T/err" &
	kz_pid=$!
	exec 7>"$T/in"
	echo "search okapi" >&7
	echo "search holidays" >&7
	for ((i = 0; i < 600; i++)); do
		[ "$(wc -l <"$T/out")" -ge 2 ] && break
		sleep 0.05
	done
	[ "$(wc -l <"$T/out")" -ge 2 ]
	# Another process, while the script waits for its next line.
	kzp session add C014 --date 2026-02-01 --text "An okapi story." >/dev/null
	kzp session edit s2 --text "Weihnachtsmarkt only." >/dev/null
	echo "search okapi" >&7
	echo "search holidays" >&7
	echo "quit" >&7
	exec 7>&-
	wait "$kz_pid"
	kz_pid=
	cat "$T/out" "$T/err"
	mapfile -t docs <"$T/out"
	[ "${docs[0]}" = "[]" ]
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[1]}")" = "s1,s2" ]
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[2]}")" = "s3" ]
	[ "$(jq -r 'map(.id) | join(",")' <<<"${docs[3]}")" = "s1" ]
}

@test "search after lock: the key is asked for again, and after unlock the answer is right" {
	base_vault
	printf 'search holidays\nlock\nsearch holidays\n' >"$T/s.kz"
	run "$KZ" --vault "$V" -f "$T/s.kz" </dev/null
	echo "$output"
	[ "$status" -eq 3 ] # no key, no terminal to ask: the index answers nothing
	[[ "$output" == *"vault is locked"* ]]
	printf 'search holidays\nlock\nunlock\nsession add C014 --text "holidays three"\nsearch holidays\n' >"$T/s2.kz"
	run kzp --json -f "$T/s2.kz"
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(printf '%s\n' "$output" | jq -sr '.[-1] | map(.id) | join(",")')" = "s1,s2,s3" ]
}

@test "search --limit cuts the table and says how many; --limit 0 and scripts show all" {
	base_vault
	for d in 01 02 03 04 05; do
		kzp session add C014 --date "2026-03-$d" --text "holidays $d" >/dev/null
	done
	run kzp search holidays --limit 2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(grep -c '^C014' <<<"$output")" -eq 2 ]
	[[ "$output" == *"7 matches in 7 records; the first 2 shown: --limit 0 for all"* ]]
	# The first rows in the usual order (couple, date).
	[ "$(grep '^C014' <<<"$output" | awk '{print $2}' | tr '\n' ,)" = "s1,s2," ]
	run kzp search holidays --limit 0
	[ "$(grep -c '^C014' <<<"$output")" -eq 7 ]
	[[ "$output" != *"--limit 0 for all"* ]]
	run kzp search holidays # not a terminal: every row, as before
	[ "$(grep -c '^C014' <<<"$output")" -eq 7 ]
	run kzp --json search holidays --limit 3
	[ "$(jq length <<<"$output")" -eq 3 ]
	[ "$(jq -r '.[0] | keys | join(",")' <<<"$output")" = "couple,date,id,match,snippet,where" ]
	printf 'search holidays --limit 3\nsearch holidays\n' >"$T/s.kz"
	run kzp -f "$T/s.kz"
	[ "$(grep -c '^C014' <<<"$output")" -eq 10 ]
	[[ "$output" == *"7 matches in 7 records; the first 3 shown"* ]]
	for bad in -1 x 2x ""; do
		run kzp search holidays --limit "$bad"
		[ "$status" -eq 2 ]
		[[ "$output" == *"--limit takes a number of rows"* ]]
	done
}

@test "search without regard to accents or width: one-shot, in a script (the index) and pseudonymized exports alike" {
	new_vault
	kzp couple add C014 partner1.name=José partner2.name=Zoë >/dev/null
	# Composed and decomposed (e + U+0301, e + U+0308) accents, and letters of their own.
	kzp session add C014 --date 2026-01-05 --text "Jose spoke of Nguyễn and București." >/dev/null
	kzp session add C014 --date 2026-01-12 --text "$(printf 'Jose\xcc\x81 and Zoe\xcc\x88 at the \xc3\x98resund.')" >/dev/null
	kzp session add C014 --date 2026-01-19 --text "Łódź, Straße, がっこう. Gruss" >/dev/null
	kzp session add C014 --date 2026-01-26 --text "昨日ＪＯＮＡＳさんとＬＩＮＥで話した。" >/dev/null
	kzp session add C014 --date 2026-02-02 --text 'He said "hello" at C:\temp.' >/dev/null
	for how in one-shot script; do
		q() { # terms... -> "id:where" of each row
			if [ "$how" = one-shot ]; then kzp --json search "$@"
			else printf 'search %s\n' "$*" >"$T/q.kz" && kzp --json -f "$T/q.kz"; fi |
				jq -r '[.[] | "\(.id):\(.where)"] | join(",")'
		}
		[ "$(q jose)" = ":profile partner1.name,s1:note,s2:note" ]
		[ "$(q JOSÉ)" = ":profile partner1.name,s1:note,s2:note" ]
		[ "$(q zoe)" = ":profile partner2.name,s2:note" ]
		[ "$(q "$(printf 'zoe\xcc\x88')")" = ":profile partner2.name,s2:note" ]
		[ "$(q nguyen bucuresti)" = "s1:note" ]
		[ "$(q "jose and zoe")" = "s2:note" ]
		[ "$(q oresund)" = "s2:note" ] # a letter with a stroke is its plain letter
		[ "$(q lodz)" = "s3:note" ]
		[ "$(q strasse)" = "s3:note" ] # ß is "ss"
		[ "$(q "Straße")" = "s3:note" ]
		[ "$(q "GRUẞ")" = "s3:note" ]   # and "ss" is ß: the note says Gruss
		[ "$(q かっこう)" = "" ] # kana's voicing mark is not an accent
		[ "$(q łódź)" = "s3:note" ]
		[ "$(q jonas line)" = "s4:note" ] # full-width is ASCII
		[ "$(q "jonasさん")" = "s4:note" ]
		# What folds to a quote or backslash, which the sealed JSON escapes.
		[ "$(q '＂hello＂')" = "s5:note" ]
		[ "$(q 'c:＼temp')" = "s5:note" ]
	done
	# The match is marked whole, its combining mark with it.
	run kzp --json search zoe --couple C014
	[ "$(jq -r '.[] | select(.id == "s2") | .snippet' <<<"$output")" = \
		"$(printf 'Jose\xcc\x81 and \xc2\xabZoe\xcc\x88\xc2\xbb at the \xc3\x98resund.')" ]
	# A pseudonymized export replaces the names written without their accents too.
	run kzp export C014 --format json --pseudonymize -o "$T/p.json" --yes
	[ "$status" -eq 0 ]
	! grep -qi -e jose -e zoe "$T/p.json"
	! grep -q "$(printf 'Jose\xcc\x81')" "$T/p.json"
}

@test "export --pseudonymize: a name typed without its stroke or dot, or written out without its ü, ø or å, or with ss for ß, is replaced too" {
	new_vault
	kzp couple add C020 "partner1.name=Jürgen Groß" partner2.name=Işıl >/dev/null
	kzp couple add C021 partner1.name=Paweł partner2.name=Søren children=Åse >/dev/null
	kzp session add C020 --date 2026-01-05 --text "Juergen Gross and Isil; JURGEN spoke to ISIL's sister. Isilay is a friend." >/dev/null
	kzp session add C021 --date 2026-01-05 --text "Pawel and Soeren (Soren) with Aase. Pawełek is a cousin." >/dev/null
	kzp export C020 --pseudonymize -o "$T/a.md" --yes 2>"$T/a.err"
	kzp export C021 --pseudonymize -o "$T/b.md" --yes 2>"$T/b.err"
	cat "$T/a.md" "$T/b.md"
	! grep -qi -e juergen -e jurgen -e gross -e 'isil\b' -e pawel -e soeren -e soren -e aase "$T/a.md" "$T/b.md"
	grep -q "Partner A and Partner B; Partner A spoke to Partner B's sister." "$T/a.md"
	grep -q "Partner A and Partner B (Partner B) with Child 1." "$T/b.md"
	# Whole words only: a longer name that starts alike stays.
	grep -q "Isilay is a friend" "$T/a.md"
	grep -q "Pawełek is a cousin" "$T/b.md"
	# stderr lists the written-out spelling where it was found, and only there.
	grep -q "Juergen Groß → Partner A" "$T/a.err"
	grep -q "Soeren → Partner B" "$T/b.err"
	! grep -q "Gross → " "$T/b.err"
}

@test "search's index reaches no disk: a planted word is in no file after searches in a script" {
	base_vault
	local word
	word=$(canary)
	kzp session add C014 --text "A note about $word and the sea." >/dev/null
	# The script names only a part of it: the whole word comes from the vault.
	printf 'search %s\nsearch sea\nsearch %s\nlock\n' "${word:0:14}" "${word:3:9}" >"$T/s.kz"
	run kzp -f "$T/s.kz"
	[ "$status" -eq 0 ]
	[[ "$output" == *"«${word:0:14}»${word:14:4}"* ]] # found and shown
	assert_absent "$word" /dev/shm "$T/vault" /tmp "$HOME"
}

@test "a one-shot search opens only the notes its filters keep: the same rows, and another couple's altered note does not stop it" {
	local before new n all mine
	base_vault
	kzp couple add C015 partner1.name=Mei partner2.name=Lars >/dev/null
	kzp session add C015 --date 2026-02-01 --text "Holidays in Bergen." >/dev/null
	before=$(sqlite3 "$V" "SELECT hex(id) FROM bodies ORDER BY 1")
	kzp session add C015 --date 2026-02-08 --text "Holidays with his parents." >/dev/null
	new=$(sqlite3 "$V" "SELECT hex(id) FROM bodies ORDER BY 1" | grep -vxF -f <(printf '%s\n' "$before"))
	[ "$(wc -l <<<"$new")" -eq 1 ]
	# The filter keeps the rows the whole search has for C014, in its order.
	all=$(kzp --json search holidays | jq -c '[.[] | select(.couple == "C014")]')
	mine=$(kzp --json search holidays --couple C014 | jq -c .)
	echo "all C014: $all"
	[ "$(jq length <<<"$mine")" -eq 2 ]
	[ "$mine" = "$all" ]
	[ "$(kzp --json search holidays --couple C015 | jq length)" -eq 2 ]
	# C015's second note altered in the file: its sealed body zeroed.
	sqlite3 "$V" "UPDATE bodies SET body = zeroblob(length(body)) WHERE hex(id) = '$new'"
	run kzp --json search holidays --couple C014
	[ "$status" -eq 0 ]
	[ "$output" = "$mine" ]
	# Searches that open it say so, naming it, and exit 4.
	n=$(tr 'A-F' 'a-f' <<<"${new:0:16}")
	for args in "holidays" "holidays --couple C015"; do
		run kzp search $args
		echo "search $args: $status $output"
		[ "$status" -eq 4 ]
		[[ "$output" == *"$n"* ]]
	done
}
