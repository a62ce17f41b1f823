#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series-bisect.sh - build the kernel at every patch of the series, in order,
# so that each patch is known to build on its own ('make series-bisect';
# not part of 'make check': it rebuilds the Rust crates at most patches).
#
# Uses the work tree of scripts/series.sh and the test kernel's .config of
# $ARCH (build that first), in its own build directory $BUILD/bisect-$ARCH,
# incrementally from one patch to the next.  Prints one line per patch with
# the time it took; exit 1 at the first patch that does not build (its log
# is $BUILD/bisect-$ARCH.log).  BISECT_FROM=N starts at patch N.

set -euo pipefail
. "$(dirname "$0")/env.sh"

config=$KOBJ/.config
[ -f "$config" ] || { echo "series-bisect: no $config: build the $ARCH kernel first" >&2; exit 1; }
if [ -z "$(git -C "$TOP" config user.name || true)" ] || [ -z "$(git -C "$TOP" config user.email || true)" ]; then
	export SERIES_IDENTITY="rfl-shim series check <series-check@invalid>"
fi
"$TOP/scripts/series.sh" "$BUILD/series-bisect"
rm -rf "$BUILD/series-bisect"

tree=$BUILD/series-work/linux
# Kept from one run to the next (series.sh makes the work tree anew), so
# that a second run rebuilds only what differs.
obj=$BUILD/bisect-$ARCH
log=$BUILD/bisect-$ARCH.log
mkdir -p "$obj"
cd "$tree"
base=$(git rev-list --max-parents=0 HEAD)
commits=$(git rev-list --reverse "$base..HEAD")
total=$(wc -w <<< "$commits")
start=$(date +%s)
n=0
for c in $commits; do
	n=$((n + 1))
	# BISECT_FROM=N: start at patch N (a rerun after a fix at N).
	[ "$n" -lt "${BISECT_FROM:-1}" ] && continue
	git checkout -q "$c"
	t0=$(date +%s)
	# The test configuration, resolved against what this patch has.
	cp "$config" "$obj/.config"
	# shellcheck disable=SC2086 # BISECT_TARGETS: make targets, "all" by default
	if ! { make -s O="$obj" "${KMAKE_VARS[@]}" olddefconfig &&
	       make -s O="$obj" "${KMAKE_VARS[@]}" -j"$(nproc)" ${BISECT_TARGETS:-all}; } > "$log" 2>&1; then
		echo "not ok $n $(git log -1 --format=%s) (see $log)"
		git checkout -q -
		exit 1
	fi
	echo "ok $n $(git log -1 --format=%s) ($(( $(date +%s) - t0 )) s)"
done
echo "series-bisect: all $total patches build for $ARCH, in $(( $(date +%s) - start )) s"
