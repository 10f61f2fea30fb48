/* SPDX-License-Identifier: GPL-3.0-or-later */
#include "kizuna/days.h"

long
kz_days_from_civil(uint32_t d)
{
    long y = (long)(d / 10000), m = (long)(d / 100 % 100), dd = (long)(d % 100);
    long era, yoe, doy, doe;

    y -= m <= 2;
    era = (y >= 0 ? y : y - 399) / 400;
    yoe = y - era * 400;
    doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + dd - 1;
    doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}
