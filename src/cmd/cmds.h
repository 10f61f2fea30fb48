/* SPDX-License-Identifier: GPL-3.0-or-later */
/* Private to src/cmd: the entries each command file exports, and shared helpers. */
#ifndef KIZUNA_CMD_CMDS_H
#define KIZUNA_CMD_CMDS_H

#include "kizuna/cmd.h"
#include "kizuna/model.h"
#include "events.h"

extern const struct kz_cmd_entry kz_cmd_init, kz_cmd_info, kz_cmd_passwd, kz_cmd_lock,
    kz_cmd_unlock, kz_cmd_recovery_rotate;
extern const struct kz_cmd_entry kz_cmd_config_set, kz_cmd_config_get, kz_cmd_config_list,
    kz_cmd_config_unset;
extern const struct kz_cmd_entry kz_cmd_help, kz_cmd_quit;
extern const struct kz_cmd_entry kz_cmd_couple_add, kz_cmd_couple_set, kz_cmd_couple_list,
    kz_cmd_couple_show, kz_cmd_couple_edit, kz_cmd_couple_close, kz_cmd_couple_delete;
extern const struct kz_cmd_entry kz_cmd_couple_erase; /* couple_erase.c */
extern const struct kz_cmd_entry kz_cmd_couple_reopen, kz_cmd_couple_hold, kz_cmd_couple_release,
    kz_cmd_retention; /* issue #16: couple_life.c, retention.c */
extern const struct kz_cmd_entry kz_cmd_session_add, kz_cmd_session_list, kz_cmd_session_show,
    kz_cmd_session_edit, kz_cmd_session_sign, kz_cmd_session_amend, kz_cmd_session_void,
    kz_cmd_session_delete;
extern const struct kz_cmd_entry kz_cmd_goal_add, kz_cmd_goal_list, kz_cmd_goal_show,
    kz_cmd_goal_progress, kz_cmd_goal_done, kz_cmd_goal_drop;
extern const struct kz_cmd_entry kz_cmd_score_add, kz_cmd_score_list, kz_cmd_score_show,
    kz_cmd_score_remove, kz_cmd_measure_define, kz_cmd_measure_list, kz_cmd_measure_show,
    kz_cmd_measure_remove;
extern const struct kz_cmd_entry kz_cmd_themes, kz_cmd_themes_list, kz_cmd_themes_add;
extern const struct kz_cmd_entry kz_cmd_search;
/* Wipes and frees search's in-memory index (the vault's lock hook calls it
 * too); a no-op when there is none. */
void kz_search_forget(struct kz_state *st);
extern const struct kz_cmd_entry kz_cmd_flags; /* src/cmd/flags.c */
extern const struct kz_cmd_entry kz_cmd_chart;
extern const struct kz_cmd_entry kz_cmd_template_add, kz_cmd_template_list,
    kz_cmd_template_show, kz_cmd_template_remove;
extern const struct kz_cmd_entry kz_cmd_export, kz_cmd_import;
extern const struct kz_cmd_entry kz_cmd_timeline;
extern const struct kz_cmd_entry kz_cmd_report;
extern const struct kz_cmd_entry kz_cmd_audit_log, kz_cmd_audit_verify, kz_cmd_audit_head,
    kz_cmd_doctor, kz_cmd_rekey;
extern const struct kz_cmd_entry kz_cmd_custodian_setup, kz_cmd_custodian_status,
    kz_cmd_custodian_revoke, kz_cmd_custodian_acknowledge;

extern const struct kz_cmd_entry kz_cmd_keygen, kz_cmd_recipients_add, kz_cmd_recipients_list,
    kz_cmd_recipients_remove, kz_cmd_backup_create, kz_cmd_backup_verify,
    kz_cmd_backup_restore;

/* Reads a new passphrase: from file if given, else (use_global) from
 * --passphrase-fd/-file, else twice on the terminal; checks its strength.
 * *out in secure memory. */
int kz_cmd_new_passphrase(struct kz_state *st, const char *file, int use_global, char **out,
                          size_t *len, struct kz_err *err);

/* ---- custodian (src/cmd/custodian*.c): emergency access ---- */
struct kz_share;
/* Custodian shares for an unlock (at most KZ_CMD_SHARES_MAX into s): from the
 * --share-file files, else asked on the terminal one after another (unlock
 * --shares), each decoded as typed and a mistyped one asked again. */
#define KZ_CMD_SHARES_MAX 16
int kz_cmd_read_shares(struct kz_state *st, struct kz_share *s, size_t *count,
                       struct kz_err *err);
/* How an unlock with shares is logged: "custodian shares 1, 3, 5". */
void kz_cmd_shares_how(const struct kz_share *s, size_t count, char *how, size_t size);
/* Share s's printable sheet (plain text; qr: the share's QR code as text, or
 * NULL) into out (size bytes; give secure memory: it holds the share):
 * 0, or -1 when it does not fit. */
#define KZ_SHARE_SHEET_MAX 16384
int kz_cmd_share_sheet(const struct kz_share *s, long long created, const char *qr, char *out,
                       size_t size);
/* A time in seconds as YYYY-MM-DD (UTC) into buf. */
void kz_cmd_share_date(long long t, char *buf, size_t size);
/* The newest opening by custodian shares in the audit trail: its time into t
 * ("" when none) and how ("custodian shares 1, 3, 5") into how; *pending 1
 * when no 'custodian acknowledge' followed it. */
int kz_cmd_custodian_opening(struct kz_state *st, char *t, size_t tsize, char *how,
                             size_t howsize, int *pending, struct kz_err *err);
/* A new master key as rekey makes (src/cmd/vault_rekey.c): the passphrase asked
 * again, revoked said, the new recovery key shown once. */
int kz_cmd_rekey_and_say(struct kz_state *st, const char *cmd, const char *newpass,
                         size_t newlen, int progress, const char *revoked, struct kz_err *err);

/* Text for a note: --text, --text-file FILE ("-" for stdin), else $EDITOR on a
 * terminal (starting from initial), else inline lines from the script ending
 * with a lone "." . *out malloc'd, wipe it with kz_vault_plain_free. While the
 * editor or standard input is read, a change that has written nothing yet is
 * let go (kz_vault_release), so that other processes can write meanwhile;
 * KZ_CMD_AGAIN when one did: kz_cmd_run runs the command again from the new
 * state, and this gives it the same text. */
int kz_cmd_text(struct kz_state *st, const char *initial, const char *text, const char *file,
                char **out, size_t *len, struct kz_err *err);
/* Not an exit status: kz_cmd_text's "run the command again" (never leaves
 * kz_cmd_run). */
#define KZ_CMD_AGAIN 100
/* Wipes the texts kz_cmd_text kept for a run again. */
void kz_cmd_text_forget(struct kz_state *st);
/* 1 if a text holds nothing written: only blanks, or initial unchanged (a
 * template's headings; NULL: none) but for blanks at either end. */
int kz_cmd_text_empty(const char *text, size_t len, const char *initial);
/* Asks question on the terminal: [y/N], or (typed not NULL) for the word
 * typed to be typed back. The change is let go while the question waits, as
 * kz_cmd_text does: KZ_CMD_AGAIN when the answer was yes and another process
 * wrote meanwhile (kz_cmd_run runs the command again from the new state, and
 * this gives the same question the same answer without asking). *ok: 1 yes,
 * 0 no. */
int kz_cmd_ask(struct kz_state *st, const char *question, const char *typed, int *ok,
               struct kz_err *err);
/* KZ_OK unless path is the vault file or its -wal, -shm or -journal (the same
 * inode): then KZ_EUSAGE saying so. A file a command opens and closes itself
 * must never be the vault's: closing it would drop the process's POSIX locks
 * on it, SQLite's too (import vault.kz by mistake). */
int kz_cmd_not_vault(const struct kz_state *st, const char *path, struct kz_err *err);
/* The whole of the file at path into out (at most max bytes, else KZ_EUSAGE
 * naming it). Not a regular file (a pipe, a FIFO, a process substitution):
 * the change is let go while it delivers, as kz_cmd_text does for the editor.
 * Kept for a run again, which gets the same bytes without reading. */
int kz_cmd_read_input(struct kz_state *st, const char *path, size_t max, struct kz_buf *out,
                      struct kz_err *err);
/* 1 while a run again gives back inputs kept from the first run (what was
 * shown to the person before them need not be shown again). */
int kz_cmd_replaying(const struct kz_state *st);
/* Asks question on the terminal until the answer starts with one of keys:
 * *choice that key, or 0 (Ctrl-C, end of input, no terminal). The change is
 * let go meanwhile and the idle lock may reach it, as kz_cmd_ask: KZ_CMD_AGAIN
 * when another process wrote meanwhile or the vault locked and was unlocked
 * (the run again gets the same choice without asking). */
int kz_cmd_choose(struct kz_state *st, const char *question, const char *keys, int *choice,
                  struct kz_err *err);
/* A passphrase typed on the terminal after prompt (*out in secure memory),
 * the change let go meanwhile as kz_cmd_ask does: KZ_CMD_AGAIN when another
 * process wrote meanwhile, and the run again gets what was typed (kept in
 * secure memory until the command ends). One per command: a second prompt in
 * the same run is asked as kz_ui_read_secret_tty does, the change held. */
int kz_cmd_ask_secret(struct kz_state *st, const char *prompt, char **out, size_t *len,
                      struct kz_err *err);
/* The same for a secret read from the first line of file (--backup-passphrase-
 * file inside a change): the change is let go only when file is not a regular
 * one (a FIFO, <(pass show ...) waiting for a PIN). */
int kz_cmd_secret_file(struct kz_state *st, const char *file, char **out, size_t *len,
                       struct kz_err *err);
/* Asks before something irreversible: yes (--yes) or a terminal answer. The
 * change is let go while the question waits, as kz_cmd_text does (and
 * KZ_CMD_AGAIN, the answer kept, when another process wrote meanwhile). */
int kz_cmd_confirm(struct kz_state *st, int yes, const char *question, struct kz_err *err);

/* ---- dates (src/cmd/dates.c) ---- */
/* The config date-format as KZ_DATE_* (KZ_DATE_ISO when unset or locked). */
int kz_config_date_style(struct kz_state *st);
/* The style dates are shown in for this command: ISO in JSON mode, else the
 * config date-format. Call once per command, not per row. */
int kz_cmd_date_style(struct kz_state *st);
/* A date typed for opt ("--date") in any form kz_date_read takes -> *out;
 * KZ_EUSAGE "OPT: 'X' is not a date (...)" or "OPT: 31.02.2026 is not a date (...)". */
int kz_cmd_date_read(struct kz_state *st, const char *opt, const char *text, uint32_t *out,
                     struct kz_err *err);
/* Dates before this are unlikely for anything kizuna records. */
#define KZ_DATE_PLAUSIBLE_FROM 19500101u
/* Before d is kept: a date more than ahead days after today or before 1950
 * asks on a terminal ("2062-03-01 is 36 years ahead: keep it? [y/N]"); without
 * one it needs yes (--yes), else KZ_EUSAGE saying to add --yes. */
int kz_cmd_date_check(struct kz_state *st, const char *opt, uint32_t d, long ahead, int yes,
                      struct kz_err *err);
/* A stored ISO date as shown in style (buf: 11 bytes): iso itself when the
 * style is ISO or iso is not a date (an imported record may hold anything). */
const char *kz_cmd_date_shown(int style, const char *iso, char *buf);

/* ---- --limit N (src/cmd/parse.c) ---- */
/* The rows a list shows: --limit's text (0: all; anything but a number
 * KZ_EUSAGE "CMD: --limit takes a number of rows (0 for all), not 'X'"), else
 * a screenful on a terminal (its rows less a few, at least 10) and every row
 * (0) for a script, a pipe or --json. */
int kz_cmd_limit(struct kz_state *st, const char *cmd, const char *text, long *out,
                 struct kz_err *err);
/* "1234567" -> "1,234,567" into buf (for the line that says how many rows a
 * --limit left out). */
const char *kz_cmd_grouped(size_t n, char *buf, size_t size);

/* ---- age for the commands (src/cmd/agecmd.c); new files: tmpfile, commit_file,
 * abspath and sync_folder (src/cmd/newfile.c) ---- */
struct kz_age_recipient;
struct kz_age_identity;
/* Recipients from "age1..." strings; KZ_EUSAGE naming a bad one. *r malloc'd. */
int kz_cmd_parse_recipients(const char *const *to, int nto, struct kz_age_recipient **r,
                            size_t *n, struct kz_err *err);
/* text (len bytes) as an age file for the nr recipients r (armor: ASCII
 * armour) written to the descriptor *fd: export and report. */
int kz_cmd_age_write(int *fd, const void *text, size_t len, const struct kz_age_recipient *r,
                     size_t nr, int armor, struct kz_err *err);
/* Identities to open an age file: the X25519 identities in identity_file, else a
 * passphrase from passfile or the terminal, which runs scrypt work factors up to
 * max_work (--max-work-factor: "1" to "22"; NULL: 20; else KZ_EUSAGE before
 * anything is asked). Free with kz_cmd_identities_free. */
int kz_cmd_identities(struct kz_state *st, const char *identity_file, const char *passfile,
                      const char *max_work, struct kz_age_identity **ids, size_t *n,
                      struct kz_err *err);
/* After kz_age_decrypt failed with status: a work factor above the limit is
 * reported naming file and --max-work-factor (KZ_ERR); returns err->code. */
int kz_cmd_age_limit(const char *file, int status, struct kz_err *err);
void kz_cmd_identities_free(struct kz_age_identity *ids, size_t n);
/* A new file created 0600 next to path as "path.tmp-XXXXXX" (its name in tmp):
 * the descriptor, or -1 with err set. */
int kz_cmd_tmpfile(const char *path, char *tmp, size_t size, struct kz_err *err);
/* fsyncs fd, renames tmp to path and fsyncs the folder. noreplace 0: an
 * existing path is replaced whole (atomically); 1: it is never replaced, even
 * one that appeared since any earlier check (renameat2 RENAME_NOREPLACE):
 * KZ_ERR "appeared meanwhile". On failure tmp is shredded and removed. */
int kz_cmd_commit_file(int fd, const char *tmp, const char *path, int noreplace,
                       struct kz_err *err);

/* An age file read from a descriptor (a file or standard input) whose first
 * bytes can be read twice: kz_cmd_age_needs reads the header, then the
 * decryption starts again from the first byte. fd is not closed here. */
struct kz_cmd_agein {
    int fd;
    unsigned char *buf; /* what was read while recording */
    size_t len, cap, pos;
    int recording;
};
ssize_t kz_cmd_agein_read(void *ctx, void *buf, size_t len);
void kz_cmd_agein_rewind(struct kz_cmd_agein *a);
void kz_cmd_agein_free(struct kz_cmd_agein *a);
/* Reads the header of the age file in (name for messages) and rewinds it: its
 * failure (*status its class), or, when neither identity nor passfile is given
 * and only age keys open it, KZ_EAUTH saying so (no passphrase is asked for a
 * file no passphrase opens). */
int kz_cmd_age_needs(struct kz_state *st, const char *name, struct kz_cmd_agein *in,
                     const char *identity, const char *passfile, int *status,
                     struct kz_err *err);
/* path with its folder made absolute and real (links followed): where the file
 * lands. 0, or -1 (the folder does not resolve; out gets path as given). */
int kz_cmd_abspath(const char *path, char *out, size_t size);
/* 1 when the folder a new file at path lands in is synced elsewhere: a git work
 * tree, or a Dropbox, Syncthing, Nextcloud, ownCloud, OneDrive, iCloud, Google
 * Drive, pCloud or Seafile folder, found by its marker files walking up from
 * the folder or by a folder's name; *service names it ("git", "Dropbox") and
 * where the folder that showed it. */
int kz_cmd_sync_folder(const char *path, char *where, size_t wsize, const char **service);

/* ---- records (src/cmd/records.c): the heads index and sealed JSON bodies ---- */

/* Calls cb for every record head (decoded); cb returns non-zero to stop. */
int kz_rec_scan(struct kz_state *st, int (*cb)(void *ctx, const unsigned char *id,
                                               const struct kz_head_info *hi),
                void *ctx, struct kz_err *err);
/* kz_rec_scan for the heads of one kind (KZ_KIND_*; -1: any) whose parent
 * is the couple id (NULL: any) alone: the others are only peeked at, not
 * decoded (at 100,000 notes a couple's thousand are decoded, not all). */
int kz_rec_scan_kind(struct kz_state *st, int kind, const unsigned char *parent,
                     int (*cb)(void *ctx, const unsigned char *id, const struct kz_head_info *hi),
                     void *ctx, struct kz_err *err);
/* Record id -> position among n items (each starting with its 16-byte id,
 * stride bytes apart): for a pass over every head that finds each child's
 * couple among a hundred (a binary search cost couple list a third of its
 * time). Random ids: their first 8 bytes are the hash. */
struct kz_idmap {
    uint32_t *slot; /* position + 1; 0: empty */
    size_t mask;
    const unsigned char *items;
    size_t stride;
};
void kz_idmap_build(struct kz_idmap *m, const void *items, size_t n, size_t stride);
/* The item with id, or NULL. */
void *kz_idmap_find(const struct kz_idmap *m, const unsigned char *id);
void kz_idmap_free(struct kz_idmap *m);

/* A couple's sessions and goals: ids with their heads, in index order. */
struct kz_rec_child {
    unsigned char id[KZ_RECORD_ID_BYTES];
    struct kz_head_info hi;
};
/* The sessions and goals whose parent is the couple id (NULL: of every
 * couple): *out (free it with kz_wipe_free) and *n. The one scan for a
 * couple's children; kz_couple_tally_add (model_couple.h) counts them. */
int kz_rec_children(struct kz_state *st, const unsigned char *couple,
                    struct kz_rec_child **out, size_t *n, struct kz_err *err);
/* The first record of a kind (config, themes): KZ_OK, or KZ_ENOTFOUND quietly. */
int kz_rec_find_kind(struct kz_state *st, int kind, unsigned char *id, struct kz_head_info *hi,
                     struct kz_err *err);
/* The couple with CODE, matched without regard to case (c014 finds C014):
 * KZ_ENOTFOUND "no couple CODE". Two couples whose codes differ only in case
 * (a vault from before codes ignored case) are never guessed between: KZ_ERR
 * naming both. id or hi may be NULL; hi->code is the code as stored. */
int kz_rec_find_couple(struct kz_state *st, const char *code, unsigned char *id,
                       struct kz_head_info *hi, struct kz_err *err);
/* The same, but among such twins the one whose code is CODE byte for byte
 * wins: the way out of an ambiguity (export and couple delete only). */
int kz_rec_find_couple_exact(struct kz_state *st, const char *code, unsigned char *id,
                             struct kz_head_info *hi, struct kz_err *err);
/* A session ("s12" or "12") or goal ("g3" or "3") by short id. */
int kz_rec_find_num(struct kz_state *st, int kind, const char *arg, unsigned char *id,
                    struct kz_head_info *hi, struct kz_err *err);
/* The couple CODE a record's parent id names ("?" if gone) into code. */
void kz_rec_parent_code(struct kz_state *st, const unsigned char *parent, char *code);
/* The next short id for sessions or goals: never one given before. */
uint32_t kz_rec_next_num(struct kz_state *st, int kind);
/* KZ_EINTEGRITY "record ID has a malformed head" (src/cmd/recindex.c). */
int kz_rec_malformed(const struct kz_head *h, struct kz_err *err);
/* Lookups kept over the heads (src/cmd/recindex.c), up to date with them:
 * the largest short id of a kind; how many heads hold kind and short id num,
 * with its id in id when *known (one head, sure which); the couples' ids (valid
 * until the next change). Errors as kz_vault_heads. */
int kz_recix_max(struct kz_state *st, int kind, uint32_t *max, struct kz_err *err);
int kz_recix_num(struct kz_state *st, int kind, uint32_t num, uint32_t *count, unsigned char *id,
                 int *known, struct kz_err *err);
int kz_recix_couples(struct kz_state *st, const unsigned char (**ids)[KZ_RECORD_ID_BYTES],
                     size_t *n, struct kz_err *err);
/* Records that ids up to num are taken (in the sealed config record). */
int kz_rec_claim_num(struct kz_state *st, int kind, uint32_t num, struct kz_err *err);
/* Opens and parses a body (KZ_EINTEGRITY if it is not a JSON object). */
int kz_rec_load(struct kz_state *st, const unsigned char *id, json_t **doc, struct kz_err *err);
/* Parses record id's opened body as kz_rec_load does (for kz_vault_records_open's
 * callbacks, which get bodies already opened; no state touched). */
int kz_rec_doc(const unsigned char *id, const char *body, size_t len, json_t **doc,
               struct kz_err *err);
/* Opens a body and reads it with a kind's strict decoder (kz_couple_decode,
 * kz_conf_decode); a refusal names the record ("record 0c49...: ..."). */
int kz_rec_load_as(struct kz_state *st, const unsigned char *id,
                   int (*decode)(const char *text, size_t len, json_t **out, struct kz_err *err),
                   json_t **doc, struct kz_err *err);
/* 1 if the record couple is a closed (archived) couple, its code then in
 * code (KZ_CODE_MAX + 1 bytes; may be NULL); else 0. Reads the heads only. */
int kz_rec_couple_closed(struct kz_state *st, const unsigned char *couple, char *code);
/* KZ_OK unless hi is a session, goal or score of a closed couple (archived,
 * read-only): then KZ_ERR "C014 is closed (archived): couple reopen C014 to
 * change it". kz_rec_save checks it; deletions of a child call it first. */
int kz_rec_child_writable(struct kz_state *st, const struct kz_head_info *hi,
                          struct kz_err *err);
/* Seals doc with the head hi under id (refused for a closed couple's child,
 * see kz_rec_child_writable). */
int kz_rec_save(struct kz_state *st, const unsigned char *id, const struct kz_head_info *hi,
                json_t *doc, struct kz_err *err);
/* "s12" / "g3" for display. */
void kz_rec_num_text(int kind, uint32_t num, char *buf, size_t size);

/* ---- themes (src/cmd/themes.c) ---- */
/* 1 if name is a starter theme or one the therapist added, else 0. */
int kz_themes_known(struct kz_state *st, const char *name);
/* A theme as typed, with A-Z folded to a-z into buf ("Holidays" is holidays);
 * name itself when it does not fit (it is no theme then). */
#define KZ_THEME_BUF 164
const char *kz_theme_fold(const char *name, char *buf, size_t size);
/* Calls cb for every theme: the starter vocabulary, then the therapist's own. */
void kz_themes_foreach(struct kz_state *st, void (*cb)(void *ctx, const char *name), void *ctx);

/* ---- note templates (src/cmd/templates.c) ---- */
/* The text a note starts from with template name: built-in or the therapist's
 * own, in *out (malloc'd; free with kz_vault_plain_free). KZ_ENOTFOUND "no
 * template NAME", or the error of reading the sealed record. */
int kz_template_text(struct kz_state *st, const char *name, char **out, struct kz_err *err);
/* Calls cb for every template name: the built-in ones, then the therapist's. */
void kz_templates_foreach(struct kz_state *st, void (*cb)(void *ctx, const char *name),
                          void *ctx);

#endif
