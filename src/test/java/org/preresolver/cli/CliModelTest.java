package org.preresolver.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/**
 * A run builds picocli's model of the one subcommand it names ({@link Cli#commandLineFor}); what it
 * prints must be what the model of every subcommand prints, for help and for usage errors.
 */
class CliModelTest {
    private record Printed(int code, String out, String err) {}

    private static Printed run(CommandLine cl, StringWriter out, StringWriter err, String... args) {
        int code = cl.execute(args);
        cl.getOut().flush();
        cl.getErr().flush();
        return new Printed(code, out.toString(), err.toString());
    }

    private static Printed full(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        return run(Cli.commandLine(new PrintWriter(out), new PrintWriter(err)), out, err, args);
    }

    private static Printed chosen(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        return run(Cli.commandLineFor(args, new PrintWriter(out), new PrintWriter(err)), out, err, args);
    }

    @Test
    void eachSubcommandIsListedUnderTheNameItGivesItself() {
        for (Map.Entry<String, java.util.function.Supplier<Object>> e : Cli.COMMANDS.entrySet()) {
            assertThat(new CommandLine(e.getValue().get()).getCommandName()).isEqualTo(e.getKey());
        }
        assertThat(Cli.commandLine(new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()))
                .getSubcommands().keySet()).containsExactlyElementsOf(Cli.COMMANDS.keySet());
    }

    @Test
    void aRunModelsOnlyTheSubcommandItNames() {
        PrintWriter w = new PrintWriter(new StringWriter());
        assertThat(Cli.commandLineFor(new String[] {"preresolve", "-n", "x"}, w, w).getSubcommands().keySet())
                .containsExactly("preresolve");
        assertThat(Cli.commandLineFor(new String[] {"help", "preresolve"}, w, w).getSubcommands()).hasSize(
                Cli.COMMANDS.size());
        assertThat(Cli.commandLineFor(new String[] {"--version"}, w, w).getSubcommands()).hasSize(Cli.COMMANDS.size());
        assertThat(Cli.commandLineFor(new String[] {"preresolv"}, w, w).getSubcommands()).hasSize(Cli.COMMANDS.size());
    }

    @Test
    void helpAndUsageErrorsPrintTheSameWithOneSubcommandModelled() {
        List<String[]> cases = new ArrayList<>();
        for (String name : Cli.COMMANDS.keySet()) {
            cases.add(new String[] {name, "--help"});
            cases.add(new String[] {name, "--no-such-option"});
            cases.add(new String[] {name});
        }
        cases.add(new String[] {"help", "preresolve"});
        cases.add(new String[] {"preresolv", "x.ko"});
        cases.add(new String[] {"--help"});
        cases.add(new String[] {});
        for (String[] args : cases) {
            Printed a = full(args);
            Printed b = chosen(args);
            assertThat(b).as(String.join(" ", args)).isEqualTo(a);
        }
        // Not vacuous: the cases print usage and errors.
        assertThat(full("preresolve", "--help").out()).contains("--assume-nokaslr");
        assertThat(full("preresolve", "--no-such-option").err()).contains("--no-such-option");
    }
}
