#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# compile-fail.sh - build each tests/compile-fail/NAME.rs as an out-of-tree
# Rust module against the built kernel.  Its "// expect:" line says how the
# build must end: "ok", or failing with one of the listed rustc error codes
# (E0515|E0716), and with the text of an "// expect-msg:" line if there is
# one.  Prints one KTAP line per snippet; exit 1 on any mismatch.

set -uo pipefail
. "$(dirname "$0")/env.sh"

src=$TOP/tests/compile-fail
work=$BUILD/compile-fail
fail=0
n=0
total=$(ls "$src"/*.rs | wc -l)
echo "1..$total"
for f in "$src"/*.rs; do
	name=$(basename "$f" .rs)
	expect=$(sed -n 's|^// expect: *||p' "$f" | head -n 1)
	msg=$(sed -n 's|^// expect-msg: *||p' "$f" | head -n 1)
	d=$work/$name
	rm -rf "$d"
	mkdir -p "$d"
	printf 'obj-m += cf_%s.o\n' "$name" > "$d/Kbuild"
	{
		cat "$f"
		cat <<RS

struct CompileFail;

impl kernel::Module for CompileFail {
    fn init(_module: &'static kernel::ThisModule) -> kernel::error::Result<Self> {
        Ok(CompileFail)
    }
}

kernel::prelude::module! {
    type: CompileFail,
    name: "cf_$name",
    author: "rfl-shim developers",
    description: "compile-fail test",
    license: "GPL",
}
RS
	} > "$d/cf_$name.rs"
	n=$((n + 1))
	if make -s -C "$KOBJ" M="$d" "${KMAKE_VARS[@]}" modules > "$d/log" 2>&1; then
		got=ok
	else
		got=$(grep -o '^error\[E[0-9]*\]' "$d/log" | sed 's/error\[\(E[0-9]*\)\]/\1/' | sort -u | paste -sd'|' -)
		got=${got:-other}
	fi
	if [ "$expect" = ok ] && [ "$got" = ok ]; then
		echo "ok $n $name"
	elif [ "$expect" != ok ] && [ "$got" != ok ] && [ "$got" != other ] &&
	     [ -z "$(tr '|' '\n' <<< "$got" | grep -vxF -f <(tr '|' '\n' <<< "$expect"))" ] &&
	     { [ -z "$msg" ] || grep -qF "$msg" "$d/log"; }; then
		echo "ok $n $name # failed as expected: $got"
	else
		echo "not ok $n $name # expected $expect, got $got"
		grep -m 20 -A8 '^error' "$d/log" | sed 's/^/# /'
		fail=1
	fi
done
exit $fail
