#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare-tree.sh SRC - turn Debian's linux-source-6.12 into the layer's tree.
#
# 1. Unpack /usr/src/linux-source-6.12.tar.xz into SRC (once per package
#    version; the exact version is printed).
# 2. Copy the overlay (the repository's files laid out like the kernel tree)
#    into SRC, writing a file only when its content differs, so that an
#    unchanged file keeps its timestamp and nothing is rebuilt for it.
# 3. Apply patches/*.patch in order, to pristine copies of the files they
#    touch, and write back only the files whose result differs.
#
# Running it again is idempotent.  A patch that does not apply fails with its
# name.  A file that left the overlay is removed from SRC again.

set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
src=${1:?usage: prepare-tree.sh SRC}
tarball=/usr/src/linux-source-6.12.tar.xz
mkdir -p "$(dirname "$src")"
src=$(cd "$(dirname "$src")" && pwd)/$(basename "$src")
# What this script knows about SRC, kept outside it so that nothing of ours
# is mistaken for kernel source (rustfmtcheck, for one, walks the tree).
state=$src.rfl-shim

# Directories of the repository that are copied into the tree as they are.
overlay_dirs="fs include kernel lib mm rust samples"

pkg_version=$(dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null || true)
if [ -z "$pkg_version" ] || [ ! -f "$tarball" ]; then
	echo "prepare-tree: linux-source-6.12 is not installed (run 'make deps')" >&2
	exit 1
fi

if [ ! -f "$state/version" ] || [ "$(cat "$state/version")" != "$pkg_version" ]; then
	echo "prepare-tree: unpacking linux-source-6.12 $pkg_version into $src"
	rm -rf "$src" "$src.tmp" "$state"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1
	mv "$src.tmp" "$src"
	mkdir -p "$state/pristine"
	echo "$pkg_version" > "$state/version"
fi
kver=$(make -s -C "$src" kernelversion)
echo "prepare-tree: Linux $kver (Debian linux-source-6.12 $pkg_version)"

# copy_if_changed FROM TO
copy_if_changed() {
	if ! cmp -s "$1" "$2"; then
		mkdir -p "$(dirname "$2")"
		cp "$1" "$2"
		echo "  OVERLAY ${2#"$src"/}"
	fi
}

# Overlay: the list of files written, relative to SRC.
manifest=$state/manifest.new
: > "$manifest"
cd "$top"
for d in $overlay_dirs; do
	[ -d "$d" ] || continue
	while IFS= read -r f; do
		if [ -e "$src/$f" ] && ! grep -qxF "$f" "$state/manifest" 2>/dev/null; then
			echo "prepare-tree: overlay file $f would overwrite a kernel file;" \
			     "change it with a patch in patches/ instead" >&2
			exit 1
		fi
		copy_if_changed "$top/$f" "$src/$f"
		echo "$f" >> "$manifest"
	done < <(find "$d" -type f | sort)
done
if [ -f "$state/manifest" ]; then
	sort "$state/manifest" | comm -23 - <(sort "$manifest") | while IFS= read -r f; do
		echo "  REMOVE $f"
		rm -f "$src/$f"
		# and its directory, when that was the overlay's alone
		rmdir -p --ignore-fail-on-non-empty "$(dirname "$src/$f")" 2>/dev/null || true
	done
fi
mv "$manifest" "$state/manifest"

# Patches: apply the whole series to pristine copies of the files it touches.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
files=$(sed -n 's|^+++ b/\([^[:space:]]*\).*|\1|p' "$top"/patches/*.patch 2>/dev/null | sort -u)
for f in $files; do
	if [ ! -e "$state/pristine/$f" ]; then
		# Not patched before, so the tree still has the original.
		if [ -e "$src/$f" ]; then
			mkdir -p "$(dirname "$state/pristine/$f")"
			cp -p "$src/$f" "$state/pristine/$f"
		fi
	fi
	if [ -e "$state/pristine/$f" ]; then
		mkdir -p "$(dirname "$work/$f")"
		cp "$state/pristine/$f" "$work/$f"
	fi
done
for p in "$top"/patches/*.patch; do
	[ -e "$p" ] || continue
	if ! out=$(patch -d "$work" -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch -r - < "$p" 2>&1); then
		echo "prepare-tree: patch $(basename "$p") does not apply:" >&2
		echo "$out" >&2
		exit 1
	fi
done
for f in $files; do
	copy_if_changed "$work/$f" "$src/$f"
done
# A file no longer patched gets its original content back.
if [ -d "$state/pristine" ]; then
	(cd "$state/pristine" && find . -type f | sed 's|^\./||') | while IFS= read -r f; do
		if ! printf '%s\n' $files | grep -qxF "$f"; then
			copy_if_changed "$state/pristine/$f" "$src/$f"
		fi
	done
fi
echo "prepare-tree: tree ready"
