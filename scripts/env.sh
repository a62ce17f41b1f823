# SPDX-License-Identifier: GPL-2.0
#
# env.sh - the one place that says where things are and which tools build the
# kernel.  Sourced by the other scripts; the Makefile passes BUILD through.

TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=${BUILD:-$TOP/.build}
KSRC=$BUILD/linux		# prepared source tree

# The architecture: x86_64 (the default) or arm64, each in its own build
# directory.  'make check' runs both; 'make ARCH=arm64 ...' runs one.
ARCH=${ARCH:-x86_64}
case "$ARCH" in
x86_64 | arm64) ;;
*)	echo "env.sh: unknown ARCH '$ARCH' (x86_64 or arm64)" >&2; exit 1 ;;
esac

# Two kernels can be built from the one tree: "test" (the default: every bug
# detector on, what 'make check' runs) and "bench" (the same without the
# detectors, for measurements only: 'make bench').
VARIANT=${VARIANT:-test}
case "$VARIANT" in
test)	KOBJ=$BUILD/$ARCH ;;		# kernel build directory (O=)
bench)	KOBJ=$BUILD/$ARCH-bench ;;
*)	echo "env.sh: unknown VARIANT '$VARIANT' (test or bench)" >&2; exit 1 ;;
esac
# The name of this architecture and variant in $BUILD (guest-$RUN, ...).
if [ "$ARCH" = x86_64 ]; then RUN=$VARIANT; else RUN=$ARCH-$VARIANT; fi

# The LLVM that builds C: rustc 1.85's own major version (19), so that the
# C helpers can be linked into the Rust objects as LLVM bitcode and inlined
# there (CONFIG_RUST_INLINE_HELPERS).  bindgen 0.60.1 keeps libclang 14, the
# newest it parses the kernel's headers with (scripts/bindgen-compat).
LLVM_VERSION=${LLVM_VERSION:-19}
BINDGEN_LLVM_VERSION=14

# Debian 12's Rust 1.85, never the image's rustup toolchain.
RUST_DEB_VERSION=1.85.0+dfsg3-1~deb12u3
export PATH=/usr/bin:/bin:/usr/sbin:/sbin:/usr/local/bin
export LIBCLANG_PATH=/usr/lib/llvm-$BINDGEN_LLVM_VERSION/lib
export CCACHE_DIR=${CCACHE_DIR:-$HOME/.cache/rfl-shim-ccache}
export CCACHE_BASEDIR=$BUILD
export CCACHE_NOHASHDIR=1
export CCACHE_MAXSIZE=${CCACHE_MAXSIZE:-5G}
export CCACHE_SLOPPINESS=time_macros,include_file_mtime,include_file_ctime

# Make variables for every kernel or module build.
KMAKE_VARS=(
	ARCH=$ARCH
	LLVM=-$LLVM_VERSION
	"CC=ccache clang-$LLVM_VERSION"
	RUSTC=/usr/bin/rustc
	HOSTRUSTC=/usr/bin/rustc
	RUSTDOC=/usr/bin/rustdoc
	RUSTFMT=/usr/bin/rustfmt
	CLIPPY_DRIVER=/usr/bin/clippy-driver
	BINDGEN=$TOP/scripts/bindgen-compat
	# Every Rust build is a clippy build: same objects, plus the lints.
	CLIPPY=1
)

# kunit.py's fragments: the helper suites, the guest's needs (common and
# the architecture's own), the detectors.
KUNITCONFIGS=(
	"$TOP/tests/kunit/.kunitconfig"
	"$TOP/tests/config/base.config"
	"$TOP/tests/config/$ARCH.config"
)
[ "$VARIANT" = test ] && KUNITCONFIGS+=("$TOP/tests/config/debug.config")

# User-space test programs: static, for the guest's architecture.  arm64's
# are built by clang against Debian's arm64 cross libc (gcc-aarch64-linux-gnu
# cannot be installed next to gcc-multilib, which x86_64's 32-bit programs
# need).
case "$ARCH" in
x86_64)	GUEST_CC=(gcc) ;;
arm64)	GUEST_CC=("clang-$LLVM_VERSION" --target=aarch64-linux-gnu -fuse-ld=lld) ;;
esac

kunit_py() {
	local args=() v c
	for v in "${KMAKE_VARS[@]}"; do args+=(--make_options "$v"); done
	for c in "${KUNITCONFIGS[@]}"; do args+=(--kunitconfig "$c"); done
	(cd "$KSRC" && python3 tools/testing/kunit/kunit.py "$1" --arch=$ARCH \
		--build_dir="$KOBJ" "${args[@]}" "${@:2}")
}
