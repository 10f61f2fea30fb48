#!/usr/bin/env bash
# The file-graph checker's own test (scripts/lint.sh graph runs it first):
# tiny fake trees compiled with cc, each with a known graph, and what
# scripts/filegraph.py must say about them. Prints "ok N" / "not ok N" lines
# and exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.."
checker=$PWD/scripts/filegraph.py
tmp=$(mktemp -d "${TMPDIR:-/tmp}/kizuna-filegraph.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
n=0
bad=0

ok() { # description
	n=$((n + 1))
	echo "ok $n $1"
}
fail() { # description output
	n=$((n + 1))
	bad=$((bad + 1))
	echo "not ok $n $1"
	printf '%s\n' "$2" | sed 's/^/#   /'
}

# tree NAME FILE:BODY...: compiles each src/FILE.c holding BODY into
# $tmp/NAME/build/src/FILE.o.
tree() {
	local name=$1 spec file body
	shift
	for spec in "$@"; do
		file=${spec%%:*}
		body=${spec#*:}
		mkdir -p "$tmp/$name/src/$(dirname "$file")" "$tmp/$name/build/src/$(dirname "$file")"
		printf '%s\n' "$body" >"$tmp/$name/src/$file.c"
		cc -c -O0 -o "$tmp/$name/build/src/$file.o" "$tmp/$name/src/$file.c" || exit 2
	done
}

# check NAME WANT-STATUS: runs the checker on tree NAME; sets $out.
check() {
	out=$("$checker" --objdir "$tmp/$1/build/src" 2>&1)
	status=$?
	[ "$status" -eq "$2" ]
}

# A clean graph, downward only: main -> cmd -> vault -> util; data counts too.
tree clean \
	'main:int c(void); int main(void) { return c(); }' \
	'cmd/c:int v(void); int c(void) { return v(); }' \
	'vault/v:extern int u; int v(void) { return u; }' \
	'util/u:int u = 1;'
if check clean 0 && grep -q '^filegraph: ok (4 files, 3 edges' <<<"$out"; then
	ok "a graph without loops passes"
else
	fail "a graph without loops passes" "$out"
fi

# Two files calling each other, and a three-file ring beside them; a static
# function of the same name draws no edge.
tree loops \
	'cmd/a:int b(void); int a(void) { return b(); }' \
	'cmd/b:int a(void); int b(void) { return a(); }' \
	'cmd/x:int y(void); int x(void) { return y(); }' \
	'cmd/y:int z(void); int y(void) { return z(); }' \
	'cmd/z:int x(void); int z(void) { return x(); }' \
	'cmd/s:static int a(void) { return 0; } int s(void) { return a(); }'
if check loops 1 &&
	grep -qx 'loop 1: src/cmd/a.c -> src/cmd/b.c -> src/cmd/a.c' <<<"$out" &&
	grep -qx '    src/cmd/a.c -> src/cmd/b.c: b' <<<"$out" &&
	grep -qx '    src/cmd/b.c -> src/cmd/a.c: a' <<<"$out" &&
	grep -qx 'loop 2: src/cmd/x.c -> src/cmd/y.c -> src/cmd/z.c -> src/cmd/x.c' <<<"$out" &&
	grep -qx '    src/cmd/z.c -> src/cmd/x.c: x' <<<"$out" &&
	! grep -q 'src/cmd/s.c' <<<"$out" &&
	grep -qx 'filegraph: 2 loops, 0 layer violations (6 files, 5 edges)' <<<"$out"; then
	ok "two loops are named with the calls forming them"
else
	fail "two loops are named with the calls forming them" "$out"
fi

# Every loop through a shared file is listed: a -> b -> a and a -> c -> a.
tree shared \
	'cmd/a:int b(void); int c(void); int a(void) { return b() + c(); }' \
	'cmd/b:int a(void); int b(void) { return a(); }' \
	'cmd/c:int a(void); int c(void) { return a(); }'
if check shared 1 && grep -q '^loop group of 3 files: ' <<<"$out" &&
	grep -qx 'loop 1: src/cmd/a.c -> src/cmd/b.c -> src/cmd/a.c' <<<"$out" &&
	grep -qx 'loop 2: src/cmd/a.c -> src/cmd/c.c -> src/cmd/a.c' <<<"$out"; then
	ok "each loop of one group is listed"
else
	fail "each loop of one group is listed" "$out"
fi

# A lower layer using a higher one, and one folder of a layer using another.
tree layers \
	'util/u:int c(void); int u(void) { return c(); }' \
	'cmd/c:int c(void) { return 0; }' \
	'model/m:int v(void); int m(void) { return v(); }' \
	'vault/v:int v(void) { return 0; }'
if check layers 1 &&
	grep -qx 'layer: src/util/u.c -> src/cmd/c.c: c (util uses cmd, a higher layer)' <<<"$out" &&
	grep -qx 'layer: src/model/m.c -> src/vault/v.c: v (model uses vault, a layer beside it)' <<<"$out" &&
	grep -qx 'filegraph: 0 loops, 2 layer violations (4 files, 2 edges)' <<<"$out"; then
	ok "layer violations are named"
else
	fail "layer violations are named" "$out"
fi

# An object whose source was deleted since (a stale build) is not drawn: its
# loop is not one any more.
rm "$tmp/shared/src/cmd/c.c"
if check shared 1 &&
	grep -q '^filegraph: skipped .*/build/src/cmd/c.o (no src/cmd/c.c any more)' <<<"$out" &&
	grep -qx 'loop 1: src/cmd/a.c -> src/cmd/b.c -> src/cmd/a.c' <<<"$out" &&
	! grep -q 'src/cmd/c.c ->' <<<"$out"; then
	ok "an object without its source is skipped"
else
	fail "an object without its source is skipped" "$out"
fi

# No objects: an error, not a pass.
mkdir -p "$tmp/empty/build/src"
if check empty 2; then
	ok "no objects is an error"
else
	fail "no objects is an error" "$out"
fi

echo "filegraph test: $((n - bad)) of $n ok"
[ "$bad" -eq 0 ]
