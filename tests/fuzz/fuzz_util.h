/* SPDX-License-Identifier: GPL-3.0-or-later */
/* What the libFuzzer harnesses share (tests/fuzz/README.md). Not part of kizuna. */
#ifndef KIZUNA_FUZZ_UTIL_H
#define KIZUNA_FUZZ_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* The libFuzzer entry points each harness defines. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Scrypt work factor above which the passphrase identity is not offered: 2^10
 * is what the age test vectors use, and keeps one try near a millisecond. */
#define KZF_MAX_LOGN 10

/* The passphrase and X25519 identity of the age test vectors (shared/testkit). */
#define KZF_PASSPHRASE "password"
#define KZF_IDENTITY "AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0"
#define KZF_RECIPIENT "age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef"
/* The passphrase of the scratch vaults (fuzz_import, fuzz_vault). */
#define KZF_VAULT_PASSPHRASE "fuzzing-passphrase-0123"

/* Once per process: a deterministic random generator (so that vaults and
 * sealed blobs made by a harness are the same in every run), libsodium, and
 * a UTF-8 character type as the kizuna binary sets it. */
void kzf_init(void);

/* A folder of this process in /dev/shm (or $KZ_FUZZ_TMP), removed at exit. */
const char *kzf_tmpdir(void);
/* tmpdir/name, malloc'd. */
char *kzf_path(const char *name);
/* Replaces the file at path with size bytes (0600); aborts on failure. */
void kzf_write(const char *path, const void *data, size_t size);
/* Removes path and the SQLite files next to it (-wal, -shm, -journal). */
void kzf_remove_db(const char *path);

/* A NUL-terminated malloc'd copy of data (which may hold NULs itself). */
char *kzf_strndup(const uint8_t *data, size_t size);
/* /dev/null opened for writing, once. */
FILE *kzf_devnull(void);

/* The largest scrypt work factor any stanza line of an age file (binary, or
 * armored: decoded line by line as the reader does) names; 0 if none. */
int kzf_scrypt_logn(const uint8_t *data, size_t size);

/* A broken invariant: prints the message and aborts, which libFuzzer reports
 * as a crash and saves the input. */
_Noreturn void kzf_fail(const char *file, int line, const char *what);
#define KZF_CHECK(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            kzf_fail(__FILE__, __LINE__, #cond);                                                   \
    } while (0)

#endif
