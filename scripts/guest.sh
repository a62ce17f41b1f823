#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# guest.sh - boot the built kernel with the project's /init and run the guest
# test plan (tests/guest/plan): user-space test programs and module loads.
#
# Builds /init and every other tests/guest/*.c as static programs for $ARCH
# (*_m32.c as 32-bit ones, for the compat paths, on x86_64), every module
# under tests/modules/ against the built tree, packs them with the kernel's
# own usr/gen_init_cpio, boots QEMU and hands the KTAP that /init writes to
# its KTAP port (a second serial port; a virtio console on arm64) to kunit.py.
# The console goes to guest-RUN-console.log (RUN: see env.sh).
# Exit status: 0 when every guest test passed.

set -euo pipefail
. "$(dirname "$0")/env.sh"

out=$BUILD/guest-$RUN
plan=${GUEST_PLAN:-$TOP/tests/guest/plan}
rm -rf "$out"
mkdir -p "$out/bin" "$out/modules"
CFLAGS=(-static -O2 -Wall -Wextra -Werror -I"$TOP/tests/guest" -I"$TOP/tests/modules" -I"$TOP/include/uapi")

"${GUEST_CC[@]}" "${CFLAGS[@]}" -o "$out/init" "$TOP/tests/guest/init.c"
for c in "$TOP"/tests/guest/*.c; do
	[ "$(basename "$c")" = init.c ] && continue
	m32=()
	case "$c" in
	*_m32.c)
		[ "$ARCH" = x86_64 ] || continue
		m32=(-m32) ;;
	esac
	"${GUEST_CC[@]}" "${CFLAGS[@]}" "${m32[@]}" -pthread -o "$out/bin/$(basename "$c" .c)" "$c"
done

# The plan for $ARCH: a line "[ARCH] STEP" is a step on ARCH only.
sed -e "/^\[$ARCH\] /{s///;b" -e "}" -e '/^\[/d' "$plan" > "$out/plan"

# Built in a copy under $BUILD, so that the repository stays clean.
for m in "$TOP"/tests/modules/*/; do
	[ -d "$m" ] || continue
	name=$(basename "$m")
	mkdir -p "$BUILD/modules-$RUN/$name"
	cp -p "$m"* "$BUILD/modules-$RUN/$name/"
	MODULE_STRICT=1 "$TOP/scripts/module.sh" "$BUILD/modules-$RUN/$name" "$out/modules"
done

list=$out/initramfs.list
{
	echo "dir /dev 0755 0 0"
	echo "nod /dev/console 0600 0 0 c 5 1"
	echo "dir /proc 0755 0 0"
	echo "dir /sys 0755 0 0"
	echo "dir /tmp 01777 0 0"
	echo "dir /tests 0755 0 0"
	echo "dir /tests/bin 0755 0 0"
	echo "dir /tests/modules 0755 0 0"
	echo "file /init $out/init 0755 0 0"
	echo "file /tests/plan $out/plan 0644 0 0"
	echo "file /tests/reports $TOP/tests/config/detector-reports 0644 0 0"
	for f in "$out"/bin/*; do
		[ -e "$f" ] && echo "file /tests/bin/$(basename "$f") $f 0755 0 0"
	done
	for f in "$out"/modules/*.ko; do
		[ -e "$f" ] && echo "file /tests/modules/$(basename "$f") $f 0644 0 0"
	done
} > "$list"
"$KOBJ/usr/gen_init_cpio" "$list" > "$out/initramfs.cpio"

# The KUnit suites run again (their results were counted in their own boot),
# so that the kmemleak scan at the end of this run covers them too.
# oops=panic panic=-1: a crash ends the run at once instead of hanging it.
append="rdinit=/init kunit.enable=${GUEST_KUNIT:-1} oops=panic panic=-1"
: > "$out/ktap.log"
status=0
case "$ARCH" in
x86_64)
	qemu=(qemu-system-x86_64 -machine q35 -cpu max,la57=off -bios qboot.rom
	      -kernel "$KOBJ/arch/x86/boot/bzImage"
	      -serial "file:$out/console.log" -serial "file:$out/ktap.log")
	append="console=ttyS0 $append" ;;
arm64)
	# virt has one UART: KTAP goes to a virtio console.  pauth-impdef: the
	# cheaper pointer authentication under TCG, as kunit.py's arm64 has.
	qemu=(qemu-system-aarch64 -machine virt -cpu max,pauth-impdef=on
	      -kernel "$KOBJ/arch/arm64/boot/Image"
	      -serial "file:$out/console.log"
	      -device virtio-serial-device -chardev "file,id=ktap,path=$out/ktap.log"
	      -device virtconsole,chardev=ktap)
	append="console=ttyAMA0 ktap=/dev/hvc0 $append" ;;
esac
# x86_64's la57=off: with 5-level paging, KASAN (generic, outline checks)
# can report a false wild-memory-access for an interrupt that arrives while
# the boot CPU's identify_cpu() has cleared its capability bits:
# pgtable_l5_enabled() reads X86_FEATURE_LA57 from them, and the direct
# map's addresses then look non-canonical.  A 6.12 race in early boot, not
# the layer's; 4-level paging has no such window.
timeout --foreground "${GUEST_TIMEOUT:-1200}" \
	"${qemu[@]}" -nodefaults -smp 2 -m 2048 -no-reboot -nographic \
		-initrd "$out/initramfs.cpio" -append "$append" \
	|| status=$?
cp "$out/console.log" "$BUILD/guest-$RUN-console.log"
if [ "$status" != 0 ]; then
	echo "guest: QEMU ended with status $status (124: timed out)" >&2
fi
if [ "${GUEST_QUIET:-0}" != 1 ]; then
	cat "$out/console.log"
fi
# GUEST_SHOW=REGEX: print only the console lines that match (the demo's).
if [ -n "${GUEST_SHOW:-}" ]; then
	grep -a -E "$GUEST_SHOW" "$out/console.log" || true
fi
(cd "$KSRC" && python3 tools/testing/kunit/kunit.py parse "$out/ktap.log") | tee "$out/parse.log"
grep -q "Testing complete.*failed: [1-9]\|crashed: [1-9]\|errors: [1-9]" "$out/parse.log" && exit 1
grep -q "Testing complete" "$out/parse.log" || exit 1
[ "$status" = 0 ]
