package org.thespian.config;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Optional;

/** Turns config text into a JSON tree, reporting syntax errors with line, column and (when known) JSON path. */
final class JsonDocument {

    /**
     * Far deeper than any sensible config (each nested Function costs four levels), and low enough that the
     * recursive descent from the tree into the model can never run out of stack.
     */
    static final int MAX_NESTING_DEPTH = 200;

    private static final ObjectMapper MAPPER = JsonMapper.builder(JsonFactory.builder()
                    .enable(JsonReadFeature.ALLOW_JAVA_COMMENTS) // .jsonc files start with // comment lines
                    .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION) // a repeated key would silently win
                    .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build())
                    .build())
            // Keep numbers as written, so that 20.0 or 1e400 are quoted back as such rather than as 20 or Infinity.
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private JsonDocument() {
    }

    /** The root value of {@code text}, which must hold exactly one JSON value. */
    static JsonValue read(String text) throws ConfigException {
        try (JsonParser parser = MAPPER.createParser(text)) {
            return read(parser, text);
        } catch (IOException e) {
            throw new UncheckedIOException("reading from a string has no I/O to fail", e);
        }
    }

    private static JsonValue read(JsonParser parser, String text) throws IOException, ConfigException {
        try {
            JsonNode root = MAPPER.readTree(parser);
            if (root == null) {
                throw new ConfigException("", "the configuration is empty (expected a JSON object)");
            }
            if (parser.nextToken() != null) {
                throw syntaxError(parser, parser.currentTokenLocation(), "unexpected content after the end of the document");
            }
            return new JsonValue(root, "");
        } catch (JsonProcessingException e) {
            // Nesting-limit errors carry no location of their own.
            JsonLocation location = e.getLocation() != null ? e.getLocation() : parser.currentLocation();
            throw syntaxError(parser, text, location, e.getOriginalMessage());
        }
    }

    /** Jackson's message, unless a common slip is plain to see at {@code location}: then that slip, by name. */
    private static ConfigException syntaxError(JsonParser parser, String text, JsonLocation location, String problem) {
        int offset = (int) location.getCharOffset();
        Optional<TextPosition> comma = trailingCommaBefore(text, offset);
        if (comma.isPresent()) {
            return slip(parser, comma.get().line(), comma.get().column(), "trailing comma (JSON allows no comma after the last "
                    + (text.charAt(offset) == '}' ? "member" : "element") + ")");
        }
        Optional<String> bareName = problem.contains("double-quote to start field name") ? wordAt(text, offset)
                : Optional.empty();
        if (bareName.isPresent()) {
            return slip(parser, location.getLineNr(), location.getColumnNr(),
                    "the name " + bareName.get() + " is not in double quotes (write \"" + bareName.get() + "\")");
        }
        return syntaxError(parser, location, problem);
    }

    /** A slip is reported with the path of the object or array it is in, not of the member before it. */
    private static ConfigException slip(JsonParser parser, int line, int column, String problem) {
        return new ConfigException(pathOf(parser.getParsingContext().getParent()),
                String.format("invalid JSON at line %d, column %d: %s", line, column, problem));
    }

    private record TextPosition(int line, int column) {
    }

    /**
     * The comma before the closing bracket at {@code offset}, when only blanks and {@code //} comments lie between
     * them. Jackson reports such a comma as a missing name or value at the bracket.
     */
    private static Optional<TextPosition> trailingCommaBefore(String text, int offset) {
        if (offset < 0 || offset >= text.length() || (text.charAt(offset) != '}' && text.charAt(offset) != ']')) {
            return Optional.empty();
        }
        String[] lines = text.substring(0, offset).split("\n", -1);
        for (int line = lines.length - 1; line >= 0; line--) {
            String code = withoutLineComment(lines[line]).stripTrailing();
            if (!code.isEmpty()) {
                return code.endsWith(",") ? Optional.of(new TextPosition(line + 1, code.length())) : Optional.empty();
            }
        }
        return Optional.empty();
    }

    /** A line up to its {@code //} comment, if any; a {@code //} inside a string is text. */
    private static String withoutLineComment(String line) {
        boolean inString = false;
        for (int i = 0; i < line.length(); i++) {
            char c = line.charAt(i);
            if (inString && c == '\\') {
                i++;
            } else if (c == '"') {
                inString = !inString;
            } else if (!inString && line.startsWith("//", i)) {
                return line.substring(0, i);
            }
        }
        return line;
    }

    /** The bare word (letters, digits, {@code _ - .}) that starts at {@code offset}, as a quote-stripping shell leaves names. */
    private static Optional<String> wordAt(String text, int offset) {
        int end = offset;
        while (end < text.length() && (Character.isLetterOrDigit(text.charAt(end)) || "_-.".indexOf(text.charAt(end)) >= 0)) {
            end++;
        }
        return end > offset && Character.isLetter(text.charAt(offset)) ? Optional.of(text.substring(offset, end))
                : Optional.empty();
    }

    private static ConfigException syntaxError(JsonParser parser, JsonLocation location, String problem) {
        return new ConfigException(pathOf(parser.getParsingContext()), String.format(
                "invalid JSON at line %d, column %d: %s", location.getLineNr(), location.getColumnNr(), problem));
    }

    /** The path of the value the parser was reading, in the same form as the paths of validation errors. */
    private static String pathOf(JsonStreamContext context) {
        Deque<JsonStreamContext> fromRoot = new ArrayDeque<>();
        for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
            fromRoot.push(c);
        }
        String path = "";
        for (JsonStreamContext c : fromRoot) {
            if (c.inArray()) {
                path = JsonValue.elementPath(path, c.getCurrentIndex());
            } else if (c.getCurrentName() != null) {
                path = JsonValue.childPath(path, c.getCurrentName());
            }
        }
        return path;
    }
}
