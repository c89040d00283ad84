package org.preresolver.fuzz;

import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.Tuple;
import net.jqwik.api.lifecycle.BeforeContainer;
import net.jqwik.api.statistics.Statistics;

/**
 * Hostile input to every parser: seeds from real Debian modules and synthetic files, mutated by
 * truncation, bit flips, inflated size/offset fields, inserted/deleted/copied and random bytes.
 * Each input may only succeed or end in {@code FormatException}/{@code RefusedException}, in time
 * ({@link Contract}). Coverage-guided fuzzing of the same targets: {@link ParserFuzzer}.
 */
class ParserPropertiesTest {

    /** A seed and the mutations applied to it. */
    record Case(Seeds.Seed seed, List<Mutator.Mutation> mutations) {
        byte[] bytes() {
            return Mutator.apply(seed.bytes(), seed.fields(), mutations);
        }
    }

    @BeforeContainer
    static void loadSeeds() {
        Seeds.get();
    }

    private static void holds(Targets t, Case c) {
        Targets.Tally tally = Contract.check(t, c.bytes());
        Statistics.collect(tally.outcome());
    }

    @Property(tries = 1500)
    void moduleElfAndPreresolverFailOnlyWithFormatErrors(@ForAll("modules") Case c) {
        holds(Targets.MODULE, c);
    }

    @Property(tries = 600)
    void kernelImagesAndExportTablesFailOnlyWithFormatErrors(@ForAll("kernels") Case c) {
        holds(Targets.KERNEL_IMAGE, c);
    }

    @Property(tries = 600)
    void compressedStreamsFailOnlyWithFormatErrors(@ForAll("compressed") Case c) {
        holds(Targets.COMPRESSED, c);
    }

    @Property(tries = 400)
    void moduleSymversFailsOnlyWithFormatErrors(@ForAll("symvers") Case c) {
        holds(Targets.SYMVERS, c);
    }

    @Property(tries = 400)
    void systemMapFailsOnlyWithFormatErrors(@ForAll("systemMap") Case c) {
        holds(Targets.SYSTEM_MAP, c);
    }

    @Property(tries = 400)
    void modinfoNeverFails(@ForAll("modinfo") Case c) {
        holds(Targets.MODINFO, c);
    }

    @Property(tries = 500)
    void modversionsFailOnlyWithFormatErrors(@ForAll("modversions") Case c) {
        holds(Targets.MODVERSIONS, c);
    }

    @Property(tries = 500)
    void signatureTrailersFailOnlyWithFormatErrors(@ForAll("signatures") Case c) {
        holds(Targets.SIGNATURE, c);
    }

    @Property(tries = 600)
    void preresolvedRecordsFailOnlyWithFormatErrors(@ForAll("records") Case c) {
        holds(Targets.RECORD, c);
    }

    @Property(tries = 800)
    void restoreFailsOnlyWithFormatErrors(@ForAll("restores") Case c) {
        holds(Targets.RESTORE, c);
    }

    @Provide Arbitrary<Case> modules() {
        return cases(Targets.MODULE);
    }

    @Provide Arbitrary<Case> kernels() {
        return cases(Targets.KERNEL_IMAGE);
    }

    @Provide Arbitrary<Case> compressed() {
        return cases(Targets.COMPRESSED);
    }

    @Provide Arbitrary<Case> symvers() {
        return cases(Targets.SYMVERS);
    }

    @Provide Arbitrary<Case> systemMap() {
        return cases(Targets.SYSTEM_MAP);
    }

    @Provide Arbitrary<Case> modinfo() {
        return cases(Targets.MODINFO);
    }

    @Provide Arbitrary<Case> modversions() {
        return cases(Targets.MODVERSIONS);
    }

    @Provide Arbitrary<Case> signatures() {
        return cases(Targets.SIGNATURE);
    }

    @Provide Arbitrary<Case> records() {
        return cases(Targets.RECORD);
    }

    @Provide Arbitrary<Case> restores() {
        return cases(Targets.RESTORE);
    }

    static Arbitrary<Case> cases(Targets t) {
        List<Seeds.Seed> seeds = Seeds.get().seeds(t);
        if (seeds.isEmpty()) {
            throw new IllegalStateException("no seeds for " + t);
        }
        return Combinators.combine(Arbitraries.of(seeds), mutation().list().ofMinSize(1).ofMaxSize(4)).as(Case::new);
    }

    static Arbitrary<Mutator.Mutation> mutation() {
        Arbitrary<Double> at = Arbitraries.doubles().between(0, 1);
        Arbitrary<byte[]> some = Arbitraries.bytes().array(byte[].class).ofMinSize(1).ofMaxSize(16);
        return Arbitraries.frequencyOf(
                Tuple.of(2, at.map(Mutator.Truncate::new)),
                Tuple.of(4, Combinators.combine(at, Arbitraries.integers().between(1, 255)).as(Mutator.FlipBits::new)),
                Tuple.of(6, Combinators.combine(at, Arbitraries.integers().between(0, 15), Arbitraries.longs())
                        .as(Mutator.SetField::new)),
                Tuple.of(2, Combinators.combine(at, some).as(Mutator.Overwrite::new)),
                Tuple.of(1, Combinators.combine(at, some).as(Mutator.Insert::new)),
                Tuple.of(1, Combinators.combine(at, Arbitraries.integers().between(1, 64)).as(Mutator.Delete::new)),
                Tuple.of(1, Combinators.combine(at, at, Arbitraries.integers().between(1, 256)).as(Mutator.CopyPart::new)),
                Tuple.of(1, Combinators.combine(Arbitraries.integers().between(0, 8),
                        Arbitraries.bytes().array(byte[].class).ofMaxSize(512)).as(Mutator.RandomBytes::new)));
    }
}
