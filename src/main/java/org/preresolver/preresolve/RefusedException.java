package org.preresolver.preresolve;

/** A whole module (or run) that the tool will not preresolve, with the reason. Not a format error. */
public final class RefusedException extends Exception {
    /** Why. */
    public enum Kind {
        MACHINE_MISMATCH,
        VERMAGIC_MISMATCH,
        SIGNED,
        KASLR,
        UNVERIFIED_ARCH,
        /** The anchor-mode rewrite did not load like the original in the build-time simulation. */
        SIMULATION
    }

    private final Kind kind;

    public RefusedException(Kind kind, String message) {
        super(org.preresolver.elf.FormatException.printable(message));
        this.kind = kind;
    }

    public Kind kind() {
        return kind;
    }
}
