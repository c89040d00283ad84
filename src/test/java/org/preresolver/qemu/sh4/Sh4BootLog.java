package org.preresolver.qemu.sh4;

import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.preresolver.qemu.BootLog;

/**
 * The serial console of an r2d boot with the SH-4 kit's {@code /init}, split into the init's output and
 * the kernel's messages (which can cut an init line in two: {@code === delete_module([ 0.98] BUG: ...}).
 * The kernel log is taken up to {@code reboot: Power down}: QEMU stops the board a little later, and what
 * the kernel prints after asking for power-off ({@code Attempted to kill init!}, as the reboot syscall
 * returns into an exiting init) is the power-off itself, not a fault.
 */
final class Sh4BootLog {
    private static final Pattern TIMESTAMP = Pattern.compile("\\[\\s*\\d+\\.\\d+\\] ");
    private static final Pattern FINIT = Pattern.compile("(?m)^=== finit_module\\((.*?)\\) = (-?\\d+) \\((?:OK|-errno)\\)$");
    private static final Pattern DELETE = Pattern.compile("(?m)^=== delete_module\\((.*?)\\) = (-?\\d+) \\((?:OK|-errno)\\)$");
    private static final Pattern MOUNT = Pattern.compile("(?m)^=== mount\\((\\S+), (\\S+), (\\S+), ro\\) = (-?\\d+) ");
    private static final Pattern READ = Pattern.compile("(?s)=== READ (\\S+):\n(.*?)=== END READ \\((-?\\d+) bytes\\)\n");
    private static final Pattern UMOUNT = Pattern.compile("(?m)^=== umount\\((\\S+)\\) = (-?\\d+) ");
    private static final String POWER_DOWN = "reboot: Power down";
    /** What a module load must never print, beyond {@link BootLog#PROBLEMS}. */
    private static final List<Pattern> MORE_PROBLEMS = List.of(Pattern.compile("tainting kernel"),
            Pattern.compile("Unknown symbol"), Pattern.compile("no symbol version"), Pattern.compile("\\bOops\\b"),
            Pattern.compile("\\bBUG\\b"), Pattern.compile("Call trace:"));

    /** An init operation: its argument (module path, module name, mount dir) and the system call's result. */
    record Op(String what, int rc) {
    }

    record Mount(String dev, String dir, String fstype, int rc) {
    }

    /** A kernel message without its timestamp; {@code initOffset}: how much init output came before it. */
    record KernelMessage(String text, int initOffset) {
    }

    private final Path file;
    private final int exitCode;
    private final Duration elapsed;
    private final String init;
    private final List<KernelMessage> kernel = new ArrayList<>();
    private final List<KernelMessage> afterPowerOff = new ArrayList<>();

    private Sh4BootLog(String text, Path file, int exitCode, Duration elapsed) {
        this.file = file;
        this.exitCode = exitCode;
        this.elapsed = elapsed;
        StringBuilder in = new StringBuilder();
        boolean poweredOff = false;
        for (String line : text.replace("\r", "").split("\n", -1)) {
            Matcher ts = TIMESTAMP.matcher(line);
            if (ts.find()) {
                in.append(line, 0, ts.start()); // an init line the kernel cut: it goes on after the message
                KernelMessage k = new KernelMessage(line.substring(ts.end()), in.length());
                (poweredOff ? afterPowerOff : kernel).add(k);
                poweredOff |= k.text().startsWith(POWER_DOWN);
            } else {
                in.append(line).append('\n');
            }
        }
        this.init = in.toString();
    }

    static Sh4BootLog parse(String text, Path file, int exitCode, Duration elapsed) {
        return new Sh4BootLog(text, file, exitCode, elapsed);
    }

    Path file() {
        return file;
    }

    /** qemu's exit status under timeout(1): 124 or 137 when it was killed. */
    int exitCode() {
        return exitCode;
    }

    Duration elapsed() {
        return elapsed;
    }

    /** The init's output alone. */
    String initOutput() {
        return init;
    }

    /** Kernel messages up to and including {@code reboot: Power down}. */
    List<KernelMessage> kernelMessages() {
        return kernel;
    }

    /** Kernel messages after {@code /init} started, up to power-off, timestamps removed. */
    List<String> kernelMessagesSinceInit() {
        List<String> out = new ArrayList<>();
        boolean started = false;
        for (KernelMessage k : kernel) {
            if (started) {
                out.add(k.text());
            }
            started |= k.text().startsWith("Run /init as init process");
        }
        return out;
    }

    boolean initDone() {
        return init.contains("=== INIT-DONE\n");
    }

    boolean poweredOff() {
        return !kernel.isEmpty() && kernel.get(kernel.size() - 1).text().startsWith(POWER_DOWN);
    }

    /** The first line of /proc/version as /init printed it. */
    String procVersion() {
        return init.lines().filter(l -> l.startsWith("Linux version ")).findFirst().orElse("");
    }

    List<Op> finitModule() {
        return ops(FINIT);
    }

    List<Op> deleteModule() {
        return ops(DELETE);
    }

    List<Op> umount() {
        return ops(UMOUNT);
    }

    private List<Op> ops(Pattern p) {
        List<Op> out = new ArrayList<>();
        Matcher m = p.matcher(init);
        while (m.find()) {
            out.add(new Op(m.group(1), Integer.parseInt(m.group(2))));
        }
        return out;
    }

    List<Mount> mounts() {
        List<Mount> out = new ArrayList<>();
        Matcher m = MOUNT.matcher(init);
        while (m.find()) {
            out.add(new Mount(m.group(1), m.group(2), m.group(3), Integer.parseInt(m.group(4))));
        }
        return out;
    }

    /** What {@code === READ path:} printed, and the byte count /init reported, or null when nothing was read. */
    record Read(String path, String content, int bytes) {
    }

    Read read() {
        Matcher m = READ.matcher(init);
        return m.find() ? new Read(m.group(1), m.group(2), Integer.parseInt(m.group(3))) : null;
    }

    /** Lines of {@code /proc/mounts}. */
    List<String> procMounts() {
        return section("=== /proc/mounts:\n", "=== /proc/modules:\n");
    }

    /** Lines of {@code /proc/modules} with everything loaded and the card mounted. */
    List<String> procModules() {
        return section("=== /proc/modules:\n", "=== /proc/filesystems:\n");
    }

    /** Lines of {@code /proc/modules} after every delete_module. */
    List<String> procModulesAfterUnload() {
        return section("=== /proc/modules after unload:\n", "=== INIT-DONE\n");
    }

    private List<String> section(String begin, String end) {
        int b = init.indexOf(begin);
        int e = b < 0 ? -1 : init.indexOf(end, b);
        if (b < 0 || e < 0) {
            return null;
        }
        return init.substring(b + begin.length(), e).lines().filter(l -> !l.isBlank()).toList();
    }

    /** Kernel messages, up to power-off, that mean something went wrong. */
    List<KernelMessage> problems() {
        List<KernelMessage> out = new ArrayList<>();
        for (KernelMessage k : kernel) {
            if (BootLog.PROBLEMS.stream().anyMatch(p -> p.matcher(k.text()).find())
                    || MORE_PROBLEMS.stream().anyMatch(p -> p.matcher(k.text()).find())) {
                out.add(k);
            }
        }
        return out;
    }

    /**
     * True when every problem is the kit kernel's unload race and nothing else: each problem message came
     * after the first {@code delete_module}, and the fault is in {@code device_link_release_fn} (the device
     * link libata makes between the ATA port and the SCSI disk is released from a workqueue after
     * pata_platform, or scsi_mod, is gone). Unmodified modules show it too.
     */
    boolean onlyTheUnloadRace() {
        List<KernelMessage> p = problems();
        int firstDelete = init.indexOf("=== delete_module(");
        if (p.isEmpty() || firstDelete < 0) {
            return false;
        }
        boolean inLinkRelease = false;
        for (KernelMessage k : kernel) {
            if (k.initOffset() > firstDelete && k.text().contains("Workqueue: device_link_wq device_link_release_fn")) {
                inLinkRelease = true;
            }
        }
        return inLinkRelease && p.stream().allMatch(k -> k.initOffset() > firstDelete);
    }

    /** A short description for assertion messages. */
    String summary() {
        List<KernelMessage> p = problems();
        return file + ": qemu exit " + exitCode + ", " + elapsed.toMillis() + " ms, " + finitModule().size()
                + " finit_module, " + deleteModule().size() + " delete_module, init done " + initDone()
                + ", powered off " + poweredOff() + (p.isEmpty() ? "" : ", first problem: " + p.get(0).text());
    }
}
