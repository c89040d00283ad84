package org.preresolver.preresolve;

import java.util.Optional;
import org.preresolver.elf.Elf;
import org.preresolver.elf.ElfEditor;
import org.preresolver.elf.ElfFile;
import org.preresolver.elf.FormatException;
import org.preresolver.elf.SectionHeader;
import org.preresolver.elf.Symbol;
import org.preresolver.kernel.ModuleSignature;

/**
 * Gives back the original module from a preresolved one, byte for byte: the prefix of the file
 * up to the original length, the header's section table fields, the patched symbols and the
 * signature trailer, all from the {@code .preresolved} record. Every recorded fact is checked
 * against the file first; a record that does not fit is an error, never a wrong restore.
 */
public final class Restorer {
    private Restorer() {}

    /** The record of a preresolved module, or empty for a plain one. */
    public static Optional<PreresolvedRecord> record(ElfFile f) throws FormatException {
        Optional<SectionHeader> s = f.section(PreresolvedRecord.SECTION);
        if (s.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(PreresolvedRecord.decode(f.sectionBytes(s.get()), f.data()));
    }

    /**
     * A preresolved module found in a file.
     *
     * @param elf the preresolved ELF: the file, or the file without the signature trailer that
     *     was added after preresolving (a re-signed module)
     * @param file {@code elf}, parsed
     * @param record its record
     * @param resigned the file carries a signature added after preresolving
     */
    public record Found(byte[] elf, ElfFile file, PreresolvedRecord record, boolean resigned) {}

    /**
     * Finds the record of a module file (uncompressed), looking through a signature added after
     * preresolving; empty for a plain module, signed or not.
     *
     * @throws FormatException the file is not ELF, or it has a record that is malformed
     */
    public static Optional<Found> find(byte[] data) throws FormatException {
        if (!ElfFile.isElf(data)) {
            throw new FormatException("not an ELF file (bad magic)", 0);
        }
        byte[] elf = ModuleSignature.withoutSignature(data);
        boolean resigned = elf != data;
        ElfFile f = ElfFile.parse(elf);
        Optional<PreresolvedRecord> rec = record(f);
        if (rec.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new Found(elf, f, rec.get(), resigned));
    }

    public static byte[] restore(ElfFile f, PreresolvedRecord rec) throws FormatException {
        return restore(f, rec, byte[]::new, Optional.empty());
    }

    /**
     * As {@link #restore(ElfFile, PreresolvedRecord)}, into the array that {@code into} gives for
     * the restored size, which may be longer (a buffer the caller reuses): the original is its first
     * {@code rec.originalElfLength() + rec.trailer().length} bytes. Given the signature the original
     * is known to carry ({@code known}, parsed from the original itself), a stored trailer of exactly
     * its bytes, after a module of its length, is that signature and is not parsed again; any other
     * trailer is parsed and checked as always.
     */
    static byte[] restore(ElfFile f, PreresolvedRecord rec, java.util.function.IntFunction<byte[]> into,
            Optional<ModuleSignature> known) throws FormatException {
        var h = f.header();
        byte[] data = f.data();
        SectionHeader marker = f.section(PreresolvedRecord.SECTION).orElseThrow();
        if (rec.originalElfLength() > marker.offset()) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: original length "
                    + rec.originalElfLength() + " overlaps the record at 0x" + Long.toHexString(marker.offset()));
        }
        if (rec.originalShnum() > 0xffff || rec.originalShnum() < 0) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: original e_shnum "
                    + Integer.toUnsignedString(rec.originalShnum()) + " out of range");
        }
        // The original and its signature trailer in one array, edited in place: a 45 MiB module
        // (amdgpu) is then restored with one copy, within a small heap.
        int origLength = (int) rec.originalElfLength();
        byte[] prefix = ElfEditor.restorePrefix(data, f.length(), h.is64(), h.order(), rec.originalElfLength(),
                rec.originalShoff(), rec.originalShnum(), rec.trailer().length, into);
        for (PreresolvedRecord.Saved s : rec.saved()) {
            // Anchor mode rewrote these sections in place: put their original bytes back.
            if (s.offset() < 0 || s.offset() + s.bytes().length > origLength) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: saved section " + s.index()
                        + " at 0x" + Long.toHexString(s.offset()) + " runs past the original length");
            }
            System.arraycopy(s.bytes(), 0, prefix, (int) s.offset(), s.bytes().length);
        }
        ElfFile orig;
        try {
            orig = ElfFile.parse(prefix, origLength);
        } catch (FormatException e) {
            throw new FormatException(PreresolvedRecord.SECTION + " record does not describe this file: the restored "
                    + "original does not parse (" + e.getMessage() + ")");
        }
        ElfEditor ed = ElfEditor.inPlace(orig);
        if (rec.anchorMode()) {
            Symbol a;
            try {
                a = orig.symbolAt(rec.anchorIndex());
            } catch (FormatException e) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: anchor " + e.detail());
            }
            if (a.shndx() != Elf.SHN_UNDEF || a.name().isEmpty()) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: anchor symbol " + rec.anchorIndex()
                        + " is not an undefined symbol of the original");
            }
        }
        for (PreresolvedRecord.Patch p : rec.patches()) {
            if (p.index() <= 0) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: symbol index " + p.index()
                        + " out of range");
            }
            Symbol s;
            try {
                s = orig.symbolAt(p.index());
            } catch (FormatException e) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: " + e.detail());
            }
            if (p.oldShndx() != Elf.SHN_UNDEF) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: symbol " + p.index() + " was st_shndx 0x"
                        + Integer.toHexString(p.oldShndx()) + " before; only undefined symbols are ever preresolved");
            }
            if (rec.anchorMode()) {
                // The saved sections are back: the original symbol is undefined again.
                if (s.shndx() != Elf.SHN_UNDEF || s.value() != p.oldValue()) {
                    throw new FormatException(PreresolvedRecord.SECTION + " record: symbol " + p.index() + " ("
                            + s.name() + ") of the original is not the recorded undefined symbol");
                }
                continue;
            }
            if (p.anchored()) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: an anchored symbol in a plain record");
            }
            if (s.shndx() != Elf.SHN_ABS || s.value() != p.newValue()) {
                throw new FormatException(PreresolvedRecord.SECTION + " record: symbol " + p.index() + " (" + s.name()
                        + ") is not the recorded absolute value; the file was changed after preresolving");
            }
            ed.setSymbol(s, p.oldValue(), p.oldShndx());
        }
        byte[] out = ed.toBytes(); // prefix itself
        if (rec.trailer().length == 0) {
            return out;
        }
        System.arraycopy(rec.trailer(), 0, out, origLength, rec.trailer().length);
        if (known.isPresent() && known.get().moduleLength() == origLength
                && java.util.Arrays.equals(known.get().trailer(), rec.trailer())) {
            return out;
        }
        Optional<ModuleSignature> sig;
        try {
            sig = ModuleSignature.parse(out, origLength + rec.trailer().length);
        } catch (FormatException e) {
            sig = Optional.empty();
        }
        if (sig.isEmpty() || sig.get().moduleLength() != origLength) {
            throw new FormatException(PreresolvedRecord.SECTION + " record: the stored " + rec.trailer().length
                    + "-byte signature trailer is not a module signature for this module");
        }
        return out;
    }
}
