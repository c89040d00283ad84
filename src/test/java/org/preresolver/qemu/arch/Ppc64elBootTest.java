package org.preresolver.qemu.arch;

import static org.assertj.core.api.Assertions.assertThat;
import static org.preresolver.testing.CliRun.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.KernelExport;
import org.preresolver.preresolve.Reason;
import org.preresolver.qemu.SignatureStripper;
import org.preresolver.testing.CliRun;

/**
 * Debian's ppc64el kernel in QEMU (pseries, POWER9): see {@link ArchBootTestBase}. Besides the
 * functional set, it proves the ppc64 loader rule both ways with one module, nls_ascii: the tool's
 * output (its call to {@code __register_nls} kept undefined by the rule) loads; the same module with
 * that one {@code R_PPC64_REL24} target made absolute is refused by {@code module_64.c}
 * ("REL24 ... out of range!"), because the loader branches through a stub only to
 * {@code SHN_UNDEF} symbols. Logs: target/qemu/Ppc64elBootTest/.
 */
@Tag("qemu")
class Ppc64elBootTest extends ArchBootTestBase {
    static final String PROBE = "nls_ascii";
    static final String PROBE_CALL = "__register_nls";

    Ppc64elBootTest() {
        super(GuestArch.PPC64EL);
    }

    /** The tool's nls_ascii, and one with the REL24 target {@link #PROBE_CALL} made absolute by hand. */
    @Override
    Map<Path, String> extraFiles() throws Exception {
        Path dir = work.resolve("probe");
        Files.createDirectories(dir);
        Path orig = dir.resolve("orig/" + PROBE + ".ko");
        Files.createDirectories(orig.getParent());
        Files.copy(tree.path(PROBE), orig);
        List<String> args = new java.util.ArrayList<>(List.of("preresolve", "--kernel", kernel.image().toString(),
                "--config", kernel.config().toString(), "--strip-signature"));
        args.addAll(extraPreresolveArgs());
        args.addAll(List.of("-o", dir.resolve("pre").toString(), orig.toString()));
        CliRun r = cli(args);
        assertThat(r.code()).as(r.toString()).isZero();
        Path pre = Files.walk(dir.resolve("pre")).filter(p -> p.toString().endsWith(".ko")).findFirst().orElseThrow();

        ElfFile elf = ElfFile.parse(SignatureStripper.strip(Files.readAllBytes(tree.path(PROBE))));
        Symbol call = elf.symbolTable().symbols().stream().filter(s -> s.name().equals(PROBE_CALL)).findFirst()
                .orElseThrow();
        assertThat(call.shndx()).isEqualTo(Elf.SHN_UNDEF);
        assertThat(rel24Targets(elf)).contains(call.index());
        KernelExport e = exports.get(PROBE_CALL);
        ElfEditor ed = new ElfEditor(elf);
        ed.setSymbol(call, e.address(), Elf.SHN_ABS);
        Path noRule = dir.resolve(PROBE + "-norule.ko");
        Files.write(noRule, ed.toBytes());
        return Map.of(pre, "/probe/" + PROBE + ".ko", noRule, "/probe/" + PROBE + "-norule.ko");
    }

    @Override
    String extraScript() {
        return """
                insmod /probe/%1$s-norule.ko; mark NORULE_RC $?
                insmod /probe/%1$s.ko; mark RULE_RC $?
                rmmod %1$s; mark RULE_RMMOD_RC $?
                """.formatted(PROBE);
    }

    static java.util.Set<Integer> rel24Targets(ElfFile elf) throws Exception {
        java.util.Set<Integer> out = new java.util.HashSet<>();
        for (SectionHeader s : elf.sections()) {
            if (s.type() == Elf.SHT_RELA) {
                for (Relocation r : elf.relocations(s)) {
                    if (r.type() == 10) {
                        out.add(r.symbol());
                    }
                }
            }
        }
        return out;
    }

    @Test
    void theLoaderRefusesAnAbsoluteBranchTargetAndTakesTheRuleOutput() {
        assertThat(boot.marker("NORULE_RC")).isNotEqualTo("0");
        assertThat(boot.kernelLines()).anyMatch(l -> l.contains(PROBE + ": REL24 ") && l.contains("out of range!"));
        assertThat(boot.marker("RULE_RC")).isEqualTo("0");
        assertThat(boot.marker("RULE_RMMOD_RC")).isEqualTo("0");
    }

    @Test
    void explainNamesTheRule() {
        Path ext4 = work.resolve("orig").resolve(tree.relativePath("ext4"));
        CliRun r = cli("explain", "--kernel", kernel.image().toString(), "--tree", work.resolve("orig").toString(),
                ext4.toString());
        assertThat(r.code()).as(r.err()).isZero();
        List<String> lines = r.out().lines().toList();
        assertThat(lines).anyMatch(l -> l.matches("\\s+jbd2_journal_start .*left: exported by a module.*"));
        // Functions are called with bl (R_PPC64_REL24): the rule keeps them undefined, and says why.
        assertThat(lines).anyMatch(l -> l.matches("\\s+iget_locked +left: architecture loader rule \\(ppc64: "
                + "R_PPC64_REL24 target; module_64.c branches through a stub only to SHN_UNDEF symbols.*"));
        // .TOC. is set by the loader, never taken from a module: it does not hold GPL-only exports back.
        assertThat(lines).anyMatch(l -> l.matches("\\s+\\.TOC\\. +left: ignored by the loader"));
        assertThat(lines).noneMatch(l -> l.contains(Reason.GPL_TAINT_GUARD.text()));
        // Variables (reached through the TOC: address-based relocations) are preresolved.
        assertThat(lines).anyMatch(l -> l.matches("\\s+fs_overflowgid +0xc00000000[0-9a-f]{7}"));
    }
}
