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

#include "kizuna/cleanup.h"
#include "kizuna/cmd.h"
#include "kizuna/wipe.h"
#include "kizuna/secmem.h"
#include "kizuna/shell.h"

#define KZ_INTERRUPTED 130

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
    "      --share-file F          unlock with custodian shares: one file (a share\n"
    "                              sheet or its text) per share, the option repeated\n"
    "      --json                  one JSON document per command on stdout\n"
    "      --idle-lock SECONDS     shell: lock after this much idle time (0 never)\n"
    "  -f, --file SCRIPT           run commands from SCRIPT ('#' starts a comment)\n"
    "      --keep-going            scripts: go on after a failing command\n"
    "      --no-color              no colour (also NO_COLOR)\n"
    "      --no-pager              long output straight to the terminal, not $PAGER\n"
    "  -h, --help                  this text;  'kizuna help' lists the commands\n"
    "      --version               the version\n"
    "With a COMMAND these options may also follow it (never after a lone '--').\n"
    "\n"
    "exit status: 0 ok, 1 error, 2 usage, 3 authentication, 4 integrity,\n"
    "             5 busy, 6 not found, 130 cancelled with Ctrl-C at a prompt\n";

enum {
    OPT_PASS_FD = 256,
    OPT_PASS_FILE,
    OPT_RECOVERY,
    OPT_SHARE_FILE,
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
    kz_cleanup_fault_install();
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

/* msg, then the way to help: "(try 'kizuna --help')", or with near "(did
 * you mean '--near'? try 'kizuna --help')". */
static int
usage_error_near(struct kz_state *st, const char *msg, const char *near)
{
    struct kz_err err;

    if (near != NULL)
        kz_fail(&err, KZ_EUSAGE, "%s (did you mean '--%s'? try 'kizuna --help')", msg, near);
    else
        kz_fail(&err, KZ_EUSAGE, "%s (try 'kizuna --help')", msg);
    kz_ui_error(&st->ui, &err);
    return KZ_EUSAGE;
}

static int
usage_error(struct kz_state *st, const char *msg)
{
    return usage_error_near(st, msg, NULL);
}

static const struct option longopts[] = {
    {"vault", required_argument, NULL, 'v'},
    {"passphrase-fd", required_argument, NULL, OPT_PASS_FD},
    {"passphrase-file", required_argument, NULL, OPT_PASS_FILE},
    {"recovery-key-file", required_argument, NULL, OPT_RECOVERY},
    {"share-file", required_argument, NULL, OPT_SHARE_FILE},
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

/* What the options chose, besides what they set in the state. */
struct globals {
    const char *script; /* -f */
    int json, no_color, no_pager;
    int cmd_argc;       /* the command's words, the options after it taken out */
    char **cmd_argv;
};

/* Applies one option getopt_long returned (c; arg is the word it came from,
 * for the message). Returns 1 when kizuna ends here with *rc, else 0. */
static int
take_option(struct kz_state *st, struct globals *g, int c, const char *arg, int *rc)
{
    char *end;
    long v;

    switch (c) {
    case 'v':
        free(st->vault_path);
        st->vault_path = kz_xstrdup(optarg);
        return 0;
    case OPT_PASS_FD:
        errno = 0;
        v = strtol(optarg, &end, 10);
        if (errno != 0 || *end != '\0' || v < 0 || v > 65535 || fcntl((int)v, F_GETFD) < 0) {
            *rc = usage_error(st, "--passphrase-fd needs an open file descriptor number");
            return 1;
        }
        st->passphrase_fd = (int)v;
        return 0;
    case OPT_PASS_FILE:
        free(st->passphrase_file);
        st->passphrase_file = kz_xstrdup(optarg);
        return 0;
    case OPT_RECOVERY:
        free(st->recovery_file);
        st->recovery_file = kz_xstrdup(optarg);
        return 0;
    case OPT_SHARE_FILE:
        if (st->nshare_files == (int)(sizeof(st->share_files) / sizeof(st->share_files[0]))) {
            *rc = usage_error(st, "--share-file: at most 16 shares");
            return 1;
        }
        st->share_files[st->nshare_files++] = kz_xstrdup(optarg);
        return 0;
    case OPT_JSON:
        g->json = 1;
        return 0;
    case OPT_IDLE:
        errno = 0;
        v = strtol(optarg, &end, 10);
        if (errno != 0 || *end != '\0' || v < 0 || v > 86400) {
            *rc = usage_error(st, "--idle-lock takes seconds from 0 (never) to 86400");
            return 1;
        }
        st->idle_lock = (int)v;
        return 0;
    case 'f':
        g->script = optarg;
        return 0;
    case OPT_KEEP_GOING:
        st->keep_going = 1;
        return 0;
    case OPT_NO_COLOR:
        g->no_color = 1;
        return 0;
    case OPT_NO_PAGER:
        g->no_pager = 1;
        return 0;
    case 'h':
        fputs(usage_text, stdout);
        *rc = KZ_OK;
        return 1;
    case OPT_VERSION:
        printf("kizuna %s\n", KZ_VERSION);
        *rc = KZ_OK;
        return 1;
    default: {
        char msg[128], typed[64];
        const struct option *o;
        struct kz_nearest n;
        const char *near = NULL;
        if (optopt == 0 && arg != NULL && strncmp(arg, "--", 2) == 0) {
            /* '--vualt': did you mean '--vault'? */
            kz_nearest_init_option(&n, arg, typed, sizeof(typed));
            for (o = longopts; o->name != NULL; o++)
                kz_nearest_offer(&n, o->name);
            near = kz_nearest_word(&n);
        }
        if (optopt != 0 && optopt < 256)
            snprintf(msg, sizeof(msg), "unknown or incomplete option '-%c'", optopt);
        else if (near != NULL)
            snprintf(msg, sizeof(msg), "unknown option '--%s'", typed);
        else
            snprintf(msg, sizeof(msg), "unknown or incomplete option '%s'", arg);
        *rc = usage_error_near(st, msg, near);
        return 1;
    }
    }
}

/* The long option named by word ("--vault", "--vault=X", "-v"), if it is one
 * of kizuna's own and not also one of the command's (e's completion list);
 * -h and --version are not taken after a command. NULL otherwise. */
static const struct option *
global_option(const char *word, const struct kz_cmd_entry *e)
{
    const struct option *o;
    const char *const *own;
    size_t n;

    if (word[0] != '-')
        return NULL;
    for (o = longopts; o->name != NULL; o++) {
        if (o->val == 'h' || o->val == OPT_VERSION)
            continue;
        n = strlen(o->name);
        if (word[1] == '-' ? strncmp(word + 2, o->name, n) != 0 ||
                                 (word[2 + n] != '\0' && word[2 + n] != '=')
                           : o->val >= 256 || word[1] != o->val || word[2] != '\0')
            continue;
        for (own = e->options; own != NULL && *own != NULL; own++) {
            if (strncmp(*own, "--", 2) == 0 && strcmp(*own + 2, o->name) == 0)
                return NULL;
            if (word[1] != '-' && (*own)[0] == '-' && (*own)[1] == word[1] && (*own)[2] == '\0')
                return NULL;
        }
        return o;
    }
    return NULL;
}

/* True when the command's help (usage or detail) shows option opt ("--status",
 * "-o") followed by a value ("--status active|...", "-o FILE"). */
static int
option_takes_value(const struct kz_cmd_entry *e, const char *opt)
{
    const char *texts[2] = {e->usage, e->detail}, *p;
    size_t n = strlen(opt);
    int i;

    for (i = 0; i < 2; i++) {
        for (p = texts[i]; p != NULL && (p = strstr(p, opt)) != NULL; p += n) {
            if (p != texts[i] && p[-1] != ' ' && p[-1] != '[' && p[-1] != ',')
                continue;
            if (p[n] == ' ' && p[n + 1] != '\0' && p[n + 1] != '[' && p[n + 1] != '-' &&
                p[n + 1] != '|' && p[n + 1] != '(')
                return 1;
        }
    }
    return 0;
}

/* One-shot: kizuna's own options may also come after the command
 * (`kizuna couple list --passphrase-file F`). They are taken out of the
 * command's words and applied as if given before it; never after a lone
 * "--" (free text follows), never a word that is the value of the command's
 * own option, never a name the command has an option of its own for.
 * Returns -1 to go on (g->cmd_argv set), else the exit status. */
static int
options_after_command(struct kz_state *st, struct globals *g, int argc, char **argv, int first)
{
    const struct kz_cmd_entry *e = NULL;
    struct kz_err err;
    char **taken;
    int i, n = 1, used = 0, rc, c;

    g->cmd_argv = kz_xmalloc((size_t)(argc + 1) * sizeof(char *));
    g->cmd_argc = 0;
    taken = kz_xmalloc((size_t)(argc + 1) * sizeof(char *));
    taken[0] = argv[0];
    kz_err_clear(&err);
    if (kz_cmd_find(argc - first, argv + first, &e, &used, &err) != KZ_OK || e == NULL)
        used = argc - first; /* kz_cmd_run says what is wrong */
    for (i = first; i < argc; i++) {
        const struct option *o = NULL;
        const char *w = argv[i];
        if (i >= first + used && strcmp(w, "--") == 0) {
            while (i < argc)
                g->cmd_argv[g->cmd_argc++] = argv[i++];
            break;
        }
        /* (e is NULL only when used covers every word: said again for the analyzer) */
        if (e != NULL && i >= first + used)
            o = global_option(w, e);
        if (o == NULL) {
            g->cmd_argv[g->cmd_argc++] = argv[i];
            /* the command's own option and its value stay together */
            if (e != NULL && i >= first + used && w[0] == '-' && strchr(w, '=') == NULL &&
                i + 1 < argc && strcmp(argv[i + 1], "--") != 0 && option_takes_value(e, w))
                g->cmd_argv[g->cmd_argc++] = argv[++i];
            continue;
        }
        taken[n++] = argv[i];
        if (o->has_arg == required_argument && strchr(w, '=') == NULL && i + 1 < argc)
            taken[n++] = argv[++i];
    }
    g->cmd_argv[g->cmd_argc] = NULL;
    taken[n] = NULL;
    rc = -1;
    optind = 0; /* glibc: start afresh */
    while ((c = getopt_long(n, taken, "+v:f:h", longopts, NULL)) != -1) {
        if (take_option(st, g, c, taken[optind - 1], &rc))
            break;
    }
    free(taken);
    return rc;
}

int
main(int argc, char **argv)
{
    struct kz_state st;
    struct globals g = {NULL, 0, 0, 0, 0, NULL};
    int c, rc = KZ_OK, have_cmd;

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
        if (take_option(&st, &g, c, argv[optind - 1], &rc))
            goto out;
    }
    have_cmd = optind < argc;
    if (have_cmd && (rc = options_after_command(&st, &g, argc, argv, optind)) >= 0)
        goto out;
    kz_ui_init(&st.ui, g.json, g.no_color);
    st.ui.no_pager = g.no_pager;
    kz_ui_own_stdout(&st.ui);
    if (st.vault_path == NULL)
        st.vault_path = default_vault_path();

    if (have_cmd) {
        if (g.script != NULL) {
            rc = usage_error(&st, "give either a command or -f SCRIPT, not both");
            goto out;
        }
        if (!isatty(STDIN_FILENO))
            st.script_in = stdin; /* piped note text: `... | kizuna session add C014` */
        st.one_shot = 1;
        kz_shell_guard_one_shot(&st); /* a pager or an editor left open locks too */
        rc = kz_cmd_run(&st, g.cmd_argc, g.cmd_argv);
    } else if (g.script != NULL) {
        int fd = open(g.script, O_RDONLY | O_CLOEXEC);
        if (fd < 0) {
            struct kz_err err;
            kz_fail(&err, errno == ENOENT ? KZ_ENOTFOUND : KZ_ERR, "cannot open %s: %s", g.script,
                    strerror(errno));
            kz_ui_error(&st.ui, &err);
            rc = err.code;
            goto out;
        }
        rc = kz_cmd_run_script(&st, fd, g.script);
        close(fd);
    } else if (kz_ui_have_terminal()) {
        st.interactive = 1;
        rc = kz_shell_run(&st);
    } else {
        rc = kz_cmd_run_script(&st, STDIN_FILENO, "stdin");
    }
out:
    free(g.cmd_argv);
    kz_state_free(&st);
    /* Ctrl-C at a question or a passphrase prompt ended it: the shell's status
     * for an interrupted program, and nothing was changed. */
    if (rc != KZ_OK && kz_ui_interrupted())
        rc = KZ_INTERRUPTED;
    return rc;
}
