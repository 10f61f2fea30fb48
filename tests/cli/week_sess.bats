#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-3.0-or-later
# Issue #13, part "sess": search for several words and phrases; void a note
# with a reason; delete an unsigned note; list the unsigned ones; each note's
# first line in session list; the signing time in session show.

load helpers

# A vault with couple C001 and notes:
#  s1 2026-01-10: the Ausländerbehörde in Berlin-Mitte (signed)
#  s2 2026-01-17: Mitte in the note, ausländerbehörde in the homework
#  s3 2026-01-24: only Ausländerbehörde
#  s4 2026-01-31: SOAP template with its headings, first line "Jonas came alone."
week() {
	new_vault
	kzp couple add C001 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp couple add C002 partner1.name=Mira >/dev/null
	kzp session add C001 --date 2026-01-10 --theme holidays \
		--text "Termin bei der Ausländerbehörde in Berlin-Mitte verschoben. Sie weint." >/dev/null
	kzp session sign s1 >/dev/null
	kzp session add C001 --date 2026-01-17 --text "Mitte des Monats wieder" \
		--homework "AUSLÄNDERBEHÖRDE anrufen" >/dev/null
	kzp session add C001 --date 2026-01-24 --text "Brief von der Ausländerbehörde" >/dev/null
	kzp session add C001 --date 2026-01-31 --template soap \
		--text $'## Subjective\n\n   Jonas came alone.  \nHe spoke of Mitte.\n## Plan\n' >/dev/null
	kzp session add C002 --date 2026-01-12 --text "Mitte und Ausländerbehörde, another couple" >/dev/null
}

ids() { echo "$output" | jq -r '[.[].id] | unique | join(",")'; }

# The records (heads and bodies) as sealed: every unlock adds audit entries,
# so the file as a whole changes; the records must not.
records_sum() { sqlite3 "$V" "SELECT hex(id), hex(head) FROM heads ORDER BY id;
	SELECT hex(id), hex(body) FROM bodies ORDER BY id" | sha256sum; }

# ---- point 2: search ----

@test "search: several words find the notes with all of them, in any order, any case, anywhere in the note" {
	week
	run kzp --json search ausländerbehörde mitte
	[ "$status" -eq 0 ]
	[ "$(ids)" = "s1,s2,s5" ]
	run kzp --json search MITTE AUSLÄNDERBEHÖRDE
	[ "$(ids)" = "s1,s2,s5" ]
	# s2 holds one word in its note and the other in its homework: both rows.
	[ "$(echo "$output" | jq -r '[.[] | select(.id == "s2") | .where] | sort | join(",")')" = "homework,note" ]
	# A third word that only s1 holds narrows it to s1; one no note holds: nothing.
	run kzp --json search ausländerbehörde mitte weint
	[ "$(ids)" = "s1" ]
	run kzp search ausländerbehörde mitte zebra
	[ "$status" -eq 0 ]
	[ "$output" = "no match" ]
	# Profiles too, each word in another field (one lives only in a list).
	kzp couple set C002 partner2.name=Sato "partner2.cultures=日本語, Kansai" >/dev/null
	run kzp --json search kansai sato
	[ "$(echo "$output" | jq -r '[.[].where] | sort | join(",")')" = "profile partner2.cultures,profile partner2.name" ]
	run kzp --json search 日本語 kansai
	[ "$(echo "$output" | jq -r '.[0].snippet')" = "«日本語», «Kansai»" ]
	# One word alone still works as before.
	run kzp --json search ausländerbehörde
	[ "$(ids)" = "s1,s2,s3,s5" ]
}

@test "search: a quoted phrase is one term; options still work" {
	week
	run kzp --json search "berlin-mitte verschoben"
	[ "$(ids)" = "s1" ]
	run kzp --json search "mitte verschoben"
	[ "$(ids)" = "s1" ]
	# The same words apart, or in the other order, are not the phrase.
	run kzp search "verschoben berlin"
	[ "$output" = "no match" ]
	run kzp --json search "des monats" ausländerbehörde
	[ "$(ids)" = "s2" ]
	run kzp --json search ausländerbehörde mitte --couple C002
	[ "$(ids)" = "s5" ]
	run kzp --json search ausländerbehörde mitte --theme holidays
	[ "$(ids)" = "s1" ]
	run kzp --json search ausländerbehörde mitte --from 2026-01-15 --to 2026-01-20
	[ "$(ids)" = "s2" ]
	run kzp search "" mitte
	[ "$status" -eq 2 ]
	[[ "$output" == *"empty word"* ]]
	run kzp search "   "
	[ "$status" -eq 2 ]
	run kzp search a b c d e f g h i j k l m n o p q
	[ "$status" -eq 2 ]
	[[ "$output" == *"at most 16"* ]]
}

@test "search: every matched word is marked in the snippet, on a colour terminal through src/ui" {
	week
	run kzp --json search ausländerbehörde mitte --couple C001
	# The note of s1 holds both words: both marked in its one snippet.
	snip=$(echo "$output" | jq -r '.[] | select(.id == "s1") | .snippet')
	[[ "$snip" == *"«Ausländerbehörde»"* ]]
	[[ "$snip" == *"«Mitte»"* ]]
	run kzp --json search "berlin-mitte verschoben"
	[[ "$(echo "$output" | jq -r '.[0].snippet')" == *"«Berlin-Mitte verschoben»"* ]]
	# Every place of a word, not only the first.
	kzp session add C002 --date 2026-01-13 --text "Kinder, Kinder: die Kinder schlafen" >/dev/null
	run kzp --json search kinder
	[ "$(echo "$output" | jq -r '.[0].snippet' | grep -o '«Kinder»' | wc -l)" -eq 3 ]
	# A terminal with colour: reverse video around each word, reset after each,
	# never the raw mark bytes; the table stays within 80 columns.
	run script -qc "$KZ --vault $V --passphrase-file $T/pass search ausländerbehörde mitte --couple C001" /dev/null
	[ "$status" -eq 0 ]
	line=$(echo "$output" | grep ' s1 ')
	[ "$(echo "$line" | grep -o $'\e\\[1;7m' | wc -l)" -eq 2 ]
	[[ "$line" != *$'\x01'* && "$line" != *$'\x02'* ]]
	[ "$(kzp search ausländerbehörde mitte | wc -L)" -le 80 ]
}

# ---- point 3: void, delete, --unsigned ----

@test "session void: the reason is required, and a void without one changes nothing" {
	week
	sum=$(records_sum)
	run kzp session void s1
	[ "$status" -eq 2 ]
	[[ "$output" == *"reason is required"* ]]
	run kzp session void s1 --reason "   "
	[ "$status" -eq 2 ]
	run kzp session void s1 --reason $'two\nlines'
	[ "$status" -eq 2 ]
	run kzp session void s99 --reason typo
	[ "$status" -eq 6 ]
	[ "$(records_sum)" = "$sum" ]
	run kzp --json session show s1
	[ "$(echo "$output" | jq -r '.void')" = null ]
}

@test "session void: hidden from list and search unless --all, marked, shown with reason and time" {
	week
	run kzp session void s1 --reason written for the wrong couple
	[ "$status" -eq 0 ]
	[[ "$output" == *"voided session s1"* ]]
	run kzp --json session list C001
	[ "$(ids)" = "s2,s3,s4" ]
	run kzp --json session list C001 --all
	[ "$(ids)" = "s1,s2,s3,s4" ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "s1") | .void.reason')" = "written for the wrong couple" ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "s2") | .void')" = null ]
	run kzp session list C001 --all
	[[ "$(echo "$output" | grep '^s1 ')" == *VOID*"Termin bei der"* ]]
	run kzp session list C001
	[[ "$output" != *VOID* ]]
	run kzp --json search verschoben
	[ "$(echo "$output" | jq length)" = 0 ]
	run kzp --json search verschoben --all
	[ "$(ids)" = "s1" ]
	run kzp session show s1
	[ "$status" -eq 0 ]
	[[ "$output" == "VOID: Session s1"* ]]
	[[ "$output" =~ VOID\ +voided\ 20[0-9]{2}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}\ UTC:\ written\ for\ the\ wrong\ couple ]]
	[[ "$output" == *"Termin bei der"* ]] # the text is kept
	run kzp --json session show s1
	[ "$(echo "$output" | jq -r '.void.reason')" = "written for the wrong couple" ]
	[[ "$(echo "$output" | jq -r '.void.time')" =~ ^20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9:]{8}Z$ ]]
}

@test "session void: irreversible; a voided note cannot be edited, signed, amended, deleted or voided again" {
	week
	kzp session void s1 --reason "duplicate of s2" >/dev/null
	kzp session void s3 --reason "not a session" >/dev/null # an unsigned one too
	sum=$(records_sum)
	run kzp session amend s1 --text "later"
	[ "$status" -eq 2 ]
	[[ "$output" == *"s1 is void"* ]]
	run kzp session edit s3 --text "changed"
	[ "$status" -eq 2 ]
	run kzp session sign s3
	[ "$status" -eq 2 ]
	run kzp session void s1 --reason again
	[ "$status" -eq 2 ]
	[[ "$output" == *"already void"* ]]
	run kzp session delete s3 --yes
	[ "$status" -eq 2 ]
	[ "$(records_sum)" = "$sum" ]
	run kzp --json session show s3
	[ "$(echo "$output" | jq -r '.void.reason')" = "not a session" ]
	[ "$(echo "$output" | jq -r '.text')" = "Brief von der Ausländerbehörde" ]
	[ "$(echo "$output" | jq -r '.signed_at')" = null ]
	[ "$(echo "$output" | jq -r '.signed')" = false ]
}

@test "session void: in exports marked void, and in the audit trail with its reason and time" {
	week
	kzp session void s1 --reason "wrong couple" >/dev/null
	run kzp export C001 --yes
	[ "$status" -eq 0 ]
	[[ "$output" == *"### Session s1: 2026-01-10 (VOID)"* ]]
	[[ "$output" =~ \*\*VOID\*\*\ since\ 20[0-9-]+T[0-9:]+Z\ —\ reason:\ wrong\ couple ]]
	[[ "$output" == *"Termin bei der"* ]]
	run kzp export C001 --format json --yes
	[ "$(echo "$output" | jq -r '.sessions[] | select(.id == "s1") | .void.reason')" = "wrong couple" ]
	[ "$(echo "$output" | jq -r '.sessions[] | select(.id == "s2") | .void')" = null ]
	# Imported back, the note is still void (and hidden).
	echo "$output" >"$T/c1.json"
	kzp import "$T/c1.json" --as C009 >/dev/null
	run kzp --json session list C009
	[ "$(echo "$output" | jq length)" = 3 ]
	run kzp --json session list C009 --all
	[ "$(echo "$output" | jq '[.[] | select(.void != null)] | length')" = 1 ]
	run kzp --json audit log
	ev=$(echo "$output" | jq -c '[.[] | select(.event == "void")]')
	[ "$(echo "$ev" | jq length)" = 1 ]
	[ "$(echo "$ev" | jq -r '.[0].reason')" = "wrong couple" ]
	[ "$(echo "$ev" | jq -r '.[0].ref')" = s1 ]
	[ "$(echo "$ev" | jq -r '.[0].couple')" = C001 ]
	[ "$(echo "$ev" | jq -r '.[0].cmd')" = "session void" ]
	[[ "$(echo "$ev" | jq -r '.[0].t')" =~ ^20[0-9-]+T[0-9:]+Z$ ]]
	run kzp audit log
	[[ "$(echo "$output" | grep ' void ')" == *"reason: wrong couple"* ]]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "attack: rolling a void back, or deleting the voided note, with sqlite3 is detected (exit 4)" {
	week
	cp "$V" "$T/before.kz"
	kzp session void s1 --reason "wrong couple" >/dev/null
	cp "$V" "$T/after.kz"
	# The rows the void changed (ids are random: take every row that differs).
	changed=$(sqlite3 "$T/after.kz" "ATTACH '$T/before.kz' AS o;
		SELECT hex(h.id) FROM heads h JOIN o.heads p ON p.id = h.id WHERE p.head != h.head")
	[ -n "$changed" ]
	# 1. Those records put back as they were before the void (head and body).
	cp "$T/after.kz" "$V"
	for r in $changed; do
		sqlite3 "$V" "ATTACH '$T/before.kz' AS o;
			UPDATE heads SET head = (SELECT head FROM o.heads WHERE o.heads.id = X'$r') WHERE id = X'$r';
			UPDATE bodies SET body = (SELECT body FROM o.bodies WHERE o.bodies.id = X'$r') WHERE id = X'$r'"
	done
	run kzp session list
	[ "$status" -eq 4 ]
	run kzp session show s1
	[ "$status" -eq 4 ]
	# 2. The records and the audit trail both rolled back, the header kept.
	cp "$T/after.kz" "$V"
	sqlite3 "$V" "ATTACH '$T/before.kz' AS o;
		DELETE FROM heads; INSERT INTO heads SELECT * FROM o.heads;
		DELETE FROM bodies; INSERT INTO bodies SELECT * FROM o.bodies;
		DELETE FROM audit; INSERT INTO audit SELECT * FROM o.audit"
	run kzp session list
	[ "$status" -eq 4 ]
	# 3. The voided note deleted outright.
	cp "$T/after.kz" "$V"
	for r in $changed; do
		sqlite3 "$V" "DELETE FROM heads WHERE id = X'$r'; DELETE FROM bodies WHERE id = X'$r'"
	done
	run kzp session list
	[ "$status" -eq 4 ]
	# 4. The void's audit entry cut off the end of the chain.
	cp "$T/after.kz" "$V"
	seq=$(kzp --json audit log | jq '[.[] | select(.event == "void")][0].seq')
	sqlite3 "$V" "DELETE FROM audit WHERE seq >= $seq"
	run kzp session list
	[ "$status" -eq 4 ]
	# The untouched copy still opens, with the void in place.
	cp "$T/after.kz" "$V"
	run kzp --json session show s1
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq -r '.void.reason')" = "wrong couple" ]
}

@test "session delete: an unsigned note with --yes; scripts without --yes exit 2; a signed one never" {
	week
	sum=$(records_sum)
	run kzp session delete s2 </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"--yes"* ]]
	[ "$(records_sum)" = "$sum" ]
	# A script trying to delete a signed note: refused, pointed at session void.
	run kzp session delete s1 --yes
	[ "$status" -eq 2 ]
	[[ "$output" == *"signed and cannot be deleted"*"session void s1 --reason"* ]]
	[ "$(records_sum)" = "$sum" ]
	run kzp session show s1
	[ "$status" -eq 0 ]
	# From a script file too.
	printf 'session delete s1 --yes\n' >"$T/script"
	run kzp -f "$T/script"
	[ "$status" -eq 2 ]
	[ "$(records_sum)" = "$sum" ]
	run kzp session delete s2 --yes
	[ "$status" -eq 0 ]
	[[ "$output" == "deleted session s2 of C001" ]]
	run kzp session show s2
	[ "$status" -eq 6 ]
	run kzp --json session list --all
	[ "$(ids)" = "s1,s3,s4,s5" ]
	# Its id is never given again.
	run kzp session add C001 --date 2026-02-01 --text new
	[[ "$output" == "added session s6 for C001" ]]
	run kzp --json audit log
	[ "$(echo "$output" | jq -r '[.[] | select(.event == "delete")][0] | "\(.cmd) \(.ref) \(.couple)"')" = "session delete s2 C001" ]
	run kzp session delete s99 --yes
	[ "$status" -eq 6 ]
}

@test "session list --unsigned lists the notes not yet signed (nor void)" {
	week
	kzp session void s3 --reason "not a session" >/dev/null
	run kzp --json session list --unsigned
	[ "$status" -eq 0 ]
	[ "$(ids)" = "s2,s4,s5" ]
	run kzp --json session list C002 --unsigned
	[ "$(ids)" = "s5" ]
	kzp session sign s2 >/dev/null
	kzp session sign s4 >/dev/null
	kzp session sign s5 >/dev/null
	run kzp session list --unsigned
	[ "$output" = "no unsigned sessions" ]
}

@test "session list --limit N: the latest N in date order and how many there are; --limit 0 and scripts show all" {
	week # s1 01-10, s5 01-12 (C002), s2 01-17, s3 01-24, s4 01-31; s1 signed
	rows() { grep -oE '^s[0-9]+' <<<"$output" | tr '\n' , ; }
	run kzp session list --limit 2
	echo "$output"
	[ "$status" -eq 0 ]
	[ "$(rows)" = "s3,s4," ]
	[ "$(tail -n 1 <<<"$output")" = "5 sessions; the latest 2 shown: --limit 0 for all" ]
	run kzp session list C001 --limit 3
	[ "$(rows)" = "s2,s3,s4," ]
	[[ "$output" == *"4 sessions; the latest 3 shown: --limit 0 for all"* ]]
	run kzp session list --unsigned --limit 1
	[ "$(rows)" = "s4," ]
	[[ "$output" == *"4 unsigned sessions; the latest 1 shown"* ]]
	run kzp --json session list --limit 2
	[ "$(jq -r 'map(.id) | join(",")' <<<"$output")" = "s3,s4" ]
	# As many or more than there are, 0, and a script or pipe without --limit: all, no count.
	for lim in 5 0 ""; do
		run kzp session list ${lim:+--limit "$lim"}
		[ "$(rows)" = "s1,s5,s2,s3,s4," ]
		[[ "$output" != *"shown: --limit 0"* ]]
	done
	for bad in -1 x 2x ""; do
		run kzp session list --limit "$bad"
		[ "$status" -eq 2 ]
		[ "$output" = "kizuna: session list: --limit takes a number of rows (0 for all), not '$bad'" ]
	done
	# A terminal without --limit gets a screenful (its rows less 6, at least 10): the latest ten of 12.
	for d in 01 02 03 04 05 06 07; do
		kzp session add C002 --date "2026-02-$d" --text "February $d" >/dev/null
	done
	run env LINES=12 script -qec "$KZ --vault $V --passphrase-file $T/pass --no-pager session list" /dev/null
	echo "$output"
	[ "$(rows)" = "s2,s3,s4,s6,s7,s8,s9,s10,s11,s12," ]
	[[ "$output" == *"12 sessions; the latest 10 shown: --limit 0 for all"* ]]
}

@test "session list --limit opens only the notes it shows: an altered older note stops --limit 0, not --limit 2 (exit 4)" {
	week
	sqlite3 "$V" "SELECT hex(id) FROM bodies ORDER BY id" >"$T/before"
	kzp session add C001 --date 2025-12-01 --text "the oldest note" >/dev/null
	sqlite3 "$V" "SELECT hex(id) FROM bodies ORDER BY id" >"$T/after"
	id=$(comm -13 "$T/before" "$T/after")
	[ "$(wc -w <<<"$id")" -eq 1 ]
	sqlite3 "$V" "UPDATE bodies SET body = substr(body, 1, 40) || CASE WHEN substr(body, 41, 1) = X'00'
		THEN X'01' ELSE X'00' END || substr(body, 42) WHERE id = X'$id'"
	run kzp session list --limit 2
	[ "$status" -eq 0 ]
	[ "$(grep -oE '^s[0-9]+' <<<"$output" | tr '\n' ,)" = "s3,s4," ]
	run kzp session list --limit 0
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" == *"record "* ]]
}

# ---- point 10: first line, signing time ----

@test "session list shows each note's first line, without template headings, cut to fit" {
	week
	kzp session add C002 --date 2026-01-14 --text "$(printf 'x%.0s' {1..120})" >/dev/null
	kzp session add C002 --date 2026-01-15 --template dap --text $'## Data\n\n## Plan\n' >/dev/null
	run kzp --json session list
	[ "$(echo "$output" | jq -r '.[] | select(.id == "s4") | .first_line')" = "Jonas came alone." ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "s1") | .first_line')" = "Termin bei der Ausländerbehörde in Berlin-Mitte verschoben. Sie weint." ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "s7") | .first_line')" = "" ]
	run kzp session list
	[[ "$(echo "$output" | head -1)" == *NOTE ]]
	[[ "$(echo "$output" | grep '^s4 ')" == *"Jonas came alone." ]]
	[[ "$(echo "$output" | grep '^s6 ')" == *"…" ]]
	[ "$(echo "$output" | wc -L)" -le 100 ]
	# A note's own terminal controls never reach the terminal from the list.
	kzp session add C002 --date 2026-01-16 --text $'\e[31mred\x03' >/dev/null
	run script -qc "$KZ --vault $V --passphrase-file $T/pass session list C002" /dev/null
	[[ "$output" != *$'\e[31m'* ]]
	[[ "$output" != *$'\e[9m'* ]]
	[[ "$output" == *"?[31mred?"* ]]
}

@test "session show says when a note was signed" {
	week
	run kzp session show s1
	[[ "$output" =~ signed\ +20[0-9]{2}-[0-9]{2}-[0-9]{2}\ [0-9]{2}:[0-9]{2}\ UTC ]]
	run kzp session show s2
	[[ "$output" != *"signed "* ]]
	run kzp --json session show s1
	[[ "$(echo "$output" | jq -r '.signed_at')" =~ ^20[0-9-]+T[0-9:]+Z$ ]]
	[ "$(echo "$output" | jq -r '.signed')" = true ]
}
