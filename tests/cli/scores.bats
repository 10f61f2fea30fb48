#!/usr/bin/env bats
# Measures and scores (issue #15): score add/list/show/remove, measure
# define/list/show/remove, every refusal with its exit code and the vault
# left as it was, the JSON shapes, export and import, and the attacks: a
# score body swapped or rolled back with sqlite3, a second process adding
# scores while another lists.

load helpers

# C014 (Aiko & Jonas): s1 both, s2 Aiko alone, s3 both.
setup_couple() {
	new_vault
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp session add C014 --date 2026-01-10 --text "first" >/dev/null
	kzp session add C014 --date 2026-01-17 --attended 1 --text "alone" >/dev/null
	kzp session add C014 --date 2026-01-24 --text "third" >/dev/null
}

# A digest of every record, head and body, and of the audit trail's events
# but the unlock each one-shot command notes.
vault_state() {
	sqlite3 "$V" "SELECT hex(id) || hex(head) FROM heads ORDER BY id;
		SELECT hex(id) || hex(body) FROM bodies ORDER BY id;" | sha256sum
	kzp --json audit log | python3 -c 'import json,sys; print([e["cmd"] for e in json.load(sys.stdin) if e["event"] != "unlock"])'
}

# Runs a command that must fail with exit $1 and change nothing.
refused() { # CODE COMMAND...
	local code=$1 before
	shift
	before=$(vault_state)
	run kzp "$@"
	if [ "$status" -ne "$code" ]; then
		echo "'$*' exited $status, not $code: $output"
		return 1
	fi
	[ "$(vault_state)" = "$before" ] || {
		echo "'$*' changed the vault"
		return 1
	}
}

@test "score add with subscales or a total; list, show and their JSON shapes" {
	setup_couple
	run kzp score add s1 --partner 1 --measure ors 6.5,7,5,8
	[ "$status" -eq 0 ]
	[ "$output" = "added score r1: ORS 26.5 for partner 1 at session s1 of C014" ]
	run kzp score add s1 --partner 2 --measure ORS 20
	[ "$status" -eq 0 ]
	[[ "$output" == *"r2: ORS 20 for partner 2"*"(beyond the cut-off)" ]]
	kzp score add s3 --partner 1 --measure SRS 9,9.5,9,9.9 >/dev/null
	kzp score add s1 --partner 2 --measure csi-4 13.5 >/dev/null
	run kzp score list c014
	[ "$status" -eq 0 ]
	[ "${lines[0]}" = "ID  SESSION  DATE        PARTNER  MEASURE  SUBSCALES    TOTAL" ]
	[ "${lines[1]}" = "r1  s1       2026-01-10  Aiko     ORS      6.5 7 5 8    26.5" ]
	[ "${lines[2]}" = "r2  s1       2026-01-10  Jonas    ORS                   20 *" ]
	[ "${lines[3]}" = "r4  s1       2026-01-10  Jonas    CSI-4                 13.5" ]
	[ "${lines[4]}" = "r3  s3       2026-01-24  Aiko     SRS      9 9.5 9 9.9  37.4" ]
	[ "${lines[5]}" = "* beyond the measure's cut-off" ]
	run kzp --json score list C014 --measure ors
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [r["id"] for r in rows] == ["r1", "r2"], rows
r = rows[0]
assert sorted(r) == sorted(["id", "session", "date", "partner", "for", "measure", "values",
                            "total", "beyond_cutoff", "void"]), r
assert r["values"] == [6.5, 7, 5, 8] and r["total"] == 26.5 and r["for"] == "Aiko"
assert r["session"] == "s1" and r["date"] == "2026-01-10" and r["partner"] == 1
assert rows[1]["values"] == [] and rows[1]["beyond_cutoff"] is True'
	run kzp --json score show r3
	[ "$status" -eq 0 ]
	echo "$output" | python3 -c '
import json, sys
s = json.load(sys.stdin)
assert sorted(s) == sorted(["id", "couple", "session", "date", "partner", "measure", "values",
                            "total", "created", "for", "beyond_cutoff", "void"]), s
assert s["id"] == "r3" and s["couple"] == "C014" and s["values"] == [9, 9.5, 9, 9.9]
assert s["total"] == 37.4 and s["beyond_cutoff"] is False'
	run kzp score show r1
	[ "$status" -eq 0 ]
	[[ "$output" == *"Score r1 — ORS, Aiko (partner 1)"* ]]
	[[ "$output" == *"  interpersonal  7"* ]]
	[[ "$output" == *"total        26.5 (cut-off 25: within)"* ]]
	# The scores are sealed: no total in the file.
	assert_absent "26.5" "$T/vault"
}

@test "score add refusals: each with its exit code, the vault unchanged" {
	setup_couple
	kzp score add s1 --partner 1 --measure ORS 6.5,7,5,8 >/dev/null
	kzp session add C014 --date 2026-01-31 --text "voided" >/dev/null
	kzp session void s4 --reason "wrong couple" >/dev/null
	refused 6 score add s99 --partner 1 --measure ORS 20
	[[ "$output" == *"no session s99"* ]]
	refused 6 score add s1 --partner 1 --measure PHQ 20
	[[ "$output" == *"no measure PHQ (measure list shows them)"* ]]
	refused 2 score add s1 --partner 3 --measure ORS 20
	refused 2 score add s1 --partner 2 --measure ORS 11,7,5,8
	[[ "$output" == *"ORS individual: 11 is outside 0 to 10"* ]]
	refused 2 score add s1 --partner 2 --measure ORS 41
	refused 2 score add s1 --partner 2 --measure ORS 6,7,5
	refused 2 score add s1 --partner 2 --measure ORS 6.25,7,5,8
	refused 2 score add s1 --partner 2 --measure CSI-4 22
	# The values typed as words: the message shows the comma-separated form.
	refused 2 score add s1 --partner 2 --measure ORS 6.5 7 5 8
	[[ "$output" == *"VALUES is one word, its numbers comma-separated (6.5,7,...), or the total alone"* ]]
	refused 2 score add s1 --partner 2 20
	refused 2 score add s2 --partner 2 --measure ORS 20
	[[ "$output" == *"session s2 was partner 1's alone: only partner 1's score belongs to it"* ]]
	refused 2 score add s1 --partner 1 --measure ors 20
	[[ "$output" == *"partner 1 already has a score on ORS for session s1: r1 ('score remove r1' first"* ]]
	refused 2 score add s4 --partner 1 --measure ORS 20
	[[ "$output" == *"session s4 is void"* ]]
	refused 6 score show r9
	refused 6 score remove r9 --yes
	refused 2 score remove r1 </dev/null
	refused 6 score list C999
	refused 2 score list
	# Partner 1 may score the session they attended alone.
	run kzp score add s2 --partner 1 --measure ORS 20
	[ "$status" -eq 0 ]
}

@test "score remove asks, --yes in scripts; ids are never given again; audit events" {
	setup_couple
	kzp score add s1 --partner 1 --measure ORS 20 >/dev/null
	kzp score add s1 --partner 2 --measure ORS 21 >/dev/null
	run kzp score remove r2 --yes
	[ "$status" -eq 0 ]
	[ "$output" = "removed score r2 of C014" ]
	run kzp score add s1 --partner 2 --measure ORS 22
	[ "$output" = "added score r3: ORS 22 for partner 2 at session s1 of C014 (beyond the cut-off)" ]
	kzp score list C014 >/dev/null
	kzp score show r1 >/dev/null
	run kzp --json audit log
	echo "$output" | python3 -c '
import json, sys
ev = [(e["event"], e["cmd"], e.get("ref"), e.get("couple")) for e in json.load(sys.stdin)]
for want in [("create", "score add", "r1", "C014"), ("delete", "score remove", "r2", "C014"),
             ("view", "score list", "C014", "C014"), ("view", "score show", "r1", "C014")]:
    assert want in ev, (want, ev)'
}

@test "measure define, list, show, remove: validated, unique, kept while scores use it" {
	setup_couple
	run kzp measure define FB-DE --min 0 --max 30 --cutoff 12 --rci 4 --lower-is-better \
		--subscales koerper,seele,alltag --title "Fragebogen (deutsch)"
	[ "$status" -eq 0 ]
	refused 2 measure define fb-de --min 0 --max 30 --cutoff 12 --rci 4 --lower-is-better
	[[ "$output" == *"measure FB-DE already exists"* ]]
	refused 2 measure define Ors --min 0 --max 30 --cutoff 12 --rci 4 --higher-is-better
	[[ "$output" == *"ORS is a built-in measure"* ]]
	refused 2 measure define X --min 10 --max 5 --cutoff 7 --rci 1 --higher-is-better
	[[ "$output" == *"--min must be below --max"* ]]
	refused 2 measure define X --min 0 --max 10 --cutoff 11 --rci 1 --higher-is-better
	refused 2 measure define X --min 0 --max 10 --cutoff 5 --rci 0 --higher-is-better
	refused 2 measure define X --min 0 --max 10 --cutoff 5 --rci 10 --higher-is-better
	refused 2 measure define X --min 0 --max 10 --cutoff 5 --rci 1
	refused 2 measure define X --min 0 --max 10 --cutoff 5 --rci 1 --higher-is-better --lower-is-better
	refused 2 measure define X --min 0 --max 90 --cutoff 5 --rci 1 --higher-is-better \
		--subscales a,b,c,d,e,f,g,h,i
	refused 2 measure define X --min 0 --max 10 --cutoff 5 --rci 1 --higher-is-better --subscales a,A
	refused 2 measure define "a b" --min 0 --max 10 --cutoff 5 --rci 1 --higher-is-better
	run kzp --json measure list
	echo "$output" | python3 -c '
import json, sys
ms = json.load(sys.stdin)
assert [m["name"] for m in ms] == ["ORS", "SRS", "CSI-4", "FB-DE"], ms
f = ms[3]
assert f["subscales"] == ["koerper", "seele", "alltag"] and f["better"] == "lower"
assert f["builtin"] is False and f["cutoff"] == 12 and f["title"] == "Fragebogen (deutsch)"
assert ms[1]["role"] == "alliance" and ms[2]["cutoff"] == 13.5 and ms[2]["rci"] == 4.8'
	run kzp score add s1 --partner 1 --measure fb-de 3,4,5.5
	[ "$status" -eq 0 ]
	[[ "$output" == *"FB-DE 12.5"*"(beyond the cut-off)" ]]
	refused 2 measure remove FB-DE
	[[ "$output" == *"measure FB-DE has 1 score; it stays while they do"* ]]
	refused 2 measure remove ORS
	kzp score remove r1 --yes >/dev/null
	run kzp measure remove fb-de
	[ "$status" -eq 0 ]
	refused 6 measure show FB-DE
}

@test "session delete takes its scores along; couple delete too; charts skip void sessions" {
	setup_couple
	kzp score add s1 --partner 1 --measure ORS 20 >/dev/null
	kzp score add s1 --partner 2 --measure ORS 21 >/dev/null
	kzp score add s3 --partner 1 --measure ORS 22 >/dev/null
	run kzp session delete s1 --yes
	[ "$status" -eq 0 ]
	[ "$output" = "deleted session s1 of C014 and its 2 scores" ]
	run kzp --json score list C014
	[ "$(echo "$output" | python3 -c 'import json,sys; print([r["id"] for r in json.load(sys.stdin)])')" = "['r3']" ]
	kzp session void s3 --reason "wrong couple" >/dev/null
	run kzp score list C014
	[[ "${lines[1]}" == "r3  s3 void"* ]]
	kzp couple close C014 >/dev/null
	run kzp couple delete C014 --yes --before-retention --reason test
	[ "$status" -eq 0 ]
	[[ "${lines[0]}" == *", 1 score, the profile" ]]
	[ "$(sqlite3 "$V" 'SELECT count(*) FROM heads')" -le 2 ] # config and themes at most
}

@test "export carries the scores (JSON and Markdown); import reads them back, strictly" {
	setup_couple
	kzp score add s1 --partner 1 --measure ORS 6.5,7,5,8 >/dev/null
	kzp score add s2 --partner 1 --measure SRS 36 >/dev/null
	kzp score add s3 --partner 2 --measure CSI-4 12 >/dev/null
	kzp export C014 --format json -o "$T/e.json" --yes >/dev/null
	python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
s = d["scores"]
assert [x["id"] for x in s] == ["r1", "r2", "r3"], s
assert s[0] == {"id": "r1", "couple": "C014", "session": "s1", "date": "2026-01-10",
                "partner": 1, "measure": "ORS", "values": [6.5, 7, 5, 8], "total": 26.5,
                "created": s[0]["created"]}, s[0]' "$T/e.json"
	run kzp export C014 --yes
	[[ "$output" == *"## Scores"* ]]
	[[ "$output" == *"| r1 | s1 | 2026-01-10 | Aiko | ORS | 6.5 7 5 8 | 26.5 |"* ]]
	# A partner's copy leaves out the other partner's scores.
	kzp export C014 --format json --for-partner 1 -o "$T/p1.json" --yes >/dev/null
	[ "$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["scores"]))' "$T/p1.json")" = 2 ]
	run kzp import "$T/e.json" --as C015
	[ "$status" -eq 0 ]
	run kzp --json score list C015
	echo "$output" | python3 -c '
import json, sys
rows = json.load(sys.stdin)
assert [(r["id"], r["session"], r["measure"], r["total"]) for r in rows] == [
    ("r4", "s4", "ORS", 26.5), ("r5", "s5", "SRS", 36), ("r6", "s6", "CSI-4", 12)], rows'
	# Strict: an unknown field, a bad value, an unknown measure, a second score.
	bad() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); $1; json.dump(d, open(sys.argv[2], 'w'))" "$T/e.json" "$T/bad.json"; }
	bad 'd["scores"][0]["mood"] = 1'
	refused 2 import "$T/bad.json" --as C016
	[[ "$output" == *"not a kizuna export: score r1 has an unknown field 'mood'"* ]]
	bad 'd["scores"][0]["total"] = "26.5"'
	refused 2 import "$T/bad.json" --as C016
	[[ "$output" == *"'total' is not a number"* ]]
	bad 'd["scores"][0]["values"][0] = 11; d["scores"][0]["total"] = 31'
	refused 2 import "$T/bad.json" --as C016
	bad 'd["scores"][1]["measure"] = "PHQ"'
	refused 2 import "$T/bad.json" --as C016
	[[ "$output" == *"no measure PHQ in this vault"* ]]
	bad 'd["scores"].append(dict(d["scores"][0], id="r9"))'
	refused 2 import "$T/bad.json" --as C016
	[[ "$output" == *"a second ORS score of partner 1 for session s1"* ]]
	bad 'd["scores"][0]["session"] = "s77"'
	refused 2 import "$T/bad.json" --as C016
	bad 'd["scores"][1]["partner"] = 2'
	refused 2 import "$T/bad.json" --as C016
	[[ "$output" == *"the other partner's alone"* ]]
	bad 'd["scores"] = {}'
	refused 2 import "$T/bad.json" --as C016
	# An export from before scores (no "scores") still imports.
	bad 'del d["scores"]'
	run kzp import "$T/bad.json" --as C017
	[ "$status" -eq 0 ]
}

@test "attack: a score body swapped with another's, or rolled back, is refused (exit 4)" {
	setup_couple
	ids() { sqlite3 "$V" "SELECT hex(id) FROM bodies ORDER BY id"; }
	ids >"$T/ids0"
	kzp score add s1 --partner 1 --measure ORS 30 >/dev/null
	ids >"$T/ids1"
	kzp score add s1 --partner 2 --measure ORS 10 >/dev/null
	ids >"$T/ids2"
	r1=$(comm -13 "$T/ids0" "$T/ids1")
	r2=$(comm -13 "$T/ids1" "$T/ids2")
	[ -n "$r1" ] && [ -n "$r2" ] && [ "$r1" != "$r2" ]
	cp "$V" "$T/good.kz"
	# 1. The two score bodies exchanged (30 would read as partner 2's): each is
	# sealed to its own record id.
	sqlite3 "$V" "CREATE TEMP TABLE t AS SELECT id, body FROM bodies WHERE id IN (X'$r1', X'$r2');
		UPDATE bodies SET body = (SELECT body FROM t WHERE t.id != bodies.id)
		WHERE id IN (X'$r1', X'$r2')"
	[ "$(sqlite3 "$V" "SELECT hex(body) FROM bodies WHERE id = X'$r1'")" = \
		"$(sqlite3 "$T/good.kz" "SELECT hex(body) FROM bodies WHERE id = X'$r2'")" ]
	run kzp score list C014
	[ "$status" -eq 4 ]
	run kzp score show r1
	[ "$status" -eq 4 ]
	# 2. Rolled back: a removed score's rows put back from the earlier file.
	cp "$T/good.kz" "$V"
	kzp score remove r2 --yes >/dev/null
	sqlite3 "$V" "ATTACH '$T/good.kz' AS o;
		INSERT INTO heads SELECT * FROM o.heads WHERE id = X'$r2';
		INSERT INTO bodies SELECT * FROM o.bodies WHERE id = X'$r2'"
	run kzp score list C014
	[ "$status" -eq 4 ]
	run kzp score add s3 --partner 1 --measure ORS 20
	[ "$status" -eq 4 ]
	# 3. The same score's body from the earlier file put over a newer one's.
	cp "$T/good.kz" "$V"
	kzp score remove r1 --yes >/dev/null
	kzp score add s1 --partner 1 --measure ORS 12 >/dev/null
	ids >"$T/ids3"
	r3=$(comm -13 "$T/ids2" "$T/ids3")
	sqlite3 "$V" "ATTACH '$T/good.kz' AS o;
		UPDATE bodies SET body = (SELECT body FROM o.bodies WHERE id = X'$r1') WHERE id = X'$r3'"
	run kzp score list C014
	[ "$status" -eq 4 ]
}

@test "a second process adding scores while another lists: every list whole, no id twice" {
	setup_couple
	for i in $(seq 1 12); do kzp session add C014 --date 2026-02-$((i + 10)) --text "s" >/dev/null; done
	(
		for i in $(seq 4 15); do
			kzp score add "s$i" --partner 1 --measure ORS "$i" >"$T/add.$i" 2>&1 || echo "add $i: $?" >>"$T/add.fail"
		done
	) 3>&- &
	adder=$!
	lists=0
	while kill -0 "$adder" 2>/dev/null; do
		run kzp --json score list C014
		[ "$status" -eq 0 ] || { echo "list: $status $output"; return 1; }
		echo "$output" | python3 -c 'import json,sys; json.load(sys.stdin)'
		lists=$((lists + 1))
	done
	wait "$adder"
	[ ! -e "$T/add.fail" ] || { cat "$T/add.fail"; return 1; }
	run kzp --json score list C014
	echo "$output" | python3 -c '
import json, sys
ids = [r["id"] for r in json.load(sys.stdin)]
assert len(ids) == 12 and len(set(ids)) == 12, ids'
	echo "# $lists lists ran during the adds" >&3
}
