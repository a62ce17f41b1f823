# SPDX-License-Identifier: GPL-2.0
#
# rfl-shim: mm and file lifetime support for Rust drivers on Linux 6.12 LTS.
#
#   make [run]        build the kernel with the layer, boot it, run the demo and
#                     every test, show the results
#   make check        build and run every test; ends with "N passed, N failed"
#   make kdir         print the built kernel tree, for out-of-tree modules
#   make module M=DIR build the out-of-tree module in DIR against it
#   make bench        measure on a kernel without the bug detectors
#   make series       write the layer as a git-am-able patch series (OUT=DIR)
#   make series-check check that it applies to the pristine tree and gives
#                     exactly the tested tree (make check runs it too)
#   make series-bisect build the kernel at every patch of the series
#
# BUILD (default .build/) holds the prepared tree and the build directory.

SHELL := /bin/bash
BUILD ?= $(CURDIR)/.build
export BUILD

# ARCH: x86_64 or arm64.  'make check' runs both unless one is given.
CHECK_ARCHES := $(or $(ARCH),x86_64 arm64)
ARCH ?= x86_64
export ARCH CHECK_ARCHES

S := $(CURDIR)/scripts
KOBJ = $(BUILD)/$(ARCH)

.PHONY: run check bench deps tree kernel kunit guest kdir module static clean \
	series series-check series-bisect

run: kernel
	@. $(S)/env.sh && kunit_py exec --timeout=900 --qemu_args="-smp 2"
	@GUEST_QUIET=1 GUEST_SHOW='^ipc_demo: ' $(S)/guest.sh

check:
	@$(S)/check.sh

# Measurements on a kernel without the bug detectors (its own build directory).
bench: tree
	@VARIANT=bench $(S)/build-kernel.sh
	@VARIANT=bench GUEST_KUNIT=0 GUEST_PLAN=$(CURDIR)/tests/guest/bench.plan GUEST_QUIET=1 $(S)/guest.sh | grep -a "Testing complete"
	@echo "figures: min/median/max over R rounds, side by side in one run; ratios: median (min-max) of the per-round ratios"
	@grep -a -h "^mm_file_bench:" $(BUILD)/guest-bench-console.log
	@grep -a -h "# bench:" $(BUILD)/guest-bench/ktap.log | sed 's/^ *# //'

deps:
	@$(S)/deps.sh

tree: deps
	@$(S)/prepare-tree.sh $(BUILD)/linux

kernel: tree
	@$(S)/build-kernel.sh

kunit: kernel
	@. $(S)/env.sh && kunit_py exec --timeout=900 --qemu_args="-smp 2"

guest: kernel
	@$(S)/guest.sh

kdir:
	@echo $(KOBJ)

module:
	@test -n "$(M)" || { echo "usage: make module M=DIR" >&2; exit 1; }
	@$(S)/module.sh $(M)

static:
	@$(S)/static-checks.sh

series: tree
	@$(S)/series.sh $(OUT)

series-check: tree
	@$(S)/series-check.sh

series-bisect: kernel
	@$(S)/series-bisect.sh

clean:
	rm -rf $(BUILD)
