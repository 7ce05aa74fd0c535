package org.thespian.docs;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.IntStream;
import java.util.stream.Stream;

/**
 * The fenced shell blocks ({@code ```sh}, {@code bash}, {@code shell}) of README.md and docs/*.md, each with the
 * marker comment on the line above its fence, if any, and its commands: lines joined where one ends in a backslash,
 * comment lines left out. See docs/development.md ("The docs' commands") for the markers.
 */
final class DocBlocks {

    private static final Pattern OPENING = Pattern.compile("^```(sh|bash|shell)\\s*$");
    private static final Pattern CLOSING = Pattern.compile("^```\\s*$");
    private static final Pattern COMMENT = Pattern.compile("^<!--\\s*(.*?)\\s*-->$");
    private static final Pattern NOT_RUN = Pattern.compile("not run:\\s*(.*)");
    private static final Pattern SERVES = Pattern.compile("serves:\\s*([0-9][0-9, -]*)");
    /** {@code VAR=value} words before a command's program: unquoted, or in one pair of quotes. */
    private static final Pattern ASSIGNMENTS = Pattern.compile("^(\\w+=(\"[^\"]*\"|'[^']*'|\\S*)\\s+)*");

    private DocBlocks() {
    }

    /** How the test treats a block, from the marker above it. */
    sealed interface Marker {
    }

    /** No marker: the block runs, and each command must succeed. */
    record Run() implements Marker {
    }

    /** {@code <!-- not run: REASON -->}. */
    record NotRun(String reason) implements Marker {
    }

    /** {@code <!-- serves: 6379-6383, 8080 -->}: a server on these ports for the blocks after it in its file. */
    record Serves(List<Integer> ports) implements Marker {
    }

    /** A comment above the fence that is none of the markers: a typo would otherwise run the block. */
    record Unknown(String comment) implements Marker {
    }

    record Block(String file, int line, Marker marker, List<String> commands) {

        String where() {
            return file + ":" + line;
        }
    }

    /** README.md, then docs/*.md by name. */
    static List<Path> docs(Path root) throws IOException {
        List<Path> docs = new ArrayList<>(List.of(root.resolve("README.md")));
        try (Stream<Path> files = Files.list(root.resolve("docs"))) {
            files.filter(file -> file.toString().endsWith(".md")).sorted().forEach(docs::add);
        }
        return docs;
    }

    static List<Block> of(Path root, Path doc) throws IOException {
        List<String> lines = Files.readAllLines(doc);
        String name = root.relativize(doc).toString();
        List<Block> blocks = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (!OPENING.matcher(lines.get(i)).matches()) {
                continue;
            }
            int opening = i;
            int closing = IntStream.range(opening + 1, lines.size())
                    .filter(j -> CLOSING.matcher(lines.get(j)).matches()).findFirst()
                    .orElseThrow(() -> new IllegalStateException(name + ":" + (opening + 1) + ": unclosed fence"));
            blocks.add(new Block(name, opening + 1, marker(lines, opening),
                    commands(lines.subList(opening + 1, closing))));
            i = closing;
        }
        return blocks;
    }

    private static Marker marker(List<String> lines, int fence) {
        int above = fence - 1;
        while (above >= 0 && lines.get(above).isBlank()) {
            above--;
        }
        Matcher comment = above < 0 ? null : COMMENT.matcher(lines.get(above).strip());
        if (comment == null || !comment.matches()) {
            return new Run();
        }
        Matcher notRun = NOT_RUN.matcher(comment.group(1));
        if (notRun.matches()) {
            return new NotRun(notRun.group(1).strip());
        }
        Matcher serves = SERVES.matcher(comment.group(1));
        if (serves.matches()) {
            return new Serves(ports(serves.group(1)));
        }
        return new Unknown(comment.group(0));
    }

    /** {@code 6379-6383, 8080}. */
    private static List<Integer> ports(String list) {
        List<Integer> ports = new ArrayList<>();
        for (String part : list.split(",")) {
            String[] range = part.strip().split("\\s*-\\s*");
            int from = Integer.parseInt(range[0]);
            int to = range.length > 1 ? Integer.parseInt(range[1]) : from;
            IntStream.rangeClosed(from, to).forEach(ports::add);
        }
        return ports;
    }

    private static List<String> commands(List<String> lines) {
        List<String> commands = new ArrayList<>();
        StringBuilder command = new StringBuilder();
        for (String line : lines) {
            if (command.isEmpty() && (line.isBlank() || line.strip().startsWith("#"))) {
                continue;
            }
            command.append(command.isEmpty() ? "" : "\n").append(line);
            if (!line.endsWith("\\")) {
                commands.add(command.toString());
                command.setLength(0);
            }
        }
        if (!command.isEmpty()) {
            commands.add(command.toString());
        }
        return commands;
    }

    /** The program a command starts, after any {@code VAR=value} words: {@code buf} in {@code X=1 buf curl ...}. */
    static String program(String command) {
        String rest = ASSIGNMENTS.matcher(command.strip()).replaceFirst("");
        return rest.split("\\s+", 2)[0];
    }

    /** The exit code a command's trailing comment promises ({@code ... validate   # exit 2: trailing comma}). */
    static Optional<Integer> promisedExit(String command) {
        Matcher exit = Pattern.compile("#\\s*exit (\\d+)\\b[^\\n]*$").matcher(command);
        return exit.find() ? Optional.of(Integer.parseInt(exit.group(1))) : Optional.empty();
    }
}
