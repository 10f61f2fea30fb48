#!/usr/bin/env bash
# Writes the seed inputs of the fuzz corpora (tests/fuzz/corpus/NAME/seed-*),
# leaving the regression inputs (crash-*) alone. Needs the age test vectors
# ($KZ_TESTKIT, default ../shared/testkit). Run it again when a harness's input
# format changes. (The vault and exports the harnesses make are not committed:
# scripts/fuzz.sh makes them at each run.)
set -eu
cd "$(dirname "$0")/../.."
kit=${KZ_TESTKIT:-$PWD/../shared/testkit}
c=tests/fuzz/corpus
mkdir -p $c/age $c/keys $c/record $c/tokenizer $c/import $c/vault
rm -f $c/*/seed-*

# age: the CCTV vectors' age files (the part after their header block), zlib
# compressed ones left out.
for f in empty armor_empty scrypt scrypt_work_factor_23 scrypt_work_factor_leading_zero_decimal \
	scrypt_salt_long scrypt_and_x25519 scrypt_double scrypt_no_match x25519 x25519_low_order \
	x25519_multiple_recipients x25519_grease x25519_long_share x25519_no_match hmac_bad \
	hmac_missing hmac_not_canonical version_unsupported header_crlf stanza_valid_characters \
	stanza_multiple_short_lines stanza_empty_body stanza_spurious_cr stanza_base64_padding \
	stanza_long_line stream_no_nonce stream_empty_payload stream_short_chunk stream_no_final \
	stream_two_final_chunks_short stream_bad_tag armor_x25519 armor_scrypt armor_crlf \
	armor_full_last_line armor_no_padding armor_whitespace_outside armor_garbage_trailing \
	armor_long_line armor_headers hybrid_and_x25519; do
	src=$kit/age-cctv/$f
	grep -qa '^compressed:' "$src" && continue
	sed '1,/^$/d' "$src" >"$c/age/seed-$f"
done

# keys: recipients, identities, identity files, Bech32 (BIP 173) strings.
w() { printf '%b' "$2" >"$c/$1"; }
w keys/seed-recipient 'age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef'
w keys/seed-identity 'AGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0'
w keys/seed-identity-file '# created: 2026-01-01T00:00:00Z\n# public key: age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef\nAGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\n'
w keys/seed-identity-file-crlf '\r\nAGE-SECRET-KEY-1GFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPYYSJZGFPQ4EGAEX\r\n# two\r\nAGE-SECRET-KEY-1EGTZVFFV20835NWYV6270LXYVK2VKNX2MMDKWYKLMGR48UAWX40Q2P2LM0\r\n'
w keys/seed-pq 'AGE-SECRET-KEY-PQ-1HZLGZUPT4ETPKDEV8HSGFDCYZ4E522W0A7PU2LHT8EH9W6YLNC3SW78XKG'
w keys/seed-plugin 'AGE-PLUGIN-YUBIKEY-1QQQQQ'
w keys/seed-ssh 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIKx'
w keys/seed-bip173 'A12UEL5L\nabcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw\nsplit1checkupstagehandshakeupstreamerranterredcaperred2y9e3w'
w keys/seed-mixed-case 'age1Xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef'

# record: FIELD=VALUE lines for a couple, a JSON body, a head, a date, a search.
w record/seed-couple 'partner1.name=Aiko\npartner1.languages=ja:native, de:B2, en\npartner1.local=no\npartner2.cultures=German, rural\nchildren=Mia:2019:de ja; Ken:2021\nconsent.research=yes\nformulation.problem=Homesickness\nintake=2024-02-29\nstatus=paused\nhome_languages=de, en'
w record/seed-json '{"kind":"couple","v":1,"code":"C014","status":"active","partner1":{"name":"Aiko","origin":"Japan","local":false,"languages":[{"lang":"ja","fluency":"native"}]},"partner2":{"name":"Jonas","local":true},"children":[{"name":"Mia","birth_year":2019,"languages":["de"]}],"consent":{"research":true}}'
w record/seed-head '\x01\x03\x01\x00\x02\x00\x00\x00\x0a\x25\x35\x01\x32\x00AAAAAAAAAAAAAAAA\x04C014\x0f\x00holidays,family'
w record/seed-date '2024-02-29'
w record/seed-search 'MÜLLER\nFrau Müller sagte, die Straße sei müde; MÜLLER again.'
w record/seed-search-ascii 'Winter\nThe couple talked about the WINTER holidays and winter plans.'

# tokenizer: command lines as a shell or a script writes them.
w tokenizer/seed-lines 'couple add C014 partner1.name="Aiko Tanaka" '"'"'partner2.name=Jonas M'"'"'\nsession add C014 --date 2026-01-10 --text "line one\\nline two" --theme holidays # comment\nexport C014 --format=json -o out.json --to age1xmwwc06ly3ee5rytxm9mflaz2u56jjj36s0mypdrwsvlul66mv4q47ryef --yes\nconf l\ngoal prog g1 6 --session s2 -- -x\nhelp couple\n'
w tokenizer/seed-open-quote 'couple add "C014'
w tokenizer/seed-escapes 'a\\ b "c\\"d" '"'"'e\\f'"'"' "" '"'"''"'"' #x'

# import and vault: the exports and the vault the harnesses make themselves
# are made afresh by scripts/fuzz.sh at each run (KZ_FUZZ_WRITE_SEED).
w import/seed-minimal '{"format":"kizuna-export","couple":{"code":"K2","status":"active","partner1":{},"partner2":{}},"sessions":[{"id":"s1","date":"2026-01-01","themes":["a"],"goals":["g1"]}],"goals":[{"id":"g1","title":"T","progress":[{"session":"s1","score":4}]}]}'
# A patch list: flip a byte in the first page and one far into the file.
w vault/seed-patch '\x64\x00\x00\x01\x00\x30\x00\x80'
du -sh $c
