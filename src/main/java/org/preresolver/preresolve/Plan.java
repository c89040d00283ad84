package org.preresolver.preresolve;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The decision for every undefined symbol of one module. Pure data: applying it is
 * {@link Preresolver}'s job.
 *
 * @param outcomes one per undefined ({@code SHN_UNDEF} or {@code SHN_LIVEPATCH}), named, global or weak
 *     symbol, in symbol-table order
 * @param anchor in anchor mode, the image symbol left undefined that anchored symbols are rebased on
 * @param fromModules the names the plan looked up among the modules' exports (vmlinux exports none
 *     of them): on those alone it depends on the other modules
 */
public record Plan(List<SymbolOutcome> outcomes, Optional<Anchor> anchor, List<String> fromModules) {

    /**
     * The anchor: an undefined image symbol that the module imports and the loader resolves, with
     * every check, to its address after the boot's slide.
     *
     * @param index its index in the original {@code .symtab}
     * @param address its link-time address
     */
    public record Anchor(int index, String name, long address) {}

    public Plan {
        outcomes = List.copyOf(outcomes);
        fromModules = List.copyOf(fromModules);
    }

    public Plan(List<SymbolOutcome> outcomes) {
        this(outcomes, Optional.empty(), List.of());
    }

    /** Symbols removed from {@code .symtab} and rebased on the anchor. */
    public int anchored() {
        int n = 0;
        for (SymbolOutcome o : outcomes) {
            if (o.outcome() instanceof Outcome.Preresolved p && p.binding() == Outcome.Binding.ANCHORED) {
                n++;
            }
        }
        return n;
    }

    /** Undefined symbols before: the m of "(n/m preresolved)". */
    public int undefined() {
        return outcomes.size();
    }

    /** Symbols made absolute: the n of "(n/m preresolved)". */
    public int preresolved() {
        int n = 0;
        for (SymbolOutcome o : outcomes) {
            if (o.isPreresolved()) {
                n++;
            }
        }
        return n;
    }

    /** Symbols left undefined, by reason. */
    public Map<Reason, Integer> leftByReason() {
        Map<Reason, Integer> m = new EnumMap<>(Reason.class);
        for (SymbolOutcome o : outcomes) {
            if (o.outcome() instanceof Outcome.Left l) {
                m.merge(l.reason(), 1, Integer::sum);
            }
        }
        return m;
    }

    public boolean isFull() {
        return !outcomes.isEmpty() && preresolved() == undefined();
    }
}
