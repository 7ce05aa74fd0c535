package org.thespian.docs;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Every relative link in README.md and docs/*.md leads somewhere: the file or directory exists, and an anchor
 * ({@code file.md#heading}, {@code #heading}) names a heading of that Markdown file as GitHub spells it. The docs
 * are moved and split often; a link left pointing at a section that moved is the mistake this catches.
 */
class DocLinksTest {

    private static final Pattern FENCE = Pattern.compile("^\\s*(```|~~~)");
    private static final Pattern HEADING = Pattern.compile("^#{1,6}\\s+(.*?)\\s*#*\\s*$");
    private static final Pattern INLINE_CODE = Pattern.compile("(`+)[^`].*?\\1");
    /** {@code ](target)} or {@code ](target "title")}: the end of a link or an image. */
    private static final Pattern LINK = Pattern.compile("\\]\\(\\s*<?([^)\\s>]+)>?(?:\\s+\"[^\"]*\")?\\s*\\)");
    private static final Pattern EXTERNAL = Pattern.compile("^[a-zA-Z][a-zA-Z0-9+.-]*:");

    @Test
    void everyRelativeLinkInTheReadmeAndTheDocsResolves() throws IOException {
        Path root = Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath();
        List<Path> docs = new ArrayList<>();
        docs.add(root.resolve("README.md"));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(f -> f.toString().endsWith(".md")).sorted().forEach(docs::add);
        }

        List<String> broken = new Checker(root).brokenLinks(docs);
        assertTrue(broken.isEmpty(), () -> "broken links:\n" + String.join("\n", broken));
    }

    /** The README is the first page: its table of the docs names every one of them. */
    @Test
    void theReadmeLinksEveryDoc() throws IOException {
        Path root = Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath();
        Set<Path> linked = new Checker(root).linkedFiles(root.resolve("README.md"));
        List<String> unlisted;
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            unlisted = files.filter(Files::isRegularFile).filter(f -> !linked.contains(f))
                    .map(f -> root.relativize(f).toString()).sorted().toList();
        }

        assertEquals(List.of(), unlisted, "docs that README.md does not link to");
    }

    @Test
    void aMissingFileAndAMissingHeadingAreEachReportedWithTheirFileAndLine(@TempDir Path root) throws IOException {
        Files.writeString(root.resolve("guide.md"), """
                # Guide

                ## In one JVM: `cast FILE`

                ## Replicas, again
                """);
        Path readme = Files.writeString(root.resolve("README.md"), """
                # Readme
                See [the guide](guide.md#in-one-jvm-cast-file), [its replicas](guide.md#replicas-again),
                [the top](#readme) and [this dir](.).
                [Gone](gone.md) and [no such heading](guide.md#limits); [outside](https://example.com/x.md#y).
                ```
                [in a code block](nowhere.md)
                ```
                `[inline code](nowhere.md)` and ![an image](missing.png)
                """);

        assertEquals(List.of(
                        "README.md:4: gone.md: no such file",
                        "README.md:4: guide.md#limits: no heading with that anchor in guide.md",
                        "README.md:8: missing.png: no such file"),
                new Checker(root).brokenLinks(List.of(readme)));
    }

    @Test
    void anchorsFollowGitHubsRules() {
        assertEquals("in-one-jvm-cast-file", Checker.anchor("In one JVM: `cast FILE`"));
        assertEquals("1-slow-down-payment-for-one-request", Checker.anchor("1. Slow down payment for one request"));
        assertEquals("replicas-a-headless-service-balanced-by-the-caller",
                Checker.anchor("Replicas: a headless Service, balanced by the caller"));
        assertEquals("hostile-suite-benchhostilesh", Checker.anchor("Hostile suite (`bench/hostile.sh`)"));
        assertEquals("the-thespian_fault-header", Checker.anchor("The thespian_fault header"));
        assertEquals("see-the-docs", Checker.anchor("See [the docs](docs/x.md)"));
    }

    /** Reads Markdown files, their headings once each, and the links in them outside code. */
    private static final class Checker {
        private final Path root;
        private final Map<Path, Set<String>> anchors = new HashMap<>();

        Checker(Path root) {
            this.root = root;
        }

        List<String> brokenLinks(List<Path> docs) throws IOException {
            List<String> broken = new ArrayList<>();
            for (Path doc : docs) {
                List<String> lines = proseLines(doc);
                for (int i = 0; i < lines.size(); i++) {
                    for (String target : targets(lines.get(i))) {
                        String problem = problem(doc, target);
                        if (problem != null) {
                            broken.add(root.relativize(doc) + ":" + (i + 1) + ": " + target + ": " + problem);
                        }
                    }
                }
            }
            return broken;
        }

        Set<Path> linkedFiles(Path doc) throws IOException {
            Set<Path> files = new LinkedHashSet<>();
            for (String line : proseLines(doc)) {
                for (String target : targets(line)) {
                    String file = target.split("#", 2)[0];
                    if (!file.isEmpty() && !EXTERNAL.matcher(target).find()) {
                        files.add(resolve(doc, file).normalize());
                    }
                }
            }
            return files;
        }

        /** The targets of the links and images on one line, outside inline code. */
        private static List<String> targets(String line) {
            List<String> targets = new ArrayList<>();
            Matcher link = LINK.matcher(INLINE_CODE.matcher(line).replaceAll(""));
            while (link.find()) {
                targets.add(link.group(1));
            }
            return targets;
        }

        private static Path resolve(Path doc, String file) {
            return doc.getParent().resolve(URLDecoder.decode(file, StandardCharsets.UTF_8));
        }

        private String problem(Path doc, String target) {
            if (EXTERNAL.matcher(target).find()) {
                return null;
            }
            int hash = target.indexOf('#');
            String file = hash < 0 ? target : target.substring(0, hash);
            Path path = file.isEmpty() ? doc : resolve(doc, file);
            if (!Files.exists(path)) {
                return "no such file";
            }
            if (hash < 0 || !path.toString().endsWith(".md")) {
                return null;
            }
            String anchor = target.substring(hash + 1);
            return anchorsOf(path.normalize()).contains(anchor)
                    ? null
                    : "no heading with that anchor in " + path.getFileName();
        }

        private Set<String> anchorsOf(Path doc) {
            return anchors.computeIfAbsent(doc, d -> {
                Set<String> found = new LinkedHashSet<>();
                Map<String, Integer> seen = new HashMap<>();
                try {
                    for (String line : proseLines(d)) {
                        Matcher heading = HEADING.matcher(line);
                        if (heading.matches()) {
                            String slug = anchor(heading.group(1));
                            int repeats = seen.merge(slug, 1, Integer::sum) - 1;
                            found.add(repeats == 0 ? slug : slug + "-" + repeats);
                        }
                    }
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
                return found;
            });
        }

        /** The file's lines, with those of fenced code blocks blanked so that line numbers stay right. */
        private static List<String> proseLines(Path doc) throws IOException {
            List<String> lines = new ArrayList<>();
            boolean inFence = false;
            for (String line : Files.readAllLines(doc, StandardCharsets.UTF_8)) {
                boolean fence = FENCE.matcher(line).find();
                lines.add(inFence || fence ? "" : line);
                if (fence) {
                    inFence = !inFence;
                }
            }
            return lines;
        }

        /** GitHub's anchor of a heading: its text lowercased, punctuation but '-' and '_' dropped, spaces as '-'. */
        static String anchor(String heading) {
            String text = heading.replaceAll("\\[([^\\]]*)\\]\\([^)]*\\)", "$1");
            return text.toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}\\s_-]", "").replaceAll("\\s", "-");
        }
    }
}
