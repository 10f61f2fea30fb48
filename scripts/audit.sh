#!/bin/sh
# SPDX-License-Identifier: GPL-3.0-or-later
# A practice's nightly check of its kizuna vault, for cron (no terminal needed):
#
#   scripts/audit.sh --vault PATH --passphrase-file FILE [--head-file FILE] [--backup-dir DIR]
#
#   1. kizuna audit verify, against the head recorded by the previous run (none
#      on the first run), then records the new head in the head file (0600,
#      replaced atomically). Keep the head file off the vault's disk if you can:
#      it is what shows that the vault was rolled back to an older copy.
#   2. kizuna --json doctor, saved as doctor-YYYYMMDD-HHMMSS.json beside the head file.
#   3. with --backup-dir: kizuna backup create DIR/vault-YYYYMMDD-HHMMSS.age, encrypted
#      to the vault's backup recipients ('kizuna recipients add age1...'), unlocked with
#      the passphrase file so that its audit event is written with the key (doctor
#      counts only those).
#
# The head file defaults to PATH.head. KIZUNA names the binary (default: kizuna on
# PATH, else build/kizuna beside this script). Exits 0 on a healthy vault, else with
# kizuna's exit status (4: integrity, see kizuna(1)) and a one-line reason on stderr.
# Example crontab line:
#   30 2 * * * /opt/kizuna/scripts/audit.sh --vault /srv/kz/vault.kz \
#       --passphrase-file /root/.kizuna-pass --head-file /mnt/usb/kizuna.head --backup-dir /mnt/nas/kz
set -u
umask 077

me=audit.sh
die() { # status message
	echo "$me: $2" >&2
	exit "$1"
}
usage() { die 2 "usage: $me --vault PATH --passphrase-file FILE [--head-file FILE] [--backup-dir DIR]"; }

vault="" passfile="" headfile="" backupdir=""
while [ $# -gt 0 ]; do
	[ $# -ge 2 ] || usage
	case $1 in
	--vault) vault=$2 ;;
	--passphrase-file) passfile=$2 ;;
	--head-file) headfile=$2 ;;
	--backup-dir) backupdir=$2 ;;
	*) usage ;;
	esac
	shift 2
done
if [ -z "$vault" ] || [ -z "$passfile" ]; then usage; fi
[ -f "$vault" ] || die 6 "no vault at $vault"
[ -r "$passfile" ] || die 3 "cannot read the passphrase file $passfile"
[ -n "$headfile" ] || headfile=$vault.head
[ -z "$backupdir" ] || [ -d "$backupdir" ] || die 6 "no backup folder $backupdir"

if [ -n "${KIZUNA:-}" ]; then
	kz=$KIZUNA
elif command -v kizuna >/dev/null 2>&1; then
	kz=kizuna
else
	kz=$(dirname "$0")/../build/kizuna
fi

# kizuna with the vault and the passphrase file, never reading stdin.
kzp() { "$kz" --vault "$vault" --passphrase-file "$passfile" "$@" </dev/null; }

stamp=$(date +%Y%m%d-%H%M%S)
reportdir=$(dirname "$headfile")
# The head file's folder is made on the first run (0700: umask 077 above).
mkdir -p "$reportdir" || die 1 "cannot make the folder $reportdir for the head file"

# 1. The chain, against the last recorded head.
if [ -s "$headfile" ]; then
	kzp audit verify --expect-head "$(cat "$headfile")" >/dev/null
	rc=$?
	[ "$rc" -eq 0 ] || die "$rc" "audit chain check failed (exit $rc): the vault was altered or rolled back since the last run"
else
	kzp audit verify >/dev/null
	rc=$?
	[ "$rc" -eq 0 ] || die "$rc" "audit chain check failed (exit $rc)"
fi
head=$("$kz" --vault "$vault" audit head </dev/null)
rc=$?
[ "$rc" -eq 0 ] || die "$rc" "cannot read the audit head (exit $rc)"
[ -n "$head" ] || die 1 "kizuna printed no audit head"
tmp=$(mktemp "$headfile.XXXXXX") || die 1 "cannot write beside $headfile"
if ! { printf '%s\n' "$head" >"$tmp" && mv -f "$tmp" "$headfile"; }; then
	rm -f "$tmp"
	die 1 "cannot write the head file $headfile"
fi

# 2. The self-check, kept as a dated report.
report=$reportdir/doctor-$stamp.json
[ ! -e "$report" ] || report=$reportdir/doctor-$stamp-$$.json
kzp --json doctor >"$report"
rc=$?
[ "$rc" -eq 0 ] || die "$rc" "doctor found a problem (exit $rc): see $report"

# 3. The backup, to the configured recipients.
if [ -n "$backupdir" ]; then
	backup=$backupdir/vault-$stamp.age
	[ ! -e "$backup" ] || backup=$backupdir/vault-$stamp-$$.age
	kzp backup create "$backup" >/dev/null
	rc=$?
	[ "$rc" -eq 0 ] || die "$rc" "backup to $backup failed (exit $rc)"
fi
exit 0
