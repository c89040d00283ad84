package org.preresolver.build;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The package arrows of STYLE.md, read from the sources: {@code cli -> api -> {report, preresolve, io}
 * -> kernel -> elf}, none pointing back, and {@code api} the only door: {@code cli} names nothing of
 * {@code elf}, {@code io}, {@code kernel} or {@code preresolve} but their exception types.
 */
class LayeringTest {
    private static final Path MAIN = Path.of("src/main/java/org/preresolver");
    private static final Pattern REFERENCE = Pattern.compile("org\\.preresolver\\.([a-z]+)\\.([A-Z][A-Za-z0-9_.]*)");

    /** What each package may use besides itself. */
    private static final Map<String, Set<String>> ALLOWED = Map.of(
            "elf", Set.of(),
            "kernel", Set.of("elf"),
            "preresolve", Set.of("elf", "kernel"),
            "io", Set.of("elf", "kernel"),
            "report", Set.of("kernel", "preresolve"),
            "api", Set.of("elf", "io", "kernel", "preresolve", "report"),
            "cli", Set.of("api", "report", "elf", "io", "kernel", "preresolve"));

    @Test
    void noArrowPointsBack() throws IOException {
        List<String> wrong = new ArrayList<>();
        for (Map.Entry<String, Set<String>> p : ALLOWED.entrySet()) {
            for (String[] ref : references(p.getKey())) {
                if (!ref[1].equals(p.getKey()) && !p.getValue().contains(ref[1])) {
                    wrong.add(ref[0] + " uses " + ref[1] + "." + ref[2]);
                }
            }
        }
        assertThat(wrong).isEmpty();
    }

    @Test
    void cliGoesThroughApiAndNamesOnlyExceptionsBelowIt() throws IOException {
        List<String> wrong = new ArrayList<>();
        List<String[]> refs = references("cli");
        for (String[] ref : refs) {
            boolean below = Set.of("elf", "io", "kernel", "preresolve").contains(ref[1]);
            String type = ref[2].substring(ref[2].lastIndexOf('.') + 1);
            if (below && !type.endsWith("Exception")) {
                wrong.add(ref[0] + " uses " + ref[1] + "." + ref[2]);
            }
        }
        assertThat(refs).as("cli's references were read").anyMatch(r -> r[1].equals("api"));
        assertThat(wrong).isEmpty();
    }

    /** Every {@code org.preresolver.PKG.Type} named in a package's sources: {file, package, type}. */
    private static List<String[]> references(String pkg) throws IOException {
        List<String[]> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(MAIN.resolve(pkg))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".java")).toList()) {
                Matcher m = REFERENCE.matcher(Files.readString(f));
                while (m.find()) {
                    out.add(new String[] {pkg + "/" + f.getFileName(), m.group(1), m.group(2)});
                }
            }
        }
        assertThat(out).as(pkg).isNotNull();
        return out;
    }
}
