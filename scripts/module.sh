#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module.sh DIR [DEST] - build the out-of-tree module in DIR (C or Rust)
# against the prepared and built kernel; copy the .ko files to DEST if given.

set -euo pipefail
. "$(dirname "$0")/env.sh"

dir=$(cd "${1:?usage: module.sh DIR [DEST]}" && pwd)
dest=${2:-}
if [ ! -f "$KOBJ/Module.symvers" ]; then
	echo "module: the kernel is not built yet (run 'make kernel')" >&2
	exit 1
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
st=0
make -s -C "$KOBJ" M="$dir" "${KMAKE_VARS[@]}" modules > "$log" 2>&1 || st=$?
cat "$log"
[ "$st" = 0 ] || exit "$st"
# The project's own modules must build clean (MODULE_STRICT=1, set by guest.sh).
if [ "${MODULE_STRICT:-0}" = 1 ] && grep -q "warning" "$log"; then
	echo "module: $dir: warnings are errors for the project's modules" >&2
	exit 1
fi
if [ -n "$dest" ]; then
	cp "$dir"/*.ko "$dest"/
fi
