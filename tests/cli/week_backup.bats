#!/usr/bin/env bats
# Issue #13, the backup part (points 14, 17, 18, 21): exports land where the
# therapist means (absolute path; a plain export into a git or sync folder
# needs --yes), backup create never replaces a file unasked (--force), a
# backup only an age key opens says so instead of asking for a passphrase, a
# backup that holds no vault is named, import finds armor after blank lines,
# and backups stream to and from standard output for rclone and restic.

load helpers

set -o pipefail

# An age identity ($T/id) and its recipient $R, a vault with one couple and a
# note whose text is the canary $c, backing up to $R.
setup_vault() {
	age-keygen -o "$T/id" 2>/dev/null
	R=$(age-keygen -y "$T/id")
	new_vault
	c=$(canary)
	kzp couple add C014 partner1.name=Aiko partner2.name=Jonas >/dev/null
	kzp session add C014 --date 2026-01-10 --text "Joint $c" >/dev/null
	kzp recipients add "$R" >/dev/null
}

# The note of session s1 in the vault at $1 (opened with the passphrase).
note_in() { "$KZ" --vault "$1" --passphrase-file "$T/pass" --json session show s1 | jq -r .text; }

# ---- point 17: backup create onto an existing file ----

@test "backup create onto an existing file: exit 2 without --force, the file untouched; --force replaces it" {
	setup_vault
	mkdir "$T/bk"
	printf 'last night\n' >"$T/bk/vault.age"
	cd "$T/bk"
	run kz backup create vault.age </dev/null
	[ "$status" -eq 2 ]
	[ "$output" = "kizuna: $T/bk/vault.age already exists; give --force to replace it" ]
	[ "$(cat "$T/bk/vault.age")" = "last night" ]
	[ "$(ls -A "$T/bk")" = vault.age ]
	# The nightly job says --force: replaced whole, and the reply says so.
	run kz --json backup create --force vault.age </dev/null
	[ "$status" -eq 0 ]
	[ "$(jq -r .backup <<<"$output")" = "$T/bk/vault.age" ]
	[ "$(jq -r .replaced <<<"$output")" = true ]
	[ "$(head -c 21 "$T/bk/vault.age")" = "age-encryption.org/v1" ]
	[ "$(ls -A "$T/bk")" = vault.age ]
	age -d -i "$T/id" "$T/bk/vault.age" >"$T/out.kz"
	[ "$(note_in "$T/out.kz")" = "Joint $c" ]
	# A new name needs nothing; the reply names the absolute path.
	run kz backup create new.age </dev/null
	[ "$status" -eq 0 ]
	[ "$output" = "backup written to $T/bk/new.age ($(stat -c %s "$T/bk/new.age") bytes, 1 recipient)" ]
	# A folder is never a backup's name, even with --force.
	mkdir "$T/bk/dir.age"
	run kz backup create --force dir.age </dev/null
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/bk/dir.age is a folder"* ]]
	[ -z "$(ls -A "$T/bk/dir.age")" ]
}

@test "backup create --force onto a symbolic link replaces the link, never the file it points to" {
	setup_vault
	printf 'precious\n' >"$T/target"
	ln -s "$T/target" "$T/b.age"
	run kz backup create "$T/b.age" </dev/null
	[ "$status" -eq 2 ]
	[ -L "$T/b.age" ]
	run kz backup create --force "$T/b.age" </dev/null
	[ "$status" -eq 0 ]
	[ "$(cat "$T/target")" = precious ]
	[ ! -L "$T/b.age" ]
	[ "$(head -c 21 "$T/b.age")" = "age-encryption.org/v1" ]
}

# ---- point 17: a backup only an age key opens, without -i ----

@test "backup verify, restore and import of a file only age keys open, without -i: exit 3 naming what it needs; nothing asked, nothing made" {
	setup_vault
	R2=$(age-keygen 2>/dev/null | age-keygen -y)
	kz backup create "$T/b.age" </dev/null >/dev/null
	kz backup create "$T/two.age" --to "$R" --to "$R2" </dev/null >/dev/null
	run "$KZ" backup verify "$T/b.age" </dev/null
	[ "$status" -eq 3 ]
	[ "$output" = "kizuna: $T/b.age is encrypted to 1 age key (X25519), not to a passphrase: give its identity file with -i FILE" ]
	run "$KZ" backup verify "$T/two.age" </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"encrypted to 2 age keys (X25519)"* ]]
	mkdir "$T/r"
	run "$KZ" backup restore "$T/b.age" --to-vault "$T/r/new.kz" </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"give its identity file with -i FILE"* ]]
	[ -z "$(ls -A "$T/r")" ]
	# Within a vault, the message names the vault's backup recipient.
	kzp export C014 --format json --to "$R" -o "$T/c.age" >/dev/null
	run kzp import "$T/c.age" --as C015
	[ "$status" -eq 3 ]
	[ "$output" = "kizuna: $T/c.age is encrypted to 1 age key (X25519), not to a passphrase: give its identity file with -i FILE (this vault's backups go to $R)" ]
	run kzp couple show C015
	[ "$status" -eq 6 ]
	# A passphrase backup without a passphrase still says what it wants.
	kz backup create "$T/p.age" --backup-passphrase-file "$T/newpass" </dev/null >/dev/null
	run "$KZ" backup verify "$T/p.age" </dev/null
	[ "$status" -eq 3 ]
	[[ "$output" == *"--backup-passphrase-file"* ]]
	# With the identity, all is well.
	run "$KZ" backup verify "$T/b.age" -i "$T/id" </dev/null
	[ "$status" -eq 0 ]
}

@test "an unlocked shell authenticates a backup of its own vault with its key; another vault's, or a tampered one, is not passed" {
	setup_vault
	kz backup create "$T/b.age" </dev/null >/dev/null
	# The shell's key: every record authenticated, no passphrase read.
	run bash -c 'printf "unlock\nbackup verify %s -i %s\n" "$1" "$2" | "$3" --vault "$4" --passphrase-file "$5"' \
		_ "$T/b.age" "$T/id" "$KZ" "$V" "$T/pass"
	[ "$status" -eq 0 ]
	[[ "$output" == *"backup $T/b.age is intact: 2 records, every one authenticated"* ]]
	# Another vault's backup: intact as a file, not authenticated, exit 0.
	V2="$T/vault/other.kz"
	(V="$V2"; new_vault; kzp couple add C099 >/dev/null)
	"$KZ" --vault "$V2" backup create "$T/other.age" --to "$R" </dev/null >/dev/null
	run bash -c 'printf "unlock\nbackup verify %s -i %s\n" "$1" "$2" | "$3" --vault "$4" --passphrase-file "$5"' \
		_ "$T/other.age" "$T/id" "$KZ" "$V" "$T/pass"
	[ "$status" -eq 0 ]
	[[ "$output" == *"intact as a file"*"not authenticated"*"another vault"* ]]
	# Attack: a record of this vault's backup altered, the file re-encrypted to
	# the same key: the shell's key finds it.
	age -d -i "$T/id" "$T/b.age" >"$T/t.kz"
	sqlite3 "$T/t.kz" "UPDATE bodies SET body = substr(body, 1, 30) || X'00' || substr(body, 32)"
	age -r "$R" -o "$T/t.age" "$T/t.kz"
	run bash -c 'printf "unlock\nbackup verify %s -i %s\n" "$1" "$2" | "$3" --vault "$4" --passphrase-file "$5"' \
		_ "$T/t.age" "$T/id" "$KZ" "$V" "$T/pass"
	echo "$output"
	[ "$status" -eq 4 ]
	[[ "$output" != *"intact"* ]]
}

# ---- point 18: a backup that holds no vault is named ----

@test "a backup that decrypts to something else names the backup, not a scratch file" {
	setup_vault
	head -c 5000 /dev/urandom | age -r "$R" >"$T/random.age"
	printf 'just some words\n' | age -r "$R" >"$T/words.age"
	for f in random words; do
		run "$KZ" backup verify "$T/$f.age" -i "$T/id" </dev/null
		[ "$status" -eq 4 ]
		[ "$output" = "kizuna: $T/$f.age does not hold a kizuna vault" ]
		run "$KZ" backup restore "$T/$f.age" -i "$T/id" --to-vault "$T/new.kz" </dev/null
		[ "$status" -eq 4 ]
		[ "$output" = "kizuna: $T/$f.age does not hold a kizuna vault" ]
		[ ! -e "$T/new.kz" ]
	done
	run "$KZ" backup verify - -i "$T/id" <"$T/words.age"
	[ "$status" -eq 4 ]
	[ "$output" = "kizuna: the backup on standard input does not hold a kizuna vault" ]
	# The scratch copy is gone: no name of it in any message, no file left.
	[ -z "$(ls -A "$T" | grep -F .tmp-)" ]
}

# ---- point 18: import finds armor after blank lines ----

@test "import reads armor after blank lines, LF or CRLF; beyond 1 KiB of them it is refused and nothing imported" {
	setup_vault
	kzp export C014 --format json --to "$R" --armor -o "$T/c.asc" >/dev/null
	{ printf '\n\n\n'; cat "$T/c.asc"; } >"$T/lf.asc"
	{ printf '\r\n \r\n\t\r\n'; sed 's/$/\r/' "$T/c.asc"; } >"$T/crlf.asc"
	run kzp import "$T/lf.asc" -i "$T/id" --as C015
	[ "$status" -eq 0 ]
	[[ "$output" == *"imported couple C015 with 1 session"* ]]
	run kzp import "$T/crlf.asc" -i "$T/id" --as C016
	[ "$status" -eq 0 ]
	[ "$(kzp --json session list C016 | jq length)" -eq 1 ]
	# backup verify reads the same shapes.
	kz backup create "$T/b.asc" --armor </dev/null >/dev/null
	{ printf '\r\n\r\n'; sed 's/$/\r/' "$T/b.asc"; } >"$T/b2.asc"
	run "$KZ" backup verify "$T/b2.asc" -i "$T/id" </dev/null
	[ "$status" -eq 0 ]
	# Past age's own limit of whitespace: refused, no couple added.
	{ head -c 2000 /dev/zero | tr '\0' '\n'; cat "$T/c.asc"; } >"$T/far.asc"
	run kzp import "$T/far.asc" -i "$T/id" --as C017
	[ "$status" -eq 2 ]
	run kzp couple show C017
	[ "$status" -eq 6 ]
}

# ---- point 21: backup create - ----

@test "backup create - writes the age stream alone to stdout, the message to stderr; verify - and restore - read it back" {
	setup_vault
	kz backup create - </dev/null >"$T/s.age" 2>"$T/s.err"
	[ "$(head -c 21 "$T/s.age")" = "age-encryption.org/v1" ]
	[ "$(cat "$T/s.err")" = "backup written to standard output ($(stat -c %s "$T/s.age") bytes, 1 recipient)" ]
	age -d -i "$T/id" "$T/s.age" >"$T/s.kz"
	[ "$(note_in "$T/s.kz")" = "Joint $c" ]
	# --json: the document on stderr too; stdout is the backup only.
	kz --json backup create - --armor </dev/null >"$T/a.asc" 2>"$T/a.err"
	[ "$(head -n 1 "$T/a.asc")" = "-----BEGIN AGE ENCRYPTED FILE-----" ]
	[ "$(tail -n 1 "$T/a.asc")" = "-----END AGE ENCRYPTED FILE-----" ]
	[ "$(jq -r .backup "$T/a.err")" = "-" ]
	[ "$(jq -r .bytes "$T/a.err")" -eq "$(stat -c %s "$T/a.asc")" ]
	# Its audit event names standard output.
	[ "$(kzp --json audit log | jq -r '[.[] | select(.event == "backup")] | last | .ref')" = stdout ]
	# verify - and restore - take it from a pipe.
	run bash -c '"$1" backup verify - -i "$2" <"$3"' _ "$KZ" "$T/id" "$T/s.age"
	[ "$status" -eq 0 ]
	[ "$output" = "the backup on standard input is intact: 2 records (give the vault passphrase to authenticate each record too)" ]
	cat "$T/s.age" | "$KZ" --passphrase-file "$T/pass" backup restore - -i "$T/id" --to-vault "$T/r2.kz"
	[ "$(note_in "$T/r2.kz")" = "Joint $c" ]
	# A cut stream is refused and restores nothing.
	head -c 3000 "$T/s.age" >"$T/cut.age"
	run bash -c '"$1" backup restore - -i "$2" --to-vault "$3" <"$4"' _ "$KZ" "$T/id" "$T/cut.kz" "$T/cut.age"
	[ "$status" -eq 4 ]
	[[ "$output" == *"the backup on standard input is damaged"* ]]
	[ ! -e "$T/cut.kz" ]
}

@test "backup create - on a busy vault: the event cannot be noted, so not one byte reaches stdout" {
	setup_vault
	sql_hold "$V" "BEGIN IMMEDIATE; INSERT INTO audit_pending(blob) VALUES (x'00');"
	rc=0
	KIZUNA_BUSY_TIMEOUT_MS=100 "$KZ" --vault "$V" backup create - </dev/null >"$T/busy.age" 2>"$T/busy.err" || rc=$?
	sql_release ROLLBACK
	cat "$T/busy.err"
	[ "$rc" -eq 5 ]
	[ ! -s "$T/busy.age" ]
}

@test "backup create - | rclone rcat to a local remote, then rclone cat | backup restore - gives the vault back" {
	command -v rclone >/dev/null || skip "rclone is not installed (scripts/deps.sh test)"
	setup_vault
	# A local remote from the environment: no rclone.conf is written anywhere.
	export RCLONE_CONFIG="$T/rclone.conf" RCLONE_CONFIG_LOCALTEST_TYPE=local
	mkdir "$T/remote"
	day=$(date +%F)
	kz backup create - </dev/null 2>"$T/rcat.err" | rclone rcat "localtest:$T/remote/kizuna/vault-$day.age"
	[ -s "$T/remote/kizuna/vault-$day.age" ]
	[[ "$(cat "$T/rcat.err")" == *"backup written to standard output"* ]]
	[ ! -e "$T/rclone.conf" ]
	[ -z "$(ls -A "$HOME")" ]
	# No plaintext went off-site.
	assert_absent "$c" "$T/remote"
	rclone cat "localtest:$T/remote/kizuna/vault-$day.age" | "$KZ" backup verify - -i "$T/id"
	rclone cat "localtest:$T/remote/kizuna/vault-$day.age" |
		"$KZ" --passphrase-file "$T/pass" backup restore - -i "$T/id" --to-vault "$T/restored.kz"
	[ "$(note_in "$T/restored.kz")" = "Joint $c" ]
	run "$KZ" --vault "$T/restored.kz" --passphrase-file "$T/pass" audit verify
	[ "$status" -eq 0 ]
	# Attack: the remote copy altered by one byte: refused, nothing restored.
	f="$T/remote/kizuna/vault-$day.age"
	size=$(stat -c %s "$f")
	printf 'X' | dd of="$f" bs=1 seek=$((size - 100)) conv=notrunc status=none
	rc=0
	rclone cat "localtest:$f" | "$KZ" backup restore - -i "$T/id" --to-vault "$T/evil.kz" || rc=$?
	[ "$rc" -eq 4 ]
	[ ! -e "$T/evil.kz" ]
}

# ---- point 14: exports land where the therapist means ----

@test "export names the absolute path it wrote, in text and JSON" {
	setup_vault
	mkdir "$T/out"
	cd "$T/out"
	run kzp export C014 -o aiko.md
	[ "$status" -eq 0 ]
	[ "$output" = "exported C014 (Markdown, plain text: keep it safe) to $T/out/aiko.md" ]
	run kzp --json export C014 --format json -o ../out/./aiko.json
	[ "$status" -eq 0 ]
	[ "$(jq -r .file <<<"$output")" = "$T/out/aiko.json" ]
	run kzp export C014 --to "$R" -o aiko.age
	[ "$output" = "exported C014 (Markdown, age-encrypted) to $T/out/aiko.age" ]
}

@test "a plain export into a git work tree or a sync folder needs --yes in a script (exit 2, nothing written); encrypted ones do not" {
	setup_vault
	# Each folder with the marker its client leaves (or the name it goes by).
	mkdir -p "$T/git/.git" "$T/wt" "$T/Dropbox/.dropbox.cache" "$T/db2" "$T/Sync/.stfolder" \
		"$T/nc" "$T/nc2" "$T/oc" "$T/od" "$T/OneDrive - Praxis" "$T/Library/Mobile Documents/com~apple~CloudDocs" \
		"$T/Dropbox (Praxis)"
	printf 'gitdir: /elsewhere\n' >"$T/wt/.git"
	printf '{}\n' >"$T/db2/.dropbox"
	: >"$T/nc/.sync_5f3a9b.db"
	: >"$T/nc2/.nextcloudsync.log"
	: >"$T/oc/.owncloudsync.log"
	: >"$T/od/.849C9593-D756-4E56-8D6E-42412F2A707B"
	while IFS='|' read -r dir where what; do
		mkdir -p "$T/$dir"
		run kzp export C014 -o "$T/$dir/x.md"
		echo "$dir: $status $output"
		[ "$status" -eq 2 ]
		[[ "$output" == "kizuna: refusing without --yes: $T/$where is a$what"* ]]
		[ ! -e "$T/$dir/x.md" ]
		# Encrypted: no question.
		run kzp export C014 --to "$R" -o "$T/$dir/x.age"
		[ "$status" -eq 0 ]
		# Said yes to: written.
		run kzp export C014 -o "$T/$dir/x.md" --yes
		[ "$status" -eq 0 ]
		[ -f "$T/$dir/x.md" ]
	done <<EOF
git/notes/deep|git| git work tree: a commit or push would carry the plain export along.
wt|wt| git work tree
Dropbox/clients|Dropbox| Dropbox folder: the plain export would be copied to Dropbox's servers.
db2/a|db2| Dropbox folder
Sync/a/b/c|Sync| Syncthing folder: the plain export would be copied to every device it is shared with.
nc|nc| Nextcloud folder
nc2/x|nc2| Nextcloud folder
oc|oc| ownCloud folder
od|od| OneDrive folder
OneDrive - Praxis/Akten|OneDrive - Praxis| OneDrive folder
Library/Mobile Documents/com~apple~CloudDocs|Library/Mobile Documents| iCloud folder
Dropbox (Praxis)|Dropbox (Praxis)| Dropbox folder
EOF
	# Backups are encrypted: no question there either.
	run kz backup create "$T/Dropbox/b.age" </dev/null
	[ "$status" -eq 0 ]
}

@test "attacks on the sync check: a link into Dropbox is followed; a marker above is found; a removed marker, or Dropbox's own config folder, asks nothing" {
	setup_vault
	mkdir -p "$T/Box/.dropbox.cache" "$T/Box/clients" "$T/home/docs"
	# The link hides Dropbox's name: the real folder is checked and named.
	ln -s "$T/Box/clients" "$T/home/docs/exports"
	run kzp export C014 -o "$T/home/docs/exports/aiko.md"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/Box is a Dropbox folder"* ]]
	[ -z "$(ls -A "$T/Box/clients")" ]
	run kzp export C014 -o "$T/home/docs/exports/aiko.md" --yes
	[ "$output" = "exported C014 (Markdown, plain text: keep it safe) to $T/Box/clients/aiko.md" ]
	# The marker removed (the folder no longer syncs): no question.
	rmdir "$T/Box/.dropbox.cache"
	run kzp export C014 -o "$T/Box/clients/b.md"
	[ "$status" -eq 0 ]
	# A marker planted far above: found, whatever the depth.
	mkdir -p "$T/deep/.stfolder" "$T/deep/1/2/3/4/5/6"
	run kzp export C014 -o "$T/deep/1/2/3/4/5/6/c.md"
	[ "$status" -eq 2 ]
	[[ "$output" == *"$T/deep is a Syncthing folder"* ]]
	# ~/.dropbox is the client's configuration folder, not a synced one.
	mkdir -p "$T/home/.dropbox"
	run kzp export C014 -o "$T/home/docs/d.md"
	[ "$status" -eq 0 ]
	# The export's own name a link into Dropbox: refused, as any existing name.
	mkdir -p "$T/Box/.dropbox.cache"
	ln -s "$T/Box/clients/e.md" "$T/home/docs/e.md"
	run kzp export C014 -o "$T/home/docs/e.md" --yes
	[ "$status" -eq 1 ]
	[[ "$output" == *"already exists"* ]]
	[ ! -e "$T/Box/clients/e.md" ]
}
