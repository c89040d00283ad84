package org.preresolver.kernel;

import java.util.Map;
import java.util.Optional;
import org.preresolver.elf.Elf;

/**
 * What this project knows about each architecture's modules, by {@code e_machine}: the name
 * Debian uses, the relocation records, the table layouts seen, whether its module loader needs a
 * rule ({@code loaderRule}), and whether preresolved modules have been proven to load in QEMU.
 * An architecture that no test has proven is refused unless the user says otherwise; nothing is
 * guessed silently.
 *
 * @param machine {@code e_machine}
 * @param name the usual name, e.g. "x86_64"
 * @param relocations REL or RELA, and anything special about {@code r_info}
 * @param layouts the {@code __ksymtab} layouts seen in real kernels
 * @param loaderRule the rule this tool applies for the architecture's module loader, "" for none
 * @param verified how preresolved modules were proven to load, "" when they were not
 * @param anchorVerified how anchor-mode modules were proven to load with KASLR on, "" when they were
 *     not (then a kernel that randomises its base is refused unless it boots with {@code nokaslr})
 */
public record Architecture(int machine, String name, String relocations, String layouts, String loaderRule,
        String verified, String anchorVerified) {

    public boolean isVerified() {
        return !verified.isEmpty();
    }

    public boolean isAnchorVerified() {
        return !anchorVerified.isEmpty();
    }

    /** Anchor mode: what proved it, by machine. Only architectures whose loader table is modelled. */
    private static final Map<Integer, String> ANCHOR = Map.of(
            Elf.EM_X86_64, "QEMU with KASLR on: Debian 6.1 amd64 functional set, three boots at different _text "
                    + "(AnchorKaslrBootTest)",
            Elf.EM_AARCH64, "QEMU virt with KASLR on: Debian 6.1 arm64 functional set (exports from Module.symvers + "
                    + "kallsyms), three boots at different _stext, calls into the kernel through the loader's PLT "
                    + "entries (Arm64AnchorKaslrBootTest)");

    private static final Map<Integer, Architecture> TABLE = Map.ofEntries(
            entry(Elf.EM_X86_64, "x86_64", "RELA", "12-byte PREL32 with namespace (6.1)", "",
                    "QEMU: Debian 6.1 amd64, 85-module functional set, ext4 and vfat mounted (StdModulesBootTest, "
                            + "PreresolvedBootTest)"),
            entry(Elf.EM_SH, "sh", "RELA (R_SH_DIR32)", "12-byte absolute with namespace (6.1)", "",
                    "QEMU r2d: 6.1 SH-4 kit, 20 modules, vfat and ext2 on CompactFlash (Sh4BootTest)"),
            entry(Elf.EM_386, "i386", "REL", "12-byte PREL32 with namespace, 4-byte CRCs (Debian 6.1 686-pae, "
                    + "bzImage xz payload)", "",
                    "QEMU i386: Debian 6.1 686-pae, exports from the bzImage, 21 modules, ext4 and vfat mounted on loop "
                            + "(I386BootTest)"),
            entry(Elf.EM_AARCH64, "arm64", "RELA", "raw Image without section headers: exports from Module.symvers "
                    + "and a captured /proc/kallsyms (Debian 6.1)", "",
                    "QEMU virt cortex-a57: Debian 6.1 arm64, exports from Module.symvers + kallsyms, 21 modules, ext4 "
                            + "and vfat mounted on loop (Arm64BootTest)"),
            entry(Elf.EM_ARM, "arm", "REL", "zImage without section headers: exports from Module.symvers and a "
                    + "captured /proc/kallsyms (Debian 6.1 armmp, rpi)", "",
                    "QEMU virt cortex-a15 and raspi0: Debian 6.1 armmp (armhf) and rpi (armel), exports from "
                            + "Module.symvers + kallsyms, 21 modules, ext4 and vfat mounted on loop (ArmhfBootTest, "
                            + "ArmelBootTest)"),
            entry(Elf.EM_S390, "s390x", "RELA", "vmlinuz without export sections: exports from Module.symvers and "
                    + "a captured /proc/kallsyms (Debian 6.1); the -dbg ELF vmlinux has 24-byte absolute entries with "
                    + "namespace, some 0 in the file and filled from .rela.dyn at boot", "",
                    "QEMU s390-ccw-virtio: Debian 6.1 s390x, exports from Module.symvers + kallsyms, 21 modules, ext4 "
                            + "and vfat mounted on loop (S390xBootTest)"),
            entry(Elf.EM_PPC64, "ppc64", "RELA", "24-byte absolute with namespace, 4-byte CRCs (Debian 6.1 "
                    + "powerpc64le ELF vmlinux; not PREL32)",
                    "symbols that an R_PPC64_REL24 or R_PPC64_REL24_NOTOC relocation targets stay undefined: the "
                            + "loader routes such calls through a stub only for SHN_UNDEF targets",
                    "QEMU pseries POWER9: Debian 6.1 powerpc64le, exports from the ELF vmlinux, 21 modules, ext4 and "
                            + "vfat mounted on loop; a REL24 target made absolute is refused 'out of range' "
                            + "(Ppc64elBootTest)"),
            entry(Elf.EM_MIPS, "mips", "REL/RELA; MIPS64 r_info is a 32-bit symbol and four type bytes",
                    "stripped ELF vmlinuz around a compressed payload: exports from Module.symvers and a captured "
                            + "/proc/kallsyms (Debian 6.1 5kc-malta, 4kc-malta)", "",
                    "QEMU malta: Debian 6.1 5kc-malta (mips64el) and 4kc-malta (mipsel), exports from Module.symvers "
                            + "+ kallsyms, 21 modules, ext4 and vfat mounted on loop (Mips64elBootTest, "
                            + "MipselBootTest)"));

    private static Map.Entry<Integer, Architecture> entry(int m, String name, String rel, String layouts, String rule,
            String verified) {
        return Map.entry(m, new Architecture(m, name, rel, layouts, rule, verified, ANCHOR.getOrDefault(m, "")));
    }

    /** The entry for {@code machine}, if this project knows it at all. */
    public static Optional<Architecture> of(int machine) {
        return Optional.ofNullable(TABLE.get(machine));
    }

    /** Every known architecture. */
    public static java.util.Collection<Architecture> all() {
        return TABLE.values();
    }
}
