/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A QR code drawn in text for a share's sheet (include/kizuna/ui.h). The
 * payload is a share, so the matrix is wiped before libqrencode frees it and
 * the text goes into a wiping kz_buf. (libqrencode's own intermediate buffers
 * are plain malloc: it frees them unwiped; see SECURITY.md.)
 */
#include <qrencode.h>
#include <sodium.h>

#include "kizuna/buf.h"
#include "kizuna/ui.h"

#define QUIET 4 /* modules of light margin on each side (ISO/IEC 18004) */

/* Is module (x, y) of the drawing, quiet zone included, dark? */
static int
dark(const unsigned char *m, int width, int x, int y)
{
    x -= QUIET;
    y -= QUIET;
    if (x < 0 || y < 0 || x >= width || y >= width)
        return 0;
    return m[(size_t)y * (size_t)width + (size_t)x] & 1;
}

void
kz_ui_qr_draw(const unsigned char *m, int width, struct kz_buf *out, int utf8)
{
    /* Indexed by upper + 2 * lower. */
    static const char *const half[4] = {" ", "\xe2\x96\x80", "\xe2\x96\x84", "\xe2\x96\x88"};
    int side = width + 2 * QUIET, x, y;

    if (utf8) {
        for (y = 0; y < side; y += 2) {
            for (x = 0; x < side; x++)
                kz_buf_add(out, half[dark(m, width, x, y) + 2 * dark(m, width, x, y + 1)]);
            kz_buf_add(out, "\n");
        }
        return;
    }
    for (y = 0; y < side; y++) {
        for (x = 0; x < side; x++)
            kz_buf_add(out, dark(m, width, x, y) ? "##" : "  ");
        kz_buf_add(out, "\n");
    }
}

int
kz_ui_qr_text(const char *payload, struct kz_buf *out, int utf8)
{
    QRcode *qr;
    int width;

    /* Case-sensitive, so that libqrencode keeps upper case as it is and can
     * use its alphanumeric mode for a share (0-9, A-Z and '-'). */
    qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    if (qr == NULL)
        return -1;
    width = qr->width;
    kz_ui_qr_draw(qr->data, width, out, utf8);
    sodium_memzero(qr->data, (size_t)width * (size_t)width);
    QRcode_free(qr);
    return width;
}
