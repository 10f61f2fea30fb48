/* SPDX-License-Identifier: GPL-3.0-or-later */
/* kizuna: options, process hardening, then one command, a script or the shell. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "kizuna/cmd.h"
#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "kizuna/shell.h"

#ifndef KZ_VERSION
#define KZ_VERSION "0.1.0"
#endif

static const char usage_text[] =
    "usage: kizuna [OPTIONS]                  the shell (or commands from stdin)\n"
    "       kizuna [OPTIONS] COMMAND [ARGS]   run one command\n"
    "       kizuna [OPTIONS] -f SCRIPT        run the commands in SCRIPT\n"
    "\n"
    "options:\n"
    "  -v, --vault PATH            the vault (else $KIZUNA_VAULT, else\n"
    "                              $XDG_DATA_HOME/kizuna/vault.kz)\n"
    "      --passphrase-fd N       read the passphrase from file descriptor N\n"
    "      --passphrase-file FILE  read the passphrase from the first line of FILE\n"
    "      --recovery-key-file F   unlock with the recovery key in F\n"
    "      --json                  one JSON document per command on stdout\n"
    "      --idle-lock SECONDS     shell: lock after this much idle time (0 never)\n"
    "  -f, --file SCRIPT           run commands from SCRIPT ('#' starts a comment)\n"
    "      --keep-going            scripts: go on after a failing command\n"
    "      --no-color              no colour (also NO_COLOR)\n"
    "      --no-pager              long output straight to the terminal, not $PAGER\n"
    "  -h, --help                  this text;  'kizuna help' lists the commands\n"
    "      --version               the version\n"
    "\n"
    "exit status: 0 ok, 1 error, 2 usage, 3 authentication, 4 integrity,\n"
    "             5 busy, 6 not found\n";

enum {
    OPT_PASS_FD = 256,
    OPT_PASS_FILE,
    OPT_RECOVERY,
    OPT_JSON,
    OPT_IDLE,
    OPT_KEEP_GOING,
    OPT_NO_COLOR,
    OPT_NO_PAGER,
    OPT_VERSION,
};

static void
harden_process(void)
{
    struct rlimit rl = {0, 0};

    setrlimit(RLIMIT_CORE, &rl);
#ifndef KZ_SANITIZE
    prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
#endif
    umask(077);
}

static void
set_locale(void)
{
    const char *cs;

    setlocale(LC_CTYPE, "");
    cs = nl_langinfo(CODESET);
    if (cs == NULL || strcmp(cs, "UTF-8") != 0)
        setlocale(LC_CTYPE, "C.UTF-8"); /* notes are UTF-8 whatever the locale */
}

static char *
default_vault_path(void)
{
    const char *env = getenv("KIZUNA_VAULT"), *xdg = getenv("XDG_DATA_HOME");
    const char *home = getenv("HOME");
    char buf[4096];

    if (env != NULL && *env != '\0')
        return kz_xstrdup(env);
    if (xdg != NULL && *xdg == '/')
        snprintf(buf, sizeof(buf), "%s/kizuna/vault.kz", xdg);
    else
        snprintf(buf, sizeof(buf), "%s/.local/share/kizuna/vault.kz",
                 home != NULL && *home != '\0' ? home : ".");
    return kz_xstrdup(buf);
}

static int
usage_error(struct kz_state *st, const char *msg)
{
    struct kz_err err;

    kz_fail(&err, KZ_EUSAGE, "%s (try 'kizuna --help')", msg);
    kz_ui_error(&st->ui, &err);
    return KZ_EUSAGE;
}

int
main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"vault", required_argument, NULL, 'v'},
        {"passphrase-fd", required_argument, NULL, OPT_PASS_FD},
        {"passphrase-file", required_argument, NULL, OPT_PASS_FILE},
        {"recovery-key-file", required_argument, NULL, OPT_RECOVERY},
        {"json", no_argument, NULL, OPT_JSON},
        {"idle-lock", required_argument, NULL, OPT_IDLE},
        {"file", required_argument, NULL, 'f'},
        {"keep-going", no_argument, NULL, OPT_KEEP_GOING},
        {"no-color", no_argument, NULL, OPT_NO_COLOR},
        {"no-pager", no_argument, NULL, OPT_NO_PAGER},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct kz_state st;
    const char *script = NULL;
    int c, rc, json = 0, no_color = 0, no_pager = 0;
    char *end;
    long v;

    harden_process();
    kz_json_wipe_init(); /* before any jansson value exists */
    set_locale();
    if (kz_crypto_init() != 0) {
        fputs("kizuna: cannot initialise libsodium\n", stderr);
        return KZ_ERR;
    }
    kz_state_init(&st);
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+v:f:h", longopts, NULL)) != -1) {
        switch (c) {
        case 'v':
            free(st.vault_path);
            st.vault_path = kz_xstrdup(optarg);
            break;
        case OPT_PASS_FD:
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || v < 0 || v > 65535 || fcntl((int)v, F_GETFD) < 0) {
                rc = usage_error(&st, "--passphrase-fd needs an open file descriptor number");
                goto out;
            }
            st.passphrase_fd = (int)v;
            break;
        case OPT_PASS_FILE:
            free(st.passphrase_file);
            st.passphrase_file = kz_xstrdup(optarg);
            break;
        case OPT_RECOVERY:
            free(st.recovery_file);
            st.recovery_file = kz_xstrdup(optarg);
            break;
        case OPT_JSON:
            json = 1;
            break;
        case OPT_IDLE:
            errno = 0;
            v = strtol(optarg, &end, 10);
            if (errno != 0 || *end != '\0' || v < 0 || v > 86400) {
                rc = usage_error(&st, "--idle-lock takes seconds from 0 (never) to 86400");
                goto out;
            }
            st.idle_lock = (int)v;
            break;
        case 'f':
            script = optarg;
            break;
        case OPT_KEEP_GOING:
            st.keep_going = 1;
            break;
        case OPT_NO_COLOR:
            no_color = 1;
            break;
        case OPT_NO_PAGER:
            no_pager = 1;
            break;
        case 'h':
            fputs(usage_text, stdout);
            rc = KZ_OK;
            goto out;
        case OPT_VERSION:
            printf("kizuna %s\n", KZ_VERSION);
            rc = KZ_OK;
            goto out;
        default: {
            char msg[128];
            if (optopt != 0 && optopt < 256)
                snprintf(msg, sizeof(msg), "unknown or incomplete option '-%c'", optopt);
            else
                snprintf(msg, sizeof(msg), "unknown or incomplete option '%s'",
                         argv[optind - 1]);
            rc = usage_error(&st, msg);
            goto out;
        }
        }
    }
    kz_ui_init(&st.ui, json, no_color);
    st.ui.no_pager = no_pager;
    kz_ui_own_stdout(&st.ui);
    if (st.vault_path == NULL)
        st.vault_path = default_vault_path();

    if (optind < argc) {
        if (script != NULL) {
            rc = usage_error(&st, "give either a command or -f SCRIPT, not both");
            goto out;
        }
        if (!isatty(STDIN_FILENO))
            st.script_in = stdin; /* piped note text: `... | kizuna session add C014` */
        rc = kz_cmd_run(&st, argc - optind, argv + optind);
    } else if (script != NULL) {
        int fd = open(script, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            struct kz_err err;
            kz_fail(&err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", script,
                    strerror(errno));
            kz_ui_error(&st.ui, &err);
            rc = err.code;
            goto out;
        }
        rc = kz_cmd_run_script(&st, fd, script);
        close(fd);
    } else if (kz_ui_have_terminal()) {
        st.interactive = 1;
        rc = kz_shell_run(&st);
    } else {
        rc = kz_cmd_run_script(&st, STDIN_FILENO, "stdin");
    }
out:
    kz_state_free(&st);
    return rc;
}
