package org.preresolver.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;
import org.preresolver.elf.FormatException;

/**
 * What slides, from a captured /proc/kallsyms. The arm64 lines are those Debian's 6.1.0-57-arm64 prints
 * under QEMU with {@code nokaslr} (no CONFIG_KALLSYMS_ALL: no {@code _text}, {@code _end} or per-CPU
 * bounds, only the text ranges); {@code bcm2835_handle_irq} shares {@code _stext}'s address.
 */
class ImageRangesKallsymsTest {
    private static ImageRanges ranges(String text) throws FormatException {
        return ImageRanges.fromSystemMap(SymbolFiles.parseSystemMap(text.getBytes(StandardCharsets.ISO_8859_1)));
    }

    @Test
    void arm64KallsymsWithoutTextAndEndGivesItsTextRanges() throws FormatException {
        ImageRanges r = ranges("""
                ffff800008010000 T _stext
                ffff800008010000 t bcm2835_handle_irq
                ffff8000084a21d0 T user_read
                ffff800008d00000 D _etext
                ffff800009660000 T _sinittext
                ffff8000096d5f98 T _einittext
                """);
        assertThat(r).isNotNull();
        assertThat(r.motion(0xffff8000084a21d0L)).isEqualTo(ImageRanges.Motion.SLIDES);
        assertThat(r.motion(0xffff800008010000L)).isEqualTo(ImageRanges.Motion.SLIDES);
        assertThat(r.motion(0xffff800009660010L)).isEqualTo(ImageRanges.Motion.SLIDES);
        // Between the ranges (rodata, data) and outside the image: not known to slide, never rebased.
        assertThat(r.motion(0xffff800008d00000L)).isEqualTo(ImageRanges.Motion.UNKNOWN);
        assertThat(r.motion(0xffff800008000000L)).isEqualTo(ImageRanges.Motion.UNKNOWN);
        assertThat(r.motion(0x10L)).isEqualTo(ImageRanges.Motion.UNKNOWN);
        assertThat(r.fixed()).isEmpty();
    }

    @Test
    void textAndEndWinWhenPresent() throws FormatException {
        ImageRanges r = ranges("""
                ffffffff81000000 T _text
                ffffffff81000000 T _stext
                ffffffff82000000 T _etext
                ffffffff83e00000 B _end
                0000000000000000 D __per_cpu_start
                000000000002f000 D __per_cpu_end
                """);
        assertThat(r.sliding()).containsExactly(new ImageRanges.Range(0xffffffff81000000L, 0xffffffff83e00000L));
        assertThat(r.motion(0x1000L)).isEqualTo(ImageRanges.Motion.FIXED);
    }

    @Test
    void neitherFormGivesNothing() throws FormatException {
        assertThat(ranges("ffff8000084a21d0 T user_read\n")).isNull();
    }
}
