#!/usr/bin/env bats
# Hardening: a kill -9 in the middle of an import, a full disk, a tampered vault
# file, plaintext left anywhere on the machine, two writers at once.
# Each test prints a "# ..." summary line to the TAP stream.
# Replays and quick runs: KZ_CRASH_SEED=N replays the crash test's delays;
# KZ_CRASH_TRIALS and KZ_TAMPER_STEP (every Nth byte, default 101) make the two
# long tests shorter, e.g. under valgrind (tests/valgrind.sh).

load helpers

# Mounts a tmpfs of SIZE on DIR (root; a fast file system for the long tests,
# a small one to fill); teardown unmounts it even when the test failed.
mount_tmpfs() { # SIZE DIR
	mkdir -p "$2"
	mount -t tmpfs -o "size=$1,mode=0700" kztest "$2"
	echo "$2" >>"$T/.mounts"
}

teardown() {
	local m
	# Background writers of a failed test must not keep a mount busy.
	[ -z "${bg_pids:-}" ] || kill -9 $bg_pids 2>/dev/null || true
	wait 2>/dev/null || true
	[ -f "$T/.mounts" ] || return 0
	tac "$T/.mounts" | while read -r m; do
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
	rm -f "$T/.mounts"
}

# Prints a summary line on the TAP stream (shown even when the test passes).
report() { echo "# [report] $*" >&3; }

# A sanitizer's report in a file of stderr output.
sanitizer_report() { grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$1"; }

# The doctor checks that matter here all say ok (doctor's own exit status also
# counts the test-sized KDF costs, so the JSON is read instead).
doctor_ok() {
	local doc
	doc=$(kzp --json doctor 2>/dev/null || true)
	echo "$doc" | jq -e '[.[] | select(.check == "records" or .check == "SQLite integrity"
		or .check == "audit chain") | .status] == ["ok", "ok", "ok"]' >/dev/null || {
		echo "doctor: $doc"
		return 1
	}
}

# ---------------------------------------------------------------------------
# a. Crash consistency

# The vault after a kill: lists parse, each couple has all of its sessions or
# is absent, every record authenticates, the audit chain verifies.
# $T/expect holds "CODE COUNT" for the couples that must be there.
crash_check() { # trial-code
	local code=$1
	kzp --json session list >"$T/sessions.json" 2>"$T/check.err" || {
		echo "session list failed: $(cat "$T/check.err")"
		return 1
	}
	kzp --json couple list --status all >"$T/couples.json" 2>"$T/check.err" || {
		echo "couple list failed: $(cat "$T/check.err")"
		return 1
	}
	# Sessions per couple, including couples that have none (0) and sessions
	# whose couple is missing (orphans).
	jq -rn --slurpfile s "$T/sessions.json" --slurpfile c "$T/couples.json" '
		($s[0] | group_by(.couple) | map({key: .[0].couple, value: length}) | from_entries) as $n
		| ([$c[0][].code] | map({key: ., value: ($n[.] // 0)}) | from_entries) as $have
		| ($n | keys - [$c[0][].code] | map("orphan " + .)[]),
		  ($have | to_entries[] | "\(.key) \(.value)")' >"$T/counts" || return 1
	if grep -q '^orphan' "$T/counts"; then
		echo "sessions without their couple: $(grep '^orphan' "$T/counts")"
		return 1
	fi
	# The fixed couples, then the trial's: all 1,000 or absent.
	while read -r c n; do
		grep -qx "$c $n" "$T/counts" || {
			echo "couple $c should have $n sessions: $(grep "^$c " "$T/counts" || echo absent)"
			return 1
		}
	done <"$T/expect"
	while read -r c n; do
		grep -q "^$c " "$T/expect" && continue
		if [ "$c" != "$code" ] || [ "$n" != 1000 ]; then
			echo "couple $c has $n sessions (trial $code): an import is one transaction"
			return 1
		fi
	done <"$T/counts"
	doctor_ok || return 1
	kzp audit verify >/dev/null || return 1
	# Each imported couple that is there reads back exactly: every text.
	while read -r c n; do
		[ "$n" = 1000 ] || continue
		kzp export "$c" --format json >"$T/back.json" 2>"$T/check.err" || {
			echo "export $c failed: $(cat "$T/check.err")"
			return 1
		}
		cmp -s <(jq -r '.sessions[].text' "$T/back.json" | sort) "$T/texts" || {
			echo "couple $c: the session texts differ from the import"
			return 1
		}
	done <"$T/counts"
}

@test "crash: kill -9 at random points of imports of 1,000 sessions (100, or KZ_CRASH_TRIALS); each is whole or absent" {
	local seed=${KZ_CRASH_SEED:-$RANDOM} trials=${KZ_CRASH_TRIALS:-100}
	local i code delay size when full_ms t0 pid st wal killed=0 completed=0 partial=0 after=0
	report "crash: seed $seed (replay with KZ_CRASH_SEED=$seed)"
	RANDOM=$seed
	# A kill -9 leaves the page cache as it was: a tmpfs tests the same and is fast.
	mount_tmpfs 256m "$T/crash"
	V="$T/crash/vault.kz"
	# Cheap key derivation: the import, not the unlock, should fill the time.
	kzp init --kdf-memory 1M --kdf-iterations 1 >/dev/null 2>&1
	kzp couple add C001 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp session add C001 --date 2026-03-01 --theme holidays --text "Template note" >/dev/null
	kzp export C001 --format json -o "$T/small.json" >/dev/null
	# 1,000 sessions in the export format, each with its own text.
	jq '.sessions[0] as $s | .sessions = [range(1; 1001) as $i | $s | .id = "s\($i)"
		| .text = "Session \($i): " + ("notes on the holidays and the in-laws " * 8)]' \
		"$T/small.json" >"$T/big.json"
	[ "$(jq '.sessions | length' "$T/big.json")" = 1000 ]
	jq -r '.sessions[].text' "$T/big.json" | sort >"$T/texts"
	# One full import, timed (the fastest of two). Even trials kill after a
	# delay between 0 and 115% of it; odd trials kill while the commit writes
	# the log, once it has grown past a random size (a poller in perl).
	for code in C100 C099; do
		t0=$(date +%s%N)
		kzp import "$T/big.json" --as "$code" >/dev/null
		i=$((($(date +%s%N) - t0) / 1000000))
		[ -n "${full_ms:-}" ] && [ "$full_ms" -le "$i" ] || full_ms=$i
	done
	kzp couple close C099 >/dev/null
	kzp couple delete C099 --yes --before-retention --reason test >/dev/null
	printf 'C001 1\nC100 1000\n' >"$T/expect"
	crash_check C100
	cp "$V" "$T/before.kz" # no process has it open: all is in the main file
	for ((i = 1; i <= trials; i++)); do
		code=C$((1000 + i))
		delay=$((full_ms * (RANDOM % 1150) / 1000))
		size=$((16384 + (RANDOM % 1000) * 1100))
		when="after $delay ms"
		"$KZ" --vault "$V" --passphrase-file "$T/pass" import "$T/big.json" --as "$code" \
			>/dev/null 2>"$T/import.err" &
		pid=$!
		bg_pids=$pid
		if ((i % 2)); then
			perl -MTime::HiRes=time,sleep -e 'my ($pid, $log, $size, $until) = @ARGV;
				for ($until += time; time < $until; sleep 0.0001) {
					if ((-s $log // 0) > $size) { kill 9, $pid; last }
				}' "$pid" "$V-wal" "$size" "$((10 * full_ms / 1000 + 2))"
			when="once the log passed $size B"
		else
			sleep "$((delay / 1000)).$(printf '%03d' $((delay % 1000)))"
			kill -9 "$pid" 2>/dev/null || true
		fi
		st=0
		wait "$pid" || st=$?
		bg_pids=
		# The write-ahead log as the kill left it: past 100 KiB, the import's
		# pages were being written (the unlock's own event takes a few KiB).
		wal=$(stat -c %s "$V-wal" 2>/dev/null || echo 0)
		case $st in
		0) completed=$((completed + 1)) ;;
		137) killed=$((killed + 1)) ;;
		*)
			echo "trial $i ($code, kill $when): import exited $st: $(cat "$T/import.err")"
			return 1
			;;
		esac
		crash_check "$code" || {
			echo "trial $i ($code): kill $when, one import ${full_ms} ms (exit $st, log $wal B), seed $seed"
			return 1
		}
		if grep -q "^$code " "$T/counts"; then
			[ "$st" -eq 0 ] || after=$((after + 1))
			# Back to the vault before the import, so every trial's takes as long.
			rm -f "$V-wal" "$V-shm"
			cp "$T/before.kz" "$V"
		elif [ "$st" -eq 137 ] && [ "$wal" -gt 102400 ]; then
			partial=$((partial + 1))
		fi
	done
	report "crash: $trials trials, $killed killed mid-import, $completed completed, seed $seed" \
		"($partial killed while writing the log, $after after the commit; one import ${full_ms} ms)"
	[ "$killed" -gt 0 ]
}

# ---------------------------------------------------------------------------
# b. Disk full

# One error line in FILE naming the full disk; other lines only warnings.
one_disk_full_line() { # FILE
	local errs
	errs=$(grep -v '^kizuna: warning: ' "$1" || true)
	[ "$(printf '%s\n' "$errs" | wc -l)" -eq 1 ] && printf '%s\n' "$errs" | grep -qi 'disk full' || {
		echo "not one line naming the full disk: $(cat "$1")"
		return 1
	}
}

@test "disk full: writes, views and opens exit 1 with one clear line; nothing is lost or shown" {
	local i rc out id f n what ok=0 failed= cmd
	mount_tmpfs 1m "$T/full"
	V="$T/full/vault.kz"
	new_vault
	kzp couple add C001 partner1.name=Aiko >/dev/null
	mkdir -p "$T/saved"
	for ((i = 1; i <= 400; i++)); do
		# Notes of 2 to 20 KiB; every tenth write a couple instead.
		if ((i % 10 == 0)); then
			set -- couple add "C$((1000 + i))" "partner1.name=P$i"
			what="couple add C$((1000 + i))"
		else
			head -c $(((RANDOM % 19 + 2) * 768)) /dev/urandom | base64 -w 0 >"$T/note"
			set -- session add C001 --text-file "$T/note"
			what="session add C001 (a $(($(stat -c %s "$T/note") / 1024)) KiB note)"
		fi
		rc=0
		out=$(kzp "$@" 2>"$T/err") || rc=$?
		if [ "$rc" -ne 0 ]; then
			failed=$what
			break
		fi
		ok=$((ok + 1))
		case $out in
		"added session "*)
			id=${out#added session }
			id=${id%% *}
			# What it must read back, kept outside the full file system.
			cp "$T/note" "$T/saved/$id"
			;;
		esac
	done
	[ -n "$failed" ] # the 1 MiB file system did fill up
	echo "write $i ($failed) failed with $rc: out=[$out] err=[$(cat "$T/err")]"
	[ "$rc" -eq 1 ]
	[ -z "$out" ] # nothing claims that the write happened
	one_disk_full_line "$T/err"
	# Another program takes the last free byte.
	dd if=/dev/zero of="$T/full/filler" bs=1k 2>/dev/null || true
	[ "$(df --output=avail -k "$T/full" | tail -1 | tr -d ' ')" -eq 0 ]
	# Now a write, a view and a list each fail with exit 1 and one line; a view
	# shows nothing, since no audit event could say who saw it (or, when SQLite
	# cannot make its index file beside the vault, the open itself fails).
	for cmd in "session add C001 --text more" "session show s1" "couple list" \
		"export C001 --format json -o $T/x.json"; do
		rc=0
		# shellcheck disable=SC2086
		out=$(kzp $cmd 2>"$T/err") || rc=$?
		echo "full disk: $cmd: exit $rc, out=[$out] err=[$(cat "$T/err")]"
		[ "$rc" -eq 1 ]
		[ -z "$out" ]
		one_disk_full_line "$T/err"
	done
	[ ! -e "$T/x.json" ]
	# Space comes back (the filler goes, the file system grows): all is there.
	rm "$T/full/filler"
	mount -o remount,size=8m "$T/full"
	kzp --json couple list --status all >"$T/couples.json"
	[ "$(jq length "$T/couples.json")" -eq $((1 + ok / 10)) ]
	kzp audit verify
	doctor_ok
	n=0
	for f in "$T"/saved/*; do
		id=$(basename "$f")
		kzp --json session show "$id" >"$T/now.json" 2>"$T/show.err" || {
			echo "session show $id exited $? after the full disk: $(cat "$T/show.err")"
			return 1
		}
		jq -j .text "$T/now.json" | cmp -s "$f" - && [ "$(jq -r .couple "$T/now.json")" = C001 ] || {
			echo "session $id reads differently after the full disk: $(head -c 300 "$T/now.json")"
			return 1
		}
		n=$((n + 1))
	done
	[ "$(kzp --json session list | jq length)" -eq "$n" ]
	report "disk full: $ok writes, then '$failed' failed (exit $rc); with the disk full to the last byte" \
		"a write, a view, a list and an export exit 1 showing nothing; $n sessions read back"
}

# ---------------------------------------------------------------------------
# c. Tamper matrix

# A vault with couples, sessions (signed, amended), goals with progress,
# themes, settings and audit events, including a folded failed unlock.
tamper_vault() {
	kzp init --kdf-memory 1M --kdf-iterations 1 >/dev/null 2>&1
	printf 'Wrong horse battery 99\n' >"$T/wrong"
	"$KZ" --vault "$V" --passphrase-file "$T/wrong" unlock 2>/dev/null && return 1
	kzp >/dev/null <<-'S'
		config set practice.name "Praxis am See"
		config set therapist.name "Dr. Tanaka"
		themes add in-laws
		couple add C014 partner1.name=Aiko partner1.origin=Japan partner2.name=Jonas "partner1.languages=ja:native, de:B1" formulation.problem="homesickness or sulking"
		couple add C015 partner1.name=Lea partner2.name=Omar residence=Austria
		couple add C016 partner1.name=Mei partner2.name=Tom status=paused
		session add C014 --date 2026-03-01 --theme holidays --text "Christmas at her parents again."
		session add C014 --date 2026-03-08 --theme in-laws --text "Language at home" --process-notes "countertransference"
		session add C015 --date 2026-03-02 --text "Omar's family visit" --homework "a list each"
		session add C016 --date 2026-03-03 --text "Paused after this"
		session sign s1
		session amend s1 --text "Correction: January"
		goal add C014 "Talk about holidays without blame" --target 2026-12-01
		goal add C015 "Weekly date night" --partner 2
		goal progress g1 6 --session s1 --note "better"
		goal done g2
	S
}

# The canonical dump: every command's JSON, one a line; the audit head's MAC
# (new random nonces in each copy) is left out, its sequence number stays.
dump_cmds='couple list --status all
session list
session show s1
session show s2
session show s3
session show s4
goal list --status all
goal show g1
goal show g2
themes list
config list
audit verify'

# Runs the dump on FILE: prints the class of the outcome against $T/base.out
# (unchanged, warned: unchanged with a key slot named as altered, integrity, auth,
# or WRONG/CRASH with details).
tamper_case() { # FILE
	local f=$1 rc=0
	printf '%s\n' "$dump_cmds" |
		timeout 60 "$KZ" --vault "$f" --passphrase-file "$T/pass" --json >"$f.raw" 2>"$f.err" ||
		rc=$?
	sed -E 's/"head":"([0-9]+):[0-9a-f]+"/"head":"\1"/' "$f.raw" >"$f.out"
	if [ "$rc" -ge 124 ] || sanitizer_report "$f.err"; then
		echo "CRASH exit $rc: $(oneline <"$f.err")"
	elif [ "$rc" -eq 0 ]; then
		if ! cmp -s "$f.out" "$T/base.out"; then
			echo "WRONG: exit 0, different output: $(diff "$T/base.out" "$f.out" | oneline)"
		elif grep -q 'slot was altered' "$f.err"; then
			echo warned # the data as before; the damaged key slot named
		else
			echo unchanged
		fi
	elif ! head -c "$(stat -c %s "$f.out")" "$T/base.out" | cmp -s - "$f.out"; then
		# What was printed before the failure must be what the vault holds.
		echo "WRONG: exit $rc after different output: $(diff "$T/base.out" "$f.out" | oneline)"
	elif [ "$rc" -eq 4 ]; then
		echo integrity
	elif [ "$rc" -eq 3 ] && grep -q 'wrong passphrase' "$f.err"; then
		echo auth
	else
		echo "WRONG: exit $rc: $(oneline <"$f.err")"
	fi
}

# The first 300 bytes of stdin on one line.
oneline() { head -c 300 | tr '\n\t' '  '; }

# Flips byte POS (negative: from the end) of column COL of the row WHERE in TABLE.
sql_flip() { # FILE TABLE COL WHERE POS
	local hex n pos=$5
	hex=$(sqlite3 "$1" "SELECT hex($3) FROM $2 WHERE $4")
	n=$((${#hex} / 2))
	[ "$n" -gt 0 ] || return 1
	[ "$pos" -ge 0 ] || pos=$((n + pos))
	[ "$pos" -lt "$n" ] || pos=$((n - 1))
	hex="${hex:0:$((2 * pos))}$(printf '%02X' $((0x${hex:$((2 * pos)):2} ^ 0x5a)))${hex:$((2 * pos + 2))}"
	sqlite3 "$1" "UPDATE $2 SET $3 = X'$hex' WHERE $4"
}

# Swaps column COL of two rows of TABLE (KEY = A and KEY = B).
sql_swap() { # FILE TABLE COL KEY A B
	sqlite3 "$1" "UPDATE $2 SET $3 = CASE $4 WHEN $5 THEN (SELECT $3 FROM $2 WHERE $4 = $6)
		ELSE (SELECT $3 FROM $2 WHERE $4 = $5) END WHERE $4 IN ($5, $6)"
}

@test "tamper matrix: every altered byte, row or length reads as before or fails with exit 4 (3)" {
	local base n=0 same=0 warned=0 integ=0 auth=0 bad=0 off k size name r s c pos cls hpages
	local step=${KZ_TAMPER_STEP:-101}
	mount_tmpfs 768m "$T/tm"
	V="$T/tm/base.kz"
	tamper_vault
	# Older copies for the rollback classes: before a few edits (same key), and
	# before a recovery rotate (a new master key and recovery slot).
	cp "$V" "$T/tm/old1.kz"
	kzp >/dev/null <<-'S'
		session edit s2 --text "Rewritten after the copy"
		goal progress g1 7 --note "later"
		couple set C015 residence=Egypt
	S
	cp "$V" "$T/tm/old2.kz"
	kzp recovery rotate >/dev/null
	sqlite3 "$V" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	[ ! -s "$V-wal" ] # all in the main file
	base=$T/tm/base.kz
	# The canonical dump, twice, to be sure it is stable.
	cp "$base" "$T/tm/ref1.kz"
	cp "$base" "$T/tm/ref2.kz"
	printf '%s\n' "$dump_cmds" |
		"$KZ" --vault "$T/tm/ref1.kz" --passphrase-file "$T/pass" --json >"$T/ref1.raw"
	sed -E 's/"head":"([0-9]+):[0-9a-f]+"/"head":"\1"/' "$T/ref1.raw" >"$T/base.out"
	[ "$(wc -l <"$T/base.out")" -eq 12 ]
	[ "$(tamper_case "$T/tm/ref2.kz")" = unchanged ]
	size=$(stat -c %s "$base")
	# The header table's pages (16 KiB each in a new vault): key slots, KDF parameters.
	hpages=$(sqlite3 "$base" "SELECT group_concat(pageno, ' ') FROM dbstat WHERE name = 'header'" 2>/dev/null ||
		sqlite3 "$base" "SELECT rootpage FROM sqlite_master WHERE name = 'header'")
	local psize
	psize=$(sqlite3 "$base" "PRAGMA page_size")
	[ "$psize" -ge 4096 ]
	mkdir -p "$T/tm/c"
	# 1. One byte across the whole file: all bits (even cases) or one bit (odd).
	perl -e 'my ($src, $dir, $step) = @ARGV;
		open(my $f, "<:raw", $src) or die; local $/; my $d = <$f>;
		for (my ($o, $k) = (0, 0); $o < length($d); $o += $step, $k++) {
			my $c = $d; my $x = $k % 2 ? 1 << ($k / 2 % 8) : 0xff;
			substr($c, $o, 1) = chr(ord(substr($c, $o, 1)) ^ $x);
			open(my $g, ">:raw", "$dir/byte-$o.kz") or die; print $g $c; close $g;
		}' "$base" "$T/tm/c" "$step"
	# 2. Inside each sealed value, located with sqlite3: nonce, middle, tag.
	for name in $(sqlite3 "$base" "SELECT name FROM header"); do
		for pos in 0 -1 $(($(sqlite3 "$base" "SELECT length(value) FROM header WHERE name = '$name'") / 2)); do
			c="$T/tm/c/header-$name-$pos.kz"
			cp "$base" "$c"
			sql_flip "$c" header value "name = '$name'" "$pos"
		done
	done
	for r in $(sqlite3 "$base" "SELECT hex(id) FROM heads"); do
		for s in "heads id 0" "bodies id 0" "heads head 0" "heads head 30" "heads head -1" \
			"bodies body 0" "bodies body 100" "bodies body -1"; do
			set -- $s
			c="$T/tm/c/records-${r:0:8}-$1-$2@$3.kz"
			cp "$base" "$c"
			sql_flip "$c" "$1" "$2" "id = X'$r'" "$3"
		done
	done
	for r in $(sqlite3 "$base" "SELECT seq FROM audit"); do
		for s in "blob 0" "blob 40" "mac 7"; do
			c="$T/tm/c/audit-$r-${s/ /@}.kz"
			cp "$base" "$c"
			sql_flip "$c" audit ${s% *} "seq = $r" ${s#* }
		done
	done
	# 3. Sealed values swapped between rows, and a row moved to another id.
	local rows=($(sqlite3 "$base" "SELECT hex(id) FROM heads ORDER BY id"))
	for k in 0 3 6; do
		c="$T/tm/c/swap-records-head-$k.kz"
		cp "$base" "$c"
		sql_swap "$c" heads head id "X'${rows[$k]}'" "X'${rows[$((k + 1))]}'"
		c="$T/tm/c/swap-records-body-$k.kz"
		cp "$base" "$c"
		sql_swap "$c" bodies body id "X'${rows[$k]}'" "X'${rows[$((k + 1))]}'"
		c="$T/tm/c/swap-records-row-$k.kz"
		cp "$base" "$c"
		sqlite3 "$c" "UPDATE heads SET id = randomblob(16) WHERE id = X'${rows[$k]}'"
		c="$T/tm/c/swap-records-bodyrow-$k.kz"
		cp "$base" "$c"
		sqlite3 "$c" "UPDATE bodies SET id = randomblob(16) WHERE id = X'${rows[$k]}'"
	done
	# 5. The whole vault's commitment: one record rolled back (head, body, both:
	# a head of one version with the body of another), deleted, duplicated
	# under a new id; header rows rolled back with the records kept and the
	# records with the header kept; a slot restored after a recovery rotate.
	local old=$T/tm/old1.kz
	for r in $(sqlite3 "$old" "SELECT hex(id) FROM heads"); do
		for s in head body both; do
			c="$T/tm/c/commit-rollback-${r:0:8}-$s.kz"
			cp "$base" "$c"
			[ "$s" = body ] || sqlite3 "$c" "ATTACH '$old' AS o; UPDATE heads SET head =
				(SELECT head FROM o.heads WHERE o.heads.id = X'$r') WHERE id = X'$r'"
			[ "$s" = head ] || sqlite3 "$c" "ATTACH '$old' AS o; UPDATE bodies SET body =
				(SELECT body FROM o.bodies WHERE o.bodies.id = X'$r') WHERE id = X'$r'"
		done
	done
	for r in "${rows[@]}"; do
		c="$T/tm/c/commit-delete-${r:0:8}.kz"
		cp "$base" "$c"
		sqlite3 "$c" "DELETE FROM heads WHERE id = X'$r'; DELETE FROM bodies WHERE id = X'$r'"
		# A body alone deleted: found when it is read (and by doctor), else unseen.
		c="$T/tm/c/stray-delete-body-${r:0:8}.kz"
		cp "$base" "$c"
		sqlite3 "$c" "DELETE FROM bodies WHERE id = X'$r'"
		c="$T/tm/c/commit-duplicate-${r:0:8}.kz"
		cp "$base" "$c"
		sqlite3 "$c" "CREATE TEMP TABLE n AS SELECT randomblob(16) AS id;
			INSERT INTO heads SELECT n.id, head FROM heads, n WHERE heads.id = X'$r';
			INSERT INTO bodies SELECT n.id, body FROM bodies, n WHERE bodies.id = X'$r'"
	done
	for o in old1 old2; do
		c="$T/tm/c/commit-header-from-$o.kz"
		cp "$base" "$c"
		sqlite3 "$c" "ATTACH '$T/tm/$o.kz' AS o; DELETE FROM header; INSERT INTO header SELECT * FROM o.header"
		c="$T/tm/c/commit-records-from-$o.kz"
		cp "$base" "$c"
		sqlite3 "$c" "ATTACH '$T/tm/$o.kz' AS o; DELETE FROM heads; INSERT INTO heads SELECT * FROM o.heads;
			DELETE FROM bodies; INSERT INTO bodies SELECT * FROM o.bodies"
		c="$T/tm/c/commit-audit-from-$o.kz"
		cp "$base" "$c"
		sqlite3 "$c" "ATTACH '$T/tm/$o.kz' AS o; DELETE FROM audit; INSERT INTO audit SELECT * FROM o.audit"
	done
	for s in "slot.recovery" "slot.recovery.mac" "slot.passphrase" "slot.passphrase.mac" "epoch"; do
		c="$T/tm/c/commit-slot-restored-$s.kz"
		cp "$base" "$c"
		sqlite3 "$c" "ATTACH '$T/tm/old2.kz' AS o; UPDATE header SET value = (SELECT value FROM o.header
			WHERE o.header.name = '$s') WHERE name = '$s'"
	done
	c="$T/tm/c/commit-slot-restored-both.kz"
	cp "$base" "$c"
	sqlite3 "$c" "ATTACH '$T/tm/old2.kz' AS o; UPDATE header SET value = (SELECT value FROM o.header
		WHERE o.header.name = header.name) WHERE name IN ('slot.recovery', 'slot.recovery.mac')"
	# 6. SQL planted in the schema: a trigger, a view and an index on each table.
	for s in header heads bodies audit audit_pending; do
		c="$T/tm/c/schema-trigger-$s.kz"
		cp "$base" "$c"
		sqlite3 "$c" "CREATE TRIGGER t_$s AFTER INSERT ON $s BEGIN DELETE FROM audit WHERE seq = 1; END"
		c="$T/tm/c/schema-trigger-update-$s.kz"
		cp "$base" "$c"
		sqlite3 "$c" "CREATE TRIGGER u_$s BEFORE UPDATE ON $s BEGIN SELECT raise(IGNORE); END"
		c="$T/tm/c/schema-view-$s.kz"
		cp "$base" "$c"
		sqlite3 "$c" "CREATE VIEW v_$s AS SELECT * FROM $s"
		c="$T/tm/c/schema-index-$s.kz"
		cp "$base" "$c"
		case $s in header) k=name ;; heads | bodies) k=id ;; *) k=blob ;; esac
		sqlite3 "$c" "CREATE INDEX i_$s ON $s (length($k))"
	done
	for k in 2 9 15; do
		for s in blob mac; do
			c="$T/tm/c/swap-audit-$s-$k.kz"
			cp "$base" "$c"
			sql_swap "$c" audit "$s" seq "$k" "$((k + 1))"
		done
	done
	c="$T/tm/c/swap-header-slots.kz"
	cp "$base" "$c"
	sql_swap "$c" header value name "'slot.passphrase'" "'slot.recovery'"
	# 4. The file cut short.
	for s in 0 1 100 $psize $((2 * psize)) $((size / 2)) $((size - psize)) $((size - 100)) $((size - 1)); do
		c="$T/tm/c/truncate-$s.kz"
		cp "$base" "$c"
		truncate -s "$s" "$c"
	done
	# 7. Costs chosen by the file: KDF settings beyond what init could choose.
	local le
	le() { printf '%08x' "$1" | sed -E 's/(..)(..)(..)(..)/\4\3\2\1/'; }
	for s in "1000 8192 4" "1 8388608 4" "3 65536 65" "3 65536 0"; do
		c="$T/tm/c/commit-kdf-${s// /-}.kz"
		cp "$base" "$c"
		k=$(sqlite3 "$c" "SELECT hex(value) FROM header WHERE name = 'kdf'")
		set -- $s
		sqlite3 "$c" "UPDATE header SET value = X'${k:0:4}$(le "$1")$(le "$2")$(le "$3")${k:28}' WHERE name = 'kdf'"
	done
	# The cases, shared out among one worker per core; then the tally.
	local cases=("$T"/tm/c/*.kz) workers w
	workers=$(nproc 2>/dev/null || echo 2)
	((workers >= 1 && workers <= 4)) || workers=2
	for ((w = 0; w < workers; w++)); do
		for ((k = w; k < ${#cases[@]}; k += workers)); do
			c=${cases[k]}
			printf '%s\t%s\n' "$(basename "$c" .kz)" "$(tamper_case "$c")"
			rm -f "$c" "$c".*
		done >"$T/classes.$w" &
	done
	wait
	local -A tally=()
	while IFS=$'\t' read -r name cls; do
		n=$((n + 1))
		case $name in
		byte-*) k=byte ;;
		swap-*) k=swap ;;
		truncate-*) k=truncate ;;
		commit-rollback-*) k=rollback ;;
		commit-delete-* | commit-duplicate-*) k=delete/duplicate ;;
		commit-header-* | commit-records-* | commit-audit-*) k=table-rollback ;;
		stray-*) k=body-deleted ;;
		commit-slot-*) k=slot-restored ;;
		commit-kdf-*) k=kdf-costs ;;
		schema-*) k=schema ;;
		*) k=sealed ;;
		esac
		# The commitment and schema classes must all be caught (exit 4).
		if [[ "$name" == commit-* || "$name" == schema-* ]] && [ "$cls" != integrity ]; then
			echo "$name: $cls (must be exit 4)"
			cls=wrong
			bad=$((bad + 1))
		fi
		case $cls in
		unchanged) same=$((same + 1)) ;;
		warned) warned=$((warned + 1)) ;;
		integrity) integ=$((integ + 1)) ;;
		auth)
			# Only the key slots' part of the file may fail as a wrong passphrase.
			off=${name#byte-}
			if [[ "$name" == header-* || "$name" == swap-header-* ]] ||
				{ [[ "$name" == byte-* ]] && [[ " $hpages " == *" $((off / psize + 1)) "* ]]; }; then
				auth=$((auth + 1))
			else
				bad=$((bad + 1))
				cls=wrong
				echo "$name: exit 3 (wrong passphrase) outside the key slots"
			fi
			;;
		wrong) ;;
		*)
			bad=$((bad + 1))
			echo "$name: $cls"
			cls=wrong
			;;
		esac
		tally[$k $cls]=$((${tally[$k $cls]:-0} + 1))
	done < <(cat "$T"/classes.*)
	[ "$n" -eq "${#cases[@]}" ]
	report "tamper: $n cases: $same unchanged, $warned unchanged with a warning that a key slot" \
		"was altered, $integ integrity failures (exit 4), $auth auth failures (exit 3)," \
		"$bad wrong or crashed"
	for k in byte sealed swap truncate rollback delete/duplicate body-deleted table-rollback \
		slot-restored kdf-costs schema; do
		report "tamper:   $k: ${tally[$k unchanged]:-0} unchanged, ${tally[$k warned]:-0} warned," \
			"${tally[$k integrity]:-0} exit 4, ${tally[$k auth]:-0} exit 3, ${tally[$k wrong]:-0} wrong"
	done
	[ "$bad" -eq 0 ]
	[ "$integ" -gt 0 ]
	# 8. Events forged to the inbox key by someone who can write the file: the
	# notes read as before, and the forged events join the chain marked
	# unverified, at the fold time, with only known fields.
	c="$T/tm/forged.kz"
	cp "$base" "$c"
	local forge="$(dirname "$KZ")/tests/kzforge"
	"$forge" "$c" '{"t":"2001-01-01T00:00:00Z","event":"backup","cmd":"backup create","file":"x.age"}'
	"$forge" "$c" '{"t":"2099-01-01T00:00:00Z","event":"delete","cmd":"couple delete","couple":"C014"}'
	"$forge" "$c" '{"t":"2026-01-01T00:00:00Z","event":"unlock_failed","cmd":"unlock","couple":"C014","ref":"s1"}'
	printf '%s\n' "$dump_cmds" | grep -v '^audit verify' |
		"$KZ" --vault "$c" --passphrase-file "$T/pass" --json >"$c.out"
	diff <(head -n 11 "$T/base.out") "$c.out"
	"$KZ" --vault "$c" --passphrase-file "$T/pass" --json audit log >"$c.log"
	cp "$base" "$T/tm/plain.kz"
	"$KZ" --vault "$T/tm/plain.kz" --passphrase-file "$T/pass" --json audit log >"$T/tm/plain.log"
	[ "$(jq '[.[] | select(.unverified)] | length' "$c.log")" -eq \
		$(($(jq '[.[] | select(.unverified)] | length' "$T/tm/plain.log") + 3)) ]
	[ "$(jq '[.[] | select(.unverified and (.couple != null or .ref != null))] | length' "$c.log")" -eq 0 ]
	"$KZ" --vault "$c" --passphrase-file "$T/pass" audit verify >/dev/null
	report "tamper:   forged inbox events: 3 folded as unverified (fold time, known fields only), notes as before"
}

# The tamper classes of the whole vault, carried in a backup (age files are not
# sender-authenticated): backup verify and restore refuse each (exit 4), and
# restore creates nothing.
@test "tampered backups: rollback, deletion, planted SQL and a restored slot fail verify and restore" {
	local c n=0 R
	new_vault
	R=$("$KZ" --json keygen -o "$T/id" | jq -r .recipient)
	kzp >/dev/null <<-'S'
		couple add C014 partner1.name=Aiko partner2.name=Jonas
		session add C014 --date 2026-01-10 --text "First joint session"
		session add C014 --date 2026-01-17 --text "Second session"
		goal add C014 "Plan the holidays together"
	S
	cp "$V" "$T/old.kz"
	kzp session sign s1 >/dev/null
	kzp session amend s1 --text "Correction" >/dev/null
	cp "$V" "$T/old2.kz"
	kzp recovery rotate >/dev/null
	sqlite3 "$V" "PRAGMA wal_checkpoint(TRUNCATE)" >/dev/null
	mkdir -p "$T/bk" "$T/r"
	# The untouched vault as a control.
	cp "$V" "$T/bk/control.kz"
	cp "$V" "$T/bk/rollback.kz"
	sqlite3 "$T/bk/rollback.kz" "ATTACH '$T/old.kz' AS o;
		UPDATE heads SET head = (SELECT head FROM o.heads WHERE o.heads.id = heads.id)
		WHERE id IN (SELECT id FROM o.heads);
		UPDATE bodies SET body = (SELECT body FROM o.bodies WHERE o.bodies.id = bodies.id)
		WHERE id IN (SELECT id FROM o.bodies)"
	cp "$V" "$T/bk/delete.kz"
	sqlite3 "$T/bk/delete.kz" "DELETE FROM bodies WHERE id = (SELECT max(id) FROM heads);
		DELETE FROM heads WHERE id = (SELECT max(id) FROM heads)"
	cp "$V" "$T/bk/stray.kz"
	sqlite3 "$T/bk/stray.kz" "INSERT INTO bodies SELECT randomblob(16), body FROM bodies LIMIT 1"
	cp "$V" "$T/bk/trigger.kz"
	sqlite3 "$T/bk/trigger.kz" "CREATE TRIGGER a AFTER INSERT ON audit BEGIN DELETE FROM audit WHERE seq = new.seq; END"
	cp "$V" "$T/bk/slot.kz"
	sqlite3 "$T/bk/slot.kz" "ATTACH '$T/old2.kz' AS o; UPDATE header SET value = (SELECT value FROM o.header
		WHERE o.header.name = header.name) WHERE name IN ('slot.recovery', 'slot.recovery.mac')"
	cp "$V" "$T/bk/audit-cut.kz"
	sqlite3 "$T/bk/audit-cut.kz" "DELETE FROM audit WHERE seq = (SELECT max(seq) FROM audit)"
	for c in "$T"/bk/*.kz; do
		age -r "$R" -o "${c%.kz}.age" "$c"
		run "$KZ" --passphrase-file "$T/pass" backup verify "${c%.kz}.age" -i "$T/id"
		if [[ "$c" == */control.kz ]]; then
			[ "$status" -eq 0 ]
		else
			echo "$(basename "$c"): verify exit $status: $output"
			[ "$status" -eq 4 ]
			n=$((n + 1))
		fi
		run "$KZ" --passphrase-file "$T/pass" backup restore "${c%.kz}.age" \
			--to-vault "$T/r/$(basename "$c")" -i "$T/id"
		if [[ "$c" == */control.kz ]]; then
			[ "$status" -eq 0 ]
		else
			[ "$status" -eq 4 ]
			[ ! -e "$T/r/$(basename "$c")" ]
		fi
	done
	# Planted SQL is refused even without the passphrase.
	run "$KZ" backup verify "$T/bk/trigger.age" -i "$T/id" </dev/null
	[ "$status" -eq 4 ]
	[[ "$output" == *"trigger a"* ]]
	report "tampered backups: $n kinds refused by backup verify and backup restore (exit 4)"
}

# ---------------------------------------------------------------------------
# d. Leak scan

@test "leak scan: 100 canaries in every field kind, an editor, an age export and a backup leave no plaintext" {
	local c=() i k e hits found R
	for ((i = 0; i < 100; i++)); do c+=("$(canary)"); done
	new_vault
	k=0
	# Themes (names are lower-case letters and digits: a canary is one).
	for i in 1 2 3; do kzp themes add "${c[k++]}" >/dev/null; done
	kzp config set practice.name "Praxis ${c[k++]}" >/dev/null
	kzp config set therapist.name "Dr ${c[k++]}" >/dev/null
	# Three couples, every profile field.
	for i in 1 2 3; do
		kzp couple add "C20$i" "partner1.name=N${c[k++]}" "partner1.pronouns=P${c[k++]}" \
			"partner1.origin=O${c[k++]}" "partner1.cultures=K${c[k++]}, Swiss" \
			"partner1.languages=L${c[k++]}:native, de:B1" "partner2.name=N${c[k++]}" \
			"partner2.pronouns=P${c[k++]}" "partner2.origin=O${c[k++]}" \
			"partner2.cultures=K${c[k++]}" "partner2.languages=L${c[k++]}:C1" \
			"residence=R${c[k++]}" "home_languages=H${c[k++]}" \
			"children_languages=CL${c[k++]}" "children=Y${c[k++]}:2019:de" \
			"support=S${c[k++]}" "referral=F${c[k++]}" "notes=NO${c[k++]}" \
			"formulation.problem=FP${c[k++]}" "formulation.causes=FC${c[k++]}" \
			"formulation.stressors=FS${c[k++]}" "formulation.identity=FI${c[k++]}" \
			"formulation.coping=FK${c[k++]}" >/dev/null
		kzp couple set "C20$i" "formulation.relationship=FR${c[k++]}" >/dev/null
	done
	# Sessions: note, process notes, homework, interventions, language, addendum.
	for i in 1 2 3; do
		kzp session add "C20$i" --date 2026-0$i-10 --theme "${c[i - 1]}" --text "T${c[k++]}" \
			--process-notes "PN${c[k++]}" --homework "HW${c[k++]}" \
			--interventions "IV${c[k++]}" --language "LA${c[k++]}" >/dev/null
	done
	kzp session sign s1 >/dev/null
	kzp session amend s1 --text "AM${c[k++]}" >/dev/null
	kzp session edit s2 --text "ED${c[k++]}" >/dev/null
	# Goals: titles, a description, progress notes.
	kzp goal add C201 "G${c[k++]}" --description "GD${c[k++]}" >/dev/null
	for i in 2 3; do kzp goal add "C20$i" "G${c[k++]}" >/dev/null; done
	for i in 1 2 3; do kzp goal progress "g$i" $((i + 3)) --note "GP${c[k++]}" >/dev/null; done
	kzp goal progress g1 7 --session s1 --note "GQ${c[k++]}" >/dev/null
	# One note written in $EDITOR (a script) on a terminal (script(1)); the
	# text comes from the environment, so no file holds it.
	cat >"$T/ed.sh" <<-'S'
		#!/bin/sh
		printf '%s\n' "$KZ_EDIT_TEXT" >>"$1"
	S
	chmod +x "$T/ed.sh"
	e=EE${c[k++]}
	KZ_EDIT_TEXT=$e run script -qec \
		"EDITOR=$T/ed.sh $KZ --vault $V --passphrase-file $T/pass session edit s3" /dev/null
	[ "$status" -eq 0 ]
	# The editor's text did reach the note.
	kzp --json session show s3 | jq -e --arg e "$e" '.text | contains($e)' >/dev/null
	[ "$k" -eq 100 ] # 3 themes, 2 settings, 3 x 23 profile fields, 3 x 5 session
	# fields, an addendum, an edit, 4 goal texts, 4 progress notes, the editor
	# An age export, a backup, and (the one allowed plaintext) a plain export.
	mkdir -p "$T/out" "$T/plain"
	R=$("$KZ" --json keygen -o "$T/out/id.txt" | jq -r .recipient)
	kzp export C201 --include-process-notes --to "$R" -o "$T/out/x.age" >/dev/null
	kzp recipients add "$R" >/dev/null
	kz backup create "$T/out/b.age" >/dev/null
	kzp export C201 --include-process-notes -o "$T/plain/plain.md" >/dev/null
	# The scan: each canary in the vault folder, /tmp, /dev/shm and $HOME.
	hits=$(grep -rlaF --devices=skip -f <(printf '%s\n' "${c[@]}") \
		"$T" /tmp /dev/shm "$HOME" 2>/dev/null | sort -u || true)
	# The control: the scan does find what the plain export holds.
	[ "$hits" = "$T/plain/plain.md" ] || {
		echo "canaries found in: ${hits:-nothing (not even the plain export)}"
		return 1
	}
	found=$(grep -aoF -f <(printf '%s\n' "${c[@]}") "$T/plain/plain.md" | sort -u | wc -l)
	[ "$found" -ge 10 ]
	report "leak scan: 100 canaries, 0 found outside the plain export ($found of them in it, the control)"
}

# ---------------------------------------------------------------------------
# e. Two writers at once

# Adds 50 sessions to CODE, one process each; logs "EXIT ID TEXT" lines.
writer_oneshot() { # CODE LOG
	local i rc out
	for ((i = 1; i <= 50; i++)); do
		rc=0
		out=$(kzp --json session add "$1" --text "$1 note $i" 2>>"$2.err") || rc=$?
		echo "$rc $(echo "$out" | jq -r '.added // "-"' 2>/dev/null) $1 note $i" >>"$2"
	done
}

# Adds 50 sessions to CODE from one long-running kizuna reading a pipe.
writer_piped() { # CODE LOG
	local i
	for ((i = 1; i <= 50; i++)); do
		echo "session add $1 --text '$1 note $i'"
		sleep 0.01
	done | kzp --keep-going >"$2.out" 2>"$2.err"
	echo "$?" >"$2.rc"
}

# The state after two writers: what was reported added reads back with its
# text, what was busy is absent, nothing exited 4. Sets $added.
check_writers() { # CODE-A LOG-A CODE-B LOG-B (a one-shot log file, or a piped prefix)
	local code log rc id text n_ok
	added=0
	kzp --json session list >"$T/all.json"
	[ "$(jq -r '.[].id' "$T/all.json" | sort | uniq -d | wc -l)" -eq 0 ]
	for code in "$1" "$3"; do
		log=$2
		[ "$code" = "$1" ] || log=$4
		if [ -f "$log" ]; then
			# One-shot: every command 0 or 5; each id added reads back its text.
			if awk '$1 != 0 && $1 != 5' "$log" | grep .; then return 1; fi
			[ "$(wc -l <"$log")" -eq 50 ]
			n_ok=0
			: >"$T/show.cmds"
			: >"$T/show.want"
			while read -r rc id text; do
				if [ "$rc" -eq 0 ]; then
					n_ok=$((n_ok + 1))
					echo "session show $id" >>"$T/show.cmds"
					echo "$text" >>"$T/show.want"
				fi
			done <"$log"
			kzp --json -f "$T/show.cmds" | jq -r .text >"$T/show.got"
			diff "$T/show.want" "$T/show.got"
		else
			# Piped: each command printed one line, added or busy (warnings aside).
			if grep -v '^added session ' "$log.out"; then return 1; fi
			grep -v '^kizuna: warning: ' "$log.err" >"$log.errors" || true
			if grep -v '^kizuna: vault is busy' "$log.errors"; then return 1; fi
			[ $(($(wc -l <"$log.out") + $(wc -l <"$log.errors"))) -eq 50 ]
			n_ok=$(wc -l <"$log.out")
			[ "$(cat "$log.rc")" -eq 0 ] || [ "$(cat "$log.rc")" -eq 5 ]
		fi
		# The couple has exactly the sessions reported.
		[ "$(jq --arg c "$code" '[.[] | select(.couple == $c)] | length' "$T/all.json")" -eq "$n_ok" ]
		added=$((added + n_ok))
	done
	kzp audit verify >/dev/null
	doctor_ok
}

@test "two writers at once: each command succeeds or exits 5; all that was added reads back" {
	local a1 a2 busy added
	new_vault
	for c in CA CB CC CD; do kzp couple add "$c" >/dev/null; done
	# Round 1: a short busy timeout, two one-shot writers, a reader, and a third
	# writer (sqlite3) that holds the write lock for 800 ms at a time meanwhile,
	# longer than the timeout: some commands must give up with exit 5.
	(
		export KIZUNA_BUSY_TIMEOUT_MS=200
		touch "$T/writing"
		(
			writer_oneshot CA "$T/a.log" &
			writer_oneshot CB "$T/b.log" &
			wait
			rm "$T/writing"
		) &
		while [ -e "$T/writing" ]; do
			printf '.timeout 5000\nBEGIN IMMEDIATE;\n.shell sleep 0.8\nCOMMIT;\n' | sqlite3 "$V" >/dev/null
			sleep 0.1
		done &
		for _ in $(seq 20); do
			rc=0
			kzp --json session list >/dev/null 2>&1 || rc=$?
			[ "$rc" -eq 0 ] || [ "$rc" -eq 5 ] || echo "reader exit $rc" >>"$T/r.log"
		done
		wait
	)
	[ ! -s "$T/r.log" ]
	check_writers CA "$T/a.log" CB "$T/b.log"
	a1=$added
	busy=$(cat "$T"/[ab].log | awk '$1 == 5' | wc -l)
	[ "$busy" -gt 0 ] # the busy path was taken
	# Round 2: the default busy timeout; one one-shot writer, one long-running.
	(
		unset KIZUNA_BUSY_TIMEOUT_MS
		writer_oneshot CC "$T/c.log" &
		writer_piped CD "$T/d" &
		wait
	)
	check_writers CC "$T/c.log" CD "$T/d"
	a2=$added
	busy=$(($(cat "$T"/[abc].log | awk '$1 == 5' | wc -l) + $(grep -c busy "$T/d.err" || true)))
	[ "$(kzp --json session list | jq length)" -eq $((a1 + a2)) ]
	report "two writers: $((a1 + a2)) of 200 adds succeeded, $busy busy (exit 5), none exit 4"
}
