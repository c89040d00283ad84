package org.preresolver.kernel;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.preresolver.elf.Elf;
import org.preresolver.elf.FormatException;

/**
 * The state of a running kernel, as captured on the target: its release ({@code uname -r}), its
 * GNU build-id ({@code /sys/kernel/notes}), its command line ({@code /proc/cmdline}) and the
 * addresses of its symbols ({@code /proc/kallsyms}, read as root, so with KASLR's offset applied).
 *
 * @param release the release string
 * @param buildId the build-id as lowercase hex
 * @param cmdline the kernel command line
 * @param addresses vmlinux symbol addresses by name (module symbols are left out)
 */
public record RunningKernel(String release, String buildId, String cmdline, Map<String, Long> addresses) {

    public RunningKernel {
        addresses = Map.copyOf(addresses);
    }

    /**
     * Parses the captured files.
     *
     * @throws FormatException a file is malformed, or kallsyms shows no addresses (read without root)
     */
    public static RunningKernel parse(byte[] release, byte[] notes, byte[] cmdline, byte[] kallsyms)
            throws FormatException {
        String rel = new String(release, StandardCharsets.ISO_8859_1).strip();
        if (rel.isEmpty() || rel.contains("\n")) {
            throw new FormatException("release: expected the one line of 'uname -r'");
        }
        String id = buildIdFromNotes(notes)
                .orElseThrow(() -> new FormatException("notes: no GNU build-id note (NT_GNU_BUILD_ID) in /sys/kernel/notes"));
        Map<String, Long> addresses;
        try {
            addresses = SymbolFiles.parseSystemMap(kallsyms);
        } catch (FormatException e) {
            throw new FormatException("kallsyms: " + e.getMessage().replaceFirst("^System\\.map ", ""));
        }
        if (addresses.values().stream().allMatch(a -> a == 0)) {
            throw new FormatException("kallsyms: every address is 0: /proc/kallsyms hides addresses unless it is read "
                    + "as root (and kernel.kptr_restrict is below 2); capture it again as root");
        }
        return new RunningKernel(rel, id, new String(cmdline, StandardCharsets.ISO_8859_1).strip(), addresses);
    }

    /**
     * The build-id from the raw notes of {@code /sys/kernel/notes}, in whichever byte order the
     * notes are well-formed (the target's own; the file does not say).
     *
     * @throws FormatException the notes are well-formed in neither byte order
     */
    public static Optional<String> buildIdFromNotes(byte[] notes) throws FormatException {
        FormatException little = null;
        try {
            Optional<String> id = buildIdFromNotes(notes, ByteOrder.LITTLE_ENDIAN);
            if (id.isPresent()) {
                return id;
            }
        } catch (FormatException e) {
            little = e;
        }
        try {
            return buildIdFromNotes(notes, ByteOrder.BIG_ENDIAN);
        } catch (FormatException big) {
            if (little != null) {
                throw little;
            }
            return Optional.empty();
        }
    }

    /**
     * The build-id from the raw notes of {@code /sys/kernel/notes}: a sequence of ELF notes
     * ({@code u32 n_namesz, n_descsz, n_type}, the name and the descriptor each padded to 4 bytes)
     * in the kernel's byte order.
     *
     * @throws FormatException a note runs past the end
     */
    public static Optional<String> buildIdFromNotes(byte[] notes, ByteOrder order) throws FormatException {
        ByteBuffer b = ByteBuffer.wrap(notes).order(order);
        long p = 0;
        long end = notes.length;
        while (p + 12 <= end) {
            long namesz = b.getInt((int) p) & 0xffffffffL;
            long descsz = b.getInt((int) p + 4) & 0xffffffffL;
            long type = b.getInt((int) p + 8) & 0xffffffffL;
            long name = p + 12;
            long desc = name + align4(namesz);
            if (namesz > end - name || desc > end || descsz > end - desc) {
                throw new FormatException("notes: note at 0x" + Long.toHexString(p) + " runs past the end ("
                        + notes.length + " bytes); is this /sys/kernel/notes, captured in full?");
            }
            byte[] n = Arrays.copyOfRange(notes, (int) name, (int) (name + namesz));
            if (type == Elf.NT_GNU_BUILD_ID && Arrays.equals(n, "GNU\0".getBytes(StandardCharsets.US_ASCII))) {
                StringBuilder sb = new StringBuilder();
                for (long i = 0; i < descsz; i++) {
                    sb.append(String.format("%02x", notes[(int) (desc + i)] & 0xff));
                }
                return Optional.of(sb.toString());
            }
            p = desc + align4(descsz);
        }
        for (long i = p; i < end; i++) {
            if (notes[(int) i] != 0) {
                throw new FormatException("notes: a note header at 0x" + Long.toHexString(p) + " runs past the end ("
                        + notes.length + " bytes); is this /sys/kernel/notes, captured in full?");
            }
        }
        return Optional.empty();
    }

    /** True if the command line carries the word {@code nokaslr}. */
    public boolean nokaslr() {
        return words().contains("nokaslr");
    }

    private List<String> words() {
        return cmdline.isBlank() ? List.of() : List.of(cmdline.strip().split("\\s+"));
    }

    /** The address of a vmlinux symbol, if kallsyms lists it. */
    public Optional<Long> address(String name) {
        return Optional.ofNullable(addresses.get(name));
    }

    private static long align4(long v) {
        return (v + 3) & ~3L;
    }
}
