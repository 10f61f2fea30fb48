/* SPDX-License-Identifier: GPL-3.0-or-later */
#define KZ_ERR_IMPL /* the function itself, not err.h's analyzer shortcut */
#include <stdarg.h>
#include <stdio.h>

#include "kizuna/err.h"

int
kz_fail(struct kz_err *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL)
        return code;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
    va_end(ap);
    return code;
}

void
kz_err_clear(struct kz_err *err)
{
    if (err == NULL)
        return;
    err->code = KZ_OK;
    err->msg[0] = '\0';
}

const char *
kz_code_name(int code)
{
    switch (code) {
    case KZ_OK: return "ok";
    case KZ_ERR: return "error";
    case KZ_EUSAGE: return "usage";
    case KZ_EAUTH: return "auth";
    case KZ_EINTEGRITY: return "integrity";
    case KZ_EBUSY: return "busy";
    case KZ_ENOTFOUND: return "not_found";
    default: return "error";
    }
}
