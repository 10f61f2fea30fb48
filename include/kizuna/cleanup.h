/* SPDX-License-Identifier: GPL-3.0-or-later */
#ifndef KIZUNA_CLEANUP_H
#define KIZUNA_CLEANUP_H

#include <sys/types.h>
#include <termios.h>

/*
 * Plaintext files that exist for a while (the editor's file in /dev/shm, an
 * export's temporary file) are registered while they exist. Meanwhile
 * SIGTERM, SIGHUP, SIGINT and SIGQUIT shred them (zeros, fsync), unlink them,
 * and the process then dies of the signal with its usual status, in one-shot
 * and shell mode alike (the shell's own handlers are put back when the last
 * file goes). An editor's process registered with its file is killed
 * (SIGKILL: it can write nothing more) and reaped first, and the terminal's
 * modes are put back. While an editor runs, SIGINT and SIGQUIT from the
 * terminal's keys are left to the editor; sent by a process, they count.
 */

/* Registers path (copied) and fd (or -1): a handle, or -1 if the registry is
 * full or the path too long (the caller then goes on unprotected). */
int kz_cleanup_add(const char *path, int fd);
/* Also shreds these files if they exist (an editor's backup and emergency
 * files beside path); NULL-terminated, each shorter than 256 bytes. */
void kz_cleanup_side_files(int h, const char *const *paths);
/* The editor's process (0: none any more) and the terminal modes to restore
 * on stdin (NULL: none). Call with the four signals blocked around fork. */
void kz_cleanup_child(int h, pid_t pid, const struct termios *tty);
/* Forgets the entry (the caller shreds or renames the file itself). */
void kz_cleanup_remove(int h);

/* From now on SIGBUS (a mapped file cut short under the process: the vault
 * during a walk, or its -shm index) shreds the registered files, says so in
 * one line on stderr and exits 4 (integrity), rather than the process dying
 * without a word. main calls it once. */
void kz_cleanup_fault_install(void);

/* Overwrites fd's bytes with zeros and fsyncs it. Async-signal-safe. */
void kz_shred_fd(int fd);
/* Shreds the regular file at path (never through a symbolic link) and
 * unlinks it: 0, or -1 with errno (ENOENT if there is none). Async-signal-safe. */
int kz_shred_path(const char *path);

/* Renames from to to unless to exists (renameat2 RENAME_NOREPLACE; where the
 * file system cannot, link() then unlink()): 0, or -1 with errno (EEXIST
 * when to exists, whatever appeared there since any earlier check). */
int kz_rename_noreplace(const char *from, const char *to);
/* The fallback alone (link, then unlink from), for the unit test. */
int kz_link_noreplace(const char *from, const char *to);

#endif
