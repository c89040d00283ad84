package org.preresolver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.util.Locale;
import java.util.function.LongSupplier;
import org.preresolver.api.Inputs;

/**
 * A one-line progress bar on stderr, redrawn in place with {@code \r}. Shown only on an
 * interactive terminal ({@link Terminal}) and for trees of more than {@link #MIN_MODULES}
 * modules; otherwise every method does nothing. Output lines are printed between
 * {@link #clear()} and {@link #step()} so that the bar always stays the last line.
 */
final class Progress {
    /** Trees of at most this many modules get no bar: they are done before one would help. */
    static final int MIN_MODULES = 50;
    private static final long REDRAW_NANOS = 100_000_000L;

    private final PrintWriter err;
    private final int total;
    private final int width;
    private final LongSupplier clock;
    private int done;
    private long lastDraw = Long.MIN_VALUE;
    private boolean shown;

    Progress(PrintWriter err, int total, int width, LongSupplier clock) {
        this.err = err;
        this.total = total;
        this.width = width;
        this.clock = clock;
    }

    /** No bar at all. */
    static Progress none() {
        return new Progress(null, 0, 0, System::nanoTime);
    }

    /**
     * A bar for a run over {@code inputs} when stderr is an interactive terminal and the tree is
     * big enough; {@link #none()} otherwise (and when {@code quiet}). Lists the inputs only when
     * the terminal test passes.
     */
    static Progress forRun(PrintWriter err, Inputs inputs, boolean quiet) {
        if (quiet || !Terminal.stderrIsInteractive()) {
            return none();
        }
        int n;
        try {
            n = inputs.count();
        } catch (IOException | RuntimeException e) {
            return none(); // the run itself reports it
        }
        if (n <= MIN_MODULES) {
            return none();
        }
        return new Progress(err, n, Terminal.width(System.getenv()), System::nanoTime);
    }

    boolean active() {
        return err != null;
    }

    /** Erases the bar, before a line is printed to stdout or stderr. */
    void clear() {
        if (err != null && shown) {
            err.print("\r\033[K");
            err.flush();
            shown = false;
        }
    }

    /** One module done: redraws the bar (at most ten times a second, and always at the end). */
    void step() {
        if (err == null) {
            return;
        }
        done++;
        long now = clock.getAsLong();
        if (done < total && shown && now - lastDraw < REDRAW_NANOS) {
            return;
        }
        lastDraw = now;
        err.print("\r" + bar());
        err.flush();
        shown = true;
    }

    /** Erases the bar at the end of the run. */
    void finish() {
        clear();
    }

    /** e.g. {@code [=========>           ] 1234/4023 modules  30%}, fitting the terminal width. */
    String bar() {
        String tail = String.format(Locale.ROOT, " %d/%d modules %3d%%", done, total, done * 100 / Math.max(1, total));
        int inner = Math.max(10, Math.min(50, width - tail.length() - 3));
        int fill = (int) ((long) inner * done / Math.max(1, total));
        StringBuilder sb = new StringBuilder("[");
        sb.append("=".repeat(fill));
        if (fill < inner) {
            sb.append('>').append(" ".repeat(inner - fill - 1));
        }
        return sb.append(']').append(tail).toString();
    }
}
