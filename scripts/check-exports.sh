#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-exports.sh - every C function that the layer's Rust code calls must
# link from a module: it is a Rust helper (exported by the helpers' own
# EXPORT_SYMBOL_RUST_GPL) or a kernel function in the built kernel's
# Module.symvers.  Doc examples are skipped: they run built in, as KUnit
# doctests.  Writes the table (symbol, how it links, who calls it) to
# $BUILD/check/exports.md; exit 1 if any symbol would not link from a module.

set -euo pipefail
. "$(dirname "$0")/env.sh"

symvers=$KOBJ/Module.symvers
gen=$KOBJ/rust/bindings/bindings_generated.rs
helpers=$KOBJ/rust/bindings/bindings_helpers_generated.rs
out=$BUILD/check/exports.md
for f in "$symvers" "$gen" "$helpers"; do
	[ -f "$f" ] || { echo "check-exports: $f missing: build the kernel first" >&2; exit 1; }
done
mkdir -p "$(dirname "$out")"

# The layer's Rust: its own files, and the kernel files its patches touch.
cd "$TOP"
files=$( { find rust -name '*.rs'; sed -n 's|^+++ b/\(rust/kernel/[^[:space:]]*\.rs\).*|\1|p' patches/*.patch; } | sort -u)

declare -A users
for f in $files; do
	src=$f
	[ -f "$src" ] || src=$KSRC/$f
	[ -f "$src" ] || continue
	# Code lines only: no doc comments (doctests run built in).
	for sym in $(grep -v '^[[:space:]]*//' "$src" | grep -o 'bindings::[a-z_][a-z0-9_]*' | sed 's/bindings:://' | sort -u); do
		users[$sym]="${users[$sym]:+${users[$sym]}, }${f#rust/kernel/}"
	done
done

bad=0
{
	echo "| C symbol | links from a module through | used by |"
	echo "|---|---|---|"
	for sym in $(printf '%s\n' "${!users[@]}" | sort); do
		# Only functions: constants, types and statics need no linking.
		if grep -qE "link_name ?= ?\"rust_helper_$sym\"" "$helpers" &&
		   grep -qP "^0x[0-9a-f]+\trust_helper_$sym\t" "$symvers"; then
			how="Rust helper \`rust_helper_$sym\` (EXPORT_SYMBOL_RUST_GPL)"
		elif ! grep -q "pub fn $sym(" "$gen"; then
			continue
		elif line=$(grep -P "^0x[0-9a-f]+\t$sym\t" "$symvers"); then
			how="exported by vmlinux ($(cut -f4 <<< "$line"))"
		else
			how="**NOT EXPORTED**"
			bad=1
		fi
		echo "| \`$sym\` | $how | ${users[$sym]} |"
	done
} > "$out"
cat "$out"
[ "$bad" = 0 ] || { echo "check-exports: symbols above would not link from a module" >&2; exit 1; }
