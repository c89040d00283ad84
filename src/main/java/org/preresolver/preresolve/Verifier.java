package org.preresolver.preresolve;

import org.preresolver.kernel.ModuleSignature;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelIdentity;
import org.preresolver.kernel.KernelModule;
import org.preresolver.kernel.RunningKernel;

/**
 * Tells whether a preresolved module is right for a kernel: the one it would be loaded into,
 * given as an image (its exports) or as the captured state of a running target.
 *
 * <p>Against an image: the identity in the record (release, build-id) must be the kernel's, every
 * patched symbol must still be exported at the address written, and the kernel's checks (licence,
 * modversions, namespaces) must still admit every patched symbol. Against a running target: the
 * identity must match and every patched symbol must be where {@code /proc/kallsyms} says it is,
 * which fails for a kernel booted with KASLR.
 *
 * <p>Pure: no files, no terminal. The record is checked as {@link Restorer} checks it: a record
 * that does not fit its file is a {@link FormatException}, never a verdict.
 */
public final class Verifier {
    /** Reasons for "left undefined" that mean "vmlinux no longer exports it": reported as NOT_EXPORTED. */
    private static final Set<Reason> UNEXPORTED = Set.of(Reason.NOT_EXPORTED, Reason.WEAK_NOT_EXPORTED,
            Reason.EXPORTED_BY_MODULE);

    private Verifier() {}

    /** What makes a module stale. */
    public enum Kind {
        /** The record names another release. */
        RELEASE,
        /** The record names another build (GNU build-id). */
        BUILD_ID,
        /** A patched symbol is exported (or listed in kallsyms) at another address. */
        MOVED,
        /** The running kernel is shifted as a whole: KASLR. */
        KASLR,
        /** A patched symbol is no longer exported by vmlinux (or not in kallsyms). */
        NOT_EXPORTED,
        /** The kernel's checks would now leave a patched symbol undefined. */
        CHECKS
    }

    /** A patched symbol found at another address: where it is, and where it was preresolved to. */
    public record Move(String name, long actual, long preresolved) {}

    /** A patched symbol the kernel's checks would now leave undefined, and why. */
    public record Refusal(String name, Reason reason, String detail) {}

    /**
     * One reason a module is stale, as data; {@code report.VerifyFormat} puts it into words.
     * {@code target}: found against a running target's capture, else against a kernel image.
     */
    public sealed interface Problem {
        Kind kind();

        /** The record names release {@code recorded}, the kernel or target is {@code actual}. */
        record OtherRelease(String recorded, String actual, boolean target) implements Problem {
            public Kind kind() {
                return Kind.RELEASE;
            }
        }

        /** The record names build-id {@code recorded}, the kernel or target has {@code actual}. */
        record OtherBuild(String recorded, String actual, boolean target) implements Problem {
            public Kind kind() {
                return Kind.BUILD_ID;
            }
        }

        /** Patched symbols exported (or in kallsyms) at other addresses, not by one common shift. */
        record Moved(List<Move> moves, int of, boolean target) implements Problem {
            public Kind kind() {
                return Kind.MOVED;
            }
        }

        /** Anchored symbols moved by {@code offsets} different offsets: not one slide of this build. */
        record AnchorsSplit(int offsets) implements Problem {
            public Kind kind() {
                return Kind.MOVED;
            }
        }

        /** The whole kernel shifted by {@code delta} ({@code count} of {@code of} moved; {@code first} shown). */
        record Shifted(long delta, Move first, int count, int of, boolean nokaslr) implements Problem {
            public Kind kind() {
                return Kind.KASLR;
            }
        }

        /** Patched symbols no longer exported by vmlinux, or not in the target's kallsyms. */
        record Gone(List<String> names, int of, boolean target) implements Problem {
            public Kind kind() {
                return Kind.NOT_EXPORTED;
            }
        }

        /** The kernel's checks would now leave patched symbols undefined; {@code guard}: the GPL taint guard among them. */
        record Refused(List<Refusal> refusals, int of, boolean guard) implements Problem {
            public Kind kind() {
                return Kind.CHECKS;
            }
        }
    }

    /** A remark that does not make a module stale; {@code report.VerifyFormat} puts it into words. */
    public sealed interface Note {
        /** {@code count} more symbols could be preresolved now. */
        record MorePreresolvable(int count) implements Note {}

        /** The target placed the kernel at {@code delta} (KASLR), and anchor mode follows it. */
        record AnchorFollows(long delta) implements Note {}

        /** {@code count} patched symbols are not in kallsyms; the build-id vouches for them. */
        record CheckedByBuildId(int count) implements Note {}
    }

    /**
     * The verdict for one module.
     *
     * @param record the module's record; empty for a module that is not preresolved
     * @param problems why it is stale; empty when it is right for the kernel
     * @param notes remarks that do not make it stale (e.g. symbols that could now be preresolved too)
     */
    public record Verdict(Optional<PreresolvedRecord> record, List<Problem> problems, List<Note> notes) {
        public Verdict {
            problems = List.copyOf(problems);
            notes = List.copyOf(notes);
        }

        public boolean preresolved() {
            return record.isPresent();
        }

        public boolean stale() {
            return !problems.isEmpty();
        }

        /** Number of patched symbols, 0 when not preresolved. */
        public int patched() {
            return record.map(r -> r.patches().size()).orElse(0);
        }

        static Verdict notPreresolved() {
            return new Verdict(Optional.empty(), List.of(), List.of());
        }
    }

    /** A preresolved module read back: its record, original and the names of the patched symbols. */
    private record Read(PreresolvedRecord record, byte[] original, List<String> names) {}

    /** Reads the record of a module; empty when it has none (plain or signed). */
    private static Optional<Read> read(byte[] elf) throws FormatException {
        Optional<Restorer.Found> found = Restorer.find(elf); // a re-signed module is verified too
        if (found.isEmpty()) {
            return Optional.empty();
        }
        ElfFile f = found.get().file();
        Optional<PreresolvedRecord> rec = Optional.of(found.get().record());
        byte[] original = Restorer.restore(f, rec.get()); // checks the record against the file
        // Names from the original: anchor mode removes anchored symbols from the output's .symtab.
        ElfFile orig = ElfFile.parse(ModuleSignature.withoutSignature(original));
        List<String> names = new ArrayList<>();
        for (PreresolvedRecord.Patch p : rec.get().patches()) {
            names.add(orig.symbolAt(p.index()).name());
        }
        byte[] digest = exportsDigest(names, rec.get().patches());
        if (!MessageDigest.isEqual(digest, rec.get().exportsDigest())) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: exports digest does not match the patched "
                    + "symbols; the file was changed after preresolving");
        }
        return Optional.of(new Read(rec.get(), original, names));
    }

    /**
     * The record's exports digest: SHA-256 over, per patched symbol in record order, the name,
     * a NUL, the address in lowercase hex without leading zeros, and a newline.
     */
    static byte[] exportsDigest(List<String> names, List<PreresolvedRecord.Patch> patches) {
        return PreresolvedRecord.digest(names, patches.stream().map(PreresolvedRecord.Patch::newValue).toList());
    }

    /**
     * Verifies a module (uncompressed bytes) against a kernel image's exports.
     *
     * @param options the options a re-run would use (only the module providers matter)
     * @throws FormatException the module or its record is malformed
     */
    public static Verdict againstKernel(byte[] elf, KernelExports kernel, Options options) throws FormatException {
        Optional<Read> r = read(elf);
        if (r.isEmpty()) {
            return Verdict.notPreresolved();
        }
        PreresolvedRecord rec = r.get().record();
        KernelIdentity id = kernel.identity();
        List<Problem> problems = new ArrayList<>();
        identity(rec, id.release(), id.buildId(), false, problems);

        List<PreresolvedRecord.Patch> patches = rec.patches();
        List<String> names = r.get().names();
        List<Move> moved = new ArrayList<>();
        List<String> gone = new ArrayList<>();
        for (int i = 0; i < patches.size(); i++) {
            KernelExport e = kernel.get(names.get(i));
            if (e == null) {
                gone.add(names.get(i));
            } else if (e.address() != patches.get(i).newValue()) {
                moved.add(new Move(names.get(i), e.address(), patches.get(i).newValue()));
            }
        }
        if (!moved.isEmpty()) {
            problems.add(new Problem.Moved(moved, patches.size(), false));
        }
        if (!gone.isEmpty()) {
            problems.add(new Problem.Gone(gone, patches.size(), false));
        }

        // Would the kernel's checks still admit every patched symbol? Plan the original again.
        Plan plan = new Preresolver(kernel, options).plan(KernelModule.parse(r.get().original()));
        Map<Integer, SymbolOutcome> byIndex = new HashMap<>();
        for (SymbolOutcome o : plan.outcomes()) {
            byIndex.put(o.index(), o);
        }
        List<Refusal> refused = new ArrayList<>();
        boolean guard = false;
        for (PreresolvedRecord.Patch p : patches) {
            SymbolOutcome o = byIndex.get(p.index());
            if (o == null) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: patched symbol " + p.index()
                        + " is not an undefined symbol of the original");
            }
            if (o.outcome() instanceof Outcome.Left l && !UNEXPORTED.contains(l.reason())) {
                refused.add(new Refusal(o.name(), l.reason(), l.detail()));
                guard |= l.reason() == Reason.GPL_TAINT_GUARD;
            }
        }
        if (!refused.isEmpty()) {
            problems.add(new Problem.Refused(refused, patches.size(), guard));
        }
        List<Note> notes = new ArrayList<>();
        Set<Integer> patched = new java.util.HashSet<>();
        patches.forEach(p -> patched.add(p.index()));
        int more = 0;
        for (SymbolOutcome o : plan.outcomes()) {
            if (o.isPreresolved() && !patched.contains(o.index())) {
                more++;
            }
        }
        if (more > 0) {
            notes.add(new Note.MorePreresolvable(more));
        }
        return new Verdict(Optional.of(rec), problems, notes);
    }

    /**
     * Verifies a module (uncompressed bytes) against the captured state of a running kernel.
     *
     * @throws FormatException the module or its record is malformed
     */
    public static Verdict againstTarget(byte[] elf, RunningKernel target) throws FormatException {
        Optional<Read> r = read(elf);
        if (r.isEmpty()) {
            return Verdict.notPreresolved();
        }
        PreresolvedRecord rec = r.get().record();
        List<Problem> problems = new ArrayList<>();
        identity(rec, target.release(), target.buildId(), true, problems);
        boolean sameBuild = !rec.buildId().isEmpty() && rec.buildId().equals(target.buildId());

        List<PreresolvedRecord.Patch> patches = rec.patches();
        List<String> names = r.get().names();
        List<Move> moved = new ArrayList<>();
        List<String> missing = new ArrayList<>();
        Set<Long> deltas = new java.util.HashSet<>();
        Set<Long> anchoredDeltas = new java.util.TreeSet<>();
        for (int i = 0; i < patches.size(); i++) {
            Optional<Long> a = target.address(names.get(i));
            long want = patches.get(i).newValue();
            if (a.isEmpty()) {
                missing.add(names.get(i));
            } else if (patches.get(i).anchored()) {
                anchoredDeltas.add(a.get() - want); // anchored symbols follow the image: one offset for all
            } else if (a.get() != want) {
                moved.add(new Move(names.get(i), a.get(), want));
                deltas.add(a.get() - want);
            }
        }
        if (!moved.isEmpty()) {
            if (deltas.size() == 1 && (sameBuild || rec.buildId().isEmpty())) {
                problems.add(new Problem.Shifted(deltas.iterator().next(), moved.get(0), moved.size(), patches.size(),
                        target.nokaslr()));
            } else {
                problems.add(new Problem.Moved(moved, patches.size(), true));
            }
        }
        if (anchoredDeltas.size() > 1) {
            problems.add(new Problem.AnchorsSplit(anchoredDeltas.size()));
        }
        // Same build and no symbol moved: a symbol that kallsyms does not list (a kernel without
        // CONFIG_KALLSYMS_ALL lists no data symbols) is at its link-time address all the same.
        if (!missing.isEmpty() && !(sameBuild && moved.isEmpty())) {
            problems.add(new Problem.Gone(missing, patches.size(), true));
        }
        List<Note> notes = new ArrayList<>();
        if (anchoredDeltas.size() == 1 && anchoredDeltas.iterator().next() != 0 && problems.isEmpty()) {
            notes.add(new Note.AnchorFollows(anchoredDeltas.iterator().next()));
        }
        if (!missing.isEmpty() && problems.isEmpty()) {
            notes.add(new Note.CheckedByBuildId(missing.size()));
        }
        return new Verdict(Optional.of(rec), problems, notes);
    }

    private static void identity(PreresolvedRecord rec, String release, String buildId, boolean target,
            List<Problem> problems) {
        if (!rec.release().isEmpty() && !release.isEmpty() && !rec.release().equals(release)) {
            problems.add(new Problem.OtherRelease(rec.release(), release, target));
        }
        if (!rec.buildId().isEmpty() && !buildId.isEmpty() && !rec.buildId().equals(buildId)) {
            problems.add(new Problem.OtherBuild(rec.buildId(), buildId, target));
        }
    }
}
