package org.thespian.cast;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLParser;
import java.io.IOException;
import java.math.BigInteger;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;
import org.thespian.config.TextFile;
import org.yaml.snakeyaml.LoaderOptions;

/**
 * A cast's YAML as a tree, read as users mean it. Jackson reads plain scalars by YAML 1.1, which turns {@code yes}
 * and {@code off} into booleans and {@code 0777} into 511, and reads an alias as its anchor's name. Here plain
 * scalars follow YAML 1.2's core schema (only {@code true} and {@code false} are booleans; integers are decimal, or
 * hexadecimal after {@code 0x}; what fits no rule stays text), an alias is reported, and the text written for each
 * value that is not a string is kept, for places that take every value as text (a member's env).
 */
final class YamlTree {

    private static final Pattern CORE_BOOLEAN = Pattern.compile("true|True|TRUE|false|False|FALSE");
    private static final Pattern CORE_DECIMAL = Pattern.compile("[-+]?[0-9]+");
    private static final Pattern CORE_HEXADECIMAL = Pattern.compile("0x[0-9a-fA-F]+");
    private static final Pattern CORE_FLOAT = Pattern.compile("[-+]?(\\.[0-9]+|[0-9]+(\\.[0-9]*)?)([eE][-+]?[0-9]+)?");

    private static final YAMLFactory FACTORY = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .loaderOptions(codePointLimit(TextFile.MAX_BYTES))
            .build();

    /** An alias ({@code *name}) at {@code path} of the tree. */
    record Alias(String path, String name) {
    }

    /**
     * @param root    the document's value; missing if the document is empty
     * @param written the text of each non-string scalar whose value reads back otherwise, by path
     * @param alias   the first alias in the document, whose place in the tree holds null
     */
    record Document(JsonNode root, Map<String, String> written, Optional<Alias> alias) {

        /** The value at {@code path} as the text the file has there. */
        String textAt(String path, JsonNode value) {
            return written.getOrDefault(path, value.asText());
        }
    }

    private final JsonParser parser;
    private final Map<String, String> written = new HashMap<>();
    private Optional<Alias> alias = Optional.empty();

    private YamlTree(JsonParser parser) {
        this.parser = parser;
    }

    /** @throws IOException with the line and column for YAML that does not parse */
    static Document read(String text) throws IOException {
        try (JsonParser parser = FACTORY.createParser(text)) {
            YamlTree tree = new YamlTree(parser);
            JsonToken first = parser.nextToken();
            JsonNode root = first == null ? JsonNodeFactory.instance.missingNode() : tree.value(first, "");
            return new Document(root, Map.copyOf(tree.written), tree.alias);
        }
    }

    private JsonNode value(JsonToken token, String path) throws IOException {
        return switch (token) {
            case START_OBJECT -> mapping(path);
            case START_ARRAY -> list(path);
            default -> scalar(token, path);
        };
    }

    private ObjectNode mapping(String path) throws IOException {
        ObjectNode mapping = JsonNodeFactory.instance.objectNode();
        for (JsonToken token = parser.nextToken(); token == JsonToken.FIELD_NAME; token = parser.nextToken()) {
            String key = parser.currentName();
            mapping.set(key, value(parser.nextToken(), path.isEmpty() ? key : path + "." + key));
        }
        return mapping;
    }

    private ArrayNode list(String path) throws IOException {
        ArrayNode list = JsonNodeFactory.instance.arrayNode();
        for (JsonToken token = parser.nextToken(); token != JsonToken.END_ARRAY; token = parser.nextToken()) {
            list.add(value(token, path + "[" + list.size() + "]"));
        }
        return list;
    }

    private JsonNode scalar(JsonToken token, String path) throws IOException {
        String text = parser.getText();
        if (((YAMLParser) parser).isCurrentAlias()) {
            // Jackson gives the anchor's name as the value: never let that through as if it were one.
            alias = alias.or(() -> Optional.of(new Alias(path, text)));
            return JsonNodeFactory.instance.nullNode();
        }
        JsonNode value = switch (token) {
            case VALUE_NULL -> JsonNodeFactory.instance.nullNode();
            case VALUE_TRUE, VALUE_FALSE -> CORE_BOOLEAN.matcher(text).matches()
                    ? JsonNodeFactory.instance.booleanNode(token == JsonToken.VALUE_TRUE) : null;
            case VALUE_NUMBER_INT -> integer(text);
            case VALUE_NUMBER_FLOAT -> CORE_FLOAT.matcher(text).matches()
                    ? JsonNodeFactory.instance.numberNode(Double.parseDouble(text)) : null;
            default -> null;
        };
        if (value == null) {
            return JsonNodeFactory.instance.textNode(text);
        }
        if (!value.isNull() && !value.asText().equals(text)) {
            written.put(path, text);
        }
        return value;
    }

    private static JsonNode integer(String text) {
        if (CORE_DECIMAL.matcher(text).matches()) {
            return JsonNodeFactory.instance.numberNode(new BigInteger(text));
        }
        if (CORE_HEXADECIMAL.matcher(text).matches()) {
            return JsonNodeFactory.instance.numberNode(new BigInteger(text.substring(2), 16));
        }
        return null;
    }

    private static LoaderOptions codePointLimit(int limit) {
        LoaderOptions options = new LoaderOptions();
        options.setCodePointLimit(limit);
        return options;
    }
}
