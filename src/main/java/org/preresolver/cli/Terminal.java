package org.preresolver.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * Whether stderr is a terminal someone watches, for the progress bar. Java 17 cannot ask about
 * stderr itself: {@link System#console()} says stdin and stdout are a terminal; on Linux,
 * {@code /proc/self/fd/2} names what stderr is. A CI log ({@code CI} set) or a dumb terminal
 * never gets a bar.
 */
final class Terminal {
    private Terminal() {}

    /** True when a progress bar on stderr would be seen on a terminal, not written into a pipe, file or log. */
    static boolean stderrIsInteractive() {
        return interactive(System.console() != null, System.getenv(), stderrTarget());
    }

    /**
     * The decision, from its inputs.
     *
     * @param console {@code System.console() != null}
     * @param env the environment
     * @param stderr what {@code /proc/self/fd/2} links to, when known
     */
    static boolean interactive(boolean console, Map<String, String> env, Optional<String> stderr) {
        if (!console) {
            return false;
        }
        String ci = env.get("CI");
        if (ci != null && !ci.isEmpty()) {
            return false;
        }
        String term = env.get("TERM");
        if (term == null || term.isEmpty() || term.equals("dumb")) {
            return false;
        }
        return stderr.map(t -> t.startsWith("/dev/pts/") || t.startsWith("/dev/tty")).orElse(true);
    }

    /** The terminal width from {@code COLUMNS}, else 80. */
    static int width(Map<String, String> env) {
        try {
            int w = Integer.parseInt(env.getOrDefault("COLUMNS", "80").strip());
            return w >= 20 ? w : 80;
        } catch (NumberFormatException e) {
            return 80;
        }
    }

    private static Optional<String> stderrTarget() {
        try {
            return Optional.of(Files.readSymbolicLink(Path.of("/proc/self/fd/2")).toString());
        } catch (IOException | UnsupportedOperationException | SecurityException e) {
            return Optional.empty();
        }
    }
}
