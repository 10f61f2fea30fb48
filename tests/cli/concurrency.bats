#!/usr/bin/env bats
# Several processes on one vault at once (issue #10): a long-running piped
# shell, one-shot commands, cron-style backups, audits, rekey and passwd.
# Every command starts from the committed state: no note reported added is
# lost, no short id is given twice, a process whose key a rekey replaced
# writes nothing and exits 3, the file always passes its integrity check, and
# no process is left with its descriptors on a deleted -wal or -shm.
# The stress test runs for STRESS_SECONDS (default 25; make check: 15; make stress: 300) and
# prints its seed; KZ_STRESS_SEED=N replays its choices (not the timing).

load helpers

teardown() {
	local p
	# Shells and loops of a failed test must not outlive it.
	for p in ${bg_pids:-}; do kill -9 "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}

# Prints a summary line on the TAP stream (scripts/check.sh collects them).
report() { echo "# [report] $*" >&3; }

kzn() { "$KZ" --vault "$V" --passphrase-file "$T/newpass" "$@"; }

# ---------------------------------------------------------------------------
# A long-running piped kizuna: commands come from the FIFO $T/NAME.in, written
# through the descriptor in ${NAME}_fd; its output goes to $T/NAME.out and
# $T/NAME.err; its pid is ${NAME}_pid.

shell_start() { # NAME [OPTIONS...]
	local name=$1 fd
	shift
	mkfifo "$T/$name.in"
	"$KZ" --vault "$V" --passphrase-file "$T/pass" "$@" \
		<"$T/$name.in" >"$T/$name.out" 2>"$T/$name.err" 3>&- &
	printf -v "${name}_pid" %s "$!"
	bg_pids="${bg_pids:-} $!"
	exec {fd}>"$T/$name.in"
	printf -v "${name}_fd" %s "$fd"
}

# Ends shell NAME with quit; sets st to its exit status.
shell_quit() { # NAME
	local fdv=${1}_fd pidv=${1}_pid
	printf 'quit\n' >&"${!fdv}"
	eval "exec {${fdv}}>&-"
	st=0
	wait "${!pidv}" || st=$?
}

# Sends COMMANDs to the --json --keep-going shell NAME without waiting in
# between, each followed by two markers: `help quit`, whose line on stdout
# follows all the command printed there, and an unknown command, whose error
# line on stderr follows all it printed there. Waits for the last marker (2
# minutes at most), then sets, per command k: res_rc[k] (0, or the exit its
# JSON error names), res_out[k] (what it printed on stdout) and res_err[k]
# (what it printed on stderr: its error, warnings).
mark_n=0
sh_send() { # NAME COMMAND...
	local name=$1 fdv=${1}_fd pidv=${1}_pid o e c k line chunk first
	local until=$((SECONDS + 120))
	shift
	o=$(wc -l <"$T/$name.out")
	e=$(stat -c %s "$T/$name.err")
	for c in "$@"; do
		mark_n=$((mark_n + 1))
		printf '%s\nhelp quit\nzzdone%s\n' "$c" "$mark_n"
	done >&"${!fdv}"
	until tail -c +$((e + 1)) "$T/$name.err" | grep -qF "'zzdone$mark_n'"; do
		if ! kill -0 "${!pidv}" 2>/dev/null || [ "$SECONDS" -ge "$until" ]; then
			echo "shell $name: no answer to '$*'; it printed: $(tail -n 3 "$T/$name.err")"
			return 1
		fi
		sleep 0.02
	done
	res_rc=()
	res_out=()
	res_err=()
	k=0
	chunk=""
	while IFS= read -r line; do
		if [[ "$line" == '{"name":"quit",'* ]]; then
			res_out[k]=${chunk%$'\n'}
			chunk=""
			k=$((k + 1))
		else
			chunk+="$line"$'\n'
		fi
	done < <(tail -n +$((o + 1)) "$T/$name.out")
	[ "$k" -eq "$#" ] && [ -z "$chunk" ] || {
		echo "shell $name: $k stdout markers for $# commands; then: $chunk"
		return 1
	}
	k=0
	chunk=""
	first=""
	while IFS= read -r line; do
		if [[ "$line" == *"'zzdone"[0-9]*"'"* ]]; then
			res_rc[k]=${first:-0}
			res_err[k]=${chunk%$'\n'}
			chunk=""
			first=""
			k=$((k + 1))
		else
			chunk+="$line"$'\n'
			if [ -z "$first" ] && [[ "$line" == '{"error"'* ]]; then
				first=$(jq -r '.error.exit' <<<"$line")
			fi
		fi
	done < <(tail -c +$((e + 1)) "$T/$name.err")
	[ "$k" -eq "$#" ] || {
		echo "shell $name: $k stderr markers for $# commands"
		return 1
	}
}

# One command in shell NAME; sets rc, out and err.
sh_do() { # NAME COMMAND
	sh_send "$1" "$2" || return 1
	rc=${res_rc[0]}
	out=${res_out[0]}
	err=${res_err[0]}
}

# sh_do that must work: sets id to what it added (or "").
sh_ok() { # NAME COMMAND
	sh_do "$1" "$2" || return 1
	if [ "$rc" -ne 0 ]; then
		echo "shell $1: '$2' exited $rc: $err"
		return 1
	fi
	id=$(jq -r 'if type == "object" then .added // "" else "" end' <<<"$out")
}

# A one-shot add that must work: sets id.
add_ok() { # ARGS...
	local o
	o=$(kzp --json "$@") || {
		echo "kizuna $* exited $?"
		return 1
	}
	id=$(jq -r '.added' <<<"$o")
	[ -n "$id" ] && [ "$id" != null ]
}

# Process PID has no descriptor on a deleted vault file (a -wal or -shm that
# another process removed, believing itself the last user: SQLite's locks of
# PID had lapsed).
fds_ok() { # PID
	local l
	l=$(ls -l "/proc/$1/fd" 2>/dev/null | grep -F "$(dirname "$V")/" || true)
	if grep -F '(deleted)' <<<"$l"; then
		echo "process $1 holds deleted vault files: $l"
		return 1
	fi
}

# SQLite's own check of the file, from the sqlite3 tool.
integrity_ok() { # [FILE]
	local r
	r=$(sqlite3 "${1:-$V}" 'PRAGMA integrity_check' 2>&1)
	[ "$r" = ok ] || {
		echo "integrity_check of ${1:-$V}: $r"
		return 1
	}
}

# doctor's JSON (on stdin) says the vault is sound: SQLite integrity, records,
# audit chain, key slots and recipients ok, and no check fails but the key
# derivation one, which fails for the test-sized KDF costs (below RFC 9106's
# floor), and the editor-files one, which counts any process's leftovers in
# /dev/shm (other tests on this machine).
doctor_json_ok() {
	jq -e '([.[] | select(.status == "FAIL") | .check] - ["key derivation", "editor files"]) == []
		and ([.[] | select(.check == "key derivation" and .status == "FAIL")
			| .detail | test("below RFC 9106")] | all)
		and ([.[] | select(.check == "SQLite integrity" or .check == "records"
			or .check == "audit chain" or .check == "key slots" or .check == "backup recipients")
			| .status] | length == 5 and all(. == "ok"))' >/dev/null
}

# doctor passes but for what doctor_json_ok allows; it exits 1 for those.
doctor_ok() {
	local doc st=0
	doc=$(kzp --json doctor 2>"$T/doctor.err") || st=$?
	if [ "$st" -gt 1 ] || ! doctor_json_ok <<<"$doc"; then
		echo "doctor exited $st: $doc $(cat "$T/doctor.err")"
		return 1
	fi
}

# Each "ID<TAB>TEXT<TAB>CODE" line of FILE: `session show ID` prints that
# text and that couple.
sessions_read_back() { # FILE
	cut -f 1 "$1" | sed 's/^/session show /' >"$T/show.cmds"
	"$KZ" --vault "$V" --passphrase-file "$T/pass" --json --keep-going -f "$T/show.cmds" \
		>"$T/show.out" 2>"$T/show.err" || true
	jq -r '[.id, .text, .couple] | @tsv' "$T/show.out" >"$T/show.got"
	diff "$1" "$T/show.got" >"$T/show.diff" || {
		echo "notes that do not read back as added (< added, > read): $(head -n 20 "$T/show.diff")"
		echo "errors: $(head -n 5 "$T/show.err")"
		return 1
	}
}

# No short id in the vault twice (sessions, goals) and none among those given.
ids_unique() { # [FILE of ids given]
	local d
	d=$({
		kzp --json session list | jq -r '.[].id'
		kzp --json goal list --status all | jq -r '.[].id'
	} | sort | uniq -d)
	[ -z "$d" ] || {
		echo "ids listed twice in the vault: $d"
		return 1
	}
	[ -z "${1:-}" ] || {
		d=$(sort "$1" | uniq -d)
		[ -z "$d" ] || {
			echo "ids given twice: $d"
			return 1
		}
	}
}

# An age identity ($T/id.txt) whose recipient backups go to.
backup_recipient() {
	R=$("$KZ" --json keygen -o "$T/id.txt" | jq -r .recipient)
	kzp recipients add "$R" >/dev/null
}

# Backup FILE decrypts with the stock age tool to a vault that passes SQLite's
# check, and passes kizuna's backup verify (every record authenticated).
backup_ok() { # FILE
	local o
	age -d -i "$T/id.txt" -o "$1.kz" "$1" || {
		echo "age cannot decrypt $1"
		return 1
	}
	integrity_ok "$1.kz" || return 1
	rm -f "$1.kz"
	o=$(kzp --json backup verify "$1" --identity "$T/id.txt" 2>&1) &&
		jq -e '.ok and .authenticated == .records and .records > 0' <<<"$o" >/dev/null || {
		echo "backup verify $1: $o"
		return 1
	}
}

# ---------------------------------------------------------------------------
# 1. The report

@test "issue #10: a backup in an open shell, then adds from outside and inside: nothing lost, no id twice" {
	local a b c d e f
	new_vault
	backup_recipient
	kzp couple add R1 >/dev/null
	shell_start S --json --keep-going
	# 1. In the shell: a backup (it streams the vault file).
	sh_ok S "backup create $T/x.age"
	fds_ok "$S_pid"
	# 2. From another terminal.
	add_ok session add R1 --text "outside A"
	a=$id
	fds_ok "$S_pid"
	# 3. In the shell: a new id, not the one just given outside.
	sh_ok S 'session add R1 --text "shell B"'
	b=$id
	[ "$b" != "$a" ]
	fds_ok "$S_pid"
	# 4. Outside again.
	add_ok session add R1 --text "outside C"
	c=$id
	fds_ok "$S_pid"
	# One more round (in the report it ended in "invalid page number").
	sh_ok S "backup create $T/y.age"
	add_ok session add R1 --text "outside D"
	d=$id
	sh_ok S 'session add R1 --text "shell E"'
	e=$id
	add_ok session add R1 --text "outside F"
	f=$id
	sh_ok S 'search "outside F"'
	[ "$(jq -r '[.[].id] | join(",")' <<<"$out")" = "$f" ]
	fds_ok "$S_pid"
	integrity_ok
	# 5. quit.
	shell_quit S
	printf '%s\toutside A\tR1\n%s\tshell B\tR1\n%s\toutside C\tR1\n%s\toutside D\tR1\n%s\tshell E\tR1\n%s\toutside F\tR1\n' \
		"$a" "$b" "$c" "$d" "$e" "$f" >"$T/want"
	sessions_read_back "$T/want"
	[ "$(kzp --json search "outside C" | jq -r '[.[].id] | join(",")')" = "$c" ]
	[ "$(kzp --json session list | jq length)" -eq 6 ]
	cut -f 1 "$T/want" >"$T/ids"
	ids_unique "$T/ids"
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
	backup_ok "$T/x.age"
	backup_ok "$T/y.age"
}

# ---------------------------------------------------------------------------
# 2. What else the report named

@test "a shell sees what other processes added, changed and deleted, and never gives a short id twice" {
	local s1 g1 s2 g2 s3 g3 s4 s5
	new_vault
	kzp couple add R1 >/dev/null
	shell_start S --json --keep-going
	sh_ok S 'session add R1 --text "shell 1"'
	s1=$id
	sh_ok S 'goal add R1 "shell goal 1"'
	g1=$id
	# Another process adds a couple, a session and a goal.
	kzp couple add C101 partner1.name=Outsider >/dev/null
	add_ok session add R1 --text "outside 2"
	s2=$id
	add_ok goal add R1 "outside goal 2"
	g2=$id
	[ "$s2" != "$s1" ]
	[ "$g2" != "$g1" ]
	# The shell finds the new couple (not "no couple C101"), and gives new ids.
	sh_ok S 'session add C101 --text "shell on C101"'
	s3=$id
	sh_ok S 'goal add C101 "shell goal on C101"'
	g3=$id
	[ "$s3" != "$s1" ]
	[ "$s3" != "$s2" ]
	[ "$g3" != "$g1" ]
	[ "$g3" != "$g2" ]
	sh_ok S "session show $s2"
	[ "$(jq -r .text <<<"$out")" = "outside 2" ]
	sh_ok S 'couple show C101'
	[ "$(jq -r .partner1.name <<<"$out")" = Outsider ]
	sh_ok S 'search "outside 2"'
	[ "$(jq -r '[.[].id] | join(",")' <<<"$out")" = "$s2" ]
	# session list --limit: the latest of the committed state, another process's newest too.
	add_ok session add R1 --text "outside, the newest"
	s4=$id
	sh_ok S 'session list R1 --limit 1'
	[ "$(jq -r '[.[] | .id + ":" + .first_line] | join(",")' <<<"$out")" = "$s4:outside, the newest" ]
	kzp session delete "$s4" --yes >/dev/null # the counts below are of the others
	sh_ok S 'goal list --status all'
	[ "$(jq length <<<"$out")" -eq 3 ]
	# Another process edits a note: the shell shows the new text.
	kzp session edit "$s1" --text "shell 1, edited outside" >/dev/null
	sh_ok S "session show $s1"
	[ "$(jq -r .text <<<"$out")" = "shell 1, edited outside" ]
	# Another process deletes the couple: the shell no longer finds it or its
	# records, and writes nothing to it.
	kzp couple close C101 >/dev/null
	kzp couple delete C101 --yes --before-retention --reason test >/dev/null
	sh_do S 'couple show C101'
	[ "$rc" -eq 6 ]
	sh_do S "session show $s3"
	[ "$rc" -eq 6 ]
	sh_do S 'session add C101 --text "to a deleted couple"'
	[ "$rc" -eq 6 ]
	# Ids once given are not given again, also after the delete.
	sh_ok S 'session add R1 --text "shell 5"'
	s5=$id
	[[ " $s1 $s2 $s3 " != *" $s5 "* ]]
	fds_ok "$S_pid"
	shell_quit S
	printf '%s\tshell 1, edited outside\tR1\n%s\toutside 2\tR1\n%s\tshell 5\tR1\n' "$s1" "$s2" "$s5" >"$T/want"
	sessions_read_back "$T/want"
	[ "$(kzp --json session list | jq length)" -eq 3 ]
	[ "$(kzp --json search "deleted couple" | jq length)" -eq 0 ]
	printf '%s\n' "$s1" "$s2" "$s3" "$s5" "$g1" "$g2" "$g3" >"$T/ids"
	ids_unique "$T/ids"
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
}

@test "rekey under an unlocked shell: its next command exits 3 and writes nothing; the one after unlocks again" {
	local s1 s2 dump
	new_vault
	backup_recipient
	kzp couple add R1 >/dev/null
	shell_start S --json --keep-going
	sh_ok S 'session add R1 --text "before rekey"'
	s1=$id
	run kzp --json rekey
	[ "$status" -eq 0 ]
	dump=$(sqlite3 "$V" .dump | sha256sum)
	# The shell's key is no longer the vault's: one line, exit 3, nothing written.
	sh_do S 'session add R1 --text "after rekey"'
	echo "after the rekey: rc=$rc out=[$out] err=[$err]"
	[ "$rc" -eq 3 ]
	[ -z "$out" ]
	[ "$(grep -vc '^kizuna: warning: ' <<<"$err")" -eq 1 ]
	grep '^{"error"' <<<"$err" | jq -e '.error.message | contains("re-keyed by another process")' >/dev/null
	[ "$(sqlite3 "$V" .dump | sha256sum)" = "$dump" ]
	fds_ok "$S_pid"
	kzp audit verify >/dev/null
	# --keep-going: the next command unlocks again through the passphrase file.
	sh_ok S 'session add R1 --text "after the new unlock"'
	s2=$id
	[ "$s2" != "$s1" ]
	sh_ok S "session show $s1"
	[ "$(jq -r .text <<<"$out")" = "before rekey" ]
	# A backup from the shell is made under the new key.
	sh_ok S "backup create $T/after.age"
	shell_quit S
	printf '%s\tbefore rekey\tR1\n%s\tafter the new unlock\tR1\n' "$s1" "$s2" >"$T/want"
	sessions_read_back "$T/want"
	[ "$(kzp --json session list | jq length)" -eq 2 ]
	[ "$(kzp --json search "after rekey" | jq length)" -eq 0 ]
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
	backup_ok "$T/after.age"
}

@test "rekey under a piped script: the next command exits 3 with one line and the script stops" {
	local n
	new_vault
	kzp couple add R1 >/dev/null
	# No --keep-going, no --json: a plain script.
	shell_start P
	printf 'session add R1 --text "script 1"\n' >&"$P_fd"
	for ((n = 0; n < 600; n++)); do
		grep -q '^added session ' "$T/P.out" && break
		sleep 0.05
	done
	[ "$(cat "$T/P.out")" = "added session s1 for R1" ]
	run kzp rekey
	[ "$status" -eq 0 ]
	printf 'session add R1 --text "script 2"\n' >&"$P_fd"
	# The script may have stopped on that line already, its end of the pipe
	# closed: then this line finds no reader (EPIPE), which is what is tested.
	(printf 'session add R1 --text "script 3"\n' >&"$P_fd") 2>/dev/null || true
	st=0
	wait "$P_pid" || st=$?
	eval "exec {P_fd}>&-"
	echo "script: exit $st, out=[$(cat "$T/P.out")] err=[$(cat "$T/P.err")]"
	[ "$st" -eq 3 ]
	[ "$(grep -vc '^kizuna: warning: ' "$T/P.err")" -eq 1 ]
	grep -v '^kizuna: warning: ' "$T/P.err" | grep -q 're-keyed by another process'
	[ "$(wc -l <"$T/P.out")" -eq 1 ]
	[ "$(kzp --json session list | jq -r '[.[].id] | join(",")')" = s1 ]
	[ "$(kzp --json search script | jq length)" -eq 1 ]
	integrity_ok
	kzp audit verify >/dev/null
}

@test "passwd under an unlocked shell keeps it working; recovery rotate and passwd --rekey re-key it" {
	local s1 s2 s3 s4 dump rk
	new_vault
	kzp couple add R1 >/dev/null
	cp "$T/pass" "$T/first"
	printf '%s\n' "$recovery" >"$T/rk-1"
	shell_start S --json --keep-going
	sh_ok S 'session add R1 --text "before passwd"'
	s1=$id
	# passwd rewraps the passphrase slot: the master key stays, and the shell,
	# which needs no passphrase for it, goes on.
	run kzp passwd --new-passphrase-file "$T/newpass"
	[ "$status" -eq 0 ]
	sh_do S 'session add R1 --text "after passwd"'
	echo "after passwd: rc=$rc out=[$out] err=[$err]"
	[ "$rc" -eq 0 ]
	s2=$(jq -r .added <<<"$out")
	# Writes from the shell (a setting) do not bring the old slot back.
	sh_ok S 'config set practice.name "Praxis after"'
	run kzp couple list
	[ "$status" -eq 3 ]
	run kzn couple list
	[ "$status" -eq 0 ]
	# recovery rotate makes a new master key: the shell's next command exits 3
	# and writes nothing.
	run kzn --json recovery rotate
	[ "$status" -eq 0 ]
	jq -r .recovery_key <<<"$output" >"$T/rk-2"
	dump=$(sqlite3 "$V" .dump | sha256sum)
	sh_do S 'session add R1 --text "after rotate"'
	echo "after recovery rotate: rc=$rc out=[$out] err=[$err]"
	[ "$rc" -eq 3 ]
	[ -z "$out" ]
	grep '^{"error"' <<<"$err" | jq -e '.error.message | contains("re-keyed by another process")' >/dev/null
	[ "$(sqlite3 "$V" .dump | sha256sum)" = "$dump" ]
	# Its passphrase file still holds the passphrase passwd retired: the next
	# unlock fails; once the file holds the current one, the next one works.
	sh_do S 'session add R1 --text "with the retired passphrase"'
	[ "$rc" -eq 3 ]
	cp "$T/newpass" "$T/pass"
	sh_ok S 'session add R1 --text "after the new unlock"'
	s3=$id
	# passwd --rekey (back to the first passphrase) makes a new master key too.
	run kzn --json passwd --rekey --new-passphrase-file "$T/first"
	[ "$status" -eq 0 ]
	jq -r .recovery_key <<<"$output" >"$T/rk-3"
	dump=$(sqlite3 "$V" .dump | sha256sum)
	sh_do S 'session add R1 --text "after passwd --rekey"'
	[ "$rc" -eq 3 ]
	grep '^{"error"' <<<"$err" | jq -e '.error.message | contains("re-keyed by another process")' >/dev/null
	[ "$(sqlite3 "$V" .dump | sha256sum)" = "$dump" ]
	cp "$T/first" "$T/pass"
	sh_ok S 'session add R1 --text "after the third unlock"'
	s4=$id
	fds_ok "$S_pid"
	shell_quit S
	# The first passphrase and the newest recovery key open it; the retired
	# passphrase and recovery keys do not.
	run kzn couple list
	[ "$status" -eq 3 ]
	for rk in 1 2; do
		run "$KZ" --vault "$V" --recovery-key-file "$T/rk-$rk" couple list
		[ "$status" -eq 3 ]
	done
	run "$KZ" --vault "$V" --recovery-key-file "$T/rk-3" --json session list
	[ "$status" -eq 0 ]
	[ "$(jq length <<<"$output")" -eq 4 ]
	printf '%s\tbefore passwd\tR1\n%s\tafter passwd\tR1\n%s\tafter the new unlock\tR1\n%s\tafter the third unlock\tR1\n' \
		"$s1" "$s2" "$s3" "$s4" >"$T/want"
	sessions_read_back "$T/want"
	[ "$(kzp config get practice.name)" = "Praxis after" ]
	printf '%s\n' "$s1" "$s2" "$s3" "$s4" >"$T/ids"
	ids_unique "$T/ids"
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
}

# sh_send, with the results written to FILE as "RC<TAB>OUT" lines.
sh_results() { # FILE NAME COMMAND...
	local f=$1 k
	shift
	sh_send "$@" || return 1
	for k in "${!res_rc[@]}"; do printf '%s\t%s\n' "${res_rc[k]}" "${res_out[k]//$'\n'/ }"; done >"$f"
}

@test "two shells on one vault: both work, each sees the other's records, no short id twice" {
	local i k s r o n ok=0 busy=0 cmds_A=() cmds_B=() texts_A=() texts_B=() backups=()
	new_vault
	backup_recipient
	kzp couple add R1 >/dev/null
	shell_start A --json --keep-going
	shell_start B --json --keep-going
	: >"$T/want"
	: >"$T/ids"
	# Turn by turn: each shell works on what the other just made.
	for i in 1 2 3 4 5; do
		sh_ok A "couple add CA$i partner1.name=Ann$i"
		sh_ok B "session add CA$i --text 'B on CA$i'"
		printf '%s\tB on CA%s\tCA%s\n' "$id" "$i" "$i" >>"$T/want"
		echo "$id" >>"$T/ids"
		sh_ok A "session show $id"
		[ "$(jq -r .text <<<"$out")" = "B on CA$i" ]
		sh_ok A "session add R1 --text 'A turn $i'"
		printf '%s\tA turn %s\tR1\n' "$id" "$i" >>"$T/want"
		echo "$id" >>"$T/ids"
		sh_ok B "goal add CA$i 'B goal $i'"
		echo "$id" >>"$T/ids"
		sh_ok A "goal add CA$i 'A goal $i'"
		echo "$id" >>"$T/ids"
	done
	# Both at once: 30 commands each, sent without waiting, a backup among them.
	for ((i = 1; i <= 30; i++)); do
		if ((i == 15)); then
			cmds_A+=("backup create $T/a.age")
			cmds_B+=("backup create $T/b.age")
			texts_A+=("")
			texts_B+=("")
		else
			cmds_A+=("session add R1 --text 'A burst $i'")
			texts_A+=("A burst $i R1")
			cmds_B+=("session add CA$((i % 5 + 1)) --text 'B burst $i'")
			texts_B+=("B burst $i CA$((i % 5 + 1))")
		fi
	done
	sh_results "$T/B.res" B "${cmds_B[@]}" >"$T/B.send" 2>&1 3>&- &
	k=$!
	bg_pids="$bg_pids $k"
	sh_results "$T/A.res" A "${cmds_A[@]}"
	wait "$k" || {
		cat "$T/B.send"
		return 1
	}
	for s in A B; do
		local -n texts=texts_$s cmds=cmds_$s
		n=0
		while IFS=$'\t' read -r r o; do
			case $r in
			0)
				ok=$((ok + 1))
				if [ -n "${texts[n]}" ]; then
					i=$(jq -r .added <<<"$o")
					printf '%s\t%s\t%s\n' "$i" "${texts[n]% *}" "${texts[n]##* }" >>"$T/want"
					echo "$i" >>"$T/ids"
				else
					backups+=("$T/${s,}.age")
				fi
				;;
			5) busy=$((busy + 1)) ;;
			*)
				echo "shell $s: '${cmds[n]}' exited $r"
				return 1
				;;
			esac
			n=$((n + 1))
		done <"$T/$s.res"
		[ "$n" -eq 30 ]
		unset -n texts cmds
	done
	fds_ok "$A_pid"
	fds_ok "$B_pid"
	shell_quit A
	shell_quit B
	sessions_read_back "$T/want"
	[ "$(kzp --json session list | jq length)" -eq "$(wc -l <"$T/want")" ]
	ids_unique "$T/ids"
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
	for k in "${backups[@]}"; do backup_ok "$k"; done
	for k in a b; do # a backup that exited 5 left no file
		if [[ " ${backups[*]} " == *" $T/$k.age "* ]]; then [ -e "$T/$k.age" ]; else [ ! -e "$T/$k.age" ]; fi
	done
	report "two shells: 25 commands turn by turn, then 2 x 30 at once: $ok worked," \
		"$busy busy (exit 5), ${#backups[@]} of 2 backups made"
}

# A fingerprint of the files in the vault's folder: names, sizes, contents.
folder_sum() { (cd "$(dirname "$V")" && find . -type f -printf '%p %s\n' | sort && find . -type f -exec sha256sum {} + | sort); }

@test "backup restore onto an existing path, an open vault among them, refuses and touches nothing" {
	local before n rp
	new_vault
	backup_recipient
	kzp couple add R1 >/dev/null
	add_ok session add R1 --text "kept"
	kz backup create "$T/b.age" >/dev/null
	shell_start S --json --keep-going
	sh_ok S 'session add R1 --text "shell before"'
	printf '%s\tkept\tR1\n%s\tshell before\tR1\n' s1 "$id" >"$T/want"
	# Onto the open vault: refused; the vault, its -wal and -shm as they were.
	before=$(folder_sum)
	run kz backup restore "$T/b.age" --to-vault "$V" --identity "$T/id.txt"
	echo "restore onto the open vault: $status $output"
	[ "$status" -eq 1 ]
	[[ "$output" == *"$V"* ]]
	[ "$(folder_sum)" = "$before" ]
	fds_ok "$S_pid"
	# Onto another file that is there: refused, left as it was.
	printf 'not a vault\n' >"$T/other"
	run kz backup restore "$T/b.age" --to-vault "$T/other" --identity "$T/id.txt"
	[ "$status" -eq 1 ]
	[ "$(cat "$T/other")" = "not a vault" ]
	# A vault that appears at the path while the restore decrypts (the backup
	# comes from a FIFO, so the restore waits after its first look) is not
	# overwritten either.
	mkdir -p "$T/late"
	mkfifo "$T/slow.age"
	kz backup restore "$T/slow.age" --to-vault "$T/late/late.kz" --identity "$T/id.txt" \
		>"$T/late.out" 2>"$T/late.err" 3>&- &
	rp=$!
	bg_pids="$bg_pids $rp"
	# Its temporary file beside the path shows it has looked.
	for ((n = 0; n < 600; n++)); do
		[ -z "$(ls -A "$T/late")" ] || break
		sleep 0.05
	done
	[ -n "$(ls -A "$T/late")" ]
	"$KZ" --vault "$T/late/late.kz" --passphrase-file "$T/pass" init --kdf-memory 8M --kdf-iterations 1 \
		>/dev/null 2>&1
	"$KZ" --vault "$T/late/late.kz" --passphrase-file "$T/pass" couple add LATE >/dev/null
	before=$(sha256sum <"$T/late/late.kz")
	cat "$T/b.age" >"$T/slow.age"
	st=0
	wait "$rp" || st=$?
	echo "restore onto a vault made meanwhile: $st $(cat "$T/late.out" "$T/late.err")"
	[ "$st" -eq 1 ]
	[ "$(sha256sum <"$T/late/late.kz")" = "$before" ]
	[ "$(ls -A "$T/late")" = late.kz ]
	[ "$("$KZ" --vault "$T/late/late.kz" --passphrase-file "$T/pass" --json couple list | jq -r '.[].code')" = LATE ]
	# The control: a free path works, and holds what the backup held.
	run kz backup restore "$T/b.age" --to-vault "$T/new.kz" --identity "$T/id.txt"
	[ "$status" -eq 0 ]
	[ "$("$KZ" --vault "$T/new.kz" --passphrase-file "$T/pass" --json session show s1 | jq -r .text)" = kept ]
	# The open vault's shell never noticed.
	sh_ok S 'session add R1 --text "shell after"'
	printf '%s\tshell after\tR1\n' "$id" >>"$T/want"
	fds_ok "$S_pid"
	shell_quit S
	sessions_read_back "$T/want"
	[ "$(kzp --json session list | jq length)" -eq 3 ]
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
}

@test "backup restore onto the name of an open vault moved away (its -wal and -shm still there) refuses; the shell stops writing" {
	local before s1
	new_vault
	backup_recipient
	kzp couple add R1 >/dev/null
	kz backup create "$T/b.age" >/dev/null
	shell_start S --json --keep-going
	sh_ok S 'session add R1 --text "shell 1"'
	s1=$id
	# The therapist moves the vault aside to restore yesterday's backup in its
	# place, forgetting the shell still open on it: its log and index files
	# keep the old name (a new vault there would read the shell's log).
	mv "$V" "$T/vault/moved.kz"
	[ -e "$V-wal" ]
	[ -e "$V-shm" ]
	before=$(folder_sum)
	run kz backup restore "$T/b.age" --to-vault "$V" --identity "$T/id.txt"
	echo "restore beside an open vault's log: $status $output"
	[ "$status" -ne 0 ]
	[ "$status" -ne 4 ]
	[ ! -e "$V" ]
	[ "$(folder_sum)" = "$before" ]
	fds_ok "$S_pid"
	# The shell notices its file was moved: it writes nothing more under the old
	# name (SQLite keeps such a log and never folds it into the moved file).
	sh_do S 'session add R1 --text "shell 2"'
	[ "$rc" -eq 1 ]
	[[ "$err" == *"moved or deleted while open"* ]]
	fds_ok "$S_pid"
	shell_quit S
	# What it saved before the move is in the moved file itself (a command's
	# changes are checkpointed into the file before it replies when no other
	# command is waiting, as here).
	V=$T/vault/moved.kz
	printf '%s\tshell 1\tR1\n' "$s1" >"$T/want"
	sessions_read_back "$T/want"
	integrity_ok
	kzp audit verify >/dev/null
}

@test "a script's changes are in the vault file itself when it ends, though a shell keeps the vault open" {
	local n
	new_vault
	kzp couple add R1 >/dev/null
	shell_start S --json --keep-going
	sh_ok S 'couple list'
	# Ten adds in well under the 500 ms between a script's checkpoints: only
	# the one at its end puts them in the file (the shell being open, SQLite's
	# own at close does not run).
	for n in 1 2 3 4 5 6 7 8 9 10; do
		printf 'session add R1 --text "script %s"\n' "$n"
	done >"$T/adds.kz"
	kzp -f "$T/adds.kz" >/dev/null
	# The vault file alone, without its log: a copy holds all ten.
	mkdir "$T/copy"
	cp "$V" "$T/copy/vault.kz"
	[ "$("$KZ" --vault "$T/copy/vault.kz" --passphrase-file "$T/pass" --json session list R1 |
		jq length)" -eq 10 ]
	integrity_ok "$T/copy/vault.kz"
	shell_quit S
}

@test "backup create from a shell while another process holds the write lock: it works or exits 5, never a wrong backup" {
	local hold h n k made=() busy=0 f
	new_vault
	backup_recipient
	kzp couple add R1 >/dev/null
	: >"$T/want"
	for k in 1 2 3; do
		add_ok session add R1 --text "outside $k"
		printf '%s\toutside %s\tR1\n' "$id" "$k" >>"$T/want"
	done
	shell_start S --json --keep-going
	sh_ok S 'session add R1 --text "shell 0"'
	printf '%s\tshell 0\tR1\n' "$id" >>"$T/want"
	# sqlite3 holds the write lock 1 s (within the 2 s busy timeout), then 8 s
	# (beyond it); then python3 holds it 1.5 s. Each then rolls back and closes
	# its connection: were the shell's locks lost, that close would checkpoint
	# and delete the -wal under the shell.
	for hold in 1 8 py; do
		rm -f "$T/held"
		if [ "$hold" = py ]; then
			python3 - "$V" "$T/held" 3>&- <<-'PY' &
				import pathlib, sqlite3, sys, time
				c = sqlite3.connect(sys.argv[1], timeout=5, isolation_level=None)
				c.execute("BEGIN IMMEDIATE")
				pathlib.Path(sys.argv[2]).touch()
				time.sleep(1.5)
				c.execute("ROLLBACK")
				c.close()
			PY
		else
			printf '.timeout 5000\nBEGIN IMMEDIATE;\n.shell touch %s\n.shell sleep %s\nROLLBACK;\n' \
				"$T/held" "$hold" | sqlite3 "$V" >/dev/null 3>&- &
		fi
		h=$!
		bg_pids="$bg_pids $h"
		for ((n = 0; n < 600; n++)); do
			[ ! -e "$T/held" ] || break
			sleep 0.05
		done
		[ -e "$T/held" ]
		# The control: the lock is held (a write that will not wait exits 5).
		run env KIZUNA_BUSY_TIMEOUT_MS=100 "$KZ" --vault "$V" --passphrase-file "$T/pass" \
			session add R1 --text "never written"
		[ "$status" -eq 5 ]
		# A backup as cron makes it (no passphrase), one from the shell, one
		# with the passphrase: each works, or exits 5 saying nothing was
		# written and leaving no file.
		for f in "$T/o-$hold.age" "$T/s-$hold.age" "$T/p-$hold.age"; do
			rc=0
			case $f in
			*/o-*) out=$(kz --json backup create "$f" 2>"$T/b.err") || rc=$? ;;
			*/p-*) out=$(kzp --json backup create "$f" 2>"$T/b.err") || rc=$? ;;
			*/s-*)
				sh_do S "backup create $f"
				printf '%s' "$err" >"$T/b.err"
				;;
			esac
			err=$(cat "$T/b.err")
			echo "backup $f with the lock held ($hold): exit $rc [$out] [$err]"
			case $rc in
			0)
				made+=("$f")
				[ -n "$out" ]
				[ -s "$f" ]
				;;
			5)
				busy=$((busy + 1))
				grep -qi busy <<<"$err"
				[ -z "$out" ]
				[ ! -e "$f" ]
				;;
			*) return 1 ;;
			esac
			fds_ok "$S_pid"
		done
		wait "$h"
		fds_ok "$S_pid"
		sh_ok S "session add R1 --text 'shell after $hold'"
		printf '%s\tshell after %s\tR1\n' "$id" "$hold" >>"$T/want"
		add_ok session add R1 --text "outside after $hold"
		printf '%s\toutside after %s\tR1\n' "$id" "$hold" >>"$T/want"
		fds_ok "$S_pid"
		integrity_ok
	done
	# No temporary backup file left behind.
	[ -z "$(find "$T" -maxdepth 1 -name '*.age?*' -o -maxdepth 1 -name '.*age*')" ]
	sh_ok S "backup create $T/s-free.age"
	made+=("$T/s-free.age")
	shell_quit S
	sessions_read_back "$T/want"
	[ "$(kzp --json session list | jq length)" -eq "$(wc -l <"$T/want")" ]
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
	# Each backup made is in the audit trail (cron's through the inbox), and none
	# that was not.
	[ "$(kzp --json audit log | jq '[.[] | select(.event == "backup")] | length')" -eq "${#made[@]}" ]
	# Each backup made decrypts, verifies, and restores to a vault holding at
	# least the four notes written before any lock was taken.
	k=0
	for f in "${made[@]}"; do
		backup_ok "$f"
		k=$((k + 1))
		kz backup restore "$f" --to-vault "$T/r$k.kz" --identity "$T/id.txt" >/dev/null
		head -n 4 "$T/want" | cut -f 1 | sed 's/^/session show /' |
			"$KZ" --vault "$T/r$k.kz" --passphrase-file "$T/pass" --json | jq -r .text >"$T/r$k.texts"
		head -n 4 "$T/want" | cut -f 2 | diff - "$T/r$k.texts"
	done
	report "backup under a held lock: ${#made[@]} backups made (9 tries with the lock held, then one free)," \
		"$busy busy (exit 5)"
}

# ---------------------------------------------------------------------------
# 3. Stress

# One one-shot command (2 minutes at most) of a stress loop, logged to LOG as
# "KIND<TAB>EXIT<TAB>ID<TAB>CODE<TAB>TEXT<TAB>MESSAGE"; sets last_out.
# A backup is made as cron would: without the passphrase.
oneshot() { # LOG KIND CODE TEXT ARGS...
	local log=$1 kind=$2 code=$3 text=$4 rc=0 id msg
	shift 4
	if [ "$kind" = backup ]; then
		last_out=$(timeout 120 "$KZ" --vault "$V" --json "$@" 2>"$log.e") || rc=$?
	else
		last_out=$(timeout 120 "$KZ" --vault "$V" --passphrase-file "$T/pass" --json "$@" 2>"$log.e") ||
			rc=$?
	fi
	id=""
	msg=""
	[[ "$last_out" =~ \"added\":\"([^\"]+)\" ]] && id=${BASH_REMATCH[1]}
	msg=$(<"$log.e")
	# What a command that did not work printed, in full, for the failure report.
	[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || [ "$kind" = doctor ] ||
		printf '%s %s: exit %s: %s\n' "${log##*/}" "$*" "$rc" "$msg" >>"$T/st/failed"
	[[ "$msg" =~ \{\"error\":.*\"message\":\"(([^\"\\]|\\.)*)\" ]] && msg=${BASH_REMATCH[1]}
	msg=${msg//[$'\t\n']/ }
	printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$rc" "$id" "$code" "$text" "$msg" >>"$log"
	last_rc=$rc
}

# A wrong answer seen during the run (checked at the end).
wrong() { echo "$*" >>"$T/st/wrong"; }

# One of the last 20 couples another loop added (or CS, the shell's own).
other_couple() { # LOG...
	local cs=()
	mapfile -t cs < <(awk -F'\t' '$1 == "couple" && $2 == 0 { print $4 }' "$@" 2>/dev/null | tail -n 20)
	if [ "${#cs[@]}" -gt 0 ]; then echo "${cs[RANDOM % ${#cs[@]}]}"; else echo CS; fi
}

# The last session another loop reported added: "ID<TAB>TEXT".
recent_session() { # LOG...
	cat "$@" 2>/dev/null | awk -F'\t' '$1 == "session" && $2 == 0 && $3 != "" { print $3 "\t" $5 }' |
		tail -n 1
}

# Writer NAME (w1, w2): one-shot adds to its own couple, to couples the others
# made, goals and couples, each with a text of its own.
stress_writer() { # NAME SEED-OFFSET
	set +e
	local me=$1 log=$T/st/$1.log i=0 r code text f others=()
	for f in w1 w2 sh; do [ "$f" = "$me" ] || others+=("$T/st/$f.log"); done
	RANDOM=$((seed + $2))
	while ((SECONDS < deadline && i < max_ops)); do
		i=$((i + 1))
		text="$me note $i k$seed"
		r=$((RANDOM % 20))
		if ((r < 10)); then
			code=${me^^}
			oneshot "$log" session "$code" "$text" session add "$code" --text "$text"
		elif ((r < 14)); then
			code=$(other_couple "${others[@]}")
			oneshot "$log" session "$code" "$text" session add "$code" --text "$text"
		elif ((r < 17)); then
			code=${me^^}
			((r % 2)) || code=$(other_couple "${others[@]}")
			oneshot "$log" goal "$code" "$me goal $i k$seed" goal add "$code" "$me goal $i k$seed"
		else
			code=${me^^}X$i
			oneshot "$log" couple "$code" "$me partner $i" couple add "$code" "partner1.name=$me partner $i"
		fi
	done
	return 0
}

# The long-running shell's loop: adds (to its couple and to the writers'),
# goals, couples, backups, searches and shows of what the writers added.
stress_shell() {
	set +e
	local log=$T/st/sh.log i=0 r code text cmd kind sid want msg
	RANDOM=$((seed + 3))
	while ((SECONDS < deadline && i < max_ops)); do
		i=$((i + 1))
		text="sh note $i k$seed"
		r=$((RANDOM % 20))
		code=CS
		sid=""
		want=""
		if ((r < 6)); then
			kind=session
			cmd="session add CS --text '$text'"
		elif ((r < 9)); then
			kind=session
			code=$(other_couple "$T/st/w1.log" "$T/st/w2.log")
			cmd="session add $code --text '$text'"
		elif ((r < 11)); then
			kind=goal
			text="sh goal $i k$seed"
			((r % 2)) || code=$(other_couple "$T/st/w1.log" "$T/st/w2.log")
			cmd="goal add $code '$text'"
		elif ((r < 12)); then
			kind=couple
			code=SX$i
			text="sh partner $i"
			cmd="couple add $code 'partner1.name=$text'"
		elif ((r < 14)); then
			kind=backup
			text=$T/st/bk/sh-$i.age
			cmd="backup create $text"
		else
			IFS=$'\t' read -r sid want < <(recent_session "$T/st/w1.log" "$T/st/w2.log")
			[ -n "$sid" ] || continue
			if ((r < 17)); then
				kind=search
				cmd="search '$want'"
			else
				kind=show
				cmd="session show $sid"
			fi
			text=$sid
		fi
		sh_do S "$cmd" || {
			wrong "shell: no answer to '$cmd'"
			break
		}
		msg=$(grep '^{"error"' <<<"$err" | head -n 1 | jq -r .error.message | tr '\t\n' '  ')
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$kind" "$rc" "$(jq -r '.added // empty' <<<"$out" 2>/dev/null)" \
			"$code" "$text" "$msg" >>"$log"
		# What another process committed before this command began is seen.
		if [ "$rc" -eq 0 ] && [ "$kind" = search ] &&
			! jq -e --arg id "$sid" 'any(.[]; .id == $id)' <<<"$out" >/dev/null; then
			wrong "shell: search '$want' does not find $sid: $out"
		elif [ "$rc" -eq 0 ] && [ "$kind" = show ] && [ "$(jq -r .text <<<"$out")" != "$want" ]; then
			wrong "shell: session show $sid: $out (want '$want')"
		elif [ "$rc" -eq 6 ]; then
			wrong "shell: '$cmd' exited 6: $err"
		fi
		fds_ok "$S_pid" >>"$T/st/fds" || true
	done
	return 0
}

# Backups as cron makes them, audit verify, doctor, searches; one rekey and
# one passwd (to the same passphrase: the writers' file stays right) at
# seeded moments, tried again while busy.
stress_admin() {
	set +e
	local log=$T/st/mx.log i=0 sid want t_rekey t_passwd rekeyed=0 passwded=0
	RANDOM=$((seed + 4))
	t_rekey=$((start + secs * (20 + RANDOM % 20) / 100))
	t_passwd=$((start + secs * (50 + RANDOM % 25) / 100))
	while ((SECONDS < deadline && i < max_ops)); do
		i=$((i + 1))
		if ((!rekeyed && SECONDS >= t_rekey)); then
			oneshot "$log" rekey "" "" rekey
			[ "$last_rc" -ne 0 ] || rekeyed=1
			continue
		fi
		if ((!passwded && SECONDS >= t_passwd)); then
			oneshot "$log" passwd "" "" passwd --new-passphrase-file "$T/pass"
			[ "$last_rc" -ne 0 ] || passwded=1
			continue
		fi
		case $((RANDOM % 6)) in
		0 | 1) oneshot "$log" backup "" "$T/st/bk/mx-$i.age" backup create "$T/st/bk/mx-$i.age" ;;
		2) oneshot "$log" verify "" "" audit verify ;;
		3)
			oneshot "$log" doctor "" "" doctor
			if [ "$last_rc" -le 1 ] && ! doctor_json_ok <<<"$last_out"; then
				wrong "doctor exited $last_rc: $last_out"
			fi
			;;
		*)
			IFS=$'\t' read -r sid want < <(recent_session "$T/st/w1.log" "$T/st/w2.log" "$T/st/sh.log")
			[ -n "$sid" ] || continue
			oneshot "$log" search "" "$sid" search "$want"
			if [ "$last_rc" -eq 0 ] && ! jq -e --arg id "$sid" 'any(.[]; .id == $id)' <<<"$last_out" >/dev/null; then
				wrong "search '$want' does not find $sid: $last_out"
			fi
			;;
		esac
		sleep "0.$((RANDOM % 3))"
	done
	return 0
}

@test "stress: a shell, two writers, backups, audits, doctor, search, a rekey and a passwd at once; nothing lost" {
	local seed=${KZ_STRESS_SEED:-$RANDOM} secs=${STRESS_SECONDS:-25} start deadline max_ops p pids=()
	local bad n k f kinds busy rekeyed sh3 total
	report "stress: seed $seed, $secs s (replay with KZ_STRESS_SEED=$seed STRESS_SECONDS=$secs)"
	new_vault
	backup_recipient
	for k in W1 W2 CS; do kzp couple add "$k" >/dev/null; done
	mkdir -p "$T/st/bk"
	: >"$T/st/w1.log"
	: >"$T/st/w2.log"
	: >"$T/st/sh.log"
	: >"$T/st/mx.log"
	: >"$T/st/wrong"
	: >"$T/st/fds"
	shell_start S --json --keep-going
	start=$SECONDS
	deadline=$((start + secs))
	max_ops=$((secs * 40))
	stress_writer w1 1 3>&- &
	pids+=($!)
	stress_writer w2 2 3>&- &
	pids+=($!)
	stress_admin 3>&- &
	pids+=($!)
	stress_shell 3>&- &
	pids+=($!)
	bg_pids="$bg_pids ${pids[*]}"
	for p in "${pids[@]}"; do wait "$p"; done
	# The shell is still there and well (the first of these two sees the
	# rekey if no command of its loop came after it); then it quits.
	fds_ok "$S_pid"
	for k in 1 2; do
		sh_do S 'session list'
		printf 'list\t%s\t\t\t\t%s\n' "$rc" "$(grep '^{"error"' <<<"$err" | jq -r .error.message)" >>"$T/st/sh.log"
	done
	[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ]
	fds_ok "$S_pid"
	shell_quit S
	cat "$T/st/wrong" "$T/st/fds"
	[ ! -s "$T/st/wrong" ]
	[ ! -s "$T/st/fds" ]
	# Every exit is one the design allows: adds, shows, searches, audits and
	# the shell's backups 0, 3 (re-keyed under it) or 5 (busy); cron's backups,
	# rekey and passwd 0 or 5; doctor 1 (the test-sized KDF; checked above),
	# 3 or 5. Exit 3 only ever says "re-keyed by another process".
	for f in w1 w2 sh mx; do sed "s/^/$f\t/" "$T/st/$f.log"; done >"$T/st/all"
	bad=$(awk -F'\t' '
		{ k = $2; rc = $3; ok = 0 }
		rc == 0 || rc == 5 { ok = 1 }
		rc == 3 && $7 ~ /re-keyed by another process/ && !(($1 == "mx" && k == "backup") || k == "rekey" || k == "passwd") { ok = 1 }
		k == "doctor" && rc == 1 { ok = 1 }
		k == "doctor" && rc == 0 { ok = 0 }
		!ok' "$T/st/all")
	[ -z "$bad" ] || {
		echo "exits the design does not allow: $bad"
		echo "what one-shot commands that failed printed: $(cat "$T/st/failed" 2>/dev/null)"
		return 1
	}
	# One rekey and one passwd worked; the shell saw the rekey once (and
	# was not disturbed by passwd).
	[ "$(awk -F'\t' '$2 == "rekey" && $3 == 0' "$T/st/all" | wc -l)" -eq 1 ]
	[ "$(awk -F'\t' '$2 == "passwd" && $3 == 0' "$T/st/all" | wc -l)" -eq 1 ]
	sh3=$(awk -F'\t' '$1 == "sh" && $3 == 3' "$T/st/all" | wc -l)
	[ "$sh3" -eq 1 ]
	# No short id given twice; every add reported reads back text for text,
	# and nothing else is there.
	awk -F'\t' '($2 == "session" || $2 == "goal") && $3 == 0 { print $4 }' "$T/st/all" >"$T/st/ids"
	ids_unique "$T/st/ids"
	awk -F'\t' '$2 == "session" && $3 == 0 { print $4 "\t" $6 "\t" $5 }' "$T/st/all" >"$T/want"
	sessions_read_back "$T/want"
	[ "$(kzp --json session list | jq length)" -eq "$(wc -l <"$T/want")" ]
	awk -F'\t' '$2 == "goal" && $3 == 0 { print "goal show " $4 }' "$T/st/all" >"$T/st/goal.cmds"
	awk -F'\t' '$2 == "goal" && $3 == 0 { print $6 "\t" $5 }' "$T/st/all" >"$T/st/goal.want"
	kzp --json -f "$T/st/goal.cmds" | jq -r '.title + "\t" + .couple' | diff "$T/st/goal.want" -
	[ "$(kzp --json goal list --status all | jq length)" -eq "$(wc -l <"$T/st/goal.want")" ]
	awk -F'\t' '$2 == "couple" && $3 == 0 { print "couple show " $5 }' "$T/st/all" >"$T/st/couple.cmds"
	awk -F'\t' '$2 == "couple" && $3 == 0 { print $6 }' "$T/st/all" >"$T/st/couple.want"
	kzp --json -f "$T/st/couple.cmds" | jq -r .partner1.name | diff "$T/st/couple.want" -
	[ "$(kzp --json couple list --status all | jq length)" -eq $((3 + $(wc -l <"$T/st/couple.want"))) ]
	integrity_ok
	kzp audit verify >/dev/null
	doctor_ok
	# Every backup made decrypts with age and verifies; a failed one left no file.
	n=0
	while IFS=$'\t' read -r f; do
		backup_ok "$f"
		n=$((n + 1))
	done < <(awk -F'\t' '$2 == "backup" && $3 == 0 { print $6 }' "$T/st/all")
	[ "$n" -gt 0 ]
	[ "$(find "$T/st/bk" -type f | wc -l)" -eq "$n" ]
	# The figures.
	kinds=$(awk -F'\t' '{ k = ($1 == "sh" ? "shell " : $1 == "mx" && $2 == "backup" ? "cron " : "") $2; n[k]++ }
		END { for (k in n) print k " " n[k] }' "$T/st/all" | sort | paste -sd, | sed 's/,/, /g')
	total=$(wc -l <"$T/st/all")
	busy=$(awk -F'\t' '$3 == 5' "$T/st/all" | wc -l)
	rekeyed=$(awk -F'\t' '$3 == 3' "$T/st/all" | wc -l)
	report "stress: seed $seed, $secs s, $total operations: $kinds"
	report "stress: $busy busy (exit 5), $rekeyed re-keyed (exit 3: the shell $sh3, one-shots $((rekeyed - sh3)))," \
		"$(wc -l <"$T/want") notes, $(wc -l <"$T/st/goal.want") goals and $((3 + $(wc -l <"$T/st/couple.want"))) couples" \
		"read back; $n backups decrypt with age and verify; no id twice, integrity ok, audit verifies"
}

@test "unlocks while passwd rewraps the slot: the right passphrase is never refused" {
	local i p pids=() n3 n
	new_vault
	kzp couple add R1 >/dev/null
	# Two loops of one-shot commands, while passwd rewraps the passphrase slot
	# (to the same passphrase, with a new salt) 15 times.
	for p in 1 2; do
		(
			set +e
			for ((i = 0; i < 60; i++)); do
				kzp --json session list >/dev/null 2>>"$T/u$p.err"
				echo $? >>"$T/u$p.rc"
			done
		) 3>&- &
		pids+=($!)
	done
	bg_pids="${pids[*]}"
	for ((i = 0; i < 15; i++)); do
		run kzp passwd --new-passphrase-file "$T/pass"
		[ "$status" -eq 0 ] || [ "$status" -eq 5 ]
	done
	for p in "${pids[@]}"; do wait "$p"; done
	n=$(cat "$T"/u?.rc | wc -l)
	n3=$(grep -cx 3 "$T"/u?.rc | awk -F: '{ s += $NF } END { print s }')
	echo "$n unlocks, $n3 refused: $(sort "$T"/u?.err | uniq -c | head -n 5)"
	[ "$n" -eq 120 ]
	[ "$(grep -cvxE '0|5' "$T"/u?.rc | awk -F: '{ s += $NF } END { print s }')" -eq 0 ]
	# No failed unlock in the audit trail either.
	[ "$(kzp --json audit log | jq '[.[] | select(.event == "unlock_failed")] | length')" -eq 0 ]
	integrity_ok
	kzp audit verify >/dev/null
}

# An $EDITOR that, while the note is open in it, runs "$T/meanwhile" (what
# another process does then: its exit status to $T/meanwhile.rc), then writes
# its text into the file.
editor_meanwhile() { # text
	cat >"$T/ed.sh" <<-EOF
		#!/bin/sh
		for f; do :; done
		sh "$T/meanwhile" >"$T/meanwhile.out" 2>&1
		echo \$? >"$T/meanwhile.rc"
		printf '%s\n' "$1" >>"\$f"
	EOF
	chmod +x "$T/ed.sh"
}

@test "a note open in the editor keeps no other process out; a short id taken meanwhile moves it on" {
	new_vault
	kzp couple add C001 >/dev/null
	editor_meanwhile "typed in the editor"
	# Meanwhile: another process adds a note (taking s1), a couple and reads,
	# with a busy timeout of 300 ms (the editor's change waited for the editor
	# before, and these ran out of time: exit 5).
	cat >"$T/meanwhile" <<-EOF
		export KIZUNA_BUSY_TIMEOUT_MS=300
		"$KZ" --vault "$V" --passphrase-file "$T/pass" session add C001 --text "from another process" || exit 1
		"$KZ" --vault "$V" --passphrase-file "$T/pass" couple add C002 || exit 2
		"$KZ" --vault "$V" --passphrase-file "$T/pass" session list C001 2>&1 | grep -q "from another" || exit 3
	EOF
	run script -qec "EDITOR=$T/ed.sh $KZ --vault $V --passphrase-file $T/pass session add C001" /dev/null
	echo "$output"; cat "$T/meanwhile.out"
	[ "$status" -eq 0 ]
	[ "$(cat "$T/meanwhile.rc")" = 0 ]
	! grep -q "busy\\|audit trail" "$T/meanwhile.out"
	# The editor's note ran again from the new state: s2, its text as typed once.
	[[ "$output" == *"added session s2 for C001"* ]]
	[ "$(kzp --json session show s2 | jq -r .text)" = "typed in the editor" ]
	[ "$(kzp --json session show s1 | jq -r .text)" = "from another process" ]
	[ "$(kzp --json session list C001 | jq length)" -eq 2 ]
	[ "$(kzp --json couple list | jq length)" -eq 2 ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "a couple closed by another process while its note is in the editor: the note is refused, nothing written" {
	new_vault
	kzp couple add C001 >/dev/null
	editor_meanwhile "typed for a couple closed meanwhile"
	cat >"$T/meanwhile" <<-EOF
		KIZUNA_BUSY_TIMEOUT_MS=300 "$KZ" --vault "$V" --passphrase-file "$T/pass" couple close C001
	EOF
	run script -qec "EDITOR=$T/ed.sh $KZ --vault $V --passphrase-file $T/pass session add C001" /dev/null
	echo "$output"; cat "$T/meanwhile.out"
	[ "$(cat "$T/meanwhile.rc")" = 0 ]
	[ "$status" -eq 1 ]
	[[ "$output" == *"C001 is closed"* ]]
	[ "$(kzp --json session list C001 --all 2>/dev/null | jq length)" -eq 0 ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "a head deleted with sqlite3 while a note is in the editor: the note is refused (exit 4), nothing written" {
	new_vault
	kzp couple add C001 >/dev/null
	kzp session add C001 --text "an earlier note" >/dev/null
	editor_meanwhile "typed while the file was tampered with"
	# Meanwhile someone with write access to the file removes a record's head
	# (before, the editor's change held the lock and sqlite3 found it busy).
	cat >"$T/meanwhile" <<-EOF
		sqlite3 "$V" "DELETE FROM heads WHERE id = (SELECT id FROM bodies ORDER BY id LIMIT 1)"
		sqlite3 "$V" "SELECT count(*) FROM heads" >"$T/heads.after"
		sqlite3 "$V" "SELECT count(*) FROM bodies" >"$T/bodies.after"
	EOF
	run script -qec "EDITOR=$T/ed.sh $KZ --vault $V --passphrase-file $T/pass session add C001" /dev/null
	echo "$output"; cat "$T/meanwhile.out"
	[ "$(cat "$T/meanwhile.rc")" = 0 ]
	[ "$(cat "$T/heads.after")" -eq 1 ]
	[ "$status" -eq 4 ]
	# The change taken up again met the tampered file: nothing was added.
	[ "$(sqlite3 "$V" "SELECT count(*) FROM heads")" -eq 1 ]
	[ "$(sqlite3 "$V" "SELECT count(*) FROM bodies")" -eq "$(cat "$T/bodies.after")" ]
	run kzp couple list
	[ "$status" -eq 4 ]
}

# Runs kizuna ARGS... in the background, reading the FIFO $T/NAME.fifo (named
# in ARGS) whose writer comes late; meanwhile another process adds a note to
# C001 with a busy timeout of 300 ms, which must exit 0 ($output keeps what it
# said); then FILE goes into the FIFO and kizuna must exit 0 (its output in
# $T/NAME.out).
fifo_meanwhile() { # NAME FILE ARGS...
	local name=$1 file=$2 pid
	shift 2
	mkfifo "$T/$name.fifo"
	"$KZ" --vault "$V" --passphrase-file "$T/pass" "$@" >"$T/$name.out" 2>&1 3>&- &
	pid=$!
	bg_pids="$pid"
	sleep 0.5
	KIZUNA_BUSY_TIMEOUT_MS=300 run kzp session add C001 --text "while $name waits"
	echo "$output"
	[ "$status" -eq 0 ] || return 1
	cat "$file" >"$T/$name.fifo"
	wait "$pid" || { cat "$T/$name.out"; return 1; }
}

@test "import and --text-file from a FIFO or a pipe: read whole, and no other process kept out while they come" {
	new_vault
	kzp couple add C001 >/dev/null
	kzp session add C001 --text "exported note" >/dev/null
	kzp export C001 --format json -o "$T/c1.json" --yes >/dev/null
	# A FIFO whose writer comes late (rclone cat, a slow disk): the import
	# waits for it without holding the vault. Before, the other process ran
	# out of its busy timeout (exit 5) and the import, reading the first bytes
	# twice, said the file was not JSON.
	fifo_meanwhile imp "$T/c1.json" import "$T/imp.fifo" --as C002
	grep -q "imported couple C002 with 1 session" "$T/imp.out"
	# A pipe on standard input.
	run bash -c "cat '$T/c1.json' | '$KZ' --vault '$V' --passphrase-file '$T/pass' import /dev/stdin --as C003"
	echo "$output"
	[ "$status" -eq 0 ]
	[[ "$output" == *"imported couple C003 with 1 session"* ]]
	[ "$(kzp --json session list C001 | jq length)" -eq 2 ]
	[ "$(kzp --json session list C002 | jq -r '.[0].first_line')" = "exported note" ]
	[ "$(kzp --json couple list | jq length)" -eq 3 ]
	# A note's text from a FIFO (--text-file): the same; the note, which ran
	# again from the state the other process left, takes the next short id.
	echo "from the FIFO" >"$T/text"
	fifo_meanwhile add "$T/text" session add C001 --text-file "$T/add.fifo"
	[[ "$output" == *"added session s5 for C001"* ]]
	grep -q "added session s6 for C001" "$T/add.out"
	[ "$(kzp --json session show s6 | jq -r .text)" = "from the FIFO" ]
	# An identity file must be a regular file: a FIFO is refused at once
	# (exit 2), not waited on inside the import's change.
	age-keygen -o "$T/id.txt" 2>/dev/null
	kzp export C001 --format json --to "$(age-keygen -y "$T/id.txt")" -o "$T/c1.age" >/dev/null
	mkfifo "$T/id.fifo"
	run timeout 10 "$KZ" --vault "$V" --passphrase-file "$T/pass" import "$T/c1.age" -i "$T/id.fifo"
	echo "$output"
	[ "$status" -eq 2 ]
	[[ "$output" == *"identity file $T/id.fifo is not a regular file"* ]]
	run kzp audit verify
	[ "$status" -eq 0 ]
}

@test "the vault named as a file to read (import, --text-file, -i, --passphrase-file) is refused, never opened by kizuna itself" {
	# Closing a descriptor kizuna opened on the vault would drop this
	# process's POSIX locks on it, SQLite's too, while another process works.
	new_vault
	kzp couple add C001 >/dev/null
	shell_start sh
	echo "session add C001 --text 'from the open shell'" >&"$sh_fd"
	for args in "import $V" "session add C001 --text-file $V-wal" "import $V -i $V" \
		"import $V-shm --backup-passphrase-file $V"; do
		# shellcheck disable=SC2086
		run kzp $args
		echo "$args: $output"
		[ "$status" -eq 2 ]
		[[ "$output" == *"is the vault"*"itself, not a file to read"* ]]
	done
	run "$KZ" --vault "$V" --passphrase-file "$V" couple list
	[ "$status" -eq 2 ]
	[[ "$output" == *"$V is the vault itself"* ]]
	echo "session list C001" >&"$sh_fd"
	echo "quit" >&"$sh_fd"
	wait "$sh_pid"
	grep -q "from the open shell" "$T/sh.out"
	[ "$(kzp --json session list C001 | jq length)" -eq 1 ]
	[ "$(sqlite3 "$V" 'PRAGMA integrity_check')" = ok ]
	run kzp audit verify
	[ "$status" -eq 0 ]
}
