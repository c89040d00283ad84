package org.preresolver.qemu;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** When {@link KaslrBoots} boots again and when it stops, on serial logs written here (no QEMU). */
class KaslrBootsTest {
    private static BootLog log(String text, boolean done) {
        String s = "=== INIT start\n" + (text == null ? "" : "=== TEXT " + text + "\n") + (done ? "=== DONE\n" : "");
        return BootLog.parse(s, Path.of("serial.log"), 0, Duration.ofSeconds(1));
    }

    /** Boots that print the given bases in turn, counting the boots made. */
    private static List<BootLog> boots(int wanted, List<String> bases, List<Integer> made) throws Exception {
        return KaslrBoots.boot(wanted, n -> {
            made.add(n);
            return log(bases.get(n - 1), true);
        });
    }

    @Test
    void distinctRandomisedBasesTakeNoExtraBoot() throws Exception {
        List<Integer> made = new ArrayList<>();
        List<BootLog> b = boots(3, List.of("ffffffff9a000000", "ffffffffb4200000", "ffffffff8c600000"), made);
        assertThat(made).containsExactly(1, 2, 3);
        assertThat(KaslrBoots.randomisedBases(b)).containsExactly("ffffffff9a000000", "ffffffffb4200000",
                "ffffffff8c600000");
    }

    @Test
    void aBootAtTheLinkTimeBaseOrARepeatedOneIsMadeAgain() throws Exception {
        List<Integer> made = new ArrayList<>();
        List<BootLog> b = boots(2, List.of(KaslrBoots.LINK_TIME_TEXT, "ffffffff9a000000", "ffffffff9a000000",
                "ffffffffb4200000"), made);
        assertThat(made).containsExactly(1, 2, 3, 4);
        assertThat(b).hasSize(4);
        assertThat(KaslrBoots.randomisedBases(b)).containsExactly("ffffffff9a000000", "ffffffffb4200000");
    }

    @Test
    void kaslrThatNeverMovesTheKernelStopsAfterTheExtraBootsAndCountsNothing() throws Exception {
        List<Integer> made = new ArrayList<>();
        List<String> link = List.of(KaslrBoots.LINK_TIME_TEXT, KaslrBoots.LINK_TIME_TEXT, KaslrBoots.LINK_TIME_TEXT,
                KaslrBoots.LINK_TIME_TEXT, KaslrBoots.LINK_TIME_TEXT, KaslrBoots.LINK_TIME_TEXT);
        List<BootLog> b = boots(3, link, made);
        assertThat(made).hasSize(3 + KaslrBoots.EXTRA);
        assertThat(KaslrBoots.randomisedBases(b)).isEmpty();
    }

    @Test
    void aBootThatDidNotCompleteEndsTheSeries() throws Exception {
        List<Integer> made = new ArrayList<>();
        List<BootLog> b = KaslrBoots.boot(3, n -> {
            made.add(n);
            return log(null, false);
        });
        assertThat(made).containsExactly(1);
        assertThat(b.get(0).completed()).isFalse();
    }
}
