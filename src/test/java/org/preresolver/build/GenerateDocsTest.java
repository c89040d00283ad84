package org.preresolver.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.cli.Cli;
import org.preresolver.qemu.Host;
import picocli.CommandLine;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The man pages and the bash completion generated from the picocli model: man(1) renders every
 * command and option, and bash completes commands and options from the script.
 */
class GenerateDocsTest {
    @TempDir
    Path tmp;

    @Test
    void everyCommandHasAManPageThatManRendersWithEveryOption() throws Exception {
        List<Path> files = GenerateDocs.generate(tmp);
        CommandLine cl = Cli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));
        String top = render(tmp.resolve("man/lkm-preresolver.1"));
        assertThat(top).contains("NAME", "SYNOPSIS", "COMMANDS", "EXIT STATUS", "5  refused for safety");
        int pages = 1;
        for (var e : cl.getSubcommands().entrySet()) {
            if (e.getKey().equals("help")) {
                continue;
            }
            assertThat(top).contains("lkm-preresolver-" + e.getKey() + "(1)");
            Path page = tmp.resolve("man/lkm-preresolver-" + e.getKey() + ".1");
            assertThat(files).contains(page);
            String text = render(page);
            pages++;
            assertThat(text).contains("lkm-preresolver " + e.getKey());
            for (OptionSpec o : e.getValue().getCommandSpec().options()) {
                if (!o.hidden()) {
                    assertThat(text).as("%s in the %s page", o.longestName(), e.getKey()).contains(o.longestName());
                }
            }
        }
        assertThat(pages).isGreaterThanOrEqualTo(6); // preresolve, explain, exports, restore, report and the top page
        assertThat(render(tmp.resolve("man/lkm-preresolver-report.1"))).contains("--format=FORMAT", "--summary");
    }

    @Test
    void bashCompletesCommandsAndOptions() throws Exception {
        GenerateDocs.generate(tmp);
        Path script = tmp.resolve("completion/lkm-preresolver.bash");
        assertThat(complete(script, "lkm-preresolver re")).contains("report", "restore").doesNotContain("explain");
        assertThat(complete(script, "lkm-preresolver report --for")).containsExactly("--format");
        assertThat(complete(script, "lkm-preresolver preresolve --strip")).containsExactly("--strip-signature");
    }

    /** What bash offers for the last word of {@code line}, with the generated completion sourced. */
    static List<String> complete(Path script, String line) throws Exception {
        String sh = "source '" + script + "'\n"
                + "COMP_LINE='" + line + "'; COMP_POINT=${#COMP_LINE}\n"
                + "read -r -a COMP_WORDS <<< \"$COMP_LINE\"; COMP_CWORD=$(( ${#COMP_WORDS[@]} - 1 ))\n"
                + "_complete_lkm-preresolver lkm-preresolver \"${COMP_WORDS[COMP_CWORD]}\" 2>/dev/null\n"
                + "printf '%s\\n' \"${COMPREPLY[@]}\"\n";
        Path f = Files.createTempFile(script.getParent(), "complete", ".sh");
        Files.writeString(f, sh);
        return Host.run(Duration.ofSeconds(30), null, "bash", "--norc", "--noprofile", f.toString()).output()
                .lines().map(String::strip).filter(l -> !l.isEmpty()).toList();
    }

    /** The page as man(1) shows it, without bold or underline. */
    static String render(Path page) throws Exception {
        return Host.run(Duration.ofSeconds(30), null, "sh", "-c",
                "MANWIDTH=100 man -l '" + page + "' 2>&1 | col -b").output();
    }
}
