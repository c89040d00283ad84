# lkm-preresolve.bbclass: EXAMPLE, UNTESTED. Nothing in the LKM Preresolver repository builds a
# Yocto image; check this against your layers before relying on it.
#
# Preresolves kernel modules with lkm-preresolver after kbuild has linked them and before
# `make modules_install` (do_install) installs, signs and compresses them, so signatures made by
# CONFIG_MODULE_SIG_ALL cover the preresolved modules.
#
# Use:
#   linux-yourkernel_%.bbappend, or an out-of-tree module recipe (inherit module):
#       inherit lkm-preresolve
#   local.conf:
#       HOSTTOOLS += "java"                       # Java 17+ on the build host
#       LKMPR = "/opt/lkm-preresolver/bin/lkm-preresolver"
#       LKMPR_FLAGS = "--assume-nokaslr"          # plain mode, ONLY if the kernel always boots with
#                                                 # nokaslr (without it a KASLR kernel gets anchor mode)
#
# The kernel recipe preresolves its objtree ${B} against ${B}/vmlinux. A module recipe reads the
# kernel's exports from what the kernel recipe shares in ${STAGING_KERNEL_BUILDDIR}
# (Module.symvers, System.map-${KERNEL_VERSION}, .config).

LKMPR ??= "lkm-preresolver"
LKMPR_FLAGS ??= ""

do_lkmpr_preresolve() {
    if [ -f ${B}/vmlinux ] && [ -f ${B}/.config ]; then
        kargs="--kernel ${B}/vmlinux --config ${B}/.config"
    else
        kargs="--symvers ${STAGING_KERNEL_BUILDDIR}/Module.symvers \
               --system-map ${STAGING_KERNEL_BUILDDIR}/System.map-${KERNEL_VERSION} \
               --config ${STAGING_KERNEL_BUILDDIR}/.config --release ${KERNEL_VERSION}"
    fi
    # one PRERESV line per module in the task log; a refused or malformed module fails the task
    ${LKMPR} preresolve $kargs ${LKMPR_FLAGS} --no-fsync --in-place ${B}
}
do_lkmpr_preresolve[dirs] = "${B}"

python () {
    if bb.data.inherits_class('kernel', d):
        bb.build.addtask('do_lkmpr_preresolve', 'do_install', 'do_compile_kernelmodules', d)
    else:
        bb.build.addtask('do_lkmpr_preresolve', 'do_install', 'do_compile', d)
}
