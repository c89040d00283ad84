package org.preresolver.cli;

/** The exit codes, one meaning each. Listed in {@code --help}; build systems may rely on them. */
public final class ExitCodes {
    private ExitCodes() {}

    /** Every module was handled (preresolved, unchanged or nothing to do). */
    public static final int OK = 0;
    /** A bug in this tool: an unexpected exception. */
    public static final int INTERNAL = 1;
    /** Bad command line. */
    public static final int USAGE = 2;
    /** Malformed input: the kernel image, a module, a symbol file or a record. */
    public static final int BAD_INPUT = 3;
    /** A file could not be read or written, or the tree is locked by another run. */
    public static final int IO = 4;
    /** Refused for safety: KASLR, vermagic, machine type, signed module, unverified architecture. */
    public static final int REFUSED = 5;
    /** {@code verify}: at least one module is stale for the given kernel. */
    public static final int STALE = 6;

    static final String HELP = """
            Exit codes:
              0  success
              1  internal error (a bug: please report it)
              2  usage error
              3  malformed input (image, module, symbol file, .preresolved record)
              4  I/O error, or the tree is locked by another run
              5  refused for safety (KASLR, vermagic, machine, signature, architecture, simulation)
              6  verify: a module is stale for the given kernel""";
}
