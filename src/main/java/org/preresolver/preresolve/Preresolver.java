package org.preresolver.preresolve;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.Relocation;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import org.preresolver.kernel.KernelIdentity;
import org.preresolver.kernel.KernelModule;
import org.preresolver.kernel.LoaderRelocations;
import org.preresolver.kernel.ModInfo;
import org.preresolver.kernel.ModVersions;
import org.preresolver.kernel.ModuleSignature;
import org.preresolver.kernel.ModuleSigner;

/**
 * Decides and applies: {@code (module, kernel exports, options) -> plan -> patched bytes}.
 *
 * <p>Every undefined, named, global or weak symbol gets an {@link Outcome}. A symbol is made
 * absolute only when the kernel would have resolved it to vmlinux's export without complaint:
 * the checks of {@code resolve_symbol()} (licence, modversions CRC, namespace) are made here, in
 * the kernel's order, and a symbol the kernel would refuse or warn about stays undefined so the
 * kernel still refuses or warns.
 *
 * <p>Pure: no files, no terminal. Thread-safe: one instance serves a whole parallel run.
 */
public final class Preresolver {
    /** Names {@code scripts/mod/modpost.c} and the loader never resolve (each starts with '_' or '.'). */
    private static final Set<String> IGNORED = Set.of("__this_module", "_GLOBAL_OFFSET_TABLE_", ".TOC.");
    /** ppc out-of-line register save/restore helpers, linked into each module. */
    private static final List<String> IGNORED_PPC_PREFIXES = List.of("_restgpr0_", "_savegpr0_", "_restgpr1_",
            "_savegpr1_", "_restgpr_", "_savegpr_", "_rest32gpr_", "_save32gpr_", "_restvr_", "_savevr_");
    /** s390 expoline thunks (6.1 modpost), linked into each module. */
    private static final String IGNORED_S390_PREFIX = "__s390_indirect_jump_r";
    /**
     * Modules the kernel treats as proprietary by name, whatever their licence: 6.1
     * {@code check_module_license_and_versions()}, newest {@code module_license_offenders[]}.
     */
    private static final Set<String> PROPRIETARY_BY_NAME = Set.of("driverloader", "lve");

    private final KernelExports kernel;
    private final Options options;

    public Preresolver(KernelExports kernel, Options options) {
        this.kernel = kernel;
        this.options = options;
    }

    public KernelExports kernel() {
        return kernel;
    }

    /** Makes a preresolver once the tree's module exports are known. */
    @FunctionalInterface
    public interface Factory {
        Preresolver create(java.util.Map<String, Options.Provider> providers);
    }

    /**
     * Preresolves one module file (uncompressed). A module that already carries a record is first
     * restored in memory, so that running twice changes nothing and a new kernel re-targets it.
     *
     * @throws FormatException the bytes are not a sound module, or its record is damaged
     * @throws RefusedException the module must not be preresolved against this kernel
     */
    public Result process(byte[] input) throws FormatException, RefusedException {
        return process(KernelModule.parse(input));
    }

    /** As {@link #process(byte[])}, for a module file already parsed. */
    public Result process(KernelModule parsed) throws FormatException, RefusedException {
        Optional<PreresolvedRecord> previous = Optional.empty();
        byte[] input = parsed.bytes();
        byte[] original = input;
        KernelModule module = parsed;
        Optional<SectionHeader> marker = module.elf().section(PreresolvedRecord.SECTION);
        if (marker.isPresent()) {
            // Preresolved before (and maybe signed again since): start again from the original.
            PreresolvedRecord rec = PreresolvedRecord.decode(module.elf().sectionBytes(marker.get()), module.elf().data());
            original = Restorer.restore(module.elf(), rec);
            previous = Optional.of(rec);
            module = KernelModule.parse(original);
        }
        checkModule(module);
        ExportLookups lookups = new ExportLookups(kernel, module.elf());
        Plan plan = plan(module, lookups);
        try {
            return build(input, original, module, plan, previous, lookups);
        } catch (RefusedException e) {
            throw e.afterPlanning(plan);
        }
    }

    /** The output of a planned module, checked (and proven, in anchor mode), and its status. */
    private Result build(byte[] input, byte[] original, KernelModule module, Plan plan,
            Optional<PreresolvedRecord> previous, ExportLookups lookups) throws FormatException, RefusedException {
        if (plan.preresolved() == 0) {
            boolean changed = original != input;
            return new Result(Result.Status.NOTHING_TO_DO, module, plan, original, changed, false, false, previous);
        }
        boolean signed = module.isSigned();
        boolean resign = signed && options.signer().isPresent();
        byte[] trailer = new byte[0];
        if (signed) {
            if (!options.stripSignature() && !resign) {
                throw new RefusedException(RefusedException.Kind.SIGNED, "module is signed and preresolving would "
                        + "invalidate the signature; pass --strip-signature (output unsigned) or re-sign it with "
                        + "--sign-key/--sign-cert");
            }
            trailer = module.signature().get().trailer();
        }
        byte[] out = apply(module.elf(), plan, trailer, signed);
        ElfFile parsed = ElfFile.parse(out);
        checkRestores(parsed, module.bytes(), module.signature());
        if (plan.anchor().isPresent()) {
            prove(module.elf(), parsed, lookups);
        }
        if (resign) {
            out = sign(out, input);
        }
        boolean stripped = signed && !resign;
        if (previous.isPresent() && Arrays.equals(out, input)) {
            return new Result(Result.Status.UNCHANGED, module, plan, input, false, stripped, resign, previous);
        }
        // Re-targeted: the module was bound to another kernel build. Done again for the same kernel
        // (other options, e.g. a signature stripped or added) is plain preresolving.
        boolean otherKernel = previous.isPresent() && !(previous.get().buildId().equals(kernel.identity().buildId())
                && previous.get().release().equals(kernel.identity().release())
                && Arrays.equals(previous.get().exportsDigest(), exportsDigest(plan)));
        Result.Status status = otherKernel ? Result.Status.RETARGETED : Result.Status.PRERESOLVED;
        return new Result(status, module, plan, out, true, stripped, resign, previous);
    }

    /**
     * {@code elf} signed with the {@link Options#signer()}, or {@code input} itself when it is
     * already exactly that (ECDSA and ML-DSA signatures differ from run to run, so compare by
     * verifying). The digest is the signer's, else that of {@code input}'s own signature.
     */
    private byte[] sign(byte[] elf, byte[] input) throws RefusedException {
        ModuleSigner signer = options.signer().get();
        ModuleSigner.Hash hash = signer.hashFor(input).orElseThrow(() -> new RefusedException(
                RefusedException.Kind.SIGNED, "cannot tell which digest to re-sign with: the module's signature "
                        + "uses none of sha256, sha384, sha512, sha3-256, sha3-384, sha3-512 and the kernel's "
                        + "CONFIG_MODULE_SIG_HASH is not known; pass --sign-hash"));
        if (input.length > elf.length && Arrays.equals(input, 0, elf.length, elf, 0, elf.length)
                && signer.isSignedBy(input, elf.length, hash)) {
            return input;
        }
        return signer.sign(elf, hash);
    }

    /**
     * Loads the original and the anchor-mode output as the loader would, at two KASLR slides, and
     * refuses the module unless the loaded images are equal byte for byte.
     */
    private void prove(ElfFile original, ElfFile out, ExportLookups lookups) throws FormatException, RefusedException {
        try {
            LoaderSimulation.check(original, out, lookups,
                    LoaderRelocations.of(original.header().machine()).orElseThrow());
        } catch (LoaderSimulation.Mismatch e) {
            throw new RefusedException(RefusedException.Kind.SIMULATION, "anchor-mode output failed the loader "
                    + "simulation (" + e.getMessage() + "); module left as it was; please report this");
        }
    }

    /**
     * Checks an output (unsigned, parsed) before it leaves {@link #process}: it carries a record, and
     * restoring it gives back exactly the {@code original}. A failure here is a bug in this tool,
     * reported as an error for the module rather than written.
     */
    static void checkRestores(ElfFile out, byte[] original) throws FormatException {
        checkRestores(out, original, Optional.empty());
    }

    /**
     * As {@link #checkRestores(ElfFile, byte[])}, given the {@code signature} the original was
     * found to carry: restoring the same trailer does not parse it again (the bytes are compared).
     */
    private static void checkRestores(ElfFile out, byte[] original, Optional<ModuleSignature> signature)
            throws FormatException {
        PreresolvedRecord rec = Restorer.record(out)
                .orElseThrow(() -> new FormatException("internal check failed: output has no record"));
        byte[] back = Restorer.restore(out, rec, Preresolver::checkBuffer, signature);
        long length = rec.originalElfLength() + rec.trailer().length;
        if (length != original.length || !Arrays.equals(back, 0, original.length, original, 0, original.length)) {
            throw new FormatException("internal check failed: output does not restore to the original; not written");
        }
    }

    /** Modules up to this size are restored for the check into one buffer per thread. */
    private static final int CHECK_BUFFER_MAX = 4 << 20;
    private static final ThreadLocal<byte[]> CHECK_BUFFER = new ThreadLocal<>();

    /**
     * An array of at least {@code size} bytes for the output check's restore: the thread's reused
     * buffer (restoring every module into a new array was 391 MB of fresh heap over Debian's tree),
     * or a new one for a module larger than {@link #CHECK_BUFFER_MAX}, so that no thread keeps more.
     */
    private static byte[] checkBuffer(int size) {
        if (size > CHECK_BUFFER_MAX) {
            return new byte[size];
        }
        byte[] b = CHECK_BUFFER.get();
        if (b == null || b.length < size) {
            b = new byte[Math.min(CHECK_BUFFER_MAX, Math.max(size, b == null ? 256 << 10 : 2 * b.length))];
            CHECK_BUFFER.set(b);
        }
        return b;
    }

    /** Refuses a module the kernel is not the target of: another machine, another release. */
    public void checkModule(KernelModule module) throws RefusedException {
        KernelIdentity k = kernel.identity();
        var h = module.elf().header();
        if (k.machine() != 0 && (h.machine() != k.machine() || h.is64() != k.is64() || h.order() != k.order())) {
            throw new RefusedException(RefusedException.Kind.MACHINE_MISMATCH, "module is " + h.describe()
                    + ", kernel is " + new org.preresolver.elf.ElfHeader(k.is64(), k.order(), 0, 0, k.machine(), 0, 0, 0,
                            0, 0, 0).describe());
        }
        if (!options.allowUnverifiedArch()) {
            var arch = org.preresolver.kernel.Architecture.of(h.machine());
            if (arch.isEmpty() || !arch.get().isVerified()) {
                throw new RefusedException(RefusedException.Kind.UNVERIFIED_ARCH, "no test has proven preresolved "
                        + arch.map(a -> a.name()).orElse(org.preresolver.elf.Elf.machineName(h.machine()))
                        + " modules to load; pass --allow-unverified-arch to go ahead");
            }
        }
        if (options.mode() == Options.Mode.ANCHOR) {
            if (LoaderRelocations.of(h.machine()).isEmpty()) {
                throw new RefusedException(RefusedException.Kind.KASLR, "anchor mode (for kernels that randomise "
                        + "their base) is not modelled for " + org.preresolver.elf.Elf.machineName(h.machine())
                        + " modules; boot with 'nokaslr' and pass --assume-nokaslr");
            }
            if (kernel.ranges().isEmpty()) {
                throw new RefusedException(RefusedException.Kind.KASLR, "anchor mode needs to know which kernel "
                        + "addresses move with the image, and " + kernel.source() + " does not say (no section "
                        + "headers, no _text/_end); use the ELF vmlinux or a System.map that has them");
            }
        }
        String rel = module.modinfo().vermagicRelease();
        if (!k.release().isEmpty() && !rel.equals(k.release())) {
            throw new RefusedException(RefusedException.Kind.VERMAGIC_MISMATCH, rel.isEmpty()
                    ? "module has no vermagic; kernel release is " + k.release()
                    : "vermagic release " + rel + " does not match kernel release " + k.release());
        }
    }

    /** Decides the outcome of every undefined symbol of {@code module}. */
    public Plan plan(KernelModule module) throws FormatException {
        return plan(module, new ExportLookups(kernel, module.elf()));
    }

    private Plan plan(KernelModule module, ExportLookups lookups) throws FormatException {
        ElfFile elf = module.elf();
        ModInfo info = module.modinfo();
        ModVersions versions = module.versions();
        String moduleName = module.name();
        boolean inTree = info.get("intree").isPresent();
        boolean gplOk = info.isGplCompatible() && !PROPRIETARY_BY_NAME.contains(moduleName);
        Set<String> imported = new HashSet<>(info.importedNamespaces());
        Set<Integer> livepatch = livepatchSymbols(elf);
        java.util.Map<Integer, String> archKeep = ArchRules.keepUndefined(elf);
        int machine = elf.header().machine();
        List<Symbol> symbols = elf.symbolTable().symbols();

        // Proprietary providers (6.1 kernel/module/main.c; newest the same). simplify_symbols()
        // resolves the undefined symbols in .symtab order, and for each one resolve_symbol() takes
        // gplok = !(mod->taints & TAINT_PROPRIETARY_MODULE) afresh; a GPL-only hit sets
        // mod->using_gplonly_symbols. For a symbol owned by a module with the taint, inherit_taint()
        // then either refuses it ("module using GPL-only symbols uses symbols X from proprietary
        // module Y", when a GPL-only symbol came earlier) or sets TAINT_PROPRIETARY_MODULE on the
        // module ("... inheriting taint"), after which every later GPL-only lookup fails ("Unknown
        // symbol"). Either order ends in a refusal, and a preresolved GPL-only symbol would skip it.
        // So when the module takes any symbol from a module not known to be GPL-compatible, every
        // GPL-only export stays undefined, before or after that symbol. Names the loader never looks
        // up (ppc64's .TOC., ...) come from no module. (lastUnsafeProvider: the last such symbol's
        // index, or -1 when there is none.)
        int lastUnsafeProvider = -1;
        KernelExport[] found = new KernelExport[symbols.size()]; // each candidate looked up once
        List<String> fromModules = new ArrayList<>();
        for (Symbol s : symbols) {
            if (!isCandidate(s)) {
                continue;
            }
            found[s.index()] = lookups.of(elf, s);
            if (found[s.index()] == null && !isIgnoredName(s.name(), machine)) {
                fromModules.add(s.name());
                Options.Provider p = options.providers().get(s.name());
                if (p == null || !p.gplCompatible()) {
                    lastUnsafeProvider = s.index();
                }
            }
        }

        int[] positions = new int[symbols.size()];
        Arrays.fill(positions, -1);
        ModuleFacts facts = new ModuleFacts(gplOk, imported, versions, livepatch, archKeep, machine, moduleName, inTree,
                lastUnsafeProvider, positions);
        List<SymbolOutcome> out = new ArrayList<>();
        for (Symbol s : symbols) {
            if (isLivepatchSymbol(s)) {
                // simplify_symbols() skips SHN_LIVEPATCH: livepatch resolves it through kallsyms.
                out.add(new SymbolOutcome(s.index(), s.name(), s.bind() == Elf.STB_WEAK,
                        new Outcome.Left(Reason.LIVEPATCH, "SHN_LIVEPATCH")));
                continue;
            }
            if (!isCandidate(s)) {
                continue;
            }
            boolean weak = s.bind() == Elf.STB_WEAK;
            out.add(new SymbolOutcome(s.index(), s.name(), weak, decide(s, weak, found[s.index()], facts)));
        }
        Plan plain = new Plan(out, Optional.empty(), fromModules);
        if (options.mode() == Options.Mode.ANCHOR) {
            return Anchoring.plan(elf, plain, kernel.ranges().orElseThrow(),
                    LoaderRelocations.of(machine).orElseThrow(), versions, positions);
        }
        return plain;
    }

    /**
     * What the kernel's checks look at in the module itself, gathered once per module.
     *
     * @param gplOk the licence is GPL-compatible and the name is not one the kernel calls proprietary
     * @param imported the namespaces of {@code import_ns=}
     * @param livepatch symbols named by livepatch relocation sections
     * @param archKeep symbols the architecture's loader must see undefined, with the rule
     * @param inTree {@code intree=Y} in {@code .modinfo}: {@code module:} namespaces may admit it by name
     * @param lastUnsafeProvider the last symbol taken from a module not known to be GPL-compatible, or -1
     * @param positions by symbol index, the place of its {@code __versions} entry as {@code decide()}
     *     found it ({@link ModVersions#position}), or -1 where it did not look
     */
    private record ModuleFacts(boolean gplOk, Set<String> imported, ModVersions versions, Set<Integer> livepatch,
            java.util.Map<Integer, String> archKeep, int machine, String moduleName, boolean inTree,
            int lastUnsafeProvider, int[] positions) {}

    /** The outcome of candidate {@code s}; {@code e} is vmlinux's export of its name, or null. */
    private Outcome decide(Symbol s, boolean weak, KernelExport e, ModuleFacts m) {
        String name = s.name();
        boolean gplOk = m.gplOk();
        Set<String> imported = m.imported();
        ModVersions versions = m.versions();
        int machine = m.machine();
        if (isIgnoredName(name, machine)) {
            return new Outcome.Left(Reason.IGNORED_NAME, "");
        }
        if (m.livepatch().contains(s.index())) {
            return new Outcome.Left(Reason.LIVEPATCH, "");
        }
        if (e == null) {
            Options.Provider p = options.providers().get(name);
            if (p != null) {
                return new Outcome.Left(Reason.EXPORTED_BY_MODULE, p.module());
            }
            return new Outcome.Left(weak ? Reason.WEAK_NOT_EXPORTED : Reason.NOT_EXPORTED, "");
        }
        // resolve_symbol(): find_symbol() with gplok, then check_version(), then the namespace.
        if (e.gplOnly() && !gplOk) {
            return new Outcome.Left(Reason.GPL_ONLY, "");
        }
        if (e.crc() != null) {
            if (!versions.present()) {
                return new Outcome.Left(Reason.NO_VERSIONS, "");
            }
            int position = versions.position(name);
            m.positions()[s.index()] = position; // anchor mode chooses its anchor by it
            if (position == Integer.MAX_VALUE) {
                return new Outcome.Left(Reason.NO_VERSION_ENTRY, "");
            }
            long want = versions.crcAt(position);
            if (want != e.crc().longValue()) {
                return new Outcome.Left(Reason.CRC_MISMATCH, String.format("module 0x%08x, kernel 0x%08x", want, e.crc()));
            }
        }
        if (e.hasNamespace() && !imported.contains(e.namespace())
                && !(m.inTree() && moduleNamespaceMatches(e.namespace(), m.moduleName()))) {
            return new Outcome.Left(Reason.NAMESPACE_NOT_IMPORTED, e.namespace());
        }
        if (e.protectedSymbol()) {
            return new Outcome.Left(Reason.PROTECTED, "");
        }
        if (e.gplOnly() && m.lastUnsafeProvider() >= 0) {
            return new Outcome.Left(Reason.GPL_TAINT_GUARD, "");
        }
        if (e.address() == 0) {
            return new Outcome.Left(Reason.ADDRESS_ZERO, "");
        }
        String rule = m.archKeep().get(s.index());
        if (rule != null) {
            return new Outcome.Left(Reason.ARCH_RULE, rule);
        }
        return new Outcome.Preresolved(e.address());
    }

    /** modpost's and the loader's ignore lists, and ppc64 ELFv1 dot-names. */
    static boolean isIgnoredName(String name, int machine) {
        // Every name of IGNORED starts with '_' or '.': most names are decided without hashing them.
        char c = name.isEmpty() ? 0 : name.charAt(0);
        if ((c == '_' || c == '.') && IGNORED.contains(name)) {
            return true;
        }
        return switch (machine) {
            case Elf.EM_PPC, Elf.EM_PPC64 -> name.startsWith(".") || IGNORED_PPC_PREFIXES.stream().anyMatch(name::startsWith);
            case Elf.EM_S390 -> name.startsWith(IGNORED_S390_PREFIX);
            default -> false;
        };
    }

    /**
     * Newest kernels' {@code verify_module_namespace()} (6.16+, {@code module_match()} since): a
     * namespace {@code "module:a,b-*"} (from {@code EXPORT_SYMBOL_FOR_MODULES}) admits the named
     * modules, a trailing {@code *} matching any tail, and {@code mod_strncmp()} takes {@code -} and
     * {@code _} as the same character on both sides (kbuild turns {@code kvm-intel} into the module
     * name {@code kvm_intel}; Debian 7.2's {@code module:kvm,kvm-amd,kvm-intel}). The caller applies it
     * only to a module with {@code intree} in its {@code .modinfo}: newer kernels give module namespaces
     * to in-tree modules only, and leaving the symbol to the kernel is right either way.
     */
    static boolean moduleNamespaceMatches(String namespace, String moduleName) {
        if (!namespace.startsWith("module:") || moduleName.isEmpty()) {
            return false;
        }
        String name = moduleName.replace('-', '_');
        for (String pat : namespace.substring("module:".length()).split(",")) {
            boolean glob = pat.endsWith("*");
            String p = (glob ? pat.substring(0, pat.length() - 1) : pat).replace('-', '_');
            if (glob ? name.startsWith(p) : p.equals(name)) {
                return true;
            }
        }
        return false;
    }

    /** Undefined, named, global or weak: what {@code simplify_symbols()} looks up. */
    static boolean isCandidate(Symbol s) {
        return s.index() > 0 && s.shndx() == Elf.SHN_UNDEF && !s.name().isEmpty()
                && (s.bind() == Elf.STB_GLOBAL || s.bind() == Elf.STB_WEAK);
    }

    /** Named global or weak {@code SHN_LIVEPATCH} symbol: undefined for livepatch, never touched. */
    static boolean isLivepatchSymbol(Symbol s) {
        return s.index() > 0 && s.shndx() == Elf.SHN_LIVEPATCH && !s.name().isEmpty()
                && (s.bind() == Elf.STB_GLOBAL || s.bind() == Elf.STB_WEAK);
    }

    /** Symbols that relocation sections flagged {@code SHF_RELA_LIVEPATCH} (or named .klp.rela.*) refer to. */
    private static Set<Integer> livepatchSymbols(ElfFile elf) throws FormatException {
        Set<Integer> out = new HashSet<>();
        for (SectionHeader s : elf.sections()) {
            boolean rel = s.type() == Elf.SHT_RELA || s.type() == Elf.SHT_REL;
            if (rel && ((s.flags() & Elf.SHF_RELA_LIVEPATCH) != 0 || s.name().startsWith(".klp.rela."))) {
                for (Relocation r : elf.relocations(s)) {
                    out.add(r.symbol());
                }
            }
        }
        return out;
    }

    /**
     * Writes the plan into a copy of {@code elf} and appends the record, which keeps the
     * original's signature {@code trailer} (empty when it had none) for restore.
     */
    private byte[] apply(ElfFile elf, Plan plan, byte[] trailer, boolean signed) throws FormatException {
        ElfEditor ed = new ElfEditor(elf);
        List<PreresolvedRecord.Patch> patches = new ArrayList<>();
        List<PreresolvedRecord.Saved> saved = new ArrayList<>();
        if (plan.anchor().isPresent()) {
            patches = Anchoring.apply(elf, plan, ed, saved);
        } else {
            // Absolute symbols only (plain mode, or anchor mode with nothing that moves): patched in place.
            List<Symbol> symbols = elf.symbolTable().symbols();
            for (SymbolOutcome o : plan.outcomes()) {
                if (o.outcome() instanceof Outcome.Preresolved p) {
                    Symbol s = symbols.get(o.index());
                    ed.setSymbol(s, p.address(), Elf.SHN_ABS);
                    patches.add(new PreresolvedRecord.Patch(s.index(), s.rawShndx(), s.value(), p.address()));
                }
            }
        }
        KernelIdentity k = kernel.identity();
        var h = elf.header();
        PreresolvedRecord rec = new PreresolvedRecord(signed, elf.length(), h.shoff(), h.rawShnum(),
                exportsDigest(plan), k.buildId(), k.release(), options.tool(), patches, trailer,
                plan.anchor().map(Plan.Anchor::index).orElse(-1), saved,
                plan.anchor().map(Plan.Anchor::address).orElse(0L));
        return ed.appendSection(PreresolvedRecord.SECTION, Elf.SHT_PROGBITS, 0, 8, rec.encode(ed::edited)).bytes();
    }

    /** The record's exports digest of a plan ({@link PreresolvedRecord#digest}). */
    static byte[] exportsDigest(Plan plan) {
        List<String> names = new ArrayList<>();
        List<Long> addresses = new ArrayList<>();
        for (SymbolOutcome o : plan.outcomes()) {
            if (o.outcome() instanceof Outcome.Preresolved p) {
                names.add(o.name());
                addresses.add(p.address());
            }
        }
        return PreresolvedRecord.digest(names, addresses);
    }

    /**
     * One SHA-256 per thread, reset by each {@code digest()}: looking the algorithm up among the
     * providers for every module cost as much as a fifth of hashing its exports.
     */
    private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    });

    /** The thread's SHA-256, reset: for one {@code update}s-then-{@code digest()} at a time. */
    static MessageDigest sha256() {
        MessageDigest d = SHA256.get();
        d.reset();
        return d;
    }
}
