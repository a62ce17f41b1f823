#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install what the build and the tests need, from Debian 12 only.
# Quick when everything is there already; needs root (apt-get) otherwise.

set -euo pipefail
. "$(dirname "$0")/env.sh"

pinned=(rustc-web rust-web-src rustfmt-web rust-web-clippy
	libstd-rust-web-dev libstd-rust-web-1.85)
plain=(linux-source-6.12 bindgen libclang1-$BINDGEN_LLVM_VERSION clang-$LLVM_VERSION
       lld-$LLVM_VERSION llvm-$LLVM_VERSION qemu-system-x86 ccache make gcc
       libc6-dev flex bison bc libelf-dev libssl-dev cpio xz-utils patch
       python3 perl diffutils gcc-multilib libc6-dev-i386
       qemu-system-arm libc6-dev-arm64-cross libgcc-12-dev-arm64-cross)

missing=()
for p in "${pinned[@]}"; do
	v=$(dpkg-query -W -f='${Status} ${Version}' "$p" 2>/dev/null || true)
	[ "$v" = "install ok installed $RUST_DEB_VERSION" ] || missing+=("$p=$RUST_DEB_VERSION")
done
for p in "${plain[@]}"; do
	v=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
	[ "$v" = "install ok installed" ] || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	if [ "$(id -u)" != 0 ]; then
		echo "deps: need root to install packages" >&2
		exit 1
	fi
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	if ! apt-get install -y -qq --no-install-recommends --allow-downgrades "${missing[@]}" >/dev/null; then
		echo "deps: could not install ${missing[*]}" >&2
		exit 1
	fi
fi

# The toolchain must be the one pinned, whatever else is on PATH.
rv=$(/usr/bin/rustc --version)
case "$rv" in
"rustc 1.85.0 "*) ;;
*) echo "deps: /usr/bin/rustc is '$rv', expected 1.85.0" >&2; exit 1 ;;
esac
echo "deps: $rv, $(/usr/bin/bindgen --version), clang $(clang-$LLVM_VERSION -dumpversion)," \
     "linux-source-6.12 $(dpkg-query -W -f='${Version}' linux-source-6.12)"
