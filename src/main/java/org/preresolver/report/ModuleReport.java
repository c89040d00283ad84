package org.preresolver.report;

import java.util.List;
import java.util.Map;
import org.preresolver.preresolve.Reason;
import org.preresolver.preresolve.SymbolOutcome;

/**
 * What a run did to one module, as data.
 *
 * @param path the module's path as shown (relative to its tree)
 * @param name the module name ({@code .modinfo} name=), "" if unknown
 * @param status what happened
 * @param undefined undefined symbols before
 * @param preresolved symbols made absolute
 * @param left symbols left undefined, by reason
 * @param depends the module's {@code depends=}
 * @param signatureStripped the output lost the input's signature
 * @param resigned the output carries a new signature in place of the input's (re-signed)
 * @param compression "none", "xz", "zstd" or "gzip"
 * @param sizeIn file size before
 * @param sizeOut file size after (0 when nothing was written)
 * @param uncompressedSizeOut size of the output's ELF, uncompressed
 * @param error the one-line error for ERROR, IO_ERROR and REFUSED, else ""
 * @param outcomes every symbol's outcome, when the run kept them (explain), else empty
 */
public record ModuleReport(String path, String name, Status status, int undefined, int preresolved,
        Map<Reason, Integer> left, List<String> depends, boolean signatureStripped, boolean resigned, String compression, long sizeIn,
        long sizeOut, long uncompressedSizeOut, String error, List<SymbolOutcome> outcomes) {

    /** The outcome of one module. */
    public enum Status {
        PRERESOLVED, UNCHANGED, RETARGETED, NOTHING_TO_DO, REFUSED, ERROR, IO_ERROR;

        public boolean failed() {
            return this == REFUSED || this == ERROR || this == IO_ERROR;
        }

        public String key() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    public static ModuleReport failure(String path, Status status, String error) {
        return new ModuleReport(path, "", status, 0, 0, Map.of(), List.of(), false, false, "none", 0, 0, 0, error,
                List.of());
    }

    public boolean isFull() {
        return undefined > 0 && preresolved == undefined;
    }
}
