#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-3.0-or-later
# The README walkthrough, verbatim, on a fresh clone (issue #13): its two
# commands (`make run` opens the shell and creates the vault; `make check` is
# the suite running this test, so it is not run again here), `make install
# PREFIX=$HOME/.local`, then every code block of "Using it" in order, typed
# into a terminal by tests/tools/readme-walk.exp: lines after "kizuna> " into
# kizuna's shell, the other lines of ```sh blocks and "$ " lines into bash.
# ```text blocks are illustrations (a crontab line, restic) and are not run.
# The vault has real key-derivation costs (init's calibration), as a reader's.

load helpers

REPO=$(cd "$BATS_TEST_DIRNAME/../.." && pwd)

# The steps: "SH line" or "KZ line", from README.md's sections.
readme_steps() { # README section-title...
	python3 - "$REPO/README.md" "$@" <<'PY'
import sys, re
text = open(sys.argv[1], encoding="utf-8").read()
want = sys.argv[2:]
sections = re.split(r'^## ', text, flags=re.M)
for sec in sections:
    title = sec.split('\n', 1)[0].strip()
    if title not in want:
        continue
    for m in re.finditer(r'^```([a-z]*)\n(.*?)^```', sec, flags=re.M | re.S):
        info, body = m.group(1), m.group(2)
        if info == 'text':
            continue
        pending = ''
        for line in body.split('\n'):
            if info == 'sh':
                if line.endswith('\\'):
                    pending += line[:-1]
                    continue
                line, pending = pending + line, ''
                if line.strip():
                    print('SH ' + line)
            elif line.startswith('$ '):
                print('SH ' + line[2:])
            elif line.startswith('kizuna> '):
                print('KZ ' + line[8:])
PY
}

@test "README: the two commands and every 'Using it' example run as written on a fresh clone" {
	! grep -q __asan_init "$KZ" || skip "the README runs a normal build (make run); once is enough"
	[ "$(head -c 2 "$KZ")" != "#!" ] || skip "kizuna runs under a wrapper (valgrind)"
	command -v expect >/dev/null || skip "expect is not installed"
	# A fresh clone, with this work tree's uncommitted changes (none on CI).
	git clone -q "$REPO" "$T/src"
	(cd "$REPO" && git diff HEAD --binary) >"$T/local.patch"
	[ ! -s "$T/local.patch" ] || (cd "$T/src" && git apply "$T/local.patch")
	(cd "$REPO" && git ls-files --others --exclude-standard -z) |
		(cd "$REPO" && xargs -0 -r cp --parents -t "$T/src")
	mkdir -p "$T/home"
	# An editor as the reader's: fills an empty file with headings, else adds a line.
	cat >"$T/editor" <<-'ED'
	#!/bin/sh
	f=$1
	for f; do :; done
	if [ -s "$f" ]; then echo "Aiko spoke about the holidays with Jonas' family." >>"$f"
	else printf '## Presenting concern\n## Families of origin\n' >"$f"; fi
	ED
	chmod +x "$T/editor"
	{
		readme_steps "Two commands" | grep -v -e '^SH make check' -e '^SH make uninstall'
		readme_steps "Using it"
	} >"$T/steps"
	# What the README's steps are made of, so that a changed README is walked whole.
	grep -q '^SH make run' "$T/steps"
	grep -q '^SH make install PREFIX=\$HOME/.local' "$T/steps"
	[ "$(grep -c '^KZ ' "$T/steps")" -ge 20 ]
	[ "$(grep -c '^SH kizuna' "$T/steps")" -ge 15 ]
	# A new login: ~/.local/bin on PATH (Debian's ~/.profile adds it once it exists);
	# an rclone remote "offsite" as `rclone config` would make it (here: a local folder).
	run env -i HOME="$T/home" USER="$(id -un)" LANG=C.UTF-8 TERM=xterm \
		PATH="$T/home/.local/bin:/usr/local/bin:/usr/bin:/bin" \
		EDITOR="$T/editor" VISUAL="$T/editor" \
		RCLONE_CONFIG="$T/home/rclone.conf" RCLONE_CONFIG_OFFSITE_TYPE=local \
		bash -c 'cd "$1" && exec expect -f "$2" "$3" "$4" "$5"' _ "$T/src" \
		"$REPO/tests/tools/readme-walk.exp" "$T/steps" "$PASS" "$T/walk.log"
	echo "$output"
	[ "$status" -eq 0 ] || { tail -n 60 "$T/walk.log"; false; }
	[[ "$output" == *"WALKED "* ]]
	# What the walk made is what the README says it makes.
	V="$T/home/.local/share/kizuna/vault.kz"
	[ -f "$V" ]
	[ -x "$T/home/.local/bin/kizuna" ]
	[ -f "$T/home/.local/share/man/man1/kizuna.1" ]
	grep -q "Aiko" "$T/home/aiko.md"
	[ -f "$T/home/restored.kz" ] && [ -f "$T/home/offsite.kz" ]
	[ "$(head -c 15 "$T/home/restored-by-age.kz")" = "SQLite format 3" ]
	ls "$T/src/kizuna/"vault-*.age
	printf '%s\n' "$PASS" >"$T/p"
	run "$KZ" --vault "$V" --passphrase-file "$T/p" --json session list C014 --all
	[ "$status" -eq 0 ]
	[ "$(echo "$output" | jq length)" -eq 3 ]
	[ "$(echo "$output" | jq -r '.[] | select(.id == "s2") | .void.reason')" = "written for the wrong couple" ]
	run "$KZ" --vault "$V" --passphrase-file "$T/p" couple show C015
	[ "$status" -eq 0 ]
	# The README's searches find what it says (all the words; the phrase), in C014
	# and in its imported copy C015 (s3, s4).
	run "$KZ" --vault "$V" --passphrase-file "$T/p" --json search holidays family
	[ "$(echo "$output" | jq -r '[.[].id] | unique | join(",")')" = s1,s4 ]
	run "$KZ" --vault "$V" --passphrase-file "$T/p" --json search --all "mother visited"
	[ "$(echo "$output" | jq -r '[.[].id] | unique | join(",")')" = s2,s3 ]
}
