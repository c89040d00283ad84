package org.preresolver.cli;

import org.preresolver.api.Version;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the version and git commit, from {@code version.properties} written by the build. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        return new String[] {Version.tool() + " (commit " + Version.commit() + ")"};
    }
}
