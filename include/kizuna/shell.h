/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_SHELL_H
#define KIZUNA_SHELL_H

#include "kizuna/cmd.h"

#define KZ_IDLE_LOCK_DEFAULT 600 /* seconds */

/* The interactive readline shell on a terminal. Offers to create the vault when
 * there is none; runs commands from the table until quit or Ctrl-D; locks the
 * vault after idle time. Returns the exit status (0, or the last failure when
 * the shell could not start). */
int kz_shell_run(struct kz_state *st);

#endif
