#!/usr/bin/env bats
# report (issue #15): a couple's scores and sessions as a self-contained SVG or
# HTML picture, plain (0600, never over a file without --force, never into a
# synced folder without --yes) or through age; well-formed, renders, carries
# no name beyond the code and "Partner 1/2" (first names with --names), and
# nothing else from the profile or the notes.

load helpers

# A couple with a full profile, a note and a theme, joint and individual
# sessions with a gap of ten weeks. Every word a report must not carry is a
# canary.
setup_couple() {
	new_vault
	SUR1=$(canary)
	SUR2=$(canary)
	CHILD=$(canary)
	PLACE=$(canary)
	NOTE=$(canary)
	THEME=t$(canary | tail -c 8)
	kzp couple add C014 "partner1.name=Aiko $SUR1" "partner2.name=J<o>&n\"a's $SUR2" \
		"partner1.origin=$PLACE" "children=$CHILD:2019:de" >/dev/null
	kzp themes add "$THEME" >/dev/null
	kzp session add C014 --date 2026-01-05 --theme "$THEME" --text "$NOTE" >/dev/null
	kzp session add C014 --date 2026-01-12 --attended 1 --text "$NOTE" >/dev/null
	kzp session add C014 --date 2026-01-19 --attended 2 --text "$NOTE" >/dev/null
	kzp session add C014 --date 2026-04-01 --text "$NOTE" >/dev/null
	kzp score add s1 --partner 1 --measure ORS 4,5,5,6 >/dev/null
	kzp score add s2 --partner 1 --measure ORS 22.5 >/dev/null
	kzp score add s4 --partner 1 --measure ORS 31 >/dev/null
	kzp score add s1 --partner 2 --measure ORS 30 >/dev/null
	kzp score add s3 --partner 2 --measure ORS 24 >/dev/null
	kzp score add s4 --partner 2 --measure ORS 19 >/dev/null
	kzp score add s4 --partner 2 --measure SRS 33 >/dev/null
	export KIZUNA_TEST_TODAY=2026-04-10
}

# PNG width, height, and whether its pixels are more than blank: at least
# 6 distinct colours and 1% of them not white (python3: a test dependency).
png_check() {
	python3 - "$1" <<'EOF'
import struct, sys, zlib
d = open(sys.argv[1], 'rb').read()
assert d[:8] == b'\x89PNG\r\n\x1a\n', 'not a PNG'
w, h, depth, ctype = struct.unpack('>IIBB', d[16:26])
assert depth == 8 and ctype in (2, 6), (depth, ctype)
bpp = 4 if ctype == 6 else 3
pos, idat = 8, b''
while pos < len(d):
    n, = struct.unpack('>I', d[pos:pos + 4]); t = d[pos + 4:pos + 8]
    if t == b'IDAT': idat += d[pos + 8:pos + 8 + n]
    pos += 12 + n
raw, stride, prev, px = zlib.decompress(idat), w * bpp, bytearray(w * bpp), []
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0; b = prev[i]; c = prev[i - bpp] if i >= bpp else 0
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + b) & 255
        elif f == 3: line[i] = (line[i] + (a + b) // 2) & 255
        elif f == 4:
            p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
    px += [bytes(line[i:i + 3]) for i in range(0, stride, bpp)]; prev = line
colours = len(set(px)); dark = sum(1 for p in px if p != b'\xff\xff\xff')
print(w, h, colours >= 6 and dark * 100 >= len(px))
EOF
}

# Nothing in the file reaches outside it.
assert_self_contained() {
	! grep -qi '<script' "$1"
	! grep -qi 'href' "$1"
	! grep -qi 'url(' "$1"
	! grep -qi '@import' "$1"
	[ "$(grep -oiE 'https?://[^" ]*' "$1" | sort -u)" = "http://www.w3.org/2000/svg" ]
}

@test "report: a well-formed, self-contained SVG that renders at 800x560 with content" {
	setup_couple
	run kzp report C014 -o "$T/r.svg"
	[ "$status" -eq 0 ]
	[[ "$output" == *"written to $T/r.svg"* ]]
	[ "$(mode_of "$T/r.svg")" = 600 ]
	xmllint --noout "$T/r.svg"
	assert_self_contained "$T/r.svg"
	grep -q 'font-family="sans-serif"' "$T/r.svg"
	grep -q 'cut-off 25' "$T/r.svg"
	grep -q '2026-01-05' "$T/r.svg"
	grep -q '10 weeks' "$T/r.svg"
	grep -q 'Partner 2 alone' "$T/r.svg"
	# Both partners' scores: a line each (partner 2's dashed), three circles
	# and three squares in the chart, the bands around 20 and 30 (+-5).
	[ "$(grep -c '^<polyline' "$T/r.svg")" = 2 ]
	grep -q '^<polyline fill="none" stroke="#c2410c" stroke-width="2" stroke-dasharray="7 4"' "$T/r.svg"
	grep -q 'No scores yet' "$T/r.svg" && false
	grep -q 'Made 2026-04-10' "$T/r.svg"
	# The first ORS total (20) sits at y 180, partner 1's band from 25 to 15.
	grep -q '<circle cx="[0-9.]*" cy="180.0" r="4"' "$T/r.svg"
	grep -q '<rect x="150.0" y="152.5" width="620.0" height="55.0" fill="#1b6ca8"' "$T/r.svg"
	kzp report C014 -o "$T/srs.svg" --measure srs >/dev/null
	grep -q 'SRS (Session Rating Scale)' "$T/srs.svg"
	grep -q 'cut-off 36' "$T/srs.svg"
	[ "$(grep -c '^<polyline' "$T/srs.svg")" = 0 ]
	rsvg-convert -f png "$T/r.svg" >"$T/r.png"
	[ "$(png_check "$T/r.png")" = "800 560 True" ]
	# The check can fail: a blank picture of that size does not pass.
	printf '<svg xmlns="http://www.w3.org/2000/svg" width="800" height="560"/>' >"$T/blank.svg"
	rsvg-convert -f png -b white "$T/blank.svg" >"$T/blank.png"
	[ "$(png_check "$T/blank.png")" = "800 560 False" ]
	# Audited as an export by report.
	kzp --json audit log | jq -e 'map(select(.event == "export" and .cmd == "report" and .couple == "C014")) | length == 2'
}

@test "report: the HTML page is well-formed HTML and XML, the same picture inline, no script" {
	setup_couple
	kzp report c014 -o "$T/r.html" >/dev/null
	kzp report C014 -o "$T/r.svg" >/dev/null
	xmllint --noout "$T/r.html"
	xmllint --html --noout "$T/r.html" 2>"$T/html.err" || true
	! grep -v 'Tag \(svg\|title\|rect\|text\|line\|path\|polyline\|circle\) invalid' "$T/html.err" |
		grep -q 'error'
	assert_self_contained "$T/r.html"
	head -1 "$T/r.html" | grep -q '^<!DOCTYPE html>$'
	# The SVG in the page is the SVG file's, byte for byte.
	sed -n '/^<svg /,/^<\/svg>$/p' "$T/r.html" >"$T/inline.svg"
	sed -n '/^<svg /,/^<\/svg>$/p' "$T/r.svg" >"$T/file.svg"
	[ -s "$T/inline.svg" ]
	cmp "$T/inline.svg" "$T/file.svg"
	rsvg-convert -f png "$T/inline.svg" >"$T/r.png"
	[ "$(png_check "$T/r.png")" = "800 560 True" ]
}

@test "report: no name, child, place, note or theme from the profile; --names adds first names only" {
	setup_couple
	kzp report C014 -o "$T/plain.svg" >/dev/null
	kzp report C014 -o "$T/named.html" --names >/dev/null
	for w in Aiko "$SUR1" "$SUR2" "$CHILD" "$PLACE" "$NOTE" "$THEME"; do
		assert_absent "$w" "$T/plain.svg"
	done
	for w in "$SUR1" "$SUR2" "$CHILD" "$PLACE" "$NOTE" "$THEME"; do
		assert_absent "$w" "$T/named.html"
	done
	grep -q '>Aiko<' "$T/named.html"
	# A name with markup in it comes out escaped, and the page stays well-formed.
	grep -q 'J&lt;o&gt;&amp;n&quot;a&apos;s' "$T/named.html"
	xmllint --noout "$T/named.html"
	grep -q '>Partner 1<' "$T/plain.svg"
}

@test "report --to: an age file the stock age opens, equal to the plain report" {
	setup_couple
	age-keygen -o "$T/age.id" 2>/dev/null
	R=$(age-keygen -y "$T/age.id")
	run kzp report C014 -o "$T/r.svg.age" --to "$R"
	[ "$status" -eq 0 ]
	[[ "$output" == *"age-encrypted"* ]]
	[ "$(mode_of "$T/r.svg.age")" = 600 ]
	head -c 21 "$T/r.svg.age" | grep -q 'age-encryption.org/v1'
	! grep -q 'Partner' "$T/r.svg.age"
	age -d -i "$T/age.id" "$T/r.svg.age" >"$T/dec.svg"
	kzp report C014 -o "$T/plain.svg" >/dev/null
	cmp "$T/dec.svg" "$T/plain.svg"
	# Named as given: FILE.html with --to is an age file under that name.
	kzp report C014 -o "$T/r.html" --to "$R" --armor >/dev/null
	head -1 "$T/r.html" | grep -q 'BEGIN AGE ENCRYPTED FILE'
	age -d -i "$T/age.id" "$T/r.html" | xmllint --noout -
}

@test "report: an existing file (or a link there) is replaced only with --force" {
	setup_couple
	echo keep >"$T/r.svg"
	run kzp report C014 -o "$T/r.svg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"already exists; give --force"* ]]
	[ "$(cat "$T/r.svg")" = keep ]
	kzp report C014 -o "$T/r.svg" --force >/dev/null
	xmllint --noout "$T/r.svg"
	# A link at FILE is replaced itself; what it points to stays as it was.
	echo target >"$T/target"
	ln -s "$T/target" "$T/l.svg"
	run kzp report C014 -o "$T/l.svg"
	[ "$status" -eq 2 ]
	kzp report C014 -o "$T/l.svg" --force >/dev/null
	[ ! -L "$T/l.svg" ]
	[ "$(cat "$T/target")" = target ]
	[ -z "$(ls "$T" | grep 'tmp-')" ]
}

@test "report: a plain report into a synced folder needs --yes; an encrypted one does not" {
	setup_couple
	mkdir -p "$T/Dropbox/clients"
	run kzp report C014 -o "$T/Dropbox/clients/r.svg"
	[ "$status" -eq 2 ]
	[[ "$output" == *"refusing without --yes"*"Dropbox"* ]]
	[ -z "$(ls -A "$T/Dropbox/clients")" ]
	kzp report C014 -o "$T/Dropbox/clients/r.svg" --yes >/dev/null
	[ -f "$T/Dropbox/clients/r.svg" ]
	age-keygen -o "$T/age.id" 2>/dev/null
	kzp report C014 -o "$T/Dropbox/clients/r.svg.age" --to "$(age-keygen -y "$T/age.id")" >/dev/null
	[ -f "$T/Dropbox/clients/r.svg.age" ]
}

@test "report: bad input gets one line, its exit code, no file and no event" {
	setup_couple
	kzp --json audit log | jq length >"$T/n0"
	run kzp report C014
	[ "$status" -eq 2 ]
	run kzp report C014 -o "$T/r.png"
	[ "$status" -eq 2 ]
	[[ "$output" == *"FILE.svg or FILE.html"* ]]
	run kzp report C014 -o "$T/r.svg.age"
	[ "$status" -eq 2 ]
	[[ "$output" == *"--to"* ]]
	run kzp report C014 -o "$T/r.svg" --to age1notakey
	[ "$status" -eq 2 ]
	run kzp report C014 -o "$T/r.svg" --measure NOPE
	[ "$status" -eq 6 ]
	run kzp report C999 -o "$T/r.svg"
	[ "$status" -eq 6 ]
	[ "${#lines[@]}" -eq 1 ]
	run kzp report C014 -o "$T/nofolder/r.svg"
	[ "$status" -eq 6 ]
	mkdir "$T/d.svg"
	run kzp report C014 -o "$T/d.svg" --force
	[ "$status" -eq 2 ]
	[ -z "$(ls "$T" | grep -E '^r\.|tmp-')" ]
	# No report event came of any of them (the unlocks are events too).
	[ "$(kzp --json audit log | jq '[.[] | select(.cmd == "report")] | length')" = 0 ]
}

@test "report: an empty couple still draws (no scores, no sessions) and help describes it" {
	new_vault
	kzp couple add C001 partner1.name=A partner2.name=B >/dev/null
	kzp report C001 -o "$T/e.svg" >/dev/null
	xmllint --noout "$T/e.svg"
	grep -q 'No scores yet' "$T/e.svg"
	rsvg-convert -f png "$T/e.svg" >"$T/e.png"
	[ "$(png_check "$T/e.png" | cut -d' ' -f1,2)" = "800 560" ]
	run kz help report
	[[ "$output" == *"--names"* ]]
	[[ "$output" == *"black and white"* ]]
}
