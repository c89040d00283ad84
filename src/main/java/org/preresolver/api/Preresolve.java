package org.preresolver.api;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Consumer;
import org.preresolver.elf.FormatException;
import org.preresolver.io.SigningKeys;
import org.preresolver.kernel.ModuleSigner;
import org.preresolver.preresolve.Options;
import org.preresolver.preresolve.Preresolver;
import org.preresolver.preresolve.RefusedException;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;

/**
 * The library entry point: preresolve modules or trees against a {@link Kernel}, with options,
 * and get the results as data ({@link RunReport}, {@link ModuleReport}). The command line is a
 * thin layer over the same calls. Instances are immutable; each {@code with...} method returns
 * a copy.
 *
 * <pre>{@code
 * Kernel kernel = Kernel.fromImage(Path.of("vmlinux"));
 * Preresolve pre = Preresolve.against(kernel).withStripSignature(true);
 * RunReport report = pre.toDirectory(List.of(Path.of("lib/modules/6.1.0")), Path.of("out"));
 * }</pre>
 *
 * <p>Modules that are refused or malformed do not throw: they are reported with a failed
 * {@link ModuleReport.Status} and a one-line error. What stops a whole run is thrown: the KASLR
 * refusal ({@link RefusedException}) and I/O errors on the inputs as a whole.
 */
public final class Preresolve {
    private final Kernel kernel;
    // Set only on a fresh copy inside the with... methods: instances never change once returned.
    private boolean stripSignature;
    private boolean allowUnverifiedArch;
    private boolean assumeNokaslr;
    private boolean failFast;
    private boolean keepOutcomes;
    private boolean sync = true;
    private int threads = Runtime.getRuntime().availableProcessors();
    private List<Path> providerTrees = List.of();
    private Consumer<ModuleReport> listener = m -> { };
    private Runnable progress = () -> { };
    private ModuleSigner signer;

    private Preresolve(Kernel kernel) {
        this.kernel = Objects.requireNonNull(kernel, "kernel");
    }

    /** A copy with one setting changed: the instances themselves never change. */
    private Preresolve with(java.util.function.Consumer<Preresolve> change) {
        Preresolve c = copy();
        change.accept(c);
        return c;
    }

    private Preresolve copy() {
        Preresolve c = new Preresolve(kernel);
        c.stripSignature = stripSignature;
        c.allowUnverifiedArch = allowUnverifiedArch;
        c.assumeNokaslr = assumeNokaslr;
        c.failFast = failFast;
        c.keepOutcomes = keepOutcomes;
        c.sync = sync;
        c.threads = threads;
        c.providerTrees = providerTrees;
        c.listener = listener;
        c.progress = progress;
        c.signer = signer;
        return c;
    }

    /** Default options: signed modules refused, KASLR kernels refused, one thread per CPU. */
    public static Preresolve against(Kernel kernel) {
        return new Preresolve(kernel);
    }

    /** Allow changing signed modules: the output is unsigned (the record keeps the signature for restore). */
    public Preresolve withStripSignature(boolean v) {
        return with(c -> c.stripSignature = v);
    }

    /**
     * Re-sign signed modules after preresolving (the original signature is kept in the record
     * for restore); null for none. Load one with {@code org.preresolver.io.SigningKeys.load}. A
     * signer without a digest signs with the kernel's {@code CONFIG_MODULE_SIG_HASH} when its
     * configuration is known, else with the digest of each module's own signature.
     */
    public Preresolve withSigner(ModuleSigner s) {
        return with(c -> c.signer = s);
    }

    /**
     * Re-sign signed modules with a private key and its certificate, in the format of the kernel's
     * {@code scripts/sign-file}: the key PEM (RSA, ECDSA or ML-DSA; an encrypted one opened with
     * {@code pin}, null for none), the certificate DER or PEM. {@code hash} is sign-file's name of the
     * digest ({@code sha512}, {@code sha3-384}, ...), or null for the kernel's
     * {@code CONFIG_MODULE_SIG_HASH}, else the digest of each module's own signature.
     *
     * @throws IllegalArgumentException {@code hash} is not a digest the kernel offers
     * @throws FormatException the key or certificate cannot be read, or they do not belong together
     */
    public Preresolve withSigningKey(Path key, Path certificate, String hash, char[] pin)
            throws IOException, FormatException {
        ModuleSigner.Hash h = hash == null ? null : ModuleSigner.Hash.of(hash);
        return withSigner(SigningKeys.load(key, certificate, h, pin));
    }

    /** Preresolve modules of architectures that no test of this project has proven. */
    public Preresolve withAllowUnverifiedArch(boolean v) {
        return with(c -> c.allowUnverifiedArch = v);
    }

    /** The kernel randomises its base but will always boot with {@code nokaslr}. */
    public Preresolve withAssumeNokaslr(boolean v) {
        return with(c -> c.assumeNokaslr = v);
    }

    /** Stop at the first module that fails. */
    public Preresolve withFailFast(boolean v) {
        return with(c -> c.failFast = v);
    }

    /** Keep every symbol's outcome in the module reports ({@link ModuleReport#outcomes()}). */
    public Preresolve withOutcomes(boolean v) {
        return with(c -> c.keepOutcomes = v);
    }

    /**
     * Flush each output to disk before renaming it into place (the default). Without it outputs
     * stay atomic for other processes, but not across a power loss: for build trees.
     */
    public Preresolve withSync(boolean v) {
        return with(c -> c.sync = v);
    }

    /** Worker threads, at least 1. */
    public Preresolve withThreads(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("threads must be at least 1");
        }
        return with(c -> c.threads = n);
    }

    /**
     * More module trees, read only to learn which symbols their modules export (for a module
     * built out of tree: the installed tree it will load into).
     */
    public Preresolve withProviderTrees(List<Path> trees) {
        return with(c -> c.providerTrees = List.copyOf(trees));
    }

    /** Called once per module, in input order, as results come (from the calling thread). */
    public Preresolve withListener(Consumer<ModuleReport> l) {
        return with(c -> c.listener = Objects.requireNonNull(l, "listener"));
    }

    /**
     * Called once per module as it is decided, from the calling thread: for a progress display. A
     * dry run hands its reports to the listener only once every module is decided (it reads each
     * module once, and a module's report is final only when the whole tree's exports are known).
     */
    public Preresolve withProgress(Runnable p) {
        return with(c -> c.progress = Objects.requireNonNull(p, "progress"));
    }

    /**
     * The warning to show for this kernel and these options (KASLR assumed off), empty when
     * there is nothing to say.
     *
     * @throws RefusedException the kernel randomises its base and {@link #withAssumeNokaslr} is not set
     */
    public Optional<String> warning() throws RefusedException {
        return kernel.kaslr(assumeNokaslr).warning();
    }

    /** How this run binds symbols: plain (absolute) or anchor mode. */
    public Options.Mode mode() throws RefusedException {
        return kernel.kaslr(assumeNokaslr).mode();
    }

    /** Decides for every module and reports; writes nothing. */
    public RunReport dryRun(List<Path> inputs) throws IOException, RefusedException {
        return dryRun(Inputs.list(inputs));
    }

    /** As {@link #dryRun(List)}, over inputs listed before (perhaps while the kernel loaded: {@link Inputs#start}). */
    public RunReport dryRun(Inputs inputs) throws IOException, RefusedException {
        return run(new RunConfig(inputs.paths(), null, false, true, failFast, threads, keepOutcomes, providerTrees,
                sync), inputs);
    }

    /** Writes the modules into {@code outputDir}, mirroring each input tree. */
    public RunReport toDirectory(List<Path> inputs, Path outputDir) throws IOException, RefusedException {
        return toDirectory(Inputs.list(inputs), outputDir);
    }

    /** As {@link #toDirectory(List, Path)}, over inputs listed before. */
    public RunReport toDirectory(Inputs inputs, Path outputDir) throws IOException, RefusedException {
        return run(new RunConfig(inputs.paths(), Objects.requireNonNull(outputDir, "outputDir"), false, false,
                failFast, threads, keepOutcomes, providerTrees, sync), inputs);
    }

    /** Rewrites the input modules, each atomically; the trees are locked against a second run. */
    public RunReport inPlace(List<Path> inputs) throws IOException, RefusedException {
        return inPlace(Inputs.list(inputs));
    }

    /** As {@link #inPlace(List)}, over inputs listed before. */
    public RunReport inPlace(Inputs inputs) throws IOException, RefusedException {
        return run(new RunConfig(inputs.paths(), null, true, false, failFast, threads, keepOutcomes, providerTrees,
                sync), inputs);
    }

    /**
     * One module, dry run, with every symbol's outcome kept: what preresolving it would do.
     * The provider trees name the modules that export what vmlinux does not.
     */
    public ModuleReport module(Path file) throws IOException, RefusedException {
        RunReport r = withOutcomes(true).withThreads(1).dryRun(List.of(file));
        if (r.modules().isEmpty()) {
            throw new IOException(file + ": not a module file (.ko, .ko.xz, .ko.zst, .ko.gz)");
        }
        return r.modules().get(0);
    }

    /** Runs with a configuration made by hand. */
    public RunReport run(RunConfig cfg) throws IOException, RefusedException {
        return run(cfg, null);
    }

    /** {@link #run(RunConfig)} over its inputs as listed, or listed now when {@code listed} is null. */
    private RunReport run(RunConfig cfg, Inputs listed) throws IOException, RefusedException {
        Options.Mode mode = kernel.kaslr(assumeNokaslr).mode();
        Options options = Options.defaults().withStripSignature(stripSignature).withTool(Version.tool())
                .withAllowUnverifiedArch(allowUnverifiedArch)
                .withSigner(signer == null ? null : signer.forConfig(kernel.config())).withMode(mode);
        TreeRunner runner = new TreeRunner(p -> new Preresolver(kernel.exports(), options.withProviders(p)));
        return runner.run(cfg, listed != null ? listed : Inputs.list(cfg.inputs()), listener, progress);
    }
}
