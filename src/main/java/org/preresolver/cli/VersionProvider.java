package org.preresolver.cli;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;
import picocli.CommandLine.IVersionProvider;

/** {@code --version}: the version and git commit, from {@code version.properties} written by the build. */
public final class VersionProvider implements IVersionProvider {
    @Override
    public String[] getVersion() {
        Properties p = properties();
        return new String[] {"lkm-preresolver " + p.getProperty("version", "unknown") + " (commit "
                + p.getProperty("commit", "unknown") + ")"};
    }

    /** e.g. "lkm-preresolver 0.1.0", as written into each .preresolved record. */
    static String toolName() {
        return "lkm-preresolver " + properties().getProperty("version", "unknown");
    }

    private static Properties properties() {
        Properties p = new Properties();
        try (InputStream in = VersionProvider.class.getResourceAsStream("/org/preresolver/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // fall back to "unknown"
        }
        return p;
    }
}
