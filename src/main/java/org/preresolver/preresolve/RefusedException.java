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
    private final Plan plan;

    public RefusedException(Kind kind, String message) {
        this(kind, message, null);
    }

    private RefusedException(Kind kind, String message, Plan plan) {
        super(org.preresolver.elf.FormatException.printable(message));
        this.kind = kind;
        this.plan = plan;
    }

    public Kind kind() {
        return kind;
    }

    /**
     * The module's plan when the refusal came after planning (a signed module with something to
     * preresolve, a failed simulation): then whether it is refused depends on that plan. Empty for
     * a refusal before planning (another machine, another release, ...), which no plan changes.
     */
    public java.util.Optional<Plan> plan() {
        return java.util.Optional.ofNullable(plan);
    }

    /** This refusal, as made after {@code plan} was decided. */
    RefusedException afterPlanning(Plan plan) {
        return this.plan != null ? this : new RefusedException(kind, getMessage(), plan);
    }
}
