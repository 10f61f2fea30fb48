/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_DAYS_H
#define KIZUNA_DAYS_H

#include <stdint.h>

/* Days since 1970-01-01 of a valid yyyymmdd date (proleptic Gregorian;
 * Howard Hinnant's days_from_civil). The calendar arithmetic the model's
 * dates and the ui's timeline share. */
long kz_days_from_civil(uint32_t yyyymmdd);

#endif
