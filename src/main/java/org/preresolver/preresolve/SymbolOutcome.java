package org.preresolver.preresolve;

/**
 * The outcome for one undefined symbol.
 *
 * @param index its index in {@code .symtab}
 * @param weak {@code STB_WEAK}
 */
public record SymbolOutcome(int index, String name, boolean weak, Outcome outcome) {

    public boolean isPreresolved() {
        return outcome instanceof Outcome.Preresolved;
    }
}
