#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-inline.sh - with CONFIG_RUST_INLINE_HELPERS the C helpers are linked
# into every Rust object as internal copies (patches/0028-*), so no Rust
# object may still call an exported rust_helper_*, and the helpers of the hot
# paths must be gone entirely (inlined, no copy left) from the objects that
# use them.
#
# Objects: the kernel crate, the built-in samples, and the out-of-tree Rust
# modules the guest stage built (tests/modules/).  Prints one line per object
# and a summary; exit 1 on any call left.  Run after the guest stage.

set -euo pipefail
. "$(dirname "$0")/env.sh"

nm=llvm-nm-$LLVM_VERSION
grep -qx "CONFIG_RUST_INLINE_HELPERS=y" "$KOBJ/.config" || {
	echo "check-inline: CONFIG_RUST_INLINE_HELPERS is not set in $KOBJ/.config" >&2
	exit 1
}

objs=("$KOBJ/rust/kernel.o")
# Rust objects are the .o files next to a .rs of the same name.
while IFS= read -r o; do
	src=$KSRC/${o#"$KOBJ"/}
	[ -f "${src%.o}.rs" ] && objs+=("$o")
done < <(find "$KOBJ/samples/rust" -name '*.o' ! -name '*.mod.o' 2>/dev/null | sort)
while IFS= read -r o; do
	[ -f "${o%.o}.rs" ] && objs+=("$o")
done < <(find "$BUILD/modules-$RUN" -name '*.o' ! -name '*.mod.o' 2>/dev/null | sort)

bad=0
n=0
for o in "${objs[@]}"; do
	n=$((n + 1))
	calls=$("$nm" -u "$o" | awk '$2 ~ /^rust_helper_/ { print $2 }' | tr '\n' ' ')
	copies=$("$nm" "$o" | awk '$2 == "t" && $3 ~ /^rust_helper_/' | wc -l)
	if [ -n "$calls" ]; then
		echo "not ok $n ${o#"$BUILD"/}: calls exported helpers: $calls"
		bad=1
	else
		echo "ok $n ${o#"$BUILD"/} ($copies helpers kept as local functions)"
	fi
done

# The figures of 'make bench': their helpers must be inlined, not just local.
bench=$BUILD/modules-$RUN/mm_file_bench/bench_rust.o
if [ -f "$bench" ]; then
	n=$((n + 1))
	left=$("$nm" "$bench" | awk '$NF ~ /^rust_helper_(mmgrab|mmdrop|mmget_not_zero|get_file)$/ { print $NF }' | tr '\n' ' ')
	if [ -n "$left" ]; then
		echo "not ok $n mm_file_bench: not inlined: $left"
		bad=1
	else
		echo "ok $n mm_file_bench: mmgrab, mmdrop, mmget_not_zero, get_file inlined"
	fi
fi

echo "check-inline: $n checks, $([ $bad = 0 ] && echo all passed || echo some failed)"
exit $bad
