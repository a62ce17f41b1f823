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
make -s -C "$KOBJ" M="$dir" "${KMAKE_VARS[@]}" modules
if [ -n "$dest" ]; then
	cp "$dir"/*.ko "$dest"/
fi
