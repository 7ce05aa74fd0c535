package org.thespian.config;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.DoublePredicate;
import java.util.stream.Collectors;

/** A JSON value with its path in the document, so that every check can say where it failed and what it found. */
final class JsonValue {

    /** Reads one JSON value into a model object. */
    @FunctionalInterface
    interface Reader<T> {
        T read(JsonValue value) throws ConfigException;
    }

    /** Long strings are cut in messages: the path already says where the value is. */
    private static final int MAX_QUOTED_LENGTH = 60;

    private final JsonNode node;
    private final String path;

    JsonValue(JsonNode node, String path) {
        this.node = node;
        this.path = path;
    }

    static String childPath(String parent, String key) {
        return parent.isEmpty() ? key : parent + "." + key;
    }

    static String elementPath(String parent, int index) {
        return parent + "[" + index + "]";
    }

    /** The JSON text of {@code text} as a string literal, for quoting keys and values in messages. */
    static String quote(String text) {
        return TextNode.valueOf(text).toString();
    }

    JsonNode node() {
        return node;
    }

    /** Where this value is in the document, e.g. {@code grpc_method_a.rate_limit}. */
    String path() {
        return path;
    }

    /** True for a missing key and for an explicit {@code null}: optional values may be given either way. */
    boolean isAbsent() {
        return node.isMissingNode() || node.isNull();
    }

    ConfigException error(String problem) {
        return new ConfigException(path, problem);
    }

    ConfigException expected(String what) {
        return error("expected " + what + ", got " + describe());
    }

    /** The value of {@code key}; absent keys give a value for which {@link #isAbsent()} is true. */
    JsonValue get(String key) {
        return new JsonValue(node.path(key), childPath(path, key));
    }

    /** Checks that this is an object whose keys are all {@code allowed} and include every one of {@code required}. */
    void checkObject(List<String> allowed, List<String> required) throws ConfigException {
        requireObject();
        for (String key : keys()) {
            if (!allowed.contains(key)) {
                throw error("unknown key " + quote(key) + " (expected one of: " + String.join(", ", allowed) + ")");
            }
        }
        for (String key : required) {
            if (!node.has(key)) {
                throw error("missing required key " + quote(key));
            }
        }
    }

    /**
     * The single key and its value of an externally tagged {@code kind}, such as {@code {"Sleep": {...}}} for an
     * action; the key must be one of {@code tags}.
     */
    /**
     * An object of exactly one key, which must be the name of one of {@code tags}' constants (named as the JSON
     * writes them, in the order messages list them): that constant and the key's value. A switch over the constant
     * is checked by the compiler to handle every tag.
     */
    <T extends Enum<T>> Map.Entry<T, JsonValue> variant(String kind, Class<T> tags) throws ConfigException {
        Map.Entry<String, JsonValue> variant = variant(kind, Arrays.stream(tags.getEnumConstants()).map(Enum::name)
                .toList());
        return Map.entry(Enum.valueOf(tags, variant.getKey()), variant.getValue());
    }

    private Map.Entry<String, JsonValue> variant(String kind, List<String> tags) throws ConfigException {
        requireObject();
        List<String> keys = keys();
        if (keys.size() != 1) {
            String found = keys.isEmpty() ? "none" : keys.size() + ": " + quoteAll(keys);
            throw error(article(kind) + kind + " must have exactly one key (" + choices(tags) + "), found " + found);
        }
        String tag = keys.get(0);
        if (!tags.contains(tag)) {
            throw error("unknown " + kind + " " + quote(tag) + " (expected " + choices(tags) + ")");
        }
        return Map.entry(tag, get(tag));
    }

    <T> List<T> elements(Reader<T> reader) throws ConfigException {
        if (!node.isArray()) {
            throw expected("an array");
        }
        List<T> elements = new ArrayList<>(node.size());
        for (int i = 0; i < node.size(); i++) {
            elements.add(reader.read(new JsonValue(node.get(i), elementPath(path, i))));
        }
        return elements;
    }

    /** The values of an object, each read by {@code reader}, by key in the order written. */
    <T> Map<String, T> entries(Reader<T> reader) throws ConfigException {
        requireObject();
        Map<String, T> entries = new LinkedHashMap<>();
        for (String key : keys()) {
            entries.put(key, reader.read(get(key)));
        }
        return entries;
    }

    /** A whole number from {@code min} to {@code max}, such as a count. */
    int wholeNumber(int min, int max) throws ConfigException {
        if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
            throw expected("a whole number from " + min + " to " + max);
        }
        return node.intValue();
    }

    boolean bool() throws ConfigException {
        if (!node.isBoolean()) {
            throw expected("true or false");
        }
        return node.booleanValue();
    }

    /** A string, number or boolean, as text: numbers as written in the document. */
    String scalarText() throws ConfigException {
        if (!node.isTextual() && !node.isNumber() && !node.isBoolean()) {
            throw expected("a string, number or boolean");
        }
        return node.asText();
    }

    String nonBlankString() throws ConfigException {
        if (!node.isTextual() || InvisibleText.isInvisible(node.asText())) {
            throw expected("a non-blank string");
        }
        return node.asText();
    }

    Optional<String> optionalNonBlankString() throws ConfigException {
        return isAbsent() ? Optional.empty() : Optional.of(nonBlankString());
    }

    long nonNegativeLong() throws ConfigException {
        if (!node.isIntegralNumber() || node.bigIntegerValue().signum() < 0) {
            throw expected("a non-negative integer");
        }
        if (!node.canConvertToLong()) {
            throw expected("a non-negative integer of at most " + Long.MAX_VALUE);
        }
        return node.longValue();
    }

    /** A finite number of at least 0, whole or not, such as a time in milliseconds. */
    double nonNegativeNumber() throws ConfigException {
        return finiteNumber("a number of at least 0", value -> value >= 0);
    }

    /** A finite number above 0, such as a mean or a standard deviation. */
    double positiveNumber() throws ConfigException {
        return finiteNumber("a number above 0", value -> value > 0);
    }

    private double finiteNumber(String what, DoublePredicate allowed) throws ConfigException {
        if (!node.isNumber() || !Double.isFinite(node.doubleValue()) || !allowed.test(node.doubleValue())) {
            throw expected(what);
        }
        return node.doubleValue();
    }

    /** A number from 0 to 1, such as a probability. */
    double fraction() throws ConfigException {
        if (!node.isNumber() || node.doubleValue() < 0 || node.doubleValue() > 1) {
            throw expected("a number from 0 to 1");
        }
        return node.doubleValue();
    }

    /** This value if it is one of the strings {@code allowed}, exactly as written there. */
    String oneOf(List<String> allowed) throws ConfigException {
        if (!node.isTextual() || !allowed.contains(node.asText())) {
            throw expected(choices(allowed));
        }
        return node.asText();
    }

    private void requireObject() throws ConfigException {
        if (!node.isObject()) {
            throw expected("an object");
        }
    }

    private List<String> keys() {
        List<String> keys = new ArrayList<>(node.size());
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private String describe() {
        if (node.isContainerNode()) {
            return node.isObject() ? "an object" : "an array";
        }
        String json = node.toString();
        return json.length() <= MAX_QUOTED_LENGTH ? json : json.substring(0, MAX_QUOTED_LENGTH) + "…";
    }

    private static String article(String noun) {
        return "aeiou".indexOf(noun.charAt(0)) >= 0 ? "an " : "a ";
    }

    private static String quoteAll(List<String> texts) {
        return texts.stream().map(JsonValue::quote).collect(Collectors.joining(", "));
    }

    /** {@code "A" or "B"} for two choices, {@code one of "A", "B", "C"} for more. */
    private static String choices(List<String> choices) {
        return choices.size() == 2
                ? quote(choices.get(0)) + " or " + quote(choices.get(1))
                : "one of " + quoteAll(choices);
    }
}
