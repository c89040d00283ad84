# preresolve.mk: preresolve out-of-tree kernel modules right after kbuild has built them.
#
# Include it from the Makefile of an out-of-tree module (the file you run `make` on, not the
# Kbuild file), then build with `make preresolved-modules`, or call $(LKMPR_PRERESOLVE) after
# your own `$(MAKE) -C $(KDIR) M=$(CURDIR) modules`:
#
#     KDIR ?= /lib/modules/$(shell uname -r)/build
#     include /path/to/lkm-preresolver/scripts/kbuild/preresolve.mk
#     all: preresolved-modules
#
# Or, with no change to the module's Makefile:
#
#     make -C $KDIR M=$PWD modules
#     make -f /path/to/scripts/kbuild/preresolve.mk KDIR=$KDIR M=$PWD preresolve
#
# The tool rewrites the .ko files of M in place (atomically, each checked first) and prints one
# line per module, like kbuild's LD [M] lines:
#       PRERESV hello.ko (14/15 preresolved)
# `make modules_install` then installs, signs and compresses the preresolved files as usual.
#
# Variables (all may be set on the command line or before the include):
#   KDIR             the kernel build or headers tree (default: the running kernel's)
#   M                the module directory (default: the directory make runs in)
#   LKMPR            the tool (default: lkm-preresolver from PATH; e.g. /opt/lkm-preresolver/bin/lkm-preresolver)
#   LKMPR_RELEASE    the target kernel release (default: UTS_RELEASE of KDIR)
#   LKMPR_KERNEL     the kernel image (default: KDIR/vmlinux if there, else /boot/vmlinuz-LKMPR_RELEASE)
#   LKMPR_SYSTEM_MAP set to a System.map to read exports from KDIR/Module.symvers and it instead
#                    of an image (for images the tool cannot read, or that are not readable)
#   LKMPR_CONFIG     the kernel's .config, for the KASLR check (default: KDIR/.config if there)
#   LKMPR_FLAGS      more options, e.g. --assume-nokaslr (a KASLR kernel always booted with
#                    nokaslr), --strip-signature, -v, -q
#
# Exit status is the tool's (see lkm-preresolver(1)): a refused or malformed module fails the build.

ifeq ($(KERNELRELEASE),)

KDIR ?= /lib/modules/$(shell uname -r)/build
M ?= $(CURDIR)
LKMPR ?= lkm-preresolver
LKMPR_RELEASE ?= $(shell sed -n 's/^\#define UTS_RELEASE "\(.*\)"/\1/p' $(KDIR)/include/generated/utsrelease.h 2>/dev/null)
LKMPR_KERNEL ?= $(firstword $(wildcard $(KDIR)/vmlinux) /boot/vmlinuz-$(LKMPR_RELEASE))
LKMPR_CONFIG ?= $(wildcard $(KDIR)/.config)
LKMPR_SYSTEM_MAP ?=
LKMPR_FLAGS ?=

LKMPR_KERNEL_ARGS = $(if $(LKMPR_SYSTEM_MAP),--symvers $(KDIR)/Module.symvers --system-map $(LKMPR_SYSTEM_MAP) \
	$(if $(LKMPR_RELEASE),--release $(LKMPR_RELEASE)),--kernel $(LKMPR_KERNEL)) \
	$(if $(LKMPR_CONFIG),--config $(LKMPR_CONFIG))

# The command, for use in your own rules.
LKMPR_PRERESOLVE = $(LKMPR) preresolve $(LKMPR_KERNEL_ARGS) $(LKMPR_FLAGS) --in-place $(M)

# Defining targets here must not make one of them the including Makefile's default goal.
lkmpr_default_goal := $(.DEFAULT_GOAL)

.PHONY: preresolve preresolved-modules

# Preresolve the modules kbuild has already built in M.
preresolve:
	$(LKMPR_PRERESOLVE)

# Build the modules with kbuild, then preresolve them.
preresolved-modules:
	$(MAKE) -C $(KDIR) M=$(M) modules
	$(LKMPR_PRERESOLVE)

.DEFAULT_GOAL := $(lkmpr_default_goal)

endif
