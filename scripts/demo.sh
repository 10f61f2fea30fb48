#!/usr/bin/env bash
# Makes a demo vault of fictional intercultural couples, so a newcomer can try
# every command in a minute:   scripts/demo.sh [PATH]   (default: demo.kz)
# The passphrase is printed at the end, on a line of its own; scripts/demo.sh
# --passphrase prints only it (make demo, when demo.kz exists already).
# Everything in it is invented.
set -euo pipefail
cd "$(dirname "$0")/.."
KZ=${KIZUNA:-build/kizuna}
VAULT=${1:-demo.kz}
PASS="demo only: never for real notes"
if [ "${1:-}" = "--passphrase" ]; then
	printf '%s\n' "$PASS"
	exit 0
fi

[ -x "$KZ" ] || make --no-print-directory "$KZ" >/dev/null
if [ -e "$VAULT" ]; then
	echo "demo: $VAULT exists; remove it or give another path" >&2
	exit 1
fi
passfile=$(mktemp)
trap 'rm -f "$passfile"' EXIT
printf '%s\n' "$PASS" >"$passfile"
kz() { "$KZ" --vault "$VAULT" --passphrase-file "$passfile" "$@"; }

kz init --kdf-memory 64M --kdf-iterations 3 >/dev/null
kz -f /dev/stdin <<'SCRIPT'
config set practice.name "Praxis am Kanal (demo)"
config set therapist.name "Dr. R. Demo"
themes add food
themes add visa

couple add C014 partner1.name=Aiko partner1.pronouns=she/her partner1.origin=Japan partner1.local=no "partner1.languages=ja:native, de:B1, en:C1" partner1.cultures=Japanese partner2.name=Jonas partner2.pronouns=he/him partner2.origin=Germany partner2.local=yes "partner2.languages=de:native, en:B2, ja:A2" residence=Germany "home_languages=de, en" "children_languages=de, ja" "children=Mia:2019:de ja" referral="GP, Dr. Weber" intake=2026-01-12 consent.supervision=yes
couple set C014 "formulation.problem=She speaks of loneliness (sabishisa); he hears criticism of his family." "formulation.causes=She links it to leaving her mother; he to the long winter." "formulation.stressors=Visa renewal, his mother's weekly visits; support: her friend in Düsseldorf." "formulation.identity=She feels 'too Japanese here, too German at home'." "formulation.coping=She writes to her sister; he works more." "formulation.relationship=She defers to the therapist; he tests authority."

couple add C021 partner1.name=Marisol partner1.origin=Colombia partner1.local=yes "partner1.languages=es:native, en:B2" partner2.name=Tom partner2.origin=Ireland partner2.local=no "partner2.languages=en:native, es:B1" residence=Colombia "home_languages=en, es" intake=2026-03-02 support="Her extended family; his online friends"

couple add C033 partner1.name=Karim partner1.origin=Morocco partner1.local=no "partner1.languages=ar:native, fr:fluent, nl:B1" partner2.name=Sanne partner2.origin=Netherlands partner2.local=yes "partner2.languages=nl:native, en:C1, fr:B1" residence=Netherlands "home_languages=nl, fr, ar" "children=Yasmin:2016:nl ar; Noor:2020:nl" intake=2025-10-20

goal add C014 "Talk about holidays without blame" --target 2026-12-01 --description "Plan the New Year visit to Osaka together."
goal add C014 "Aiko builds her own network in Hamburg" --partner 1 --target 2026-09-30
goal add C021 "Agree on the language of the home" --target 2026-10-15
goal add C033 "Share the bridge role: Sanne calls the school, Karim the family" --target 2026-08-01

session add C014 --date 2026-01-12 --minutes 75 --template psychodynamic --theme isolation,language,bridge-role --goal g1 --text "Intake. Aiko describes Sunday lunches at Jonas's parents: she follows one word in three and smiles. Jonas translates less as the afternoon goes on. Both mention the New Year holidays: her mother expects them in Osaka, his in Kassel." --process-notes "I noticed I addressed Jonas first twice. Countertransference: the host's ease."
session add C014 --date 2026-02-02 --theme holidays,family-of-origin --goal g1 --text "Holidays. They reconstruct last Christmas: Jonas's mother's question about 'your customs' heard as exclusion. Homework: each writes what a good holiday looked like at age ten." --homework "Write: a good holiday at age ten."
session add C014 --date 2026-02-16 --attended 1 --language ja --interpreter --theme isolation,identity --text "Individual session with Aiko (her request). She speaks of a miscarriage she has not told her mother about. She does not want Jonas to know yet how alone she felt." --process-notes "Hold this carefully in joint sessions."
session add C014 --date 2026-03-09 --theme silence,conflict --text "Silence as protest (hers) and as respect (his, learnt from his father). Naming the two meanings lowered the temperature."
session add C021 --date 2026-03-02 --modality video --theme language,parenting --goal g3 --text "Tom feels the children side with Marisol in Spanish; Marisol feels Tom's English is the language of money and rules."
session add C021 --date 2026-03-23 --modality video --theme autonomy,family-of-origin --text "Marisol's sisters visit daily. Tom asks for one evening a week alone; Marisol hears rejection of her family."
session add C033 --date 2025-10-20 --theme bridge-role,parenting --goal g4 --text "Sanne handles every call with the school; Karim feels sidelined as a father. Karim's mother calls daily in Darija."
session add C033 --date 2025-11-10 --theme dependency,migration --text "Karim's residence permit depends on the marriage; both avoid saying it. Named it today."
session add C014 --date 2026-03-23 --theme holidays,bridge-role --goal g1 --text "Aiko has joined a Japanese mothers' group; she glows telling it. Jonas is glad and quiet; asked, he says the house feels emptier on Saturdays."
session add C014 --date 2026-04-13 --theme family-of-origin,conflict --text "Jonas's mother's birthday. Aiko went and left early without drama. Jonas felt caught between the two of them all afternoon."
session add C014 --date 2026-05-04 --theme language,identity --text "Aiko speaks more German in the session. Jonas says he misses the English they met in; it was theirs."
session add C014 --date 2026-05-25 --theme silence --text "Jonas: 'everyone is getting better except me.' First time he names his own loneliness. Aiko surprised, then tender."
session add C014 --date 2026-06-15 --theme holidays,bridge-role --goal g1 --text "Planning Osaka together. Jonas again quieter; he wonders aloud whether these sessions are 'for her'. We agreed to talk about what he would need from them."
session sign s1
session sign s2
session amend s1 --text "Correction: the Sunday lunches are fortnightly, not weekly."

goal progress g1 3 --date 2026-01-12 --session s1 --note "Blame in both directions"
goal progress g1 4 --date 2026-02-02 --session s2
goal progress g1 6 --date 2026-03-09 --session s4 --note "Planned the first day of the visit together"

# Feedback every session (ORS before, SRS after): Aiko improves, Jonas stays flat
# and his alliance slips: the partners diverge (chart C014, flags C014).
score add s1 --partner 1 --measure ORS 4,4.5,5,4
score add s1 --partner 1 --measure SRS 8,8.5,8,8
score add s1 --partner 2 --measure ORS 6,6,6.5,6
score add s1 --partner 2 --measure SRS 9,9,9,9
score add s2 --partner 1 --measure ORS 4.5,5,5.5,5
score add s2 --partner 1 --measure SRS 9,9,8.5,9
score add s2 --partner 2 --measure ORS 6.5,6,6,6
score add s2 --partner 2 --measure SRS 9,9.5,9,9
score add s3 --partner 1 --measure ORS 5.5,5,6,5.5
score add s3 --partner 1 --measure SRS 9.5,9.5,9,9.5
score add s4 --partner 1 --measure ORS 6,6,6.5,6
score add s4 --partner 1 --measure SRS 9.5,9.5,9.5,9.5
score add s4 --partner 2 --measure ORS 6,6.5,6.5,6.5
score add s4 --partner 2 --measure SRS 9,9,9,9.5
score add s9 --partner 1 --measure ORS 6.5,7,6.5,7
score add s9 --partner 1 --measure SRS 9.5,9.5,10,9.5
score add s9 --partner 2 --measure ORS 6,6,6,6
score add s9 --partner 2 --measure SRS 9,8.5,9,9
score add s10 --partner 1 --measure ORS 7,7.5,7,7
score add s10 --partner 1 --measure SRS 9.5,10,9.5,9.5
score add s10 --partner 2 --measure ORS 6.5,6,6.5,6
score add s10 --partner 2 --measure SRS 9,9,9,9
score add s11 --partner 1 --measure ORS 7.5,7.5,7,7.5
score add s11 --partner 1 --measure SRS 10,9.5,10,9.5
score add s11 --partner 2 --measure ORS 6,6,6.5,6
score add s11 --partner 2 --measure SRS 8.5,9,8.5,9
score add s12 --partner 1 --measure ORS 7.5,8,7.5,8
score add s12 --partner 1 --measure SRS 10,9.5,10,9.5
score add s12 --partner 2 --measure ORS 6,5.5,6,6
score add s12 --partner 2 --measure SRS 8.5,8.5,8.5,8.5
score add s13 --partner 1 --measure ORS 8,8,7.5,8
score add s13 --partner 1 --measure SRS 9.5,10,10,9.5
score add s13 --partner 2 --measure ORS 6,6,6,6
score add s13 --partner 2 --measure SRS 8.5,8.5,9,8.5
score add s1 --partner 1 --measure CSI-4 9
score add s1 --partner 2 --measure CSI-4 12.5
score add s13 --partner 1 --measure CSI-4 15
score add s13 --partner 2 --measure CSI-4 12
# C021: both a little better; C033: Karim improves reliably, Sanne was fine from the start.
score add s5 --partner 1 --measure ORS 22
score add s5 --partner 2 --measure ORS 19
score add s5 --partner 1 --measure SRS 37
score add s5 --partner 2 --measure SRS 35
score add s6 --partner 1 --measure ORS 24
score add s6 --partner 2 --measure ORS 20.5
score add s6 --partner 1 --measure SRS 38
score add s6 --partner 2 --measure SRS 37
score add s7 --partner 1 --measure ORS 5,5,6,5
score add s7 --partner 2 --measure ORS 7,7,7.5,7
score add s8 --partner 1 --measure ORS 6.5,7,7,6.5
score add s8 --partner 2 --measure ORS 7,7.5,7.5,7
score add s7 --partner 1 --measure CSI-4 11
score add s7 --partner 2 --measure CSI-4 14
goal progress g3 2 --date 2026-03-02 --session s5
goal progress g4 5 --date 2025-11-10 --session s8
SCRIPT

echo "Demo vault: $VAULT"
echo "Passphrase (type it at the prompt):"
echo "$PASS"
echo "Try:  $KZ --vault $VAULT      then: couple list, couple show C014, session list C014,"
echo "      goal show g1, search holidays, search 'sabishisa', themes"
