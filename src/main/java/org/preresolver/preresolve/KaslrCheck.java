package org.preresolver.preresolve;

import java.util.Optional;
import java.util.Set;
import org.preresolver.elf.Elf;
import org.preresolver.kernel.KernelConfig;
import org.preresolver.kernel.KernelIdentity;

/**
 * KASLR: with {@code CONFIG_RANDOMIZE_BASE=y} the kernel moves at every boot and preresolved
 * addresses are right only when it boots with {@code nokaslr}. A run is refused unless the user
 * says {@code --assume-nokaslr}; when the configuration is unknown the tool says so and refuses too,
 * except on architectures that have no KASLR at all.
 */
public final class KaslrCheck {
    /** Machines whose kernels have no {@code RANDOMIZE_BASE} (SH, 32-bit ARM, ...). */
    private static final Set<Integer> NO_KASLR = Set.of(Elf.EM_SH, Elf.EM_ARM, Elf.EM_PARISC, Elf.EM_SPARCV9);

    private KaslrCheck() {}

    /**
     * Returns the warning to print once when the run goes ahead under {@code --assume-nokaslr}
     * for a KASLR kernel, empty when there is nothing to say.
     *
     * @throws RefusedException the kernel randomises (or may randomise) its base and the user has not said otherwise
     */
    public static Optional<String> check(KernelIdentity kernel, Optional<KernelConfig> config, String configNote,
            boolean assumeNokaslr) throws RefusedException {
        if (config.isPresent()) {
            if (!config.get().randomizesBase()) {
                return Optional.empty();
            }
            if (assumeNokaslr) {
                return Optional.of("WARNING: this kernel has CONFIG_RANDOMIZE_BASE=y (" + config.get().source()
                        + "). The preresolved modules are ONLY correct when it boots with 'nokaslr' on its command "
                        + "line; with KASLR active they jump to wrong addresses and crash the kernel.");
            }
            throw new RefusedException(RefusedException.Kind.KASLR, "kernel has CONFIG_RANDOMIZE_BASE=y ("
                    + config.get().source() + "): preresolved addresses are only right if it boots with 'nokaslr'; "
                    + "pass --assume-nokaslr if it always does");
        }
        if (NO_KASLR.contains(kernel.machine())) {
            return Optional.empty();
        }
        if (assumeNokaslr) {
            return Optional.of("WARNING: cannot tell whether this kernel randomises its base (" + configNote
                    + "). The preresolved modules are ONLY correct when it boots without KASLR ('nokaslr').");
        }
        throw new RefusedException(RefusedException.Kind.KASLR, "cannot tell whether the kernel randomises its base: "
                + configNote + "; pass --config FILE, or --assume-nokaslr if it boots with 'nokaslr'");
    }
}
