#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series-check.sh - the series of 'make series' applies with 'git am' onto a
# clean copy of the pristine linux-source-6.12, and the result is
# byte-identical to the tree the tests used ($KSRC, from prepare-tree.sh).
#
# The series is written to a scratch directory and thrown away.  It is signed
# off by the git identity of whoever runs this, or, where there is none (a
# fresh CI machine), by a placeholder that names this check: the identity
# does not change the tree.

set -euo pipefail
. "$(dirname "$0")/env.sh"

tmp=$BUILD/series-check
rm -rf "$tmp"
mkdir -p "$tmp"
if [ -z "$(git -C "$TOP" config user.name || true)" ] || [ -z "$(git -C "$TOP" config user.email || true)" ]; then
	export SERIES_IDENTITY="rfl-shim series check <series-check@invalid>"
fi
"$TOP/scripts/series.sh" "$tmp/series"

mkdir -p "$tmp/linux"
tar -xf /usr/src/linux-source-6.12.tar.xz -C "$tmp/linux" --strip-components=1
cd "$tmp/linux"
git init -q
git add -A -f
git -c user.name=base -c user.email=base@invalid commit -q -m base
base=$(git rev-parse HEAD)
patches=$(ls "$tmp"/series/*.patch | grep -v '/0000-cover-letter\.patch$')
# shellcheck disable=SC2086 # one argument per patch
if ! git -c user.name=check -c user.email=check@invalid am -q $patches 2> "$tmp/am.log"; then
	cat "$tmp/am.log" >&2
	echo "series-check: git am failed" >&2
	exit 1
fi
applied=$(git rev-list --count "$base..HEAD")
if ! diff -rq --exclude=.git "$tmp/linux" "$KSRC" > "$tmp/diff.log"; then
	head -20 "$tmp/diff.log" >&2
	echo "series-check: the series does not reproduce $KSRC" >&2
	exit 1
fi
echo "series-check: $applied patches applied with git am; the tree is identical to $KSRC"
rm -rf "$tmp/linux"
