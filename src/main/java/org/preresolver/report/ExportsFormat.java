package org.preresolver.report;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;

/** A kernel's export table as {@code Module.symvers} lines, with the address after them when asked. */
public final class ExportsFormat {
    private ExportsFormat() {}

    /**
     * One line per export, sorted by name: {@code CRC, name, vmlinux, export type, namespace}
     * (Module.symvers), then the address; with {@code layout}, the table layout and kernel
     * identity first, as {@code #} comments.
     */
    public static String text(KernelExports ex, boolean layout, boolean addresses) {
        StringBuilder sb = new StringBuilder(ex.size() * 64);
        if (layout) {
            sb.append("# source: ").append(ex.source()).append('\n');
            sb.append("# release: ").append(ex.identity().release()).append('\n');
            sb.append("# build-id: ").append(ex.identity().buildId()).append('\n');
            ex.layout().ifPresent(l -> sb.append("# layout: ").append(l.describe()).append('\n'));
            sb.append("# exports: ").append(ex.size()).append('\n');
        }
        List<KernelExport> all = new ArrayList<>(ex.all());
        all.sort(Comparator.comparing(KernelExport::name));
        int width = ex.identity().is64() || ex.identity().machine() == 0 ? 16 : 8;
        for (KernelExport e : all) {
            sb.append(e.crc() == null ? "0x00000000" : String.format("0x%08x", e.crc())).append('\t')
                    .append(e.name()).append("\tvmlinux\t").append(e.exportType()).append('\t').append(e.namespace());
            if (addresses) {
                String a = Long.toHexString(e.address());
                sb.append('\t').append("0".repeat(Math.max(0, width - a.length()))).append(a);
            }
            sb.append('\n');
        }
        return sb.toString();
    }
}
