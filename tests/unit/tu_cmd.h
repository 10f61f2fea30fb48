/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Running a command line in a state, as a script line runs (header-only, for
 * the cmocka tests that drive commands). */
#ifndef KIZUNA_TU_CMD_H
#define KIZUNA_TU_CMD_H

#include "kizuna/cmd.h"

/* line split by kz_cmd_split, as the shell and -f split it; the command's
 * exit code (KZ_EUSAGE for a line that does not split). */
static inline int
tu_run(struct kz_state *st, const char *line)
{
    char **argv = NULL;
    int argc = 0, rc;

    if (kz_cmd_split(line, &argc, &argv, NULL) != KZ_OK)
        return KZ_EUSAGE;
    rc = kz_cmd_run(st, argc, argv);
    kz_cmd_free_argv(argc, argv);
    return rc;
}

#endif
