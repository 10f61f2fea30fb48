#!/usr/bin/env bats
# I/O errors, tested the way SQLite tests itself. A session of nine commands
# (adds, edits, a goal score, an addendum, a backup, a signature, an audit
# check) is run once under the LD_PRELOAD shim build/tests/failio.so
# (tests/tools/failio.c) to count the calls it makes on the vault file, its
# -wal and its -journal; then, for every N in that range, from the same
# starting vault, with the Nth write (or fsync, or truncation) failing with
# EIO, and again (writes, fsyncs) with ENOSPC and every later call failing too.
# One command at a time (a kizuna per command, as a script of one-shot calls
# runs it): each command succeeds (warnings aside) or exits 1 with one line on
# stderr (when every later call fails, the unlock's audit warnings come first)
# and nothing on stdout. In one shell session (kizuna -f --keep-going,
# one process and one SQLite connection throughout): one command at most
# fails so, and every command after it works. Afterwards, without the shim,
# the vault reads back text for text as it would had the failed command never
# been run (or, counted apart, as if it had succeeded), its audit chain
# verifies, SQLite's integrity check says ok, and a backup reported written
# verifies (one that failed leaves no file).
# KZ_IOERR_STEP=K tries every Kth N only (tests/valgrind.sh sets it).

load helpers

report() { echo "# [report] $*" >&3; }

SHIM_ENV=()

# kizuna with the passphrase on the vault $V, under the shim when SHIM_ENV says so.
kzf() { env "${SHIM_ENV[@]}" "$KZ" --vault "$V" --passphrase-file "$T/pass" "$@"; }

NSTEPS=9
BACKUP_STEP=6

# The starting vault ($T/base): a couple with a goal, two unsigned notes and a
# signed one, a backup recipient; and the session's commands, STEPS[1..9],
# none of which depends on another (any one of them may fail). Dates are
# given, and differ, so that states (and search results, ordered by date)
# compare across runs.
prepare() {
	c=$(canary)
	V="$T/base/vault.kz"
	mkdir -p "$T/base/out"
	# The smallest key-derivation costs: a trial runs two or three kizunas.
	kzp init --kdf-memory 1M --kdf-iterations 1 >/dev/null 2>&1
	age-keygen -o "$T/age.id" 2>/dev/null
	kzp recipients add "$(age-keygen -y "$T/age.id")" >/dev/null
	kzp couple add C001 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp goal add C001 "Plan the holidays together" >/dev/null
	kzp session add C001 --date 2026-02-01 --text "First note $c" >/dev/null
	kzp session add C001 --date 2026-02-08 --text "Second note $c" >/dev/null
	kzp session sign s2 >/dev/null
	kzp session add C001 --date 2026-02-15 --text "Third note $c" >/dev/null
	# About 40 KiB: the note spans overflow pages.
	{
		head -c 30000 /dev/urandom | base64 -w 76
		echo "$c"
	} >"$T/big.txt"
	STEPS=(''
		"session add C001 --date 2026-03-01 --text \"Note one $c\""
		"session edit s1 --text \"First note, edited $c\""
		"session add C001 --date 2026-03-08 --text-file $T/big.txt"
		"goal progress g1 6 --date 2026-03-09 --session s1 --note \"Better $c\""
		"session amend s2 --text \"Addendum $c\""
		"backup create $T/w/out/b.age"
		"session sign s1"
		"session edit s3 --text \"Third note, edited $c\""
		"audit verify")
	IDS="s1 s2 s3 s4 s5"
	printf '%s\n' "${STEPS[@]:1}" >"$T/session.kz"
}

# Step K as a command of its own (backup create without the passphrase, as cron runs it).
step() { # K
	eval "set -- ${STEPS[$1]}"
	if [ "$1" = backup ]; then
		env "${SHIM_ENV[@]}" "$KZ" --vault "$V" "$@" </dev/null
	else
		kzf "$@"
	fi
}

# The whole session in one kizuna, going on after a failing command.
session() { kzf --keep-going -f "$1"; }

# What the vault shows: the sessions listed, each one shown (date, text,
# signature, addenda), the goal's scores, what a search for the canary finds,
# and the audit check, as kizuna prints them in JSON with the times (and the
# audit chain's length and head) left out, so that two runs compare.
state() { # OUT
	local id
	{
		echo "session list C001"
		for id in $IDS; do echo "session show $id"; done
		echo "goal show g1"
		echo "search $c"
		echo "audit verify"
	} >"$T/state.kz"
	kzp --json --keep-going -f "$T/state.kz" 2>"$T/state.err" | sed -E \
		-e 's/"(t|created|updated|signed|signed_at)":"[^"]*"/"\1":"T"/g' \
		-e 's/"date":"[^"]*","at":"[^"]*"/"date":"D","at":"T"/g' \
		-e 's/"date":"[^"]*","where":"addendum"/"date":"D","where":"addendum"/g' \
		-e 's/"entries":[0-9]+,"head":"[^"]*"/"entries":N,"head":"H"/' >"$1"
	local lines
	mapfile -t lines <"$1"
	[[ ${lines[-1]:-} == '{"ok":true,'* ]] || {
		echo "the audit chain does not verify: $(cat "$T/state.err")"
		return 1
	}
}

# Copies the vault folder $1 to a fresh $T/w and points V at it.
fresh() {
	rm -rf "$T/w"
	cp -a "$1" "$T/w"
	V="$T/w/vault.kz"
}

# Output as compared across runs: without hashes and numbers (sizes, counts, ids).
norm() { sed -E 's/[0-9a-f]{64}/H/g; s/[0-9]+/N/g' "$1"; }

# The shim's line for the last run: sets calls (of KIND) and hit (db, wal,
# journal, or none when the run made fewer than N such calls).
shim_line() { # KIND
	local line=""
	[ ! -f "$T/count" ] || read -r line <"$T/count" || true
	[[ "$line" =~ $1=([0-9]+) ]] || {
		echo "no report from the shim (a crash?): [$line] $(cat "$T/t.err" 2>/dev/null)"
		return 1
	}
	calls=${BASH_REMATCH[1]}
	hit=${line##*failed=}
	hit=${hit##*:}
}

tally_add() { tally[$1]=$((${tally[$1]:-0} + 1)); }

# The sweep met at least one outcome WHAT (when it tried every N).
expect_some() { [ "${KZ_IOERR_STEP:-1}" != 1 ] || [ "${tally[$1]:-0}" -gt 0 ]; }

# The last run's stderr: nlines lines, of which nerrs are not warnings (errs).
read_err() {
	local l lines
	mapfile -t lines <"$T/t.err"
	nlines=${#lines[@]}
	nerrs=0
	errs=""
	for l in "${lines[@]}"; do
		[[ $l != "kizuna: warning: "* ]] || continue
		errs+=$l$'\n'
		nerrs=$((nerrs + 1))
	done
}

# ", persistent" for PERSIST=1 (every call from the Nth on fails).
persistent() { [ "$1" != 1 ] || printf ', persistent'; }

# ", N saying disk full" when some failures said so.
full_note() { [ -z "${tally[full]:-}" ] || printf ', %s saying disk full' "${tally[full]}"; }

# The SQLite file is sound.
sqlite_ok() { # WHAT
	local r
	r=$(sqlite3 "$V" 'PRAGMA integrity_check' 2>&1)
	[ "$r" = ok ] || {
		echo "$1: SQLite integrity check: $r"
		return 1
	}
}

# Compares the state read back with the one expected (and, for a failed
# command, the one had it succeeded: tallied as kept, which a message saying
# "nothing was changed" must not be).
state_is() { # WHAT EXPECTED [KEPT]
	state "$T/t.json"
	if cmp -s "$T/t.json" "$2"; then
		[ -z "${3:-}" ] || tally_add undone
		return 0
	fi
	if [ -n "${3:-}" ] && cmp -s "$T/t.json" "$3"; then
		tally_add kept # durable though reported failed
		[[ $errs != *"nothing was changed"* ]] || {
			echo "$1: said '$errs', but the change is there"
			return 1
		}
		return 0
	fi
	echo "$1: the vault reads back differently:"
	diff "$2" "$T/t.json" | cut -c 1-300 | head -n 20
	cat "$T/state.err"
	return 1
}

# A backup is whole, or absent with no temporary file left.
backup_ok() { # WHAT REPORTED-DONE
	if [ "$2" = 1 ]; then
		kzp backup verify "$T/w/out/b.age" --identity "$T/age.id" >/dev/null 2>"$T/bv.err" || {
			echo "$1: the backup reported written does not verify: $(cat "$T/bv.err")"
			return 1
		}
	else
		local left=("$T"/w/out/*)
		[ ! -e "${left[0]}" ] || {
			echo "$1: a failed backup left ${left[*]}"
			return 1
		}
	fi
}

# ---------------------------------------------------------------------------
# One command at a time

# The clean run under the shim, counting: snapshots after each step
# ($T/snap/K), each step's output, its calls of KIND ($T/calls/K) and the
# state after it ($T/state/K.json).
clean_steps() { # KIND
	local k
	mkdir -p "$T/snap" "$T/clean" "$T/calls" "$T/state"
	cp -a "$T/base" "$T/snap/0"
	fresh "$T/snap/0"
	for ((k = 1; k <= NSTEPS; k++)); do
		SHIM_ENV=(LD_PRELOAD="$SHIM" FAILIO_PATH="$V" FAILIO_REPORT="$T/count")
		rm -f "$T/count"
		step "$k" >"$T/clean/$k.out" 2>"$T/t.err" || {
			echo "clean step $k failed: $(cat "$T/t.err")"
			return 1
		}
		SHIM_ENV=()
		[ ! -s "$T/t.err" ]
		shim_line "$1"
		echo "$calls" >"$T/calls/$k"
		cp -a "$T/w" "$T/snap/$k"
	done
	for ((k = 0; k <= NSTEPS; k++)); do
		fresh "$T/snap/$k"
		state "$T/state/$k.json"
	done
	# Each step but the backup and the audit check changed what it should.
	for ((k = 1; k < NSTEPS; k++)); do
		if cmp -s "$T/state/$((k - 1)).json" "$T/state/$k.json"; then
			[ "$k" -eq "$BACKUP_STEP" ] || {
				echo "step $k changed nothing: $(cat "$T/state/$k.json")"
				return 1
			}
		fi
	done
}

# Runs step K from the state before it with the Nth call of KIND failing with
# ERRNO (and with PERSIST=1 every later one too), and checks what it said and
# what the vault holds afterwards.
trial_step() { # KIND ERRNO PERSIST K N
	local kind=$1 errno=$2 persist=$3 k=$4 n=$5 rc=0 errs nerrs nlines calls hit done=0
	local what="$kind #$n ($errno$(persistent "$persist")) in '${STEPS[$k]%% --*}' (step $k)"
	fresh "$T/snap/$((k - 1))"
	rm -f "$T/count"
	SHIM_ENV=(LD_PRELOAD="$SHIM" FAILIO_PATH="$V" FAILIO_REPORT="$T/count"
		FAILIO_KIND="$kind" FAILIO_N="$n" FAILIO_ERRNO="$errno" FAILIO_PERSIST="$persist")
	step "$k" >"$T/t.out" 2>"$T/t.err" || rc=$?
	SHIM_ENV=()
	shim_line "$kind"
	tally_add "$hit"
	read_err
	if [ "$rc" -eq 0 ]; then
		# Done: it says so as the clean run did, and warns of nothing else.
		[ -z "$errs" ] && [ "$(norm "$T/t.out")" = "${clean_out[$k]}" ] || {
			echo "$what: exit 0, stdout [$(cat "$T/t.out")], stderr [$(cat "$T/t.err")]"
			return 1
		}
		done=1
		if [ -s "$T/t.err" ]; then tally_add warned; else tally_add ok; fi
	else
		# Failed: exit 1, one line, nothing printed as done. (When every later
		# call fails too, the unlock's audit events before the command fail first,
		# each a warning.)
		[ "$rc" -eq 1 ] && [ "$nerrs" -eq 1 ] && [ ! -s "$T/t.out" ] &&
			{ [ "$nlines" -eq 1 ] || [ "$persist" = 1 ]; } || {
			echo "$what: exit $rc, stdout [$(cat "$T/t.out")], stderr [$(cat "$T/t.err")]"
			return 1
		}
		tally_add failed
		[[ $errs != *"disk full"* ]] || tally_add full
	fi
	[ "$k" -ne "$BACKUP_STEP" ] || backup_ok "$what" "$done"
	# Without the shim: the state after the step if it said done, else before.
	if [ "$done" = 1 ]; then
		state_is "$what, exit 0" "$T/state/$k.json"
	else
		state_is "$what, exit $rc" "$T/state/$((k - 1)).json" "$T/state/$k.json"
	fi
	sqlite_ok "$what"
}

# Every N of KIND in every step; prints the report line.
sweep_steps() { # KIND ERRNO [PERSIST]
	local kind=$1 errno=$2 persist=${3:-0} k n calls total=0 tried=0 every=${KZ_IOERR_STEP:-1}
	local t0=$SECONDS
	declare -gA tally=()
	declare -ga clean_out=()
	for ((k = 1; k <= NSTEPS; k++)); do
		clean_out[k]=$(norm "$T/clean/$k.out")
	done
	for ((k = 1; k <= NSTEPS; k++)); do
		calls=$(cat "$T/calls/$k")
		total=$((total + calls))
		for ((n = 1; n <= calls; n += every)); do
			trial_step "$kind" "$errno" "$persist" "$k" "$n"
			tried=$((tried + 1))
		done
	done
	[ "$total" -gt 0 ]
	report "I/O error, a command at a time ($kind, $errno$(persistent "$persist")):" \
		"$tried of $total calls failed in turn" \
		"(db ${tally[db]:-0}, wal ${tally[wal]:-0}, journal ${tally[journal]:-0}," \
		"unreached ${tally[none]:-0}): ${tally[ok]:-0} done, ${tally[warned]:-0} done with a" \
		"warning, ${tally[failed]:-0} exit 1 (${tally[undone]:-0} undone, ${tally[kept]:-0}" \
		"kept$(full_note)); all read back, audit and SQLite integrity ok ($((SECONDS - t0)) s)"
}

# ---------------------------------------------------------------------------
# One shell session

# The clean session under the shim, counting ($T/calls/session), its output,
# the state after it ($T/state/all.json), and for each step M the state after
# the session without step M ($T/state/no-M.json) with its output.
clean_session() {
	local m
	mkdir -p "$T/state" "$T/calls" "$T/clean"
	fresh "$T/base"
	SHIM_ENV=(LD_PRELOAD="$SHIM" FAILIO_PATH="$V" FAILIO_REPORT="$T/count")
	rm -f "$T/count"
	session "$T/session.kz" >"$T/clean/all.out" 2>"$T/t.err" || {
		echo "the clean session failed: $(cat "$T/t.err")"
		return 1
	}
	SHIM_ENV=()
	[ ! -s "$T/t.err" ]
	for kind in write fsync truncate; do
		shim_line "$kind"
		echo "$calls" >"$T/calls/session-$kind"
	done
	[ "$(wc -l <"$T/clean/all.out")" -eq "$NSTEPS" ]
	state "$T/state/all.json"
	for ((m = 1; m <= NSTEPS; m++)); do
		fresh "$T/base"
		sed "${m}d" "$T/session.kz" >"$T/session-$m.kz"
		session "$T/session-$m.kz" >"$T/clean/no-$m.out" 2>"$T/t.err"
		[ ! -s "$T/t.err" ]
		state "$T/state/no-$m.json"
	done
}

# The whole session with the Nth call of KIND failing with ERRNO.
trial_session() { # KIND ERRNO N
	local kind=$1 errno=$2 n=$3 rc=0 errs nerrs nlines calls hit out m failed=0
	local what="$kind #$n ($errno) in the session"
	fresh "$T/base"
	rm -f "$T/count"
	SHIM_ENV=(LD_PRELOAD="$SHIM" FAILIO_PATH="$V" FAILIO_REPORT="$T/count"
		FAILIO_KIND="$kind" FAILIO_N="$n" FAILIO_ERRNO="$errno")
	session "$T/session.kz" >"$T/t.out" 2>"$T/t.err" || rc=$?
	SHIM_ENV=()
	shim_line "$kind"
	tally_add "$hit"
	read_err
	out=$(norm "$T/t.out")
	# Which step said nothing: none, or one (the one that failed).
	if [ "$out" != "$clean_all" ]; then
		for ((m = 1; m <= NSTEPS; m++)); do
			[ "$out" != "${clean_no[m]}" ] || failed=$m
		done
	fi
	if [ -z "$errs" ]; then
		[ "$rc" -eq 0 ] && [ "$out" = "$clean_all" ] || {
			echo "$what: exit $rc, no error, stdout [$(cat "$T/t.out")]"
			return 1
		}
		if [ -s "$T/t.err" ]; then tally_add warned; else tally_add ok; fi
	else
		# One command failed with one line and exit 1; the others went on.
		[ "$rc" -eq 1 ] && [ "$nerrs" -eq 1 ] && [ "$failed" -gt 0 ] || {
			echo "$what: exit $rc, stdout [$(cat "$T/t.out")], stderr [$(cat "$T/t.err")]"
			return 1
		}
		tally_add failed
		tally_add "step $failed"
		[[ $errs != *"disk full"* ]] || tally_add full
	fi
	backup_ok "$what" "$([ "$failed" -eq "$BACKUP_STEP" ] && echo 0 || echo 1)"
	if [ "$failed" -eq 0 ]; then
		state_is "$what, nothing failed" "$T/state/all.json"
	else
		state_is "$what, step $failed failed" "$T/state/no-$failed.json" "$T/state/all.json"
	fi
	sqlite_ok "$what"
}

sweep_session() { # KIND ERRNO
	local kind=$1 errno=$2 n m calls tried=0 every=${KZ_IOERR_STEP:-1} t0=$SECONDS steps=""
	declare -gA tally=()
	declare -ga clean_no=()
	clean_all=$(norm "$T/clean/all.out")
	for ((m = 1; m <= NSTEPS; m++)); do
		clean_no[m]=$(norm "$T/clean/no-$m.out")
	done
	calls=$(cat "$T/calls/session-$kind")
	[ "$calls" -gt 0 ]
	for ((n = 1; n <= calls; n += every)); do
		trial_session "$kind" "$errno" "$n"
		tried=$((tried + 1))
	done
	for ((m = 1; m <= NSTEPS; m++)); do
		[ -z "${tally[step $m]:-}" ] || steps="$steps${steps:+ }$m:${tally[step $m]}"
	done
	report "I/O error, one shell session ($kind, $errno): $tried of $calls calls failed in turn" \
		"(db ${tally[db]:-0}, wal ${tally[wal]:-0}, journal ${tally[journal]:-0}," \
		"unreached ${tally[none]:-0}): ${tally[ok]:-0} sessions clean, ${tally[warned]:-0} with" \
		"a warning, ${tally[failed]:-0} with one command failing (step:times ${steps:-none};" \
		"${tally[undone]:-0} undone, ${tally[kept]:-0} kept$(full_note)) and the rest done;" \
		"all read back, audit and SQLite integrity ok ($((SECONDS - t0)) s)"
}

# The work happens on a tmpfs when one can be mounted (root): an fsync there
# costs nothing, and a thousand runs make many. The shim fails the calls all
# the same.
setup_shim() {
	SHIM="$(dirname "$KZ")/tests/failio.so"
	[ -f "$SHIM" ] || {
		echo "no $SHIM (make builds it)"
		return 1
	}
	SHIM=$(readlink -f "$SHIM")
	# bats traces every command with a DEBUG trap, which would take most of the
	# time of the thousand trials here; a failure still fails the test (ERR
	# trap), and each check says what failed.
	trap - DEBUG
	mkdir -p "$T/fs"
	if mount -t tmpfs -o size=128m,mode=0700 kzioerr "$T/fs" 2>/dev/null; then
		mounted="$T/fs"
		cp -p "$T/pass" "$T/fs/pass"
		T="$T/fs"
	fi
	prepare
}

teardown() {
	[ -z "${mounted:-}" ] || umount "$mounted" 2>/dev/null || umount -l "$mounted" 2>/dev/null || true
}

@test "I/O errors, a command at a time: the Nth write to the vault, its WAL or journal fails" {
	setup_shim
	clean_steps write
	sweep_steps write EIO
	expect_some failed # some did fail a command
	# A disk that fills up and stays full: every write from the Nth on fails.
	sweep_steps write ENOSPC 1
	expect_some full
}

@test "I/O errors, a command at a time: the Nth fsync of the vault, its WAL or journal fails" {
	setup_shim
	clean_steps fsync
	sweep_steps fsync EIO
	expect_some failed
	# A disk that stops syncing: every fsync from the Nth on fails, the
	# checkpoint at close too, and the next open recovers the WAL.
	sweep_steps fsync ENOSPC 1
	expect_some failed
}

@test "I/O errors, a command at a time: the Nth truncation of the vault or its WAL fails" {
	setup_shim
	clean_steps truncate
	sweep_steps truncate EIO
	expect_some wal # the WAL's truncation (backup create) was among them
}

@test "I/O errors in one shell session: after a failed write (disk full), fsync or truncation the session goes on" {
	setup_shim
	clean_session
	sweep_session write ENOSPC
	expect_some full
	sweep_session fsync EIO
	expect_some failed
	sweep_session truncate EIO
}
