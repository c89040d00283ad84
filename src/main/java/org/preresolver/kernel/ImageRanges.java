package org.preresolver.kernel;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.SectionHeader;

/**
 * Which kernel addresses move when a randomised kernel (KASLR) is placed at boot, read from the
 * image itself, never from a version number.
 *
 * <p>The whole image (text, data, bss, the export tables' targets) moves by one offset per boot.
 * Zero-based per-CPU symbols (x86_64 SMP before 7.x: {@code .data..percpu} linked at address 0)
 * are offsets into each CPU's area and do not move. Anything else is unknown, and a symbol at an
 * unknown address is never rebased.
 *
 * @param sliding address ranges {@code [start, end)} that move with the image
 * @param fixed address ranges that do not move (zero-based per-CPU data)
 * @param source where the ranges were read, for messages
 */
public record ImageRanges(List<Range> sliding, List<Range> fixed, String source) {

    /** What happens to an address when the kernel is placed at another base. */
    public enum Motion {
        /** Moves with the image by the boot's one offset. */
        SLIDES,
        /** Stays: a zero-based per-CPU offset. */
        FIXED,
        /** Not inside anything this tool knows: never rebased. */
        UNKNOWN
    }

    /** {@code [start, end)}, unsigned. */
    public record Range(long start, long end) {
        boolean contains(long a) {
            return Long.compareUnsigned(a, start) >= 0 && Long.compareUnsigned(a, end) < 0;
        }
    }

    public ImageRanges {
        sliding = List.copyOf(sliding);
        fixed = List.copyOf(fixed);
    }

    /** Asked for every undefined symbol of every module, twice in anchor mode: no iterator is made. */
    public Motion motion(long address) {
        for (int i = 0; i < fixed.size(); i++) {
            if (fixed.get(i).contains(address)) {
                return Motion.FIXED;
            }
        }
        for (int i = 0; i < sliding.size(); i++) {
            if (sliding.get(i).contains(address)) {
                return Motion.SLIDES;
            }
        }
        return Motion.UNKNOWN;
    }

    /**
     * From the section headers of an ELF vmlinux: every {@code SHF_ALLOC} section linked at a
     * non-zero address slides; one linked at address 0 (the zero-based per-CPU area) does not.
     * An end that includes {@code SHT_NOBITS} sections (bss) is kept: exported variables live there.
     */
    public static ImageRanges fromSections(ElfFile vmlinux) {
        List<Range> sliding = new ArrayList<>();
        List<Range> fixed = new ArrayList<>();
        for (SectionHeader s : vmlinux.sections()) {
            if (!s.isAlloc() || s.size() == 0 || s.type() == Elf.SHT_NULL) {
                continue;
            }
            Range r = new Range(s.addr(), s.addr() + s.size());
            (s.addr() == 0 ? fixed : sliding).add(r);
        }
        return new ImageRanges(sliding, fixed, "section headers");
    }

    /**
     * From a System.map or captured {@code /proc/kallsyms}: {@code [_text, _end)} slides; a
     * per-CPU area that starts at 0 ({@code __per_cpu_start} = 0) is fixed.
     *
     * <p>Without {@code CONFIG_KALLSYMS_ALL} the kernel lists only symbols in its text ranges
     * ({@code scripts/kallsyms.c}, {@code symbol_valid()}), and where {@code _text} lies before
     * {@code _stext} (arm64: the head is {@code [_text, _stext)}) {@code /proc/kallsyms} has
     * neither {@code _text} nor {@code _end}. Such a capture gives its text ranges instead,
     * {@code [_stext, _etext)} and {@code [_sinittext, _einittext)}: they are inside the image and
     * slide with it, and every address such a kallsyms has lies in them. Null when the map has
     * neither form.
     */
    public static ImageRanges fromSystemMap(Map<String, Long> globals) {
        Long text = globals.get("_text");
        Long end = globals.get("_end");
        if (text == null || end == null || Long.compareUnsigned(text, end) >= 0) {
            return fromTextRanges(globals);
        }
        List<Range> fixed = new ArrayList<>();
        Long pcpuStart = globals.get("__per_cpu_start");
        Long pcpuEnd = globals.get("__per_cpu_end");
        if (pcpuStart != null && pcpuEnd != null && pcpuStart == 0 && pcpuEnd > 0) {
            fixed.add(new Range(0, pcpuEnd));
        }
        return new ImageRanges(List.of(new Range(text, end)), fixed, "System.map _text.._end");
    }

    private static ImageRanges fromTextRanges(Map<String, Long> globals) {
        Long stext = globals.get("_stext");
        Long etext = globals.get("_etext");
        if (stext == null || etext == null || Long.compareUnsigned(stext, etext) >= 0) {
            return null;
        }
        List<Range> sliding = new ArrayList<>(List.of(new Range(stext, etext)));
        Long sinit = globals.get("_sinittext");
        Long einit = globals.get("_einittext");
        if (sinit != null && einit != null && Long.compareUnsigned(sinit, einit) < 0) {
            sliding.add(new Range(sinit, einit));
        }
        return new ImageRanges(sliding, List.of(), "kallsyms text ranges _stext.._etext, _sinittext.._einittext");
    }
}
