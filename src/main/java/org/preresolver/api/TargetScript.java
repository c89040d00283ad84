package org.preresolver.api;

import org.preresolver.io.TargetCapture;

/**
 * The POSIX shell script that {@code lkm-preresolver target-script} prints: run on a target (any
 * {@code sh}, busybox's included), as root, it captures the running kernel's state into a
 * directory that {@code verify --target DIR} reads.
 */
public final class TargetScript {
    private TargetScript() {}

    /** The script. Its only argument is the directory to write (default {@code ./lkmpr-target}). */
    public static String text() {
        return """
                #!/bin/sh
                # Capture the state of the running kernel for 'lkm-preresolver verify --target DIR'.
                # Run it on the target, as root (only root sees real addresses in /proc/kallsyms):
                #     sh lkmpr-capture.sh [DIR]          (default DIR: ./lkmpr-target)
                # Then copy DIR to the build machine. It writes:
                #   DIR/%1$s   uname -r
                #   DIR/%2$s     /sys/kernel/notes (binary: the kernel's ELF notes, with its build-id)
                #   DIR/%3$s   /proc/cmdline (says whether the kernel booted with nokaslr)
                #   DIR/%4$s  /proc/kallsyms (every symbol's address, KASLR offset applied)
                # Needs only sh, cat, uname, mkdir, id and head (busybox has them).
                set -eu
                dir=${1:-lkmpr-target}
                mkdir -p "$dir"
                uname -r > "$dir/%1$s"
                cat /proc/cmdline > "$dir/%3$s"
                if [ -r /sys/kernel/notes ]; then
                    cat /sys/kernel/notes > "$dir/%2$s"
                else
                    echo "lkmpr-capture: cannot read /sys/kernel/notes (is sysfs mounted?)" >&2
                    exit 1
                fi
                cat /proc/kallsyms > "$dir/%4$s"
                if [ "$(id -u)" != 0 ]; then
                    echo "lkmpr-capture: WARNING: not root: /proc/kallsyms shows every address as 0" >&2
                fi
                case $(head -n 1 "$dir/%4$s") in
                    0000000000000000\\ *|00000000\\ *)
                        echo "lkmpr-capture: WARNING: kallsyms addresses are hidden (not root, or kernel.kptr_restrict=2)" >&2 ;;
                esac
                echo "lkmpr-capture: wrote $dir"
                """.formatted(TargetCapture.RELEASE, TargetCapture.NOTES, TargetCapture.CMDLINE, TargetCapture.KALLSYMS);
    }
}
