package org.preresolver.preresolve;

import java.util.Optional;
import org.preresolver.kernel.KernelModule;

/**
 * What preresolving one module gave.
 *
 * @param status what happened
 * @param module the module as parsed (the original, when the input was already preresolved)
 * @param plan the outcome of every undefined symbol
 * @param output the bytes to write; the same array as the input when nothing changes
 * @param changed {@code output} differs from the input: it must be written
 * @param signatureStripped the output lost the input's signature
 * @param resigned the input's signature was replaced by one with the {@link Options#signer()}
 * @param previous the record the input already carried, if it was preresolved before
 */
public record Result(Status status, KernelModule module, Plan plan, byte[] output, boolean changed,
        boolean signatureStripped, boolean resigned, Optional<PreresolvedRecord> previous) {

    public enum Status {
        /** Symbols were made absolute. */
        PRERESOLVED,
        /** Already preresolved against this kernel: nothing to do. */
        UNCHANGED,
        /** Was preresolved against another kernel: restored, then preresolved again. */
        RETARGETED,
        /** Nothing could be preresolved; the module is left (or put back) as it was. */
        NOTHING_TO_DO
    }
}
