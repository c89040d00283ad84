package org.preresolver.cli;

/** A command line that cannot be run; exit code {@link ExitCodes#USAGE}. */
final class UsageException extends Exception {
    UsageException(String message) {
        super(message);
    }
}
