/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_SHELL_H
#define KIZUNA_SHELL_H

#include "kizuna/cmd.h"

/* The interactive readline shell on a terminal. Offers to create the vault when
 * there is none; runs commands from the table until quit or Ctrl-D; locks the
 * vault after idle time. Returns the exit status (0, or the last failure when
 * the shell could not start). */
int kz_shell_run(struct kz_state *st);

/* A one-shot command on a terminal (kizuna session add C014 from a login
 * shell) gets the shell's idle lock for what it leaves open: after the idle
 * time without a key its pager is ended, and its editor put away until the
 * passphrase is typed again. Not when the passphrase came from a file, a
 * descriptor, a recovery-key or share file: the unlock would read that again
 * and nobody would have to come back. */
void kz_shell_guard_one_shot(struct kz_state *st);

#endif
