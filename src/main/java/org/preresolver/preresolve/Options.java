package org.preresolver.preresolve;

import java.util.Map;
import java.util.Optional;
import org.preresolver.kernel.ModuleSigner;

/**
 * Choices for a preresolve run. No option turns off a check the kernel makes (licence,
 * namespace, CRC): those are the kernel's, not ours.
 *
 * @param stripSignature allow changing a signed module; the output is unsigned and says so
 * @param providers symbols that modules export, by name, when the tree is known; lets outcomes
 *     name the module and relaxes the proprietary-provider guard for GPL-compatible providers
 * @param tool the tool name and version written into each record
 * @param allowUnverifiedArch preresolve modules of architectures no test has proven
 * @param signer re-sign the output of a signed module with this key (the original signature is
 *     kept in the record); without it a signed module is refused unless {@code stripSignature}
 * @param mode how preresolved symbols are bound: absolute (kernels at a fixed base) or anchored (KASLR)
 */
public record Options(boolean stripSignature, Map<String, Provider> providers, String tool,
        boolean allowUnverifiedArch, Optional<ModuleSigner> signer, Mode mode) {

    /** How preresolved image symbols are written. */
    public enum Mode {
        /** {@code SHN_ABS} at the link-time address: for kernels that never move (no KASLR, or {@code nokaslr}). */
        PLAIN,
        /** Rebased on one undefined image symbol, the anchor: right at any KASLR slide. */
        ANCHOR
    }

    public Options(boolean stripSignature, Map<String, Provider> providers, String tool, boolean allowUnverifiedArch,
            Optional<ModuleSigner> signer) {
        this(stripSignature, providers, tool, allowUnverifiedArch, signer, Mode.PLAIN);
    }

    /** A module that exports a symbol. */
    public record Provider(String module, boolean gplCompatible) {}

    public static Options defaults() {
        return new Options(false, Map.of(), "lkm-preresolver", false, Optional.empty());
    }

    public Options withStripSignature(boolean v) {
        return new Options(v, providers, tool, allowUnverifiedArch, signer, mode);
    }

    public Options withProviders(Map<String, Provider> p) {
        return new Options(stripSignature, p == ASSUMED ? p : Map.copyOf(p), tool, allowUnverifiedArch, signer, mode);
    }

    /**
     * Providers for a run that has not read the other modules yet: every name vmlinux does not
     * export is taken to come from a GPL-compatible module (unnamed). A plan made with them is the
     * plan for the real providers exactly when each of its {@link Plan#fromModules()} names has an
     * exporter and every exporter of it is GPL-compatible: then each symbol is decided alike, only
     * the module named as a name's exporter differs.
     */
    public static Map<String, Provider> assumedGplProviders() {
        return ASSUMED;
    }

    private static final Map<String, Provider> ASSUMED = new java.util.AbstractMap<>() {
        private final Provider gpl = new Provider("", true);

        @Override
        public Provider get(Object name) {
            return gpl;
        }

        @Override
        public java.util.Set<Map.Entry<String, Provider>> entrySet() {
            return java.util.Set.of();
        }
    };

    public Options withTool(String t) {
        return new Options(stripSignature, providers, t, allowUnverifiedArch, signer, mode);
    }

    public Options withAllowUnverifiedArch(boolean v) {
        return new Options(stripSignature, providers, tool, v, signer, mode);
    }

    public Options withSigner(ModuleSigner s) {
        return new Options(stripSignature, providers, tool, allowUnverifiedArch, Optional.ofNullable(s), mode);
    }

    public Options withMode(Mode m) {
        return new Options(stripSignature, providers, tool, allowUnverifiedArch, signer, m);
    }
}
