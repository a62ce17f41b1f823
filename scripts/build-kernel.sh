#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-kernel.sh [LOG] - build the kernel of $VARIANT with kunit.py, saying
# what it is doing: kunit.py keeps make's output to itself, so a cold build
# would be silent for many minutes.  Every 30 s one line tells the objects
# built so far (counted in the build directory, against the previous build's
# total when there was one) and the time taken.  kunit.py's own output goes
# to LOG (default: the terminal).  Exit status: kunit.py's.

set -uo pipefail
. "$(dirname "$0")/env.sh"

log=${1:-/dev/stdout}
total_file=$BUILD/.objects-$RUN
total=$(cat "$total_file" 2>/dev/null || echo 0)
stamp=$(mktemp)
trap 'rm -f "$stamp"' EXIT
start=$(date +%s)

count_objects() {
	find "$KOBJ" -name '*.o' 2>/dev/null | wc -l
}

kunit_py build --jobs="$(nproc)" > "$log" 2>&1 &
pid=$!
before=$(count_objects)
if [ "$total" -gt 0 ]; then
	echo "build: $VARIANT kernel in $KOBJ: $before of the $total objects of the last build there" >&2
else
	echo "build: $VARIANT kernel in $KOBJ: $before objects there (first build: no total yet)" >&2
fi
while kill -0 "$pid" 2>/dev/null; do
	for _ in $(seq 30); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 1
	done
	kill -0 "$pid" 2>/dev/null || break
	n=$(find "$KOBJ" -name '*.o' -newer "$stamp" 2>/dev/null | wc -l)
	all=$(count_objects)
	if [ "$total" -gt 0 ]; then
		pct=" ($(( all * 100 / total ))% of $total)"
	else
		pct=""
	fi
	echo "build: $(( $(date +%s) - start )) s: $n objects compiled, $all in the tree$pct" >&2
done
wait "$pid"
st=$?
[ "$st" = 0 ] && count_objects > "$total_file"
echo "build: done in $(( $(date +%s) - start )) s (exit $st)" >&2
exit "$st"
