/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to the vault commands (src/cmd/vault_*.c): how key derivation is
 * described, in src/cmd/vault_info.c. */
#ifndef KIZUNA_CMD_VAULTCMD_H
#define KIZUNA_CMD_VAULTCMD_H

#include <stddef.h>

#include <jansson.h>

struct kz_kdf_params;

/* The key-derivation costs as JSON: algorithm, iterations, memory_kib, lanes. */
json_t *kz_cmd_kdf_json(const struct kz_kdf_params *k);
/* The same in words into buf: "Argon2id, t=3, m=64 MiB, 4 lanes". */
void kz_cmd_kdf_text(const struct kz_kdf_params *k, char *buf, size_t size);

#endif
