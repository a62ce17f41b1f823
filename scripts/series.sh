#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# series.sh [OUT] - write the layer as a numbered git format-patch series, with
# a cover letter, that applies with 'git am' onto Debian's pristine
# linux-source-6.12 ('make series'; OUT defaults to $BUILD/series).
#
# Each patch of patches/ becomes one commit: its diff, plus the overlay files
# that patches/series.files lists under it (new files, at their current
# content), with its subject and body.  Author and Signed-off-by come from
# 'git config user.name' and 'user.email' of whoever runs this; without them
# it refuses.  (SERIES_IDENTITY="Name <email>" overrides them: the series
# check uses it for a series that it throws away.)
#
# The work tree is $BUILD/series-work/linux, a git repository of the pristine
# tree with the series committed on top.

set -euo pipefail
. "$(dirname "$0")/env.sh"

out=${1:-$BUILD/series}
work=$BUILD/series-work
tarball=/usr/src/linux-source-6.12.tar.xz
map=$TOP/patches/series.files

if [ -n "${SERIES_IDENTITY:-}" ]; then
	name=${SERIES_IDENTITY% <*}
	email=${SERIES_IDENTITY##*<}
	email=${email%>}
else
	name=$(git -C "$TOP" config user.name || true)
	email=$(git -C "$TOP" config user.email || true)
fi
if [ -z "$name" ] || [ -z "$email" ]; then
	echo "series: set git config user.name and user.email: the series is signed off by you" >&2
	exit 1
fi
ident=(-c "user.name=$name" -c "user.email=$email")

# Every overlay file is in the map exactly once, and every patch named there
# exists.
overlay=$(cd "$TOP" && for d in fs include kernel lib mm rust samples; do
		[ -d "$d" ] && find "$d" -type f
	done | sort)
mapped=$(sed -n 's/^[^#][^:]*: //p' "$map" | tr ' ' '\n' | sed '/^$/d' | sort)
dups=$(uniq -d <<< "$mapped")
missing=$(comm -23 <(echo "$overlay") <(echo "$mapped"))
extra=$(comm -13 <(echo "$overlay") <(echo "$mapped"))
bad=0
[ -z "$dups" ] || { echo "series: listed twice in $map: $dups" >&2; bad=1; }
[ -z "$missing" ] || { echo "series: overlay files not in $map:" $missing >&2; bad=1; }
[ -z "$extra" ] || { echo "series: not overlay files, in $map:" $extra >&2; bad=1; }
for p in $(sed -n 's/^\([^#][^:]*\): .*/\1/p' "$map"); do
	[ -f "$TOP/patches/$p" ] || { echo "series: $map names $p, which is not in patches/" >&2; bad=1; }
done
[ "$bad" = 0 ] || exit 1

pkg_version=$(dpkg-query -W -f='${Version}' linux-source-6.12)
rm -rf "$work"
mkdir -p "$work/linux"
tar -xf "$tarball" -C "$work/linux" --strip-components=1
cd "$work/linux"
kver=$(make -s kernelversion)
git init -q
git "${ident[@]}" add -A -f
git "${ident[@]}" commit -q -m "Linux $kver (Debian linux-source-6.12 $pkg_version)"
base=$(git rev-parse HEAD)

for p in "$TOP"/patches/[0-9]*.patch; do
	pn=$(basename "$p")
	# Exact: the patches apply in sequence without fuzz.
	if ! patch -p1 --batch --forward --fuzz=0 --no-backup-if-mismatch -r - -s < "$p"; then
		echo "series: $pn does not apply exactly" >&2
		exit 1
	fi
	for f in $(sed -n "s/^$pn: //p" "$map"); do
		mkdir -p "$(dirname "$f")"
		cp "$TOP/$f" "$f"
	done
	subject=$(sed -n 's/^Subject: \(\[PATCH\] \)\{0,1\}//p' "$p" | head -1)
	# The body: after the headers' blank line, up to the sign-off or "---".
	body=$(awk 'h && (/^Signed-off-by:/ || /^---$/) { exit } h { print } /^$/ && !h { h = 1 }' "$p")
	git add -A -f
	printf '%s\n\n%s\n\nSigned-off-by: %s <%s>\n' "$subject" "$body" "$name" "$email" |
		sed -e ':a' -e '/^\n*$/{$d;N;ba' -e '}' |
		git "${ident[@]}" commit -q --cleanup=verbatim -F -
done

rm -rf "$out"
mkdir -p "$out"
n=$(git rev-list --count "$base..HEAD")
git "${ident[@]}" format-patch -q --cover-letter --thread -o "$out" "$base..HEAD"

# The cover letter: what the series is, how it was tested; format-patch has
# put the shortlog and the diffstat below.
cover=$out/0000-cover-letter.patch
blurb=$(mktemp)
trap 'rm -f "$blurb"' EXIT
cat > "$blurb" <<EOF
Rust drivers on Linux 6.12 LTS cannot safely handle the two lifetimes a
binder-like driver juggles: the struct file behind a file descriptor and
the struct mm_struct of a process.  This series adds what they need,
shaped like mainline's API so that mainline driver code builds.  It
applies to Linux $kver as Debian ships it:
linux-source-6.12 $pkg_version.

What it adds:

- C helpers for the static inlines Rust calls (mmgrab/mmdrop, mmget,
  mmap locking, get_file, ...), with KUnit suites, and their inlining into
  Rust code as LLVM bitcode when clang and rustc share an LLVM (last patch);
- built-in services exported to modules, each behind a Kconfig symbol that
  RUST selects: deferred fd close (for closing fds from inside a system call
  that may still use them), fops_with_owner() and file_may_hold_files(),
  with KUnit suites next to them;
- Rust abstractions: Mm, MmWithUser, MmWithUserAsync, virtual memory areas,
  CurrentTask, File/LocalFile, fd reservation, DeferredFdCloser, poll, the
  misc device with read/write_iter, mmap and show_fdinfo, and the paths and
  helpers mainline drivers use;
- a binder-like sample that passes data and fds between processes.

Tested with the project's 'make check' on x86_64 and arm64 (QEMU): the
KUnit suites and the Rust doctests under kunit.py, and user-space test
programs driving the sample and test modules in the booted kernel, with
KASAN, lockdep, kmemleak and object debugging on; the series is applied
with git am to a pristine tree and checked to reproduce the tested tree.
Toolchain: Debian 12's rustc 1.85, bindgen 0.60.1 (libclang 14; patch 1
lowers the version check), clang/lld 19.
EOF
python3 - "$cover" "$blurb" "rust: mm and file lifetimes for Rust drivers on 6.12" <<'EOF'
import sys
cover, blurb, subject = sys.argv[1], open(sys.argv[2]).read().rstrip('\n'), sys.argv[3]
s = open(cover).read()
s = s.replace('*** SUBJECT HERE ***', subject).replace('*** BLURB HERE ***', blurb)
open(cover, 'w').write(s)
EOF
echo "series: $n patches and a cover letter in $out (base: Linux $kver, Debian $pkg_version)"
