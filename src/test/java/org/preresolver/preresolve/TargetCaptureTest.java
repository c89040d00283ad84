package org.preresolver.preresolve;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.preresolver.testing.CliRun.cli;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.function.LongUnaryOperator;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.report.VerifyFormat;
import org.preresolver.cli.ExitCodes;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.RunningKernel;
import org.preresolver.qemu.DebianKernel;
import org.preresolver.testing.CliRun;
import org.preresolver.testing.LoadedKernels;

/**
 * verify --target on captures made here from Debian's real kernel (its build-id, release and
 * exported addresses), changed the ways a real target differs: KASLR, another build, another
 * release, a kallsyms without data symbols, a capture read without root, a broken notes file.
 * The real capture from a QEMU guest is in {@code TargetVerifyBootTest}.
 */
class TargetCaptureTest {
    @TempDir
    static Path tmp;

    static DebianKernel debian;
    static KernelExports kernel;
    static byte[] module;
    static List<String> patched;

    @BeforeAll
    static void preresolveFat() throws Exception {
        debian = DebianKernel.fetch();
        kernel = LoadedKernels.of(debian).exports();
        byte[] signed = Files.readAllBytes(debian.modulesDir().resolve("kernel/fs/fat/fat.ko"));
        module = new Preresolver(kernel, Options.defaults().withStripSignature(true)).process(signed).output();
        ElfFile f = ElfFile.parse(module);
        PreresolvedRecord rec = Restorer.record(f).orElseThrow();
        var symbols = f.symbolTable().symbols();
        patched = rec.patches().stream().map(p -> symbols.get(p.index()).name()).toList();
    }

    /** The note blob of /sys/kernel/notes: a Xen-style note first, then the GNU build-id. */
    static byte[] notes(String buildId, ByteOrder order) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        note(out, order, "Xen", 6, new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        note(out, order, "GNU", 3, HexFormat.of().parseHex(buildId));
        note(out, order, "Linux", 0x100, new byte[] {0, 0, 0, 0});
        return out.toByteArray();
    }

    private static void note(ByteArrayOutputStream out, ByteOrder order, String name, int type, byte[] desc) {
        byte[] n = (name + "\0").getBytes(StandardCharsets.US_ASCII);
        ByteBuffer b = ByteBuffer.allocate(12 + pad(n.length) + pad(desc.length)).order(order);
        b.putInt(n.length).putInt(desc.length).putInt(type).put(n).position(12 + pad(n.length)).put(desc);
        out.write(b.array(), 0, b.capacity());
    }

    private static int pad(int n) {
        return (n + 3) & ~3;
    }

    /** kallsyms lines for every export, each address mapped; exports failing {@code keep} left out. */
    static byte[] kallsyms(LongUnaryOperator map, Predicate<String> keep) {
        StringBuilder sb = new StringBuilder();
        for (KernelExport e : kernel.all()) {
            if (keep.test(e.name())) {
                sb.append(String.format("%016x T %s%n", map.applyAsLong(e.address()), e.name()));
            }
        }
        sb.append("ffffffffc0a00000 t fat_foo\t[fat]\n");
        return sb.toString().getBytes(StandardCharsets.ISO_8859_1);
    }

    static RunningKernel target(String release, String buildId, String cmdline, byte[] kallsyms) throws FormatException {
        return RunningKernel.parse((release + "\n").getBytes(StandardCharsets.US_ASCII),
                notes(buildId, ByteOrder.LITTLE_ENDIAN), (cmdline + "\n").getBytes(StandardCharsets.US_ASCII), kallsyms);
    }

    static String id() {
        return kernel.identity().buildId();
    }

    @Test
    void theSameKernelBootedWithNokaslrIsOk() throws Exception {
        Verifier.Verdict v = Verifier.againstTarget(module, target(debian.release(), id(),
                "BOOT_IMAGE=/vmlinuz root=/dev/sda1 nokaslr quiet", kallsyms(a -> a, n -> true)));
        assertThat(v.preresolved()).isTrue();
        assertThat(v.problems()).isEmpty();
    }

    @Test
    void kaslrIsNamedWithTheAddressesAndTheCommandLine() throws Exception {
        long slide = 0x1da00000L;
        // This capture moves every address; a real KASLR kernel leaves the zero-based per-CPU
        // symbols where they are (TargetVerifyBootTest has the real thing).
        Verifier.Verdict v = Verifier.againstTarget(module, target(debian.release(), id(), "console=ttyS0 quiet",
                kallsyms(a -> a + slide, n -> true)));
        String first = patched.get(0);
        long at = kernel.get(first).address();
        assertThat(v.problems()).singleElement().satisfies(p -> {
            assertThat(p.kind()).isEqualTo(Verifier.Kind.KASLR);
            assertThat(VerifyFormat.text(p)).isEqualTo("kernel booted with KASLR: " + first + " is at 0x" + Long.toHexString(at + slide)
                    + ", preresolved 0x" + Long.toHexString(at) + " (all " + patched.size() + " patched symbols moved by "
                    + "+0x1da00000; /proc/cmdline has no 'nokaslr'); boot it with 'nokaslr' or preresolve for this "
                    + "address");
        });
        Verifier.Verdict n = Verifier.againstTarget(module, target(debian.release(), id(), "nokaslr",
                kallsyms(a -> a + slide, x -> true)));
        assertThat(n.problems()).singleElement().satisfies(p -> assertThat(VerifyFormat.text(p))
                .startsWith("the running kernel is shifted by +0x1da00000 from the preresolved addresses although "
                        + "/proc/cmdline has 'nokaslr'"));
    }

    @Test
    void anotherBuildOrReleaseIsNamed() throws Exception {
        String other = "0123456789abcdef0123456789abcdef01234567";
        Verifier.Verdict v = Verifier.againstTarget(module, target("6.1.0-99-amd64", other, "nokaslr",
                kallsyms(a -> a + 0x1000 + ((a >>> 4) & 0xf) * 0x1000, n -> true)));
        assertThat(v.problems()).extracting(Verifier.Problem::kind).containsExactly(Verifier.Kind.RELEASE,
                Verifier.Kind.BUILD_ID, Verifier.Kind.MOVED);
        assertThat(VerifyFormat.text(v.problems().get(0))).isEqualTo("preresolved for release " + debian.release()
                + ", the target is 6.1.0-99-amd64");
        assertThat(VerifyFormat.text(v.problems().get(1))).isEqualTo("preresolved for build-id " + id().substring(0, 16)
                + "..., the target has 0123456789abcdef...");
    }

    /** A kernel without CONFIG_KALLSYMS_ALL lists no data symbols: the build-id vouches for them. */
    @Test
    void symbolsMissingFromKallsymsAreVouchedForByTheBuildIdOnly() throws Exception {
        String gone = patched.get(patched.size() - 1);
        byte[] k = kallsyms(a -> a, n -> !n.equals(gone));
        Verifier.Verdict same = Verifier.againstTarget(module, target(debian.release(), id(), "nokaslr", k));
        assertThat(same.problems()).isEmpty();
        assertThat(VerifyFormat.notes(same)).containsExactly("1 patched symbol not in kallsyms, checked by the build-id");
        Verifier.Verdict other = Verifier.againstTarget(module, target(debian.release(),
                "0123456789abcdef0123456789abcdef01234567", "nokaslr", k));
        assertThat(other.problems()).extracting(Verifier.Problem::kind).containsExactly(Verifier.Kind.BUILD_ID,
                Verifier.Kind.NOT_EXPORTED);
        assertThat(VerifyFormat.text(other.problems().get(1))).contains("1 of " + patched.size()
                + " patched symbols is not in the target's kallsyms (" + gone + ")");
    }

    @Test
    void notesAreReadInEitherByteOrderAndBrokenNotesAreAnError() throws Exception {
        assertThat(RunningKernel.buildIdFromNotes(notes(id(), ByteOrder.BIG_ENDIAN))).hasValue(id());
        assertThat(RunningKernel.buildIdFromNotes(notes(id(), ByteOrder.LITTLE_ENDIAN))).hasValue(id());
        byte[] cut = java.util.Arrays.copyOf(notes(id(), ByteOrder.LITTLE_ENDIAN), 30);
        assertThatThrownBy(() -> RunningKernel.buildIdFromNotes(cut)).isInstanceOf(FormatException.class)
                .hasMessageContaining("runs past the end");
    }

    @Test
    void theCommandGivesOneLineAndExit3ForABadCapture() throws Exception {
        Path mod = tmp.resolve("fat.ko");
        Files.write(mod, module);
        Path good = capture("good", kallsyms(a -> a, n -> true), notes(id(), ByteOrder.LITTLE_ENDIAN));
        CliRun ok = cli("verify", "--target", good.toString(), mod.toString());
        assertThat(ok.code()).as(ok.err()).isEqualTo(ExitCodes.OK);
        assertThat(ok.out()).contains("  OK      fat.ko (" + patched.size() + " preresolved symbols)");

        Path zero = capture("zero", kallsyms(a -> 0, n -> true), notes(id(), ByteOrder.LITTLE_ENDIAN));
        Path noNotes = capture("nonotes", kallsyms(a -> a, n -> true), null);
        Path noBuildId = capture("nobuildid", kallsyms(a -> a, n -> true), new byte[0]);
        for (Object[] c : new Object[][] {
            {zero, "kallsyms: every address is 0: /proc/kallsyms hides addresses unless it is read as root"},
            {noNotes, "no notes file: not a complete capture"},
            {noBuildId, "notes: no GNU build-id note (NT_GNU_BUILD_ID) in /sys/kernel/notes"}}) {
            CliRun r = cli("verify", "--target", c[0].toString(), mod.toString());
            assertThat(r.code()).as(r.err()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(r.out()).isEmpty();
            assertThat(r.err().lines().toList()).singleElement().satisfies(l -> assertThat(l)
                    .startsWith("lkm-preresolver: " + c[0]).contains((String) c[1]));
        }
        CliRun both = cli("verify", "--target", good.toString(), "-k", debian.vmlinuz().toString(), mod.toString());
        assertThat(both.code()).isEqualTo(ExitCodes.USAGE);
    }

    private static Path capture(String name, byte[] kallsyms, byte[] notes) throws Exception {
        Path d = tmp.resolve(name);
        Files.createDirectories(d);
        Files.writeString(d.resolve("release"), debian.release() + "\n");
        Files.writeString(d.resolve("cmdline"), "console=ttyS0 nokaslr\n");
        Files.write(d.resolve("kallsyms"), kallsyms);
        if (notes != null) {
            Files.write(d.resolve("notes"), notes);
        }
        return d;
    }
}
