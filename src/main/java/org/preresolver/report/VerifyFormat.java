package org.preresolver.report;

import java.util.List;
import org.preresolver.preresolve.Verifier;
import org.preresolver.preresolve.Verifier.Move;
import org.preresolver.preresolve.Verifier.Note;
import org.preresolver.preresolve.Verifier.Problem;
import org.preresolver.preresolve.Verifier.Refusal;

/** {@code verify}'s words: each reason a module is stale, and each note, as one clause. */
public final class VerifyFormat {
    private VerifyFormat() {}

    /** One reason a module is stale, as one clause. */
    public static String text(Problem p) {
        if (p instanceof Problem.OtherRelease r) {
            return "preresolved for release " + r.recorded() + ", " + whose(r.target()) + " is " + r.actual();
        }
        if (p instanceof Problem.OtherBuild b) {
            return "preresolved for build-id " + shortId(b.recorded()) + ", " + whose(b.target()) + " has "
                    + shortId(b.actual());
        }
        if (p instanceof Problem.Moved m) {
            return count(m.moves().size(), m.of()) + are(m.moves().size())
                    + (m.target() ? " elsewhere in the running kernel (" : " exported at another address (")
                    + examples(m.moves().stream().map(VerifyFormat::move).toList(), 1) + ")";
        }
        if (p instanceof Problem.AnchorsSplit a) {
            return "anchored symbols moved by " + a.offsets() + " different offsets in the running kernel, not by one "
                    + "slide: another build";
        }
        if (p instanceof Problem.Shifted s) {
            String d = signedHex(s.delta());
            String n = count(s.count(), s.of());
            return s.nokaslr()
                    ? "the running kernel is shifted by " + d + " from the preresolved addresses although "
                            + "/proc/cmdline has 'nokaslr' (" + move(s.first()) + "; " + n + "): preresolved for "
                            + "another placement of this build; preresolve again for this kernel"
                    : "kernel booted with KASLR: " + move(s.first()) + " (" + n + " moved by " + d
                            + "; /proc/cmdline has no 'nokaslr'); boot it with 'nokaslr' or preresolve for this address";
        }
        if (p instanceof Problem.Gone g) {
            return count(g.names().size(), g.of()) + are(g.names().size())
                    + (g.target() ? " not in the target's kallsyms (" : " no longer exported by vmlinux (")
                    + examples(g.names(), 2) + ")";
        }
        Problem.Refused r = (Problem.Refused) p;
        return "the kernel's checks now keep " + count(r.refusals().size(), r.of()) + " undefined ("
                + examples(r.refusals().stream().map(VerifyFormat::refusal).toList(), 1) + ")"
                + (r.guard() ? "; if the modules that export the other symbols are GPL-compatible, verify them "
                        + "together (or pass their tree)" : "");
    }

    /** A note that does not make a module stale, as one clause. */
    public static String text(Note n) {
        if (n instanceof Note.MorePreresolvable m) {
            return m.count() + " more symbol" + (m.count() == 1 ? "" : "s") + " could be preresolved now";
        }
        if (n instanceof Note.AnchorFollows a) {
            return "kernel placed at " + signedHex(a.delta()) + " (KASLR); anchor mode follows it";
        }
        Note.CheckedByBuildId c = (Note.CheckedByBuildId) n;
        return c.count() + " patched symbol" + (c.count() == 1 ? "" : "s") + " not in kallsyms, checked by the build-id";
    }

    /** Every problem of a verdict, in words. */
    public static List<String> problems(Verifier.Verdict v) {
        return v.problems().stream().map(VerifyFormat::text).toList();
    }

    /** Every note of a verdict, in words. */
    public static List<String> notes(Verifier.Verdict v) {
        return v.notes().stream().map(VerifyFormat::text).toList();
    }

    private static String move(Move m) {
        return m.name() + " is at " + hex(m.actual()) + ", preresolved " + hex(m.preresolved());
    }

    private static String refusal(Refusal r) {
        return r.name() + ": " + r.reason().text() + (r.detail().isEmpty() ? "" : " " + r.detail());
    }

    private static String whose(boolean target) {
        return target ? "the target" : "the kernel";
    }

    /** "all 5 patched symbols", "2 of 5 patched symbols", "the patched symbol". */
    private static String count(int n, int of) {
        return n == of ? (n == 1 ? "the patched symbol" : "all " + n + " patched symbols")
                : n + " of " + of + " patched symbol" + (of == 1 ? "" : "s");
    }

    private static String are(int n) {
        return n == 1 ? " is" : " are";
    }

    /** The first {@code max} items, then "..." if there are more. */
    private static String examples(List<String> items, int max) {
        String s = String.join(", ", items.subList(0, Math.min(max, items.size())));
        return items.size() > max ? s + ", ..." : s;
    }

    private static String shortId(String id) {
        return id.length() > 16 ? id.substring(0, 16) + "..." : id;
    }

    private static String hex(long v) {
        return "0x" + Long.toHexString(v);
    }

    private static String signedHex(long d) {
        return d < 0 ? "-0x" + Long.toHexString(-d) : "+0x" + Long.toHexString(d);
    }
}
