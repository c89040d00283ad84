package org.preresolver.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Spec;

/**
 * A command that walks module trees against a kernel (preresolve, report, verify): the kernel
 * options, the module arguments with {@code -j}, and the streams, set up once.
 */
abstract class TreeCommand implements Callable<Integer> {
    @Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Mixin
    KernelOptions kernel;

    @Mixin
    TreeArgs modules;

    @Override
    public final Integer call() throws Exception {
        modules.defaultTo(kernel);
        return run(spec.commandLine().getOut(), spec.commandLine().getErr(), modules.inputs(), modules.jobs());
    }

    /** The command itself, given its output streams, the modules and trees to walk, and the worker count. */
    abstract int run(PrintWriter out, PrintWriter err, List<Path> inputs, int jobs) throws Exception;
}
