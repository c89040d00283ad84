package org.preresolver.build;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.preresolver.api.Version;
import org.preresolver.cli.Cli;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Generates the man pages and the shell completion from the picocli model, so that they always
 * match the commands. Run by the build at {@code package} (exec-maven-plugin):
 * <pre>
 *   target/man/lkm-preresolver.1, target/man/lkm-preresolver-COMMAND.1   troff, for man(1)
 *   target/completion/lkm-preresolver.bash                             bash, and zsh via bashcompinit
 * </pre>
 * Usage: {@code GenerateDocs OUTPUT_DIR}.
 */
public final class GenerateDocs {
    static final String NAME = "lkm-preresolver";

    private GenerateDocs() {}

    public static void main(String[] args) throws IOException {
        if (args.length != 1) {
            throw new IllegalArgumentException("usage: GenerateDocs OUTPUT_DIR");
        }
        List<Path> written = generate(Path.of(args[0]));
        System.out.println("GenerateDocs: wrote " + written.size() + " files under " + args[0]);
    }

    /** Writes the man pages and the completion script under {@code dir}; returns the files. */
    public static List<Path> generate(Path dir) throws IOException {
        CommandLine cl = Cli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        List<Path> out = new ArrayList<>();
        Path man = dir.resolve("man");
        Files.createDirectories(man);
        Path top = man.resolve(NAME + ".1");
        Files.writeString(top, manPage(cl.getCommandSpec(), true), StandardCharsets.UTF_8);
        out.add(top);
        for (CommandLine sub : cl.getSubcommands().values()) {
            if (sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
                continue;
            }
            Path p = man.resolve(NAME + "-" + sub.getCommandName() + ".1");
            Files.writeString(p, manPage(sub.getCommandSpec(), false), StandardCharsets.UTF_8);
            out.add(p);
        }
        Path completion = dir.resolve("completion");
        Files.createDirectories(completion);
        Path bash = completion.resolve(NAME + ".bash");
        Files.writeString(bash, AutoComplete.bash(NAME, cl), StandardCharsets.UTF_8);
        out.add(bash);
        return out;
    }

    /** One man page in troff (man(7) macros). */
    static String manPage(CommandSpec spec, boolean top) {
        String title = top ? NAME : NAME + "-" + spec.name();
        StringBuilder sb = new StringBuilder();
        sb.append(".\\\" Generated from the picocli model by ").append(GenerateDocs.class.getName())
                .append("; do not edit.\n");
        sb.append(".TH ").append(title.toUpperCase(Locale.ROOT)).append(" 1 \"\" \"").append(NAME).append(' ')
                .append(Version.version()).append("\" \"User Commands\"\n");
        sb.append(".SH NAME\n").append(esc(title)).append(" \\- ");
        String[] desc = spec.usageMessage().description();
        sb.append(esc(summary(spec))).append('\n');

        sb.append(".SH SYNOPSIS\n.nf\n");
        CommandLine.Help help = new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
        String synopsis = help.synopsis(0).stripTrailing();
        for (String l : synopsis.split("\n")) {
            sb.append(esc(l.stripTrailing())).append('\n');
        }
        sb.append(".fi\n");

        sb.append(".SH DESCRIPTION\n");
        paragraph(sb, desc);

        if (top) {
            sb.append(".SH COMMANDS\n");
            for (CommandLine sub : spec.subcommands().values()) {
                if (sub.getCommandSpec().userObject() instanceof CommandLine.HelpCommand) {
                    continue;
                }
                sb.append(".TP\n\\fB").append(esc(sub.getCommandName())).append("\\fR\n")
                        .append(esc(summary(sub.getCommandSpec()))).append(".\n")
                        .append("See \\fB").append(esc(NAME + "-" + sub.getCommandName())).append("\\fR(1).\n");
            }
        }

        if (!spec.positionalParameters().isEmpty()) {
            sb.append(".SH ARGUMENTS\n");
            for (PositionalParamSpec p : spec.positionalParameters()) {
                if (p.hidden()) {
                    continue;
                }
                sb.append(".TP\n\\fI").append(esc(p.paramLabel())).append("\\fR\n");
                paragraph(sb, p.description());
            }
        }

        sb.append(".SH OPTIONS\n");
        for (OptionSpec o : spec.options()) {
            if (o.hidden()) {
                continue;
            }
            sb.append(".TP\n");
            List<String> names = new ArrayList<>();
            for (String n : o.names()) {
                names.add("\\fB" + esc(n) + "\\fR");
            }
            sb.append(String.join(", ", names));
            if (o.arity().max() > 0) {
                sb.append("=\\fI").append(esc(o.paramLabel())).append("\\fR");
            }
            sb.append('\n');
            paragraph(sb, o.description());
        }

        String footer = String.join("\n", spec.usageMessage().footer()).strip();
        if (footer.startsWith("Exit codes:")) {
            sb.append(".SH EXIT STATUS\n.nf\n");
            for (String l : footer.substring("Exit codes:".length()).strip().split("\n")) {
                sb.append(esc(l.strip())).append('\n');
            }
            sb.append(".fi\n");
        }
        sb.append(".SH SEE ALSO\n");
        if (top) {
            List<String> refs = new ArrayList<>();
            for (String n : spec.subcommands().keySet()) {
                if (!n.equals("help")) {
                    refs.add("\\fB" + esc(NAME + "-" + n) + "\\fR(1)");
                }
            }
            sb.append(String.join(",\n", refs)).append('\n');
        } else {
            sb.append("\\fB").append(NAME).append("\\fR(1)\n");
        }
        return sb.toString();
    }

    private static void paragraph(StringBuilder sb, String[] lines) {
        for (String l : lines) {
            String t = l.strip();
            sb.append(t.isEmpty() ? ".sp" : esc(t)).append('\n');
        }
    }

    /** The command's one-line header, else the first sentence of its description. */
    private static String summary(CommandSpec spec) {
        String[] header = spec.usageMessage().header();
        return firstSentence(header.length > 0 ? header : spec.usageMessage().description());
    }

    private static String firstSentence(String[] desc) {
        String all = String.join(" ", desc).strip().replaceAll("\\s+", " ");
        int dot = all.indexOf(". ");
        String s = dot > 0 ? all.substring(0, dot) : all;
        int colon = s.indexOf(": ");
        s = colon > 0 ? s.substring(0, colon) : s;
        s = s.endsWith(".") || s.endsWith(":") ? s.substring(0, s.length() - 1) : s;
        return s.isEmpty() ? "" : Character.toLowerCase(s.charAt(0)) + s.substring(1);
    }

    /** Escapes text for troff: backslashes, hyphens, and a control character at the start of a line. */
    static String esc(String s) {
        String t = s.replace("\\", "\\e").replace("-", "\\-");
        if (t.startsWith(".") || t.startsWith("'")) {
            t = "\\&" + t;
        }
        return t;
    }
}
