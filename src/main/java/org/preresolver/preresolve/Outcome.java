package org.preresolver.preresolve;

/** What happens to one undefined symbol of a module. */
public sealed interface Outcome permits Outcome.Preresolved, Outcome.Left {

    /** How a preresolved symbol reaches its address. */
    enum Binding {
        /** {@code SHN_ABS} with {@code st_value = address}: right only where the address never moves. */
        ABSOLUTE,
        /**
         * Removed from {@code .symtab}; every relocation against it now names the module's anchor
         * (an image symbol the loader still resolves) with {@code r_addend += address - anchor}, so
         * it moves with the image under KASLR.
         */
        ANCHORED
    }

    /** Preresolved to {@code address}, bound as {@code binding} says. */
    record Preresolved(long address, Binding binding) implements Outcome {
        public Preresolved(long address) {
            this(address, Binding.ABSOLUTE);
        }
    }

    /**
     * Stays {@code SHN_UNDEF}.
     *
     * @param detail specifics for the user, e.g. the namespace or the two CRCs; may be ""
     */
    record Left(Reason reason, String detail) implements Outcome {}
}
