package org.preresolver.preresolve;

import java.util.HashMap;
import java.util.Map;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.SectionHeader;

/**
 * Architecture loader rules: symbols an architecture's module loader needs to see undefined.
 * The rule for each machine is described in {@link org.preresolver.kernel.Architecture}.
 */
final class ArchRules {
    private ArchRules() {}

    /**
     * Symbol index to the detail of the rule that keeps it undefined; empty for most machines.
     */
    static Map<Integer, String> keepUndefined(ElfFile elf) throws FormatException {
        Map<Integer, String> out = new HashMap<>();
        if (elf.header().machine() == Elf.EM_PPC64) {
            for (SectionHeader s : elf.sections()) {
                if (s.type() != Elf.SHT_RELA) {
                    continue;
                }
                for (Relocation r : elf.relocations(s)) {
                    if (r.type() == Elf.R_PPC64_REL24 || r.type() == Elf.R_PPC64_REL24_NOTOC) {
                        out.putIfAbsent(r.symbol(), "ppc64: R_PPC64_REL24 target; module_64.c "
                                + "branches through a stub only to SHN_UNDEF symbols, else 'REL24 out of range'");
                    }
                }
            }
        }
        return out;
    }
}
