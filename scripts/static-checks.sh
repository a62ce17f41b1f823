#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# static-checks.sh - checkpatch.pl --strict over the layer's C files and
# patches, kernel-doc -Wall over its kernel C code, rustfmt over its Rust
# files.  Warnings that are justified are
# listed in scripts/checkpatch.ignore with the reason; anything else fails.

set -uo pipefail
. "$(dirname "$0")/env.sh"

cd "$TOP"
st=0
cp_args=(--strict --no-tree --quiet --show-types)

# The types to ignore for file $1, from scripts/checkpatch.ignore.
ignored_for() {
	local type glob reason out=
	while IFS=$'\t' read -r type glob reason; do
		case "$type" in '' | '#'*) continue ;; esac
		# shellcheck disable=SC2053
		[[ "$1" == $glob ]] && out=${out:+$out,}$type
	done < scripts/checkpatch.ignore
	echo "${out:-NONE}"
}

for f in $(git ls-files '*.c' '*.h' 2>/dev/null || find . -name '*.[ch]'); do
	if ! perl "$KSRC/scripts/checkpatch.pl" "${cp_args[@]}" --ignore "$(ignored_for "$f")" -f "$f"; then
		echo "checkpatch: $f"
		st=1
	fi
done
# kernel-doc of the layer's kernel C code (tests are not documented API).
for f in $(git ls-files 'fs/*.c' 'include/*.h' 'kernel/*.c' 'mm/*.c' 2>/dev/null); do
	out=$(perl "$KSRC/scripts/kernel-doc" -Wall -none "$f" 2>&1)
	if [ -n "$out" ]; then
		echo "$out"
		echo "kernel-doc: $f"
		st=1
	fi
done

# The diff part only: the header is the series' own description.
for p in patches/*.patch; do
	if ! sed -n '/^diff --git/,$p' "$p" |
	     perl "$KSRC/scripts/checkpatch.pl" "${cp_args[@]}" --ignore MISSING_SIGN_OFF -; then
		echo "checkpatch: $p"
		st=1
	fi
done
for f in $(git ls-files '*.rs' 2>/dev/null || find . -name '*.rs'); do
	if ! /usr/bin/rustfmt --check --edition 2021 --config-path "$KSRC/.rustfmt.toml" "$f"; then
		echo "rustfmt: $f"
		st=1
	fi
done
[ "$st" = 0 ] && echo "static checks: clean"
exit $st
