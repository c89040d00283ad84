package org.preresolver.preresolve;

import java.util.Map;

/**
 * Choices for a preresolve run. No option turns off a check the kernel makes (licence,
 * namespace, CRC): those are the kernel's, not ours.
 *
 * @param stripSignature allow changing a signed module; the output is unsigned and says so
 * @param providers symbols that modules export, by name, when the tree is known; lets outcomes
 *     name the module and relaxes the proprietary-provider guard for GPL-compatible providers
 * @param tool the tool name and version written into each record
 * @param allowUnverifiedArch preresolve modules of architectures no test has proven
 */
public record Options(boolean stripSignature, Map<String, Provider> providers, String tool,
        boolean allowUnverifiedArch) {

    /** A module that exports a symbol. */
    public record Provider(String module, boolean gplCompatible) {}

    public static Options defaults() {
        return new Options(false, Map.of(), "lkm-preresolver", false);
    }

    public Options withStripSignature(boolean v) {
        return new Options(v, providers, tool, allowUnverifiedArch);
    }

    public Options withProviders(Map<String, Provider> p) {
        return new Options(stripSignature, Map.copyOf(p), tool, allowUnverifiedArch);
    }

    public Options withTool(String t) {
        return new Options(stripSignature, providers, t, allowUnverifiedArch);
    }

    public Options withAllowUnverifiedArch(boolean v) {
        return new Options(stripSignature, providers, tool, v);
    }
}
