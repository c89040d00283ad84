package org.preresolver.qemu;

import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * x86_64 boots with KASLR on, made until enough of them moved the kernel to distinct bases. The
 * decompressor draws the virtual base from {@code 1 + (KERNEL_IMAGE_SIZE - LOAD_PHYSICAL_ADDR - image) /
 * CONFIG_PHYSICAL_ALIGN} slots ({@code find_random_virt_addr()} in {@code arch/x86/boot/compressed/kaslr.c}):
 * about 470 slots of 2 MiB in 1 GiB, slot 0 being the link-time {@code _text}. So about one boot in 470
 * lands at the link-time address, and a second boot repeats the first's base as often. Such a boot still
 * has to load and run the modules, but it proves nothing about relocation under KASLR; another boot is made
 * in its place, at most {@link #EXTRA} times. Every boot made is returned, for the functional checks.
 *
 * <p>The guest script must print {@code _text} as the {@code TEXT} marker.
 */
final class KaslrBoots {
    /** {@code __START_KERNEL_map + LOAD_PHYSICAL_ADDR}: where x86_64's {@code _text} is linked. */
    static final String LINK_TIME_TEXT = "ffffffff81000000";
    /** Boots beyond the wanted ones: three bad boots in one test come about once in a million runs. */
    static final int EXTRA = 2;
    /** The guest script line that prints the marker. */
    static final String TEXT_MARK = "mark TEXT \"$(grep ' T _text$' /proc/kallsyms | cut -d' ' -f1)\"\n";

    /** One boot, numbered from 1. */
    interface Boot {
        BootLog boot(int n) throws IOException;
    }

    private KaslrBoots() {
    }

    /**
     * Boots until {@code wanted} boots have distinct randomised bases, or a boot did not complete (its
     * checks will say why), or {@code wanted + EXTRA} boots were made.
     */
    static List<BootLog> boot(int wanted, Boot boot) throws IOException {
        List<BootLog> boots = new ArrayList<>();
        int counted = 0;
        while (counted < wanted && boots.size() < wanted + EXTRA) {
            BootLog b = boot.boot(boots.size() + 1);
            boots.add(b);
            if (!b.completed()) {
                break;
            }
            int now = randomisedBases(boots).size();
            if (now == counted) {
                System.out.printf("KaslrBoots: boot %d put _text at %s, the link-time base or one already seen;"
                        + " it does not count%n", boots.size(), b.marker("TEXT"));
            }
            counted = now;
        }
        return boots;
    }

    /** The distinct {@code _text} values other than the link-time one, in boot order. */
    static Set<String> randomisedBases(List<BootLog> boots) {
        Set<String> bases = new LinkedHashSet<>();
        for (BootLog b : boots) {
            String text = b.marker("TEXT");
            if (text != null && text.matches("[0-9a-f]{16}") && !text.equals(LINK_TIME_TEXT)) {
                bases.add(text);
            }
        }
        return bases;
    }
}
