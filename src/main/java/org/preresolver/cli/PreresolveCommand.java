package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import org.preresolver.api.Inputs;
import org.preresolver.api.Preresolve;
import org.preresolver.report.JsonFormat;
import org.preresolver.report.ModuleReport;
import org.preresolver.report.RunReport;
import org.preresolver.report.TextFormat;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code lkm-preresolver preresolve}: the main job. */
@Command(name = "preresolve", mixinStandardHelpOptions = true, sortOptions = false,
        header = "Preresolve modules against a kernel (the main job).",
        description = {"Prints one kbuild-style line per module,",
            "  PRERESV <path> (<n>/<m> preresolved)   or   (<n>/<n> *fully* preresolved),",
            "then a summary. Errors go to stderr, one line each: <path>: <what is wrong>."},
        footer = ExitCodes.HELP)
final class PreresolveCommand extends TreeCommand {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static final class Mode {
        @Option(names = {"-o", "--output"}, paramLabel = "DIR", required = true,
                description = "Write the modules here, mirroring each input tree.")
        Path output;

        @Option(names = "--in-place", required = true, description = "Rewrite the input modules (atomically).")
        boolean inPlace;

        @Option(names = {"-n", "--dry-run"}, required = true, description = "Decide and report; write nothing.")
        boolean dryRun;
    }

    @Option(names = "--assume-nokaslr",
            description = "The kernel randomises its base (CONFIG_RANDOMIZE_BASE=y) but will always boot with nokaslr.")
    boolean assumeNokaslr;

    @Option(names = "--strip-signature",
            description = "Allow changing signed modules; their signature is removed (kept in the record for restore).")
    boolean stripSignature;

    @Option(names = "--sign-key", paramLabel = "KEY.pem",
            description = "Re-sign signed modules after preresolving with this private key (PEM; RSA, ECDSA or ML-DSA; "
                    + "an encrypted key takes its passphrase from KBUILD_SIGN_PIN), in the format of the kernel's "
                    + "scripts/sign-file. The original signature is kept in the record for restore. "
                    + "Unsigned modules stay unsigned.")
    Path signKey;

    @Option(names = "--sign-cert", paramLabel = "CERT.pem|.der",
            description = "The X.509 certificate of --sign-key (DER like certs/signing_key.x509, or PEM).")
    Path signCert;

    @Option(names = "--sign-hash", paramLabel = "HASH",
            description = "Digest for --sign-key: sha256, sha384, sha512, sha3-256, sha3-384 or sha3-512. Default: the "
                    + "kernel's CONFIG_MODULE_SIG_HASH when its configuration is known, else the digest of each "
                    + "module's own signature.")
    String signHash;

    @Option(names = "--allow-unverified-arch",
            description = "Preresolve modules of an architecture that no test has proven (see the README's table).")
    boolean allowUnverifiedArch;

    @Option(names = "--json", description = "Print the results as JSON instead of text lines.")
    boolean json;

    @Option(names = {"-v", "--verbose"}, description = "Explain more: status and reasons under each line.")
    boolean verbose;

    @Option(names = {"-q", "--quiet"}, description = "Print only errors.")
    boolean quiet;

    @Option(names = "--fail-fast", description = "Stop at the first module that fails.")
    boolean failFast;

    @Option(names = "--report", paramLabel = "FORMAT[:FILE]",
            description = "After the run, also write a report (text, markdown, csv, json, html; see 'report') "
                    + "to FILE, or to stdout. Repeatable.")
    List<String> reports = new java.util.ArrayList<>();

    @Option(names = "--no-fsync",
            description = "Do not flush each output to disk before renaming it into place. Outputs stay atomic "
                    + "for other processes and if this one is killed, but not across a power loss. For build trees.")
    boolean noFsync;

    @Override
    int run(PrintWriter out, PrintWriter err, List<Path> inputs, int jobs) throws Exception {
        List<ReportSpec> reportSpecs = new java.util.ArrayList<>();
        for (String r : reports) {
            reportSpecs.add(ReportSpec.parse(r));
        }
        checkSigningOptions();
        Inputs listed = Inputs.start(inputs); // walked while the kernel loads
        Preresolve pre = Preresolve.against(kernel.load()).withStripSignature(stripSignature)
                .withAllowUnverifiedArch(allowUnverifiedArch).withAssumeNokaslr(assumeNokaslr).withFailFast(failFast)
                .withThreads(jobs).withSync(!noFsync);
        if (signKey != null) {
            String pin = System.getenv("KBUILD_SIGN_PIN");
            try {
                pre = pre.withSigningKey(signKey, signCert, signHash, pin == null ? null : pin.toCharArray());
            } catch (IllegalArgumentException e) {
                throw new UsageException(e.getMessage());
            }
        }
        pre.warning().ifPresent(w -> {
            err.println("lkm-preresolver: " + w);
            err.flush();
        });
        Progress progress = Progress.forRun(err, listed, quiet);
        pre = pre.withListener(m -> {
            progress.clear();
            print(m, out, err);
            if (progress.active()) {
                out.flush();
            }
        }).withProgress(progress::step);
        RunReport report = mode.dryRun ? pre.dryRun(listed)
                : mode.inPlace ? pre.inPlace(listed) : pre.toDirectory(listed, mode.output);
        progress.finish();
        if (json) {
            JsonFormat.write(report, out);
        } else if (!quiet) {
            out.print(TextFormat.summary(report));
        }
        for (ReportSpec r : reportSpecs) {
            r.write(report, org.preresolver.report.ReportModel.DEFAULT_TOP, true, out);
        }
        out.flush();
        return exitCode(report);
    }

    /** --sign-key and --sign-cert go together, and not with --strip-signature. */
    private void checkSigningOptions() throws UsageException {
        if ((signKey == null) != (signCert == null)) {
            throw new UsageException("--sign-key and --sign-cert go together");
        }
        if (signKey != null && stripSignature) {
            throw new UsageException("--strip-signature and --sign-key exclude each other");
        }
    }

    private void print(ModuleReport m, PrintWriter out, PrintWriter err) {
        if (m.status().failed()) {
            err.println("lkm-preresolver: " + TextFormat.error(m));
            err.flush();
            return;
        }
        if (json || quiet) {
            return;
        }
        out.println(TextFormat.line(m));
        if (verbose) {
            out.println(TextFormat.verbose(m));
        }
    }

    /** The exit code of a run: I/O errors first, then bad input, then refusals. */
    static int exitCode(RunReport r) {
        if (r.count(ModuleReport.Status.IO_ERROR) > 0) {
            return ExitCodes.IO;
        }
        if (r.count(ModuleReport.Status.ERROR) > 0) {
            return ExitCodes.BAD_INPUT;
        }
        if (r.count(ModuleReport.Status.REFUSED) > 0) {
            return ExitCodes.REFUSED;
        }
        return ExitCodes.OK;
    }
}
