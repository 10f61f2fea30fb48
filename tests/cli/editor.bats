#!/usr/bin/env bats
# The editor's own files: vim keeps yanked lines and searches in ~/.viminfo,
# and with a common vimrc writes undo, backup and swap files under $HOME.
# kizuna starts vim without any of them. The keys are typed into a real vim
# on a terminal (script(1)); the user's path: EDITOR=vim.

load helpers

# A vimrc many users have: persistent undo, backups and swap files in ~/.vim.
vimrc() {
	mkdir -p "$HOME/.vim/undo" "$HOME/.vim/backup" "$HOME/.vim/swap"
	cat >"$HOME/.vimrc" <<-'EOF'
		set nocompatible
		set undofile undodir=~/.vim/undo//
		set backup writebackup backupdir=~/.vim/backup//
		set directory=~/.vim/swap//
		set viminfo='20,<50,s10,h
	EOF
}

# Keys for vim: add a line with $1 and write; add a line with $2, yank it,
# search for it and write; delete that line; write and quit. The file keeps
# $1; $2 is only in what vim keeps of the session (registers, searches, undo,
# backups of the versions before).
vim_keys() { printf 'Go%s\033:w\ro%s\033yy/%s\r:w\rdd:wq\r' "$1" "$2" "$2"; }

@test "editor: vim as \$EDITOR writes no viminfo, undo, backup or swap file with the note" {
	command -v vim >/dev/null || skip "vim is not installed (scripts/deps.sh test)"
	local keep gone ctl
	new_vault
	kzp couple add C072 >/dev/null
	vimrc
	export TERM=xterm
	# The control: the same keys in vim on a file like kizuna's, without
	# kizuna, leave the text in $HOME.
	keep=$(canary) gone=$(canary)
	ctl=/dev/shm/kizuna-test-ctl-$$.md
	echo "first line" >"$ctl"
	vim_keys "$keep" "$gone" >"$T/keys"
	script -qec "vim $ctl" /dev/null <"$T/keys" >"$T/ctl.out" 2>&1
	grep -q "$keep" "$ctl"
	rm -f "$ctl"
	[ -n "$(grep -rlF "$gone" "$HOME" || true)" ] || {
		echo "the control found nothing: vim kept no copy even without kizuna"
		return 1
	}
	report_files=$(grep -rlF "$gone" "$HOME" | sed "s|$HOME/||" | tr '\n' ' ')
	# Now through kizuna.
	rm -rf "$HOME/.viminfo" "$HOME"/.vim/*/*
	keep=$(canary) gone=$(canary)
	vim_keys "$keep" "$gone" >"$T/keys"
	script -qec "EDITOR=vim $KZ --vault $V --passphrase-file $T/pass session add C072" \
		/dev/null <"$T/keys" >"$T/kz.out" 2>&1
	# The note was saved with the kept line and without the deleted one.
	kzp --json session show s1 | jq -e --arg k "$keep" '.text | contains($k)' >/dev/null
	kzp --json session show s1 | jq -e --arg g "$gone" '.text | contains($g) | not' >/dev/null
	assert_absent "$keep" "$HOME" /dev/shm
	assert_absent "$gone" "$HOME" /dev/shm
	echo "# [report] editor: vim alone kept the deleted line in: $report_files; through kizuna: nowhere" >&3
}

# A stand-in editor on PATH that notes how it was called and adds a line.
stub_editor() { # NAME PATH
	cat >"$2" <<-'EOF'
		#!/bin/sh
		for last; do :; done
		echo "NAME $*" >>CALLED
		printf 'from NAME\n' >>"$last"
	EOF
	sed -i "s|NAME|$1|g; s|CALLED|$T/called|" "$2"
	chmod +x "$2"
}

@test "editor: with \$VISUAL and \$EDITOR unset, nano -R when installed, else vi (vim's settings when vi is vim)" {
	new_vault
	kzp couple add C072 >/dev/null
	mkdir -p "$T/bin"
	stub_editor nano "$T/bin/nano"
	stub_editor vi "$T/bin/vim.basic"
	ln -s vim.basic "$T/bin/vi" # as Debian's alternatives do
	unset VISUAL EDITOR
	PATH="$T/bin:/usr/bin:/bin" script -qec "$KZ --vault $V --passphrase-file $T/pass session add C072" \
		/dev/null </dev/null >"$T/out" 2>&1
	grep -qx "nano -R /dev/shm/kizuna-edit-[0-9]*-.*\.md" "$T/called" || {
		cat "$T/called" "$T/out"
		return 1
	}
	rm "$T/bin/nano" "$T/called"
	PATH="$T/bin:/usr/bin:/bin" script -qec "$KZ --vault $V --passphrase-file $T/pass session add C072" \
		/dev/null </dev/null >"$T/out" 2>&1
	grep -qx "vi -i NONE -n -c set nobackup nowritebackup noundofile /dev/shm/kizuna-edit-[0-9]*-.*\.md" \
		"$T/called" || {
		cat "$T/called" "$T/out"
		return 1
	}
	# Both notes were saved with the stand-ins' lines.
	[ "$(kzp --json session list | jq length)" -eq 2 ]
	kzp --json session show s1 | jq -e '.text | contains("from nano")' >/dev/null
	kzp --json session show s2 | jq -e '.text | contains("from vi")' >/dev/null
}
