#!/bin/sh
# post-build-preresolve.sh: EXAMPLE, UNTESTED. Nothing in the LKM Preresolver repository builds
# a Buildroot image; check this against your Buildroot version before relying on it.
#
# A Buildroot post-build script that preresolves the target's kernel modules against the vmlinux
# Buildroot built. In your defconfig:
#     BR2_ROOTFS_POST_BUILD_SCRIPT="board/yours/post-build-preresolve.sh"
#     BR2_ROOTFS_POST_SCRIPT_ARGS="--assume-nokaslr"     # plain mode, ONLY if the kernel always boots
#                                                        # with nokaslr (else KASLR kernels get anchor mode)
# Buildroot runs it with TARGET_DIR as $1 (then BR2_ROOTFS_POST_SCRIPT_ARGS), and BUILD_DIR in
# the environment. Needs Java 17+ on the build host; LKMPR names the tool if it is not on PATH.
#
# This runs after `make modules_install`: modules signed there (CONFIG_MODULE_SIG_ALL) are
# refused unless "--strip-signature" is given, and are then unsigned. To keep them signed,
# preresolve the kernel's objtree before modules_install instead, from a LINUX_POST_BUILD_HOOKS
# entry in a br2-external package:
#     lkm-preresolver preresolve --kernel $(LINUX_DIR)/vmlinux --config $(LINUX_DIR)/.config \
#         --in-place $(LINUX_DIR)
set -eu
target=$1
shift
LKMPR=${LKMPR:-lkm-preresolver}

linux=""
for d in "$BUILD_DIR"/linux-*; do
    case $(basename "$d") in linux-headers-*|linux-firmware-*|linux-tools-*) continue ;; esac
    if [ -f "$d/vmlinux" ]; then linux=$d; break; fi
done
[ -n "$linux" ] || { echo "post-build-preresolve: no built kernel (vmlinux) under $BUILD_DIR" >&2; exit 1; }
release=$(cat "$linux/include/config/kernel.release")
[ -d "$target/lib/modules/$release" ] || { echo "post-build-preresolve: no modules for $release" >&2; exit 0; }

"$LKMPR" preresolve --kernel "$linux/vmlinux" --config "$linux/.config" --no-fsync "$@" \
    --in-place "$target/lib/modules/$release"
# the in-place run's lock file does not belong in the image
rm -f "$target/lib/modules/$release/.lkm-preresolver.lock"
