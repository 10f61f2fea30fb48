/* SPDX-License-Identifier: GPL-3.0-or-later */
/*
 * A QR code drawn as text (src/ui/qr.c): the drawing is a square of the size
 * the symbol's version gives (17 + 4 v modules and a quiet zone of 4), and
 * reading the text back gives libqrencode's matrix bit for bit, in half
 * blocks and in ASCII. (No QR reader such as zbarimg is assumed: what is
 * checked is that the text is exactly the matrix libqrencode made.)
 */
#include "testutil.h"

#include <qrencode.h>

#include "kizuna/buf.h"
#include "kizuna/secmem.h"
#include "kizuna/shamir.h"
#include "kizuna/ui.h"

#define QUIET 4

/* A share's one-line text, as a sheet's QR code carries it. */
static void
share_payload(char *text)
{
    struct kz_share s;

    memset(&s, 0x5a, sizeof(s));
    s.x = 1;
    s.k = 2;
    s.n = 3;
    assert_int_equal(kz_share_encode(&s, text, KZ_SHARE_TEXT_SIZE), 0);
}

/* The drawing read back into a side x side matrix of 0/1 (side = w + 8);
 * asserts that every line has side modules and that there are side rows. */
static void
read_back(const char *t, int side, int utf8, unsigned char *grid)
{
    int x = 0, y = 0;

    memset(grid, 0xff, (size_t)side * (size_t)side);
    while (*t != '\0') {
        if (*t == '\n') {
            assert_int_equal(x, side);
            x = 0;
            y += utf8 ? 2 : 1;
            t++;
            continue;
        }
        assert_true(x < side);
        if (!utf8) {
            assert_true((t[0] == '#' && t[1] == '#') || (t[0] == ' ' && t[1] == ' '));
            grid[y * side + x] = t[0] == '#';
            t += 2;
        } else {
            int up, down;

            if (*t == ' ') {
                up = down = 0;
                t++;
            } else {
                assert_int_equal(strncmp(t, "\xe2\x96", 2), 0);
                up = t[2] == '\x80' || t[2] == '\x88';
                down = t[2] == '\x84' || t[2] == '\x88';
                assert_true(up || down);
                t += 3;
            }
            grid[y * side + x] = (unsigned char)up;
            if (y + 1 < side)
                grid[(y + 1) * side + x] = (unsigned char)down;
            else
                assert_int_equal(down, 0); /* the last half row is empty */
        }
        x++;
    }
    assert_int_equal(x, 0);
    assert_int_equal(y, utf8 ? side + (side & 1) : side);
}

/* grid equals qr's matrix inside a light quiet zone, module for module. */
static void
same_matrix(const unsigned char *grid, int side, const QRcode *qr)
{
    int x, y;

    for (y = 0; y < side; y++)
        for (x = 0; x < side; x++) {
            int mx = x - QUIET, my = y - QUIET, want = 0;

            if (mx >= 0 && my >= 0 && mx < qr->width && my < qr->width)
                want = qr->data[my * qr->width + mx] & 1;
            assert_int_equal(grid[y * side + x], want);
        }
}

static void
test_given_version(void **state)
{
    char payload[KZ_SHARE_TEXT_SIZE];
    int version, utf8;

    (void)state;
    share_payload(payload);
    for (version = 6; version <= 12; version += 3)
        for (utf8 = 0; utf8 < 2; utf8++) {
            QRcode *qr = QRcode_encodeString(payload, version, QR_ECLEVEL_M, QR_MODE_8, 1);
            struct kz_buf b = {0};
            unsigned char *grid;
            int side;

            assert_non_null(qr);
            assert_int_equal(qr->version, version);
            assert_int_equal(qr->width, 17 + 4 * version);
            side = qr->width + 2 * QUIET;
            kz_ui_qr_draw(qr->data, qr->width, &b, utf8);
            grid = calloc((size_t)side * (size_t)side, 1);
            assert_non_null(grid);
            read_back(kz_buf_str(&b), side, utf8, grid);
            same_matrix(grid, side, qr);
            free(grid);
            kz_buf_free(&b);
            QRcode_free(qr);
        }
}

static void
test_share_code(void **state)
{
    char payload[KZ_SHARE_TEXT_SIZE];
    struct kz_buf b = {0}, a = {0};
    QRcode *qr;
    int w, wa, side;
    unsigned char *grid;
    size_t lines = 0, i;

    (void)state;
    share_payload(payload);
    w = kz_ui_qr_text(payload, &b, 1);
    /* 149 characters of 0-9, A-Z and '-': alphanumeric mode, version 6 at
     * level M (41 modules; byte mode would need version 8). */
    assert_int_equal(w, 41);
    side = w + 2 * QUIET;
    for (i = 0; i < b.len; i++)
        lines += b.p[i] == '\n';
    assert_int_equal(lines, (size_t)(side + 1) / 2);
    qr = QRcode_encodeString(payload, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
    assert_non_null(qr);
    grid = calloc((size_t)side * (size_t)side, 1);
    assert_non_null(grid);
    read_back(kz_buf_str(&b), side, 1, grid);
    same_matrix(grid, side, qr);
    wa = kz_ui_qr_text(payload, &a, 0);
    assert_int_equal(wa, w);
    read_back(kz_buf_str(&a), side, 0, grid);
    same_matrix(grid, side, qr);
    free(grid);
    QRcode_free(qr);
    kz_buf_free(&a);
    kz_buf_free(&b);
}

static void
test_too_long(void **state)
{
    struct kz_buf b = {0};
    char *big = malloc(8001);

    (void)state;
    assert_non_null(big);
    memset(big, 'a', 8000);
    big[8000] = '\0';
    assert_int_equal(kz_ui_qr_text(big, &b, 1), -1);
    assert_int_equal(b.len, 0);
    free(big);
    kz_buf_free(&b);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_given_version),
        cmocka_unit_test(test_share_code),
        cmocka_unit_test(test_too_long),
    };

    if (kz_crypto_init() != 0)
        return 1;
    return cmocka_run_group_tests(tests, NULL, NULL);
}
