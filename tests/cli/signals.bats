#!/usr/bin/env bats
# Files after a kill, and files that must not be overwritten.
# SIGTERM, SIGHUP, SIGINT and SIGQUIT at the worst moment (the editor open on
# the note; a plain export written and about to get its name) must leave no
# file with the note, in one-shot and shell mode, and kizuna must die of the
# signal. A file that appears at the destination of an export, a restore or
# a keygen while kizuna writes must not be overwritten. doctor --fix shreds
# the editor files a killed kizuna left.

load helpers

SIGNALS="TERM HUP INT QUIT"

teardown() {
	[ -z "${bg_pid:-}" ] || kill -9 "$bg_pid" 2>/dev/null || true
	exec 7>&- 2>/dev/null || true
	wait 2>/dev/null || true
}

# The preload that holds kizuna just before a written file gets its name
# (tests/tools/kzpause.c): it writes the file's name to $KZPAUSE_READY, then
# waits for $KZPAUSE_GO.
pause_lib() { echo "$(dirname "$KZ")/tests/kzpause.so"; }

# Waits (bounded) for a file to exist and hold a line.
wait_file() { # FILE
	local i
	for ((i = 0; i < 600; i++)); do
		[ -s "$1" ] && return 0
		sleep 0.1
	done
	echo "timed out waiting for $1"
	return 1
}

signum() { kill -l "$1"; }

# A vault with couple C072; $c holds a canary.
note_vault() {
	new_vault
	c=$(canary)
	kzp couple add C072 "partner1.name=N$c" "formulation.problem=P$c" >/dev/null
	kzp session add C072 --text "The note $c." >/dev/null
}

# An $EDITOR that writes the canary into the note, records the file's name
# and that the note is in it (the control), signals its parent kizuna, then
# waits to be killed.
editor_that_signals() { # SIG
	cat >"$T/ed.sh" <<-EOF
		#!/bin/sh
		printf '%s\n' "$c" >>"\$1"
		printf '%s\n' "\$1" >"$T/edpath"
		grep -q "$c" "\$1" && touch "$T/seen"
		kill -$1 \$PPID
		exec sleep 60
	EOF
	chmod +x "$T/ed.sh"
	rm -f "$T/edpath" "$T/seen"
}

# After the kill: the editor file and every copy of the canary gone from /dev/shm.
assert_editor_clean() {
	local p
	p=$(cat "$T/edpath")
	[ -f "$T/seen" ] # the control: the note was in the file while the editor ran
	[[ "$p" == /dev/shm/kizuna-edit-* ]]
	[ ! -e "$p" ] || {
		echo "$p is still there"
		return 1
	}
	assert_absent "$c" /dev/shm
}

@test "signals: TERM, HUP, INT and QUIT with the editor open (one-shot) shred the note and kill kizuna" {
	local sig st
	note_vault
	for sig in $SIGNALS; do
		editor_that_signals "$sig"
		rm -f "$T/status"
		# script(1): the editor runs only on a terminal.
		script -qec "EDITOR=$T/ed.sh $KZ --vault $V --passphrase-file $T/pass session add C072; echo \$? >$T/status" \
			/dev/null </dev/null >"$T/term.out" 2>&1 || true
		st=$(cat "$T/status")
		[ "$st" -eq $((128 + $(signum "$sig"))) ] || {
			echo "SIG$sig: exit $st"
			cat "$T/term.out"
			return 1
		}
		assert_editor_clean
	done
	# Nothing was saved: the vault still has its one session.
	[ "$(kzp --json session list | jq length)" -eq 1 ]
}

@test "signals: TERM, HUP, INT and QUIT with the editor open (shell) shred the note and kill kizuna" {
	local sig st i
	note_vault
	for sig in $SIGNALS; do
		editor_that_signals "$sig"
		rm -f "$T/status" "$T/in"
		mkfifo "$T/in"
		script -qec "EDITOR=$T/ed.sh $KZ --vault $V --passphrase-file $T/pass --idle-lock 0; echo \$? >$T/status" \
			/dev/null <"$T/in" >"$T/term.out" 2>&1 &
		bg_pid=$!
		exec 7>"$T/in"
		for ((i = 0; i < 600; i++)); do
			grep -q 'kizuna>' "$T/term.out" 2>/dev/null && break
			sleep 0.1
		done
		echo "session add C072" >&7
		wait "$bg_pid" || true
		exec 7>&-
		bg_pid=
		st=$(cat "$T/status")
		[ "$st" -eq $((128 + $(signum "$sig"))) ] || {
			echo "SIG$sig: exit $st"
			cat "$T/term.out"
			return 1
		}
		assert_editor_clean
	done
}

# Runs a plain export held before its rename (kzpause), kills it there with
# SIG, and checks that neither the export nor its temporary file is left.
# The command comes from "$@" (one-shot) or, with SHELL=1, from a pipe.
export_killed() { # SIG
	local sig=$1 st tmp
	rm -rf "$T/out" "$T/ready" "$T/in"
	mkdir -p "$T/out"
	if [ "${SHELL_MODE:-0}" = 1 ]; then
		mkfifo "$T/in"
		LD_PRELOAD=$(pause_lib) KZPAUSE_READY=$T/ready "$KZ" --vault "$V" \
			--passphrase-file "$T/pass" <"$T/in" >"$T/export.out" 2>&1 &
		bg_pid=$!
		exec 7>"$T/in"
		echo "couple list" >&7
		echo "export C072 --include-process-notes -o $T/out/plain.md" >&7
	else
		LD_PRELOAD=$(pause_lib) KZPAUSE_READY=$T/ready "$KZ" --vault "$V" \
			--passphrase-file "$T/pass" export C072 --include-process-notes \
			-o "$T/out/plain.md" >"$T/export.out" 2>&1 &
		bg_pid=$!
	fi
	wait_file "$T/ready"
	tmp=$(cat "$T/ready")
	# The control: the whole plain record is there, under its temporary name.
	[[ "$tmp" == "$T/out/plain.md.tmp-"* ]]
	grep -q "$c" "$tmp"
	kill -"$sig" "$bg_pid"
	st=0
	wait "$bg_pid" || st=$?
	exec 7>&- 2>/dev/null || true
	bg_pid=
	[ "$st" -eq $((128 + $(signum "$sig"))) ] || {
		echo "SIG$sig: exit $st: $(cat "$T/export.out")"
		return 1
	}
	[ ! -e "$tmp" ]
	[ -z "$(ls -A "$T/out")" ]
	assert_absent "$c" "$T/out"
}

@test "signals: TERM, HUP, INT and QUIT before a plain export gets its name (one-shot) shred its temporary file" {
	local sig
	note_vault
	for sig in $SIGNALS; do export_killed "$sig"; done
}

@test "signals: TERM, HUP, INT and QUIT before a plain export gets its name (commands on a pipe) shred its temporary file" {
	local sig
	note_vault
	for sig in $SIGNALS; do SHELL_MODE=1 export_killed "$sig"; done
}

# Holds "$@" before its rename, puts a file at DEST meanwhile, lets it go:
# the file must stay as it was, the command fail naming it, nothing else be left.
raced() { # DEST command...
	local dest=$1 st
	shift
	rm -f "$T/ready" "$T/go"
	LD_PRELOAD=$(pause_lib) KZPAUSE_READY=$T/ready KZPAUSE_GO=$T/go "$@" >"$T/race.out" 2>&1 &
	bg_pid=$!
	wait_file "$T/ready"
	echo "the therapist's own file" >"$dest"
	touch "$T/go"
	st=0
	wait "$bg_pid" || st=$?
	bg_pid=
	[ "$st" -eq 1 ] || {
		echo "exit $st: $(cat "$T/race.out")"
		return 1
	}
	grep -q "appeared meanwhile; refusing to overwrite it" "$T/race.out"
	[ "$(cat "$dest")" = "the therapist's own file" ]
	[ ! -e "$(cat "$T/ready")" ] # the temporary file is gone too
}

@test "never overwrites: a file that appears at the destination of export, backup restore or keygen while it writes stays" {
	note_vault
	mkdir -p "$T/out"
	raced "$T/out/plain.md" "$KZ" --vault "$V" --passphrase-file "$T/pass" export C072 \
		-o "$T/out/plain.md"
	R=$("$KZ" --json keygen -o "$T/id.txt" | jq -r .recipient)
	raced "$T/out/x.age" "$KZ" --vault "$V" --passphrase-file "$T/pass" export C072 \
		--to "$R" -o "$T/out/x.age"
	kzp recipients add "$R" >/dev/null
	kz backup create "$T/b.age" >/dev/null
	raced "$T/restored.kz" "$KZ" backup restore "$T/b.age" --identity "$T/id.txt" \
		--to-vault "$T/restored.kz"
	raced "$T/id2.txt" "$KZ" keygen -o "$T/id2.txt"
	# Without a file appearing, each goes through (the shim lets it go at once).
	touch "$T/go"
	LD_PRELOAD=$(pause_lib) KZPAUSE_READY=$T/ready KZPAUSE_GO=$T/go kzp export C072 \
		-o "$T/out/ok.md" >/dev/null
	grep -q "$c" "$T/out/ok.md"
}

@test "doctor --fix shreds the editor files of a killed kizuna and leaves a running one's" {
	local out
	note_vault
	# A private /dev/shm (root), so that other programs' files do not count.
	unshare -m true 2>/dev/null || skip "no mount namespace here"
	cat >"$T/fix.sh" <<-EOF
		set -e
		mount -t tmpfs kzshm /dev/shm
		printf 'note %s\n' "$c" >/dev/shm/kizuna-edit-AbC123.md
		printf 'note %s\n' "$c" >/dev/shm/kizuna-edit-999999999-AbC123.md
		printf 'note %s\n' "$c" >/dev/shm/kizuna-edit-999999999-AbC123.md~
		printf 'note %s\n' "$c" >"/dev/shm/kizuna-edit-\$\$-LiVe12.md"
		echo "other" >/dev/shm/someone-else
		$KZ --vault $V --passphrase-file $T/pass --json doctor >$T/before.json || true
		$KZ --vault $V --passphrase-file $T/pass --json doctor --fix >$T/after.json || true
		ls -A /dev/shm >$T/left
		grep -rlF "$c" /dev/shm >$T/hits || true
	EOF
	unshare -m sh "$T/fix.sh"
	out=$(jq -r '.[] | select(.check == "editor files") | "\(.status) \(.detail)"' "$T/before.json")
	[[ "$out" == "FAIL 3 kizuna-edit file(s) left in /dev/shm: 'doctor --fix' shreds them" ]]
	out=$(jq -r '.[] | select(.check == "editor files") | "\(.status) \(.detail)"' "$T/after.json")
	[[ "$out" == "ok 3 kizuna-edit file(s) left in /dev/shm: shredded" ]]
	# The running kizuna's file (the shell's own pid) and the other program's stay.
	[ "$(wc -l <"$T/left")" -eq 2 ]
	grep -q '^kizuna-edit-[0-9]*-LiVe12.md$' "$T/left"
	grep -q '^someone-else$' "$T/left"
	[ "$(wc -l <"$T/hits")" -eq 1 ] # the canary is only in the running one's
}
