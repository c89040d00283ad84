package org.preresolver.cli;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import org.preresolver.kernel.KernelExport;
import org.preresolver.kernel.KernelExports;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** {@code lkm-preresolver exports}: dump the kernel's export table. */
@Command(name = "exports", mixinStandardHelpOptions = true,
        header = "Print the kernel's export table, as Module.symvers does.",
        description = {"Prints the symbols vmlinux exports, sorted by name, in Module.symvers format",
            "(crc, name, vmlinux, export type, namespace) with the address as a sixth column:",
            "  diff <(lkm-preresolver exports --symvers-only -k vmlinuz) <(grep -P '\\tvmlinux\\t' Module.symvers | sort -k2)"},
        footer = ExitCodes.HELP)
final class ExportsCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Option(names = "--symvers-only", description = "Omit the address column: exactly Module.symvers' columns.")
    boolean symversOnly;

    @Option(names = "--layout", description = "Print the detected table layout and kernel identity first, as # comments.")
    boolean layout;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        KernelExports ex = kernel.load().exports();
        if (layout) {
            out.println("# source: " + ex.source());
            out.println("# release: " + ex.identity().release());
            out.println("# build-id: " + ex.identity().buildId());
            ex.layout().ifPresent(l -> out.println("# layout: " + l.describe()));
            out.println("# exports: " + ex.size());
        }
        List<KernelExport> all = new ArrayList<>(ex.all());
        all.sort(Comparator.comparing(KernelExport::name));
        int width = ex.identity().is64() || ex.identity().machine() == 0 ? 16 : 8;
        StringBuilder sb = new StringBuilder(all.size() * 64);
        for (KernelExport e : all) {
            sb.append(e.crc() == null ? "0x00000000" : String.format("0x%08x", e.crc())).append('\t')
                    .append(e.name()).append("\tvmlinux\t").append(e.exportType()).append('\t').append(e.namespace());
            if (!symversOnly) {
                String a = Long.toHexString(e.address());
                sb.append('\t').append("0".repeat(Math.max(0, width - a.length()))).append(a);
            }
            sb.append('\n');
        }
        out.print(sb);
        out.flush();
        return ExitCodes.OK;
    }
}
