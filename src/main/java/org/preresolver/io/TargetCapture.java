package org.preresolver.io;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import org.preresolver.elf.FormatException;
import org.preresolver.kernel.RunningKernel;

/**
 * A directory written by the script of {@code lkm-preresolver target-script} on a running target:
 * {@value #RELEASE}, {@value #NOTES}, {@value #CMDLINE} and {@value #KALLSYMS}.
 */
public final class TargetCapture {
    /** {@code uname -r}. */
    public static final String RELEASE = "release";
    /** {@code /sys/kernel/notes} (binary: the kernel's ELF notes, the build-id among them). */
    public static final String NOTES = "notes";
    /** {@code /proc/cmdline}. */
    public static final String CMDLINE = "cmdline";
    /** {@code /proc/kallsyms}, read as root. */
    public static final String KALLSYMS = "kallsyms";

    private TargetCapture() {}

    /**
     * Reads a capture.
     *
     * @throws FormatException a file is missing or malformed; the message names it
     */
    public static RunningKernel read(Path dir) throws IOException, FormatException {
        if (!Files.isDirectory(dir)) {
            throw new NoSuchFileException(dir.toString(), null, "no such directory (a capture made by the script "
                    + "of 'lkm-preresolver target-script')");
        }
        byte[][] files = new byte[4][];
        String[] names = {RELEASE, NOTES, CMDLINE, KALLSYMS};
        for (int i = 0; i < names.length; i++) {
            Path f = dir.resolve(names[i]);
            if (!Files.isRegularFile(f)) {
                throw new FormatException(dir + ": no " + names[i] + " file: not a complete capture (run the script "
                        + "of 'lkm-preresolver target-script' on the target, as root)");
            }
            files[i] = FileBytes.read(f);
        }
        try {
            return RunningKernel.parse(files[0], files[1], files[2], files[3]);
        } catch (FormatException e) {
            throw e.withSource(dir.toString());
        }
    }
}
