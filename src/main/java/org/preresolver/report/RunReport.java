package org.preresolver.report;

import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.preresolver.preresolve.Reason;

/**
 * A whole run as data: the kernel, every module, and totals.
 *
 * @param kernel what the exports were read from
 * @param release the kernel release, "" if unknown
 * @param exports how many symbols vmlinux exports
 * @param modules one per module, in input order
 * @param dryRun nothing was written
 */
public record RunReport(String kernel, String release, int exports, List<ModuleReport> modules, boolean dryRun) {

    public RunReport {
        modules = List.copyOf(modules);
    }

    public int moduleCount() {
        return modules.size();
    }

    public int undefinedTotal() {
        return modules.stream().mapToInt(ModuleReport::undefined).sum();
    }

    public int preresolvedTotal() {
        return modules.stream().mapToInt(ModuleReport::preresolved).sum();
    }

    public long fullyPreresolved() {
        return modules.stream().filter(ModuleReport::isFull).count();
    }

    /** Anchor mode: modules whose only undefined symbol left is their anchor. */
    public long allButTheAnchor() {
        return modules.stream().filter(m -> m.left().size() == 1 && m.left().getOrDefault(Reason.ANCHOR, 0) == 1)
                .count();
    }

    public long count(ModuleReport.Status s) {
        return modules.stream().filter(m -> m.status() == s).count();
    }

    public long failures() {
        return modules.stream().filter(m -> m.status().failed()).count();
    }

    public long signaturesStripped() {
        return modules.stream().filter(ModuleReport::signatureStripped).count();
    }

    public long signaturesResigned() {
        return modules.stream().filter(ModuleReport::resigned).count();
    }

    public Map<Reason, Integer> leftByReason() {
        Map<Reason, Integer> m = new EnumMap<>(Reason.class);
        for (ModuleReport r : modules) {
            r.left().forEach((k, v) -> m.merge(k, v, Integer::sum));
        }
        return m;
    }

    /** Share of undefined symbols preresolved, 0..1. */
    public double share() {
        int u = undefinedTotal();
        return u == 0 ? 0 : (double) preresolvedTotal() / u;
    }
}
