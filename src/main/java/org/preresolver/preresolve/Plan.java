package org.preresolver.preresolve;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * The decision for every undefined symbol of one module. Pure data: applying it is
 * {@link Preresolver}'s job.
 *
 * @param outcomes one per undefined ({@code SHN_UNDEF} or {@code SHN_LIVEPATCH}), named, global or weak
 *     symbol, in symbol-table order
 */
public record Plan(List<SymbolOutcome> outcomes) {

    public Plan {
        outcomes = List.copyOf(outcomes);
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
