/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_ERR_H
#define KIZUNA_ERR_H

/*
 * Error codes double as process exit codes (CLI.md, "Exit status"). A function
 * that can fail returns one of these and, when it fails, fills a struct kz_err
 * with a one-line message for the person at the keyboard.
 */
enum kz_code {
    KZ_OK = 0,
    KZ_ERR = 1,       /* I/O, disk full, anything not below */
    KZ_EUSAGE = 2,    /* unknown command or option, bad argument */
    KZ_EAUTH = 3,     /* wrong passphrase or key, or no way to ask */
    KZ_EINTEGRITY = 4,/* authentication failure or corruption */
    KZ_EBUSY = 5,     /* vault in use, busy timeout ran out */
    KZ_ENOTFOUND = 6  /* no such couple, session, goal or file */
};

struct kz_err {
    int code;
    char msg[512];
};

/* Records code and a printf-style message in err (if not NULL); returns code. */
int kz_fail(struct kz_err *err, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
#if defined(__clang_analyzer__) && !defined(KZ_ERR_IMPL)
/* For the static analyzer only (make lint): it cannot see into err.c, so it
 * would take 'return kz_fail(err, KZ_EUSAGE, ...)' for a possible success. */
#define kz_fail(err, code, ...) ((void)(kz_fail)((err), (code), __VA_ARGS__), (code))
#endif

/* Clears err to KZ_OK with an empty message. */
void kz_err_clear(struct kz_err *err);

/* Stable machine name of a code for --json errors ("usage", "auth", ...). */
const char *kz_code_name(int code);

#endif
