package org.preresolver.preresolve;

import java.util.Optional;
import java.util.Set;
import org.preresolver.elf.Elf;
import org.preresolver.kernel.Architecture;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelIdentity;

/**
 * KASLR: with {@code CONFIG_RANDOMIZE_BASE=y} the kernel moves at every boot, and absolute
 * addresses are right only when it boots with {@code nokaslr}. Decides how a run binds
 * preresolved symbols:
 * <ul>
 * <li>a kernel that does not randomise its base: plain (absolute) mode;</li>
 * <li>one that does, or may: anchor mode ({@link Anchoring}), which is right at any slide, on the
 *     architectures where it is proven; plain mode only when the user says {@code --assume-nokaslr};
 *     refused elsewhere.</li>
 * </ul>
 */
public final class KaslrCheck {
    /** Machines whose kernels have no {@code RANDOMIZE_BASE} (SH, 32-bit ARM, ...). */
    private static final Set<Integer> NO_KASLR = Set.of(Elf.EM_SH, Elf.EM_ARM, Elf.EM_PARISC, Elf.EM_SPARCV9);

    private KaslrCheck() {}

    /**
     * How the run binds symbols, and the warning to print once ("" for none).
     *
     * @param mode plain (absolute addresses) or anchor
     * @param warning what to tell the user once, if anything
     */
    public record Decision(Options.Mode mode, Optional<String> warning) {}

    /**
     * @throws RefusedException the kernel randomises (or may randomise) its base, anchor mode is not
     *     proven for its architecture, and the user has not said it boots with {@code nokaslr}
     */
    public static Decision decide(KernelIdentity kernel, Optional<KernelConfig> config, String configNote,
            boolean assumeNokaslr) throws RefusedException {
        boolean anchor = anchorProven(machine(kernel, config));
        if (config.isPresent()) {
            if (!config.get().randomizesBase()) {
                return new Decision(Options.Mode.PLAIN, Optional.empty());
            }
            if (assumeNokaslr) {
                return new Decision(Options.Mode.PLAIN, Optional.of("WARNING: this kernel has CONFIG_RANDOMIZE_BASE=y ("
                        + config.get().source() + "). With --assume-nokaslr the preresolved modules are ONLY correct "
                        + "when it boots with 'nokaslr' on its command line; with KASLR active they jump to wrong "
                        + "addresses and crash the kernel." + (anchor ? " Without the option, anchor mode is right "
                        + "either way." : "")));
            }
            if (anchor) {
                return new Decision(Options.Mode.ANCHOR, Optional.empty());
            }
            throw new RefusedException(RefusedException.Kind.KASLR, "kernel has CONFIG_RANDOMIZE_BASE=y ("
                    + config.get().source() + ") and anchor mode is not proven for "
                    + Elf.machineName(machine(kernel, config))
                    + ": preresolved addresses are only right if it boots with 'nokaslr'; pass --assume-nokaslr if it "
                    + "always does");
        }
        if (NO_KASLR.contains(kernel.machine())) {
            return new Decision(Options.Mode.PLAIN, Optional.empty());
        }
        if (assumeNokaslr) {
            return new Decision(Options.Mode.PLAIN, Optional.of("WARNING: cannot tell whether this kernel randomises "
                    + "its base (" + configNote + "). The preresolved modules are ONLY correct when it boots without "
                    + "KASLR ('nokaslr')."));
        }
        if (anchor) {
            // Anchor mode is right whether or not the kernel moves.
            return new Decision(Options.Mode.ANCHOR, Optional.empty());
        }
        throw new RefusedException(RefusedException.Kind.KASLR, "cannot tell whether the kernel randomises its base: "
                + configNote + "; pass --config FILE, or --assume-nokaslr if it boots with 'nokaslr'");
    }

    /**
     * The kernel's machine: from its image, or, where the exports come from text files (Module.symvers
     * and a System.map or kallsyms capture, which say nothing of it), from the architecture the
     * configuration selects ({@code CONFIG_ARM64}, {@code CONFIG_X86_64}); 0 when neither tells.
     */
    static int machine(KernelIdentity kernel, Optional<KernelConfig> config) {
        if (kernel.machine() != 0 || config.isEmpty()) {
            return kernel.machine();
        }
        if (config.get().isEnabled("CONFIG_ARM64")) {
            return Elf.EM_AARCH64;
        }
        if (config.get().isEnabled("CONFIG_X86_64")) {
            return Elf.EM_X86_64;
        }
        return 0;
    }

    /** Anchor mode has been proven in QEMU, with KASLR on, for this machine. */
    static boolean anchorProven(int machine) {
        return Architecture.of(machine).map(Architecture::isAnchorVerified).orElse(false);
    }
}
