package org.preresolver.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.preresolver.qemu.Host;

/**
 * The HTML report rendered by a real headless browser, Debian's chromium, with every network
 * name unresolvable: the charts are there, have a size, and their bars are painted.
 */
class ReportBrowserTest {
    @TempDir
    static Path tmp;

    static ReportModel model;
    static Path html;

    @BeforeAll
    static void render() throws Exception {
        model = ReportModel.of(GoldenSet.run());
        html = tmp.resolve("report.html");
        Files.writeString(html, ReportFormat.HTML.render(model, true, "test"), StandardCharsets.UTF_8);
    }

    /** Runs chromium headless; no sandbox (CI runs as root), no network, a throwaway profile. */
    static String chromium(String... args) throws IOException {
        Path profile = Files.createTempDirectory(tmp, "profile");
        List<String> cmd = new ArrayList<>(List.of(chromiumBinary(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-dev-shm-usage", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--no-first-run", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
                "--user-data-dir=" + profile));
        cmd.addAll(List.of(args));
        // stderr is merged and full of D-Bus complaints; callers look only for what they expect
        return Host.run(Duration.ofSeconds(90), tmp, cmd.toArray(String[]::new)).output();
    }

    static String chromiumBinary() {
        for (String c : new String[] {"/usr/bin/chromium", "/usr/bin/chromium-browser"}) {
            if (Files.isExecutable(Path.of(c))) {
                return c;
            }
        }
        throw new IllegalStateException("chromium is not installed (scripts/setup.sh all installs it)");
    }

    @Test
    void thePageNeedsNoNetwork() throws IOException {
        String page = Files.readString(html);
        // the only URL is the SVG namespace name, which is never fetched
        assertThat(page.replace("http://www.w3.org/2000/svg", "")).doesNotContain("http:", "https:", "//cdn")
                .doesNotContainPattern("(?i)\\b(src|href)\\s*=").doesNotContain("url(", "@import", "<script", "<link");
    }

    @Test
    void chartsAreRenderedWithNonEmptyBars() throws IOException {
        // A copy of the page with a script that measures what the browser laid out, then dumps it.
        String measure = """
                <pre id="lkmpr-measure"></pre><script>
                (function () {
                  var out = [];
                  document.querySelectorAll('svg.chart').forEach(function (svg) {
                    var b = svg.getBoundingClientRect(), n = 0;
                    svg.querySelectorAll('rect').forEach(function (r) {
                      var c = r.getBoundingClientRect();
                      if (c.width > 0 && c.height > 0) { n++; }
                    });
                    out.push(svg.id + ' ' + Math.round(b.width) + ' ' + Math.round(b.height) + ' ' + n + ' '
                        + svg.querySelectorAll('text').length);
                  });
                  document.getElementById('lkmpr-measure').textContent = out.join(';');
                })();
                </script>
                """;
        Path probe = tmp.resolve("probe.html");
        Files.writeString(probe, Files.readString(html).replace("</body>", measure + "</body>"));
        String dom = chromium("--window-size=1280,1200", "--dump-dom", probe.toUri().toString());

        Matcher m = Pattern.compile("<pre id=\"lkmpr-measure\">([^<]*)</pre>").matcher(dom);
        assertThat(m.find()).as("dumped DOM has the measurements:%n%s", tail(dom)).isTrue();
        List<String> charts = List.of(m.group(1).split(";"));
        assertThat(charts).extracting(c -> c.split(" ")[0])
                .containsExactly("chart-largest", "chart-share", "chart-reasons", "chart-classes");

        // bars each chart must show, counted from the model (the two legend swatches included)
        List<ReportModel.Row> largest = model.largest(HtmlFormat.LARGEST);
        int largestBars = 2 + largest.size() + (int) largest.stream().filter(r -> r.after() > 0).count();
        int shareBars = (int) java.util.Arrays.stream(model.shareHistogram()).filter(n -> n > 0).count();
        int reasonBars = model.left().size();
        int classBars = 2 + (int) model.classes().stream().filter(c -> c.before() > 0).count()
                + (int) model.classes().stream().filter(c -> c.after() > 0).count();
        int[] expected = {largestBars, shareBars, reasonBars, classBars};
        for (int i = 0; i < charts.size(); i++) {
            String[] f = charts.get(i).split(" ");
            assertThat(Integer.parseInt(f[1])).as("%s width", f[0]).isGreaterThan(300);
            assertThat(Integer.parseInt(f[2])).as("%s height", f[0]).isGreaterThan(40);
            assertThat(Integer.parseInt(f[3])).as("%s bars with a size", f[0]).isEqualTo(expected[i])
                    .isGreaterThanOrEqualTo(2);
            assertThat(Integer.parseInt(f[4])).as("%s labels", f[0]).isGreaterThan(4);
        }
    }

    @Test
    void screenshotIsNotBlankAndShowsBothBarColours() throws IOException {
        Path png = tmp.resolve("shot.png");
        chromium("--window-size=1280,1200", "--screenshot=" + png, html.toUri().toString());
        assertThat(png).exists();
        BufferedImage img = ImageIO.read(png.toFile());
        assertThat(img).isNotNull();
        assertThat(img.getWidth()).isEqualTo(1280);
        double sum = 0;
        double sq = 0;
        int std = 0;
        int pre = 0;
        int n = img.getWidth() * img.getHeight();
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                int rgb = img.getRGB(x, y);
                int r = (rgb >> 16) & 0xff;
                int g = (rgb >> 8) & 0xff;
                int b = rgb & 0xff;
                double lum = 0.299 * r + 0.587 * g + 0.114 * b;
                sum += lum;
                sq += lum * lum;
                if (near(r, g, b, 0x4e, 0x79, 0xa7)) {
                    std++;
                }
                if (near(r, g, b, 0xf2, 0x8e, 0x2b)) {
                    pre++;
                }
            }
        }
        double mean = sum / n;
        double variance = sq / n - mean * mean;
        assertThat(variance).as("luminance variance of the screenshot").isGreaterThan(200);
        // bars of both series are painted in their colours, in quantity
        assertThat(std).as("pixels in the 'standard' colour").isGreaterThan(5000);
        assertThat(pre).as("pixels in the 'preresolved' colour").isGreaterThan(5000);
    }

    private static boolean near(int r, int g, int b, int r0, int g0, int b0) {
        return Math.abs(r - r0) <= 6 && Math.abs(g - g0) <= 6 && Math.abs(b - b0) <= 6;
    }

    private static String tail(String s) {
        return s.length() <= 2000 ? s : s.substring(s.length() - 2000);
    }
}
