#!/usr/bin/env bats
# Issue #13, writing: free text after a lone '--' with no quoting, --text-file -
# in one-shot and scripts, empty notes refused with nothing saved, couple edit
# without a change or with a bad line in a script, templates of one's own.

load helpers

# Every record (heads and sealed bodies) as one fingerprint: equal means the
# records are byte for byte as they were.
records() {
	sqlite3 "$V" "SELECT hex(id) || hex(head) FROM heads ORDER BY id;
		SELECT hex(id) || hex(body) FROM bodies ORDER BY id;" | sha256sum
}
heads() { sqlite3 "$V" 'SELECT count(*) FROM heads'; }

prepare() {
	new_vault
	kzp couple add C001 partner1.name=Jonas partner2.name=Aiko >/dev/null
}

# ---- 1. free text after '--' ----

@test "one-shot: the words after -- are the note, joined by single spaces, options before it still count" {
	prepare
	run kzp session add C001 --date 2026-01-05 --theme holidays -- "Jonas'" mother visited --date x
	[ "$status" -eq 0 ]
	[ "$output" = "added session s1 for C001" ]
	run kzp --json session show s1
	[ "$(echo "$output" | jq -r .text)" = "Jonas' mother visited --date x" ]
	[ "$(echo "$output" | jq -r .date)" = "2026-01-05" ]
	[ "$(echo "$output" | jq -r '.themes[0]')" = "holidays" ]
	# Before: an unquoted note was "unexpected argument".
	run kzp session add C001 --text Jonas cried
	[ "$status" -eq 2 ]
	[[ "$output" == *"unexpected argument 'cried'"* ]]
	# The text once.
	run kzp session add C001 --text one -- two
	[ "$status" -eq 2 ]
	[[ "$output" == *"given twice"* ]]
	run kzp session add C001 --text-file /dev/null -- two
	[ "$status" -eq 2 ]
	[ "$(heads)" -eq 2 ] # the couple, s1
}

@test "a script: the rest of the line after ' -- ' is kept verbatim: quotes, backslashes, '#'" {
	prepare
	cat >"$T/s.kz" <<'EOF'
session add C001 -- Jonas' mother visited; "she cried" \n C:\temp # not a comment  
session sign s1
session amend s1 -- Aiko's addendum: it's "fine" # too
goal add C001 --target 2026-12-31 -- Aiko's "own" goal # with a hash
goal progress g1 7 -- Jonas' note, a \ backslash
goal progress g1 -- 11
EOF
	run kzp -f "$T/s.kz"
	[ "$status" -eq 2 ] # the last line: "11" is the score, refused as before
	[[ "$output" == *"score must be a whole number from 0 to 10"* ]]
	run kzp --json session show s1
	[ "$(echo "$output" | jq -r .text)" = "Jonas' mother visited; \"she cried\" \\n C:\\temp # not a comment  " ]
	[ "$(echo "$output" | jq -r '.addenda[0].text')" = "Aiko's addendum: it's \"fine\" # too" ]
	run kzp --json goal show g1
	[ "$(echo "$output" | jq -r .title)" = "Aiko's \"own\" goal # with a hash" ]
	[ "$(echo "$output" | jq -r .target)" = "2026-12-31" ]
	[ "$(echo "$output" | jq -r '.progress[0].note')" = "Jonas' note, a \\ backslash" ]
	# Elsewhere the tokenizer keeps its rules: an open quote is still an error.
	printf "session add C001 --text Jonas' mother\n" >"$T/q.kz"
	run kzp -f "$T/q.kz"
	[ "$status" -eq 2 ]
	[[ "$output" == *"unterminated quote"* ]]
	# A command without free text takes the word after -- as before.
	printf 'couple show -- C001\n' >"$T/c.kz"
	run kzp -f "$T/c.kz"
	[ "$status" -eq 0 ]
	[[ "$output" == *"Couple C001"* ]]
}

@test "session edit ID -- TEXT replaces the note; goal add -- TITLE takes no second TITLE" {
	prepare
	kzp session add C001 --text first >/dev/null
	run kzp session edit s1 -- "it's" the second
	[ "$status" -eq 0 ]
	[ "$(kzp --json session show s1 | jq -r .text)" = "it's the second" ]
	run kzp goal add C001 Title -- another title
	[ "$status" -eq 2 ]
	[[ "$output" == *"the title once"* ]]
}

@test "--text-file - reads standard input: one-shot, a script file, a script on standard input" {
	prepare
	printf 'line one\nline two, Jonas'"'"'s\n' | kzp session add C001 --text-file - >/dev/null
	[ "$(kzp --json session show s1 | jq -r .text)" = "$(printf 'line one\nline two, Jonas'"'"'s')" ]
	# kizuna -f SCRIPT: standard input is free for the note.
	printf 'session add C001 --text-file -\nsession list\n' >"$T/s.kz"
	printf 'from stdin\n' | kzp -f "$T/s.kz" >/dev/null
	[ "$(kzp --json session show s2 | jq -r .text)" = "from stdin" ]
	# The script itself on standard input: the lines that follow, up to a lone '.'.
	printf 'session add C001 --text-file -\nfirst\nsecond\n.\nsession add C001 -- after\n' |
		kzp >/dev/null
	[ "$(kzp --json session show s3 | jq -r .text)" = "$(printf 'first\nsecond')" ]
	[ "$(kzp --json session show s4 | jq -r .text)" = "after" ]
}

# ---- 5. empty notes ----

@test "an empty note is refused with exit 1 and nothing is saved: no record, no id, no event" {
	prepare
	before=$(records)
	n=$(heads)
	events=$(kzp --json audit log | jq '[.[] | select(.event == "create")] | length')
	for how in "--text=" "--text=   " "--text-file=/dev/null" "--" "stdin"; do
		if [ "$how" = stdin ]; then
			run kzp session add C001 </dev/null
		else
			run kzp session add C001 "$how"
		fi
		[ "$status" -eq 1 ]
		[ "$output" = "kizuna: nothing written; no note added" ]
	done
	printf '  \n\t\n' >"$T/blank"
	run kzp session add C001 --text-file "$T/blank"
	[ "$status" -eq 1 ]
	# An unchanged template is nothing written either.
	printf '## Subjective\n\n\n## Objective\n\n\n## Assessment\n\n\n## Plan\n\n' >"$T/soap"
	run kzp session add C001 --template soap --text-file "$T/soap"
	[ "$status" -eq 1 ]
	[ "$output" = "kizuna: nothing written; no note added" ]
	# A script: the empty inline note fails, the vault is as it was.
	printf 'session add C001\n.\n' >"$T/s.kz"
	run kzp -f "$T/s.kz"
	[ "$status" -eq 1 ]
	[ "$(heads)" -eq "$n" ]
	[ "$(records)" = "$before" ]
	[ "$(kzp --json audit log | jq '[.[] | select(.event == "create")] | length')" -eq "$events" ]
	# No short id was used up: the first real note is s1.
	run kzp session add C001 -- written
	[ "$output" = "added session s1 for C001" ]
}

@test "an empty addendum and an empty goal title are refused with exit 1, the vault unchanged" {
	prepare
	kzp session add C001 --text note >/dev/null
	kzp session sign s1 >/dev/null
	before=$(records)
	run kzp session amend s1 --text " "
	[ "$status" -eq 1 ]
	[ "$output" = "kizuna: nothing written; no amendment added" ]
	run kzp session amend s1 </dev/null
	[ "$status" -eq 1 ]
	[ "$output" = "kizuna: nothing written; no amendment added" ]
	run kzp goal add C001 --
	[ "$status" -eq 1 ]
	[[ "$output" == "kizuna: nothing written; no goal added"* ]]
	run kzp goal add C001 "   "
	[ "$status" -eq 1 ]
	[ "$(records)" = "$before" ]
	run kzp goal add C001 -- real goal
	[ "$output" = "added goal g1 for C001" ]
}

@test "session edit: an emptied note is refused, the same text is 'no change' with nothing written" {
	prepare
	kzp session add C001 --text "the note" >/dev/null
	before=$(records)
	run kzp session edit s1 --text ""
	[ "$status" -eq 1 ]
	[[ "$output" == "kizuna: nothing written; session s1 left as it was"* ]]
	run kzp session edit s1 -- the note
	[ "$status" -eq 0 ]
	[ "$output" = "no change" ]
	[ "$(records)" = "$before" ]
	[ "$(kzp --json audit log | jq '[.[] | select(.cmd == "session edit")] | length')" -eq 0 ]
	# Process notes may be emptied.
	kzp session edit s1 --process-notes "private" >/dev/null
	run kzp session edit s1 --edit-process-notes --text ""
	[ "$status" -eq 0 ]
	[ "$(kzp --json session show s1 | jq -r .process_notes)" = "" ]
}

@test "couple edit in a script: no change says so and writes nothing; a bad line exits 2 and keeps nothing" {
	prepare
	before=$(records)
	run kzp couple edit C001 </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "no change" ]
	printf 'couple edit C001\npartner1.name = Jonas\n.\n' >"$T/same.kz"
	run kzp -f "$T/same.kz"
	[ "$status" -eq 0 ]
	[ "$output" = "no change" ]
	printf 'couple edit C001\nnotes = kept?\nthis line is bad\n.\n' >"$T/bad.kz"
	run kzp -f "$T/bad.kz"
	[ "$status" -eq 2 ]
	[[ "$output" == *"line 2: expected 'field = value'"* ]]
	[ "$(records)" = "$before" ]
	[ "$(kzp --json audit log | jq '[.[] | select(.cmd == "couple edit")] | length')" -eq 0 ]
	printf 'couple edit C001\nnotes = changed\n.\n' >"$T/good.kz"
	run kzp -f "$T/good.kz"
	[ "$output" = "updated couple C001" ]
	[ "$(kzp --json couple show C001 | jq -r .notes)" = "changed" ]
}

# ---- 7. templates of one's own ----

@test "template add, list, show, and session add --template NAME; names checked, built-ins kept" {
	prepare
	printf '## Presenting\n\n## Between partners\n\n## Plan\n' |
		kzp template add intake --text-file - >/dev/null
	run kzp template add ifs-parts -- "## Parts' voices"
	[ "$status" -eq 0 ]
	run kzp template list
	[ "$status" -eq 0 ]
	[[ "$output" == *"soap"*"built-in"* ]]
	[[ "$output" == *"intake"*"own"*"Presenting, Between partners, Plan"* ]]
	run kzp --json template show intake
	[ "$(echo "$output" | jq -r .text)" = "$(printf '## Presenting\n\n## Between partners\n\n## Plan')" ]
	[ "$(echo "$output" | jq -r .source)" = "own" ]
	run kzp template show soap
	[[ "$output" == *"## Subjective"* ]]
	# A note from it: the template is named in the note; unchanged, it is nothing.
	kzp template show intake >"$T/skel"
	run kzp session add C001 --template intake --text-file "$T/skel"
	[ "$status" -eq 1 ]
	run kzp session add C001 --template intake -- written
	[ "$status" -eq 0 ]
	[ "$(kzp --json session show s1 | jq -r .template)" = "intake" ]
	# Names: checked, built-ins not shadowed, no duplicates; exit 2, nothing kept.
	before=$(records)
	for bad in "Intake" "soap" "free" "a b" "-x" "x/y" "$(printf 'a%.0s' $(seq 33))"; do
		run kzp template add "$bad" -- "## x"
		[ "$status" -eq 2 ]
	done
	run kzp template add intake -- "## again"
	[ "$status" -eq 2 ]
	[[ "$output" == *"already exists"* ]]
	run kzp template add empty -- "  "
	[ "$status" -eq 1 ]
	[ "$output" = "kizuna: nothing written; no template added" ]
	[ "$(records)" = "$before" ]
	run kzp session add C001 --template nope -- text
	[ "$status" -eq 2 ]
	[[ "$output" == *"template list"* ]]
}

@test "templates and settings share the sealed config record: each keeps the other" {
	prepare
	kzp config set practice.name "Praxis am See" >/dev/null
	kzp template add intake -- "## One" >/dev/null
	[ "$(kzp config get practice.name)" = "Praxis am See" ]
	kzp config set therapist.name "Dr. K" >/dev/null
	kzp template show intake | grep -qx "## One"
	run kzp config list
	[[ "$output" != *"intake"* ]]
}

@test "template remove: own ones only, then unknown; audit events for add and remove" {
	prepare
	kzp template add intake -- "## One" >/dev/null
	run kzp template remove soap
	[ "$status" -eq 2 ]
	run kzp template remove nope
	[ "$status" -eq 6 ]
	run kzp template remove intake
	[ "$status" -eq 0 ]
	run kzp template show intake
	[ "$status" -eq 6 ]
	run kzp session add C001 --template intake -- text
	[ "$status" -eq 2 ]
	run kzp --json audit log
	[ "$(echo "$output" | jq -r '[.[] | select(.cmd == "template add")][0].event')" = "create" ]
	[ "$(echo "$output" | jq -r '[.[] | select(.cmd == "template remove")][0].event')" = "delete" ]
}

@test "a template's text is sealed: not in the vault file, nor in its -wal" {
	prepare
	c=$(canary)
	kzp template add private -- "## $c heading" >/dev/null
	kzp template show private | grep -q "$c"
	assert_absent "$c" "$T/vault"
	# Someone with sqlite3 swaps the two sealed bodies (the couple's and the one
	# holding the templates): the template does not open as anything else.
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM bodies')" -eq 2 ]
	sqlite3 "$V" "CREATE TEMP TABLE b AS SELECT id, body FROM bodies;
		UPDATE bodies SET body = (SELECT body FROM b WHERE b.id != bodies.id);"
	run kzp template show private
	[ "$status" -eq 4 ]
	[[ "$output" != *"$c"* ]]
	run kzp session add C001 --template private -- text
	[ "$status" -ne 0 ]
}
