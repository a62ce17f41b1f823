#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# test-bindgen-compat.sh - the compatibility steps of scripts/bindgen-compat
# do what they claim, each provoked on a small input:
#   - a rust target of 1.68 is accepted (rewritten for 0.60.1);
#   - libclang 14 is the one loaded;
#   - a function objtool lists as noreturn, and a __noreturn helper, become
#     "-> !"; a __noreturn helper missing from the output fails;
#   - any other bindgen version is refused.

set -uo pipefail
. "$(dirname "$0")/env.sh"

w=$TOP/scripts/bindgen-compat
t=$(mktemp -d)
trap 'rm -rf "$t"' EXIT
fail=0
n=0
check() {
	n=$((n + 1))
	if [ "$2" = 0 ]; then echo "ok $n $1"; else echo "not ok $n $1"; fail=1; fi
}

# A miniature source tree: the layout the wrapper derives srctree from.
mkdir -p "$t/src/rust/bindings" "$t/src/rust/helpers" "$t/src/tools/objtool"
printf 'NORETURN(die_hard)\n' > "$t/src/tools/objtool/noreturns.h"
cat > "$t/src/rust/bindings/bindings_helper.h" <<'H'
void __attribute__((noreturn)) die_hard(int code, const char *a_rather_long_argument_name_to_wrap, long another_long_argument);
int returns(int x);
H
cat > "$t/src/rust/helpers/bug.c" <<'H'
__noreturn void rust_helper_stop(void) { for (;;); }
H
printf '#define __noreturn __attribute__((noreturn))\n#include "bug.c"\n' > "$t/src/rust/helpers/helpers.c"

"$w" "$t/src/rust/bindings/bindings_helper.h" --rust-target 1.68 --use-core \
	--no-layout-tests -o "$t/b.rs" -- -x c > "$t/err" 2>&1
check "rust target 1.68 accepted" $?
tr -d '\n' < "$t/b.rs" | grep -q 'pub fn die_hard([^;]*) -> !;'
check "objtool noreturn function gets -> !" $?
grep -q 'pub fn returns(x: ::std::os::raw::c_int) -> ::std::os::raw::c_int;' "$t/b.rs"
check "other functions unchanged" $?

"$w" "$t/src/rust/helpers/helpers.c" --rust-target 1.68 --allowlist-function 'rust_helper_.*' \
	-o "$t/h.rs" -- -x c > "$t/err" 2>&1
st=$?
grep -q 'pub fn rust_helper_stop() -> !;' "$t/h.rs"
check "__noreturn helper gets -> !" $(( st || $? ))

"$w" "$t/src/rust/helpers/helpers.c" --rust-target 1.68 --allowlist-function 'nothing' \
	-o "$t/h2.rs" -- -x c > "$t/err" 2>&1
st=$?
[ "$st" != 0 ] && grep -q "rust_helper_stop not in the bindings" "$t/err"
check "missing __noreturn helper fails the build" $?

"$w" "$KSRC/scripts/rust_is_available_bindgen_libclang.h" > "$t/clang" 2>&1
grep -q "clang version 14\." "$t/clang"
check "libclang 14 is loaded" $?

# Item 5: clang 19's flags that libclang 14 rejects.  Each one alone fails
# the real bindgen, so the test knows the filter is what makes it pass; a flag
# next to them that libclang 14 knows (-DFROM_FLAGS) still reaches it.
printf 'struct s { int n; int v[]; };\n#ifdef FROM_FLAGS\nint from_flags;\n#endif\n' > "$t/flex.h"
newer="-mindirect-branch-cs-prefix -mfunction-return=thunk-extern -fstrict-flex-arrays=3 -ftrivial-auto-var-init=zero -Wno-format-overflow-non-kprintf"
all_rejected=0
for f in $newer; do
	/usr/bin/bindgen "$t/flex.h" -o "$t/f.rs" -- -Werror $f > "$t/err" 2>&1 && all_rejected=1
done
check "libclang 14 rejects each of clang 19's newer flags" $all_rejected
# shellcheck disable=SC2086 # one argument each
"$w" "$t/flex.h" --rust-target 1.68 -o "$t/f.rs" -- -Werror $newer -DFROM_FLAGS > "$t/err" 2>&1
st=$?
grep -q 'pub static mut from_flags' "$t/f.rs"
check "clang 19's newer flags are dropped, the others kept" $(( st || $? ))

printf '#!/bin/sh\necho "bindgen 0.65.1"\n' > "$t/fake"
chmod +x "$t/fake"
BINDGEN_REAL=$t/fake "$w" --version > "$t/err" 2>&1
st=$?
[ "$st" != 0 ] && grep -q "for 0.60.1 only" "$t/err"
check "another bindgen version is refused" $?

echo "bindgen-compat: $n checks, $([ $fail = 0 ] && echo all passed || echo some failed)"
exit $fail
