package org.preresolver.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import org.preresolver.preresolve.Reason;

/**
 * The tables of a report, computed from a {@link RunReport}: one row per module, totals, the best
 * and worst modules, and the split by dependency class. Pure data; the formats render it.
 *
 * <p>"Standard" is a module as built: every undefined symbol is looked up when it loads.
 * "Preresolved" is the same module after this tool: only the symbols left undefined are looked up.
 *
 * @param run the run the report is about
 * @param rows one per module, in the run's order
 * @param totals over every module
 * @param best the modules with the highest share preresolved (ties: more symbols preresolved first)
 * @param worst the modules with the lowest share preresolved (ties: more symbols left first)
 * @param classes modules by the number of modules they depend on: 0, 1, more than 1
 * @param left symbols left undefined over the whole run, by reason, most frequent first
 */
public record ReportModel(RunReport run, List<Row> rows, Totals totals, List<Row> best, List<Row> worst,
        List<DependencyClass> classes, List<ReasonCount> left) {

    /** How many modules the best and worst tables show by default. */
    public static final int DEFAULT_TOP = 10;

    public ReportModel {
        rows = List.copyOf(rows);
        best = List.copyOf(best);
        worst = List.copyOf(worst);
        classes = List.copyOf(classes);
        left = List.copyOf(left);
    }

    /**
     * One module.
     *
     * @param path as the run shows it (relative to its tree)
     * @param name {@code .modinfo} name=, "" if unknown
     * @param status the run's status key, e.g. {@code preresolved}, {@code refused}
     * @param before undefined symbols of the standard module
     * @param after undefined symbols left in the preresolved module
     * @param preresolved symbols made absolute
     * @param dependencies how many modules its {@code .modinfo} depends= names
     * @param left symbols left, by reason
     * @param error the one-line error of a failed module, else ""
     */
    public record Row(String path, String name, String status, int before, int after, int preresolved,
            int dependencies, Map<Reason, Integer> left, String error) {

        public Row {
            left = Map.copyOf(left);
        }

        /** Share of the undefined symbols preresolved, 0..1; 0 for a module with none. */
        public double share() {
            return before == 0 ? 0 : (double) preresolved / before;
        }

        public boolean failed() {
            return !error.isEmpty();
        }

        /** The reasons in {@link Reason} order, for stable output. */
        public List<ReasonCount> leftSorted() {
            List<ReasonCount> out = new ArrayList<>();
            for (Reason r : Reason.values()) {
                Integer n = left.get(r);
                if (n != null && n > 0) {
                    out.add(new ReasonCount(r, n));
                }
            }
            return out;
        }
    }

    /** A reason and how many symbols it left undefined. */
    public record ReasonCount(Reason reason, int count) {}

    /**
     * Totals over the run.
     *
     * @param modules every module, failed ones included
     * @param failed modules the run refused or could not read
     * @param before undefined symbols, standard
     * @param after undefined symbols left, preresolved
     * @param preresolved symbols made absolute
     * @param full modules with every undefined symbol preresolved
     * @param none modules with undefined symbols of which none was preresolved
     * @param noUndefined processed modules with no undefined symbol at all
     */
    public record Totals(int modules, int failed, long before, long after, long preresolved, int full, int none,
            int noUndefined) {
        /** Share of the undefined symbols preresolved, 0..1. */
        public double share() {
            return before == 0 ? 0 : (double) preresolved / before;
        }
    }

    /**
     * Modules that depend on the same number of other modules.
     *
     * @param label "0", "1" or "&gt;1"
     * @param modules how many modules
     * @param before their undefined symbols, standard
     * @param preresolved of which preresolved
     */
    public record DependencyClass(String label, int modules, long before, long preresolved) {
        public long after() {
            return before - preresolved;
        }

        public double share() {
            return before == 0 ? 0 : (double) preresolved / before;
        }
    }

    /** The report of {@code run} with the default number of best and worst modules. */
    public static ReportModel of(RunReport run) {
        return of(run, DEFAULT_TOP);
    }

    /** The report of {@code run}, with {@code top} modules in the best and worst tables. */
    public static ReportModel of(RunReport run, int top) {
        if (top < 0) {
            throw new IllegalArgumentException("top must not be negative");
        }
        List<Row> rows = new ArrayList<>(run.moduleCount());
        for (ModuleReport m : run.modules()) {
            rows.add(row(m));
        }
        int failed = 0;
        int full = 0;
        int none = 0;
        int noUndefined = 0;
        long before = 0;
        long pre = 0;
        long[][] cls = new long[3][3];
        Map<Reason, Integer> left = new EnumMap<>(Reason.class);
        for (Row r : rows) {
            if (r.failed()) {
                failed++;
                continue;
            }
            before += r.before();
            pre += r.preresolved();
            if (r.before() == 0) {
                noUndefined++;
            } else if (r.preresolved() == r.before()) {
                full++;
            } else if (r.preresolved() == 0) {
                none++;
            }
            int c = Math.min(r.dependencies(), 2);
            cls[c][0]++;
            cls[c][1] += r.before();
            cls[c][2] += r.preresolved();
            r.left().forEach((k, v) -> left.merge(k, v, Integer::sum));
        }
        Totals totals = new Totals(rows.size(), failed, before, before - pre, pre, full, none, noUndefined);
        List<DependencyClass> classes = List.of(
                new DependencyClass("0", (int) cls[0][0], cls[0][1], cls[0][2]),
                new DependencyClass("1", (int) cls[1][0], cls[1][1], cls[1][2]),
                new DependencyClass(">1", (int) cls[2][0], cls[2][1], cls[2][2]));

        List<Row> ranked = rows.stream().filter(r -> !r.failed() && r.before() > 0).toList();
        Comparator<Row> byPath = Comparator.comparing(Row::path);
        List<Row> best = ranked.stream()
                .sorted(Comparator.comparingDouble(Row::share).reversed()
                        .thenComparing(Comparator.comparingInt(Row::preresolved).reversed()).thenComparing(byPath))
                .limit(top).toList();
        List<Row> worst = ranked.stream()
                .sorted(Comparator.comparingDouble(Row::share)
                        .thenComparing(Comparator.comparingInt(Row::after).reversed()).thenComparing(byPath))
                .limit(top).toList();

        List<ReasonCount> reasons = new ArrayList<>();
        left.forEach((k, v) -> reasons.add(new ReasonCount(k, v)));
        reasons.sort(Comparator.comparingInt(ReasonCount::count).reversed()
                .thenComparing(rc -> rc.reason().ordinal()));
        return new ReportModel(run, rows, totals, best, worst, classes, reasons);
    }

    private static Row row(ModuleReport m) {
        if (m.status().failed()) {
            return new Row(m.path(), m.name(), m.status().key(), 0, 0, 0, 0, Map.of(),
                    m.error().isEmpty() ? m.status().key() : m.error());
        }
        return new Row(m.path(), m.name(), m.status().key(), m.undefined(), m.undefined() - m.preresolved(),
                m.preresolved(), m.depends().size(), m.left(), "");
    }

    /** The modules with the most undefined symbols (standard), largest first; ties by path. */
    public List<Row> largest(int n) {
        return rows.stream().filter(r -> !r.failed() && r.before() > 0)
                .sorted(Comparator.comparingInt(Row::before).reversed().thenComparing(Row::path))
                .limit(n).toList();
    }

    /**
     * The distribution of the share preresolved over modules with undefined symbols: ten bins of
     * ten percent, [0,10%) .. [90%,100%), then an eleventh for exactly 100%.
     */
    public int[] shareHistogram() {
        int[] bins = new int[11];
        for (Row r : rows) {
            if (r.failed() || r.before() == 0) {
                continue;
            }
            if (r.preresolved() == r.before()) {
                bins[10]++;
            } else {
                // integer arithmetic: no rounding puts 89.99...% into the 90% bin
                bins[Math.min(9, (int) ((long) r.preresolved() * 10 / r.before()))]++;
            }
        }
        return bins;
    }

    /** The labels of {@link #shareHistogram()}'s bins. */
    public static List<String> shareBinLabels() {
        List<String> l = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            l.add(i * 10 + "-" + (i * 10 + 9) + "%");
        }
        l.add("100%");
        return l;
    }
}
