package org.preresolver.api;

import java.io.IOException;
import java.io.InputStream;
import java.util.Properties;

/** This tool's version and git commit, as written by the build into {@code version.properties}. */
public final class Version {
    private static final Properties PROPERTIES = load();

    private Version() {}

    /** e.g. {@code 0.1.0}, "unknown" outside a built jar or classes directory. */
    public static String version() {
        return PROPERTIES.getProperty("version", "unknown");
    }

    /** The abbreviated git commit the build was made from, "unknown" when the build saw no git. */
    public static String commit() {
        String c = PROPERTIES.getProperty("commit", "");
        return c.isEmpty() || c.startsWith("${") ? "unknown" : c;
    }

    /** e.g. {@code lkm-preresolver 0.1.0}, as written into each {@code .preresolved} record. */
    public static String tool() {
        return "lkm-preresolver " + version();
    }

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = Version.class.getResourceAsStream("/org/preresolver/version.properties")) {
            if (in != null) {
                p.load(in);
            }
        } catch (IOException e) {
            // "unknown"
        }
        return p;
    }
}
