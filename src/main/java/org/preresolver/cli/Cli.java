package org.preresolver.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.preresolver.elf.FormatException;
import org.preresolver.io.TreeLock.LockedException;
import org.preresolver.preresolve.RefusedException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** The {@code lkm-preresolver} command: builds the picocli model and maps errors to exit codes. */
@Command(name = "lkm-preresolver", mixinStandardHelpOptions = true, versionProvider = VersionProvider.class,
        description = "Prelinks Linux kernel modules: every undefined symbol that vmlinux exports becomes an "
                + "absolute symbol, after the checks the kernel would make.",
        footer = ExitCodes.HELP)
public final class Cli implements Runnable {
    @Spec
    CommandLine.Model.CommandSpec spec;

    @Option(names = "--verbose-errors", hidden = true, description = "Print stack traces of internal errors.")
    static boolean stackTraces;

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "a command is needed (try --help)");
    }

    /** The subcommands by name, in the order help lists them. */
    static final Map<String, Supplier<Object>> COMMANDS = commands();

    private static Map<String, Supplier<Object>> commands() {
        Map<String, Supplier<Object>> m = new LinkedHashMap<>();
        m.put("preresolve", PreresolveCommand::new);
        m.put("explain", ExplainCommand::new);
        m.put("exports", ExportsCommand::new);
        m.put("restore", RestoreCommand::new);
        m.put("extract", ExtractCommand::new);
        m.put("signature", SignatureCommand::new);
        m.put("report", ReportCommand::new);
        m.put("verify", VerifyCommand::new);
        m.put("target-script", TargetScriptCommand::new);
        m.put("help", CommandLine.HelpCommand::new);
        return Collections.unmodifiableMap(m);
    }

    /** Builds the command line with every subcommand and the given writers, so that tests run it in-process. */
    public static CommandLine commandLine(PrintWriter out, PrintWriter err) {
        return commandLine(out, err, COMMANDS.keySet());
    }

    /**
     * The command line for {@code args}: when the first names a subcommand other than {@code help},
     * with that subcommand alone (picocli reflects over every option of every subcommand it is
     * given, and a run needs one: 30 ms of each run's start); else with all of them, for the
     * top-level help, {@code help}, and the errors that list or suggest subcommands.
     */
    static CommandLine commandLineFor(String[] args, PrintWriter out, PrintWriter err) {
        if (args.length > 0 && !args[0].equals("help") && COMMANDS.containsKey(args[0])) {
            return commandLine(out, err, Set.of(args[0]));
        }
        return commandLine(out, err);
    }

    private static CommandLine commandLine(PrintWriter out, PrintWriter err, Set<String> names) {
        CommandLine cl = new CommandLine(new Cli());
        COMMANDS.forEach((name, make) -> {
            if (names.contains(name)) {
                cl.addSubcommand(name, make.get());
            }
        });
        cl.setOut(out);
        cl.setErr(err);
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> handle(ex, cmd.getErr()));
        cl.setParameterExceptionHandler((ex, args) -> {
            ex.getCommandLine().getErr().println("lkm-preresolver: " + ex.getMessage());
            ex.getCommandLine().getErr().println("Try '" + ex.getCommandLine().getCommandSpec().qualifiedName()
                    + " --help' for more information.");
            ex.getCommandLine().getErr().flush();
            return ExitCodes.USAGE;
        });
        return cl;
    }

    /** Runs the command line; returns the exit code. */
    public static int run(String[] args, PrintWriter out, PrintWriter err) {
        int code = commandLineFor(args, out, err).execute(args);
        out.flush();
        err.flush();
        return code;
    }

    /** The one line for an error that ended a command, and its code. */
    static int handle(Exception ex, PrintWriter err) {
        Throwable t = ex instanceof UncheckedIOException u ? u.getCause() : ex;
        int code;
        String msg;
        if (t instanceof UsageException) {
            code = ExitCodes.USAGE;
            msg = t.getMessage();
        } else if (t instanceof FormatException) {
            code = ExitCodes.BAD_INPUT;
            msg = t.getMessage();
        } else if (t instanceof RefusedException) {
            code = ExitCodes.REFUSED;
            msg = t.getMessage();
        } else if (t instanceof LockedException) {
            code = ExitCodes.IO;
            msg = t.getMessage();
        } else if (t instanceof IOException io) {
            code = ExitCodes.IO;
            msg = Messages.io(io);
        } else {
            code = ExitCodes.INTERNAL;
            msg = "internal error: " + t + " (please report this; --verbose-errors shows the stack trace)";
            if (stackTraces) {
                t.printStackTrace(err);
            }
        }
        err.println("lkm-preresolver: " + msg);
        err.flush();
        return code;
    }
}
