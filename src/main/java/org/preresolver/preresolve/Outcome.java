package org.preresolver.preresolve;

/** What happens to one undefined symbol of a module. */
public sealed interface Outcome permits Outcome.Preresolved, Outcome.Left {

    /** Becomes {@code SHN_ABS} with {@code st_value = address}. */
    record Preresolved(long address) implements Outcome {}

    /**
     * Stays {@code SHN_UNDEF}.
     *
     * @param detail specifics for the user, e.g. the namespace or the two CRCs; may be ""
     */
    record Left(Reason reason, String detail) implements Outcome {}
}
