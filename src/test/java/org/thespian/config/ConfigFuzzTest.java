package org.thespian.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;

import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Random;
import java.util.function.Supplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Randomly mutated example configs either parse or fail with a ConfigException that says something: never another
 * exception, never a stack overflow. Case {@code i} uses {@code new Random(SEED + i)}, so a failure replays exactly.
 */
class ConfigFuzzTest {

    private static final long SEED = 0x7E5B1A4L;
    private static final int CASES = 2_000;
    private static final ObjectMapper MAPPER = JsonMapper.builder().enable(JsonReadFeature.ALLOW_JAVA_COMMENTS).build();
    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
    /** Stands in for a deeply nested value until the text is written: Jackson would refuse to write one. */
    private static final String DEEP = "@@deep@@";
    private static final Pattern KEY_AND_SCALAR =
            Pattern.compile("\"\\w+\"\\s*:\\s*(?:\"[^\"]*\"|-?[0-9.eE+]+|null|true|false)");
    private static final String NOISE = "{}[]\",:0123456789-.eE aAnulltrue\\/\n\t\u0000\u00e9\ud83d\u2028";

    /** A mutation being built: the tree, then its text, and what was done, for the report. */
    private static final class Mutant {
        final Random random;
        final JsonNode tree;
        final List<String> steps = new ArrayList<>();
        String text;

        Mutant(Random random, JsonNode tree) {
            this.random = random;
            this.tree = tree;
        }
    }

    @Test
    void mutatedConfigsParseOrFailWithAConfigException() {
        List<JsonNode> bases = Examples.all().stream().map(file -> readTree(Examples.read(file))).toList();
        List<String> failures = new ArrayList<>();
        int parsed = 0;
        int syntaxErrors = 0;
        for (int i = 0; i < CASES; i++) {
            Random random = new Random(SEED + i);
            Mutant mutant = mutate(new Mutant(random, bases.get(random.nextInt(bases.size())).deepCopy()));
            try {
                ConfigParser.parse(mutant.text);
                parsed++;
            } catch (ConfigException e) {
                syntaxErrors += e.getMessage().contains("invalid JSON") ? 1 : 0;
                if (e.getMessage().isBlank()) {
                    failures.add(report(i, mutant, "a ConfigException without a message"));
                }
            } catch (Throwable t) { // StackOverflowError included: that is what this test is for
                failures.add(report(i, mutant, t.toString()));
            }
        }
        assertEquals(List.of(), failures);
        int validationErrors = CASES - parsed - syntaxErrors;
        assertTrue(Math.min(parsed, Math.min(syntaxErrors, validationErrors)) > CASES / 50, "too one-sided to test much: "
                + parsed + " parsed, " + syntaxErrors + " syntax errors, " + validationErrors + " validation errors");
    }

    private static Mutant mutate(Mutant mutant) {
        Random random = mutant.random;
        int treeSteps = random.nextInt(3);
        int textSteps = treeSteps == 0 ? 1 + random.nextInt(2) : random.nextInt(2);
        for (int i = 0; i < treeSteps; i++) {
            mutateTree(mutant);
        }
        mutant.text = (random.nextBoolean() ? "// a comment line\n" : "") + write(mutant.tree, random.nextBoolean())
                .replace(NODES.textNode(DEEP).toString(), deep(mutant));
        for (int i = 0; i < textSteps; i++) {
            mutateText(mutant);
        }
        return mutant;
    }

    private static void mutateTree(Mutant mutant) {
        Random random = mutant.random;
        List<Slot> slots = slots(mutant.tree);
        if (slots.isEmpty()) {
            return;
        }
        Slot slot = slots.get(random.nextInt(slots.size()));
        switch (random.nextInt(4)) {
            case 0 -> {
                mutant.steps.add("delete " + slot);
                slot.remove();
            }
            case 1 -> {
                List<Slot> keys = slots.stream().filter(keyed -> keyed.key() != null).toList();
                if (keys.isEmpty()) {
                    return;
                }
                Slot key = keys.get(random.nextInt(keys.size()));
                String renamed = typo(key.key(), random);
                mutant.steps.add("rename " + key + " to " + renamed);
                key.rename(renamed);
            }
            case 2 -> {
                JsonNode value = randomValue(mutant);
                mutant.steps.add("replace " + slot + " with " + value);
                slot.set(value);
            }
            default -> {
                mutant.steps.add("nest deeply at " + slot);
                slot.set(NODES.textNode(DEEP));
            }
        }
    }

    private static void mutateText(Mutant mutant) {
        Random random = mutant.random;
        String text = mutant.text;
        int at = random.nextInt(text.length() + 1);
        switch (random.nextInt(4)) {
            case 0 -> {
                mutant.steps.add("truncate at " + at);
                mutant.text = text.substring(0, at);
            }
            case 1 -> {
                StringBuilder noise = new StringBuilder();
                random.ints(1 + random.nextInt(8), 0, NOISE.length()).forEach(c -> noise.append(NOISE.charAt(c)));
                mutant.steps.add("insert " + noise + " at " + at);
                mutant.text = text.substring(0, at) + noise + text.substring(at);
            }
            case 2 -> {
                int end = Math.min(text.length(), at + 1 + random.nextInt(20));
                mutant.steps.add("delete " + at + ".." + end);
                mutant.text = text.substring(0, at) + text.substring(end);
            }
            default -> {
                List<MatchSpan> pairs = MatchSpan.all(KEY_AND_SCALAR.matcher(text));
                if (!pairs.isEmpty()) {
                    MatchSpan pair = pairs.get(random.nextInt(pairs.size()));
                    mutant.steps.add("duplicate " + pair.text);
                    mutant.text = text.substring(0, pair.start) + pair.text + ", " + text.substring(pair.start);
                }
            }
        }
    }

    private static JsonNode randomValue(Mutant mutant) {
        List<Supplier<JsonNode>> values = List.of(
                NODES::nullNode, () -> NODES.booleanNode(true), () -> NODES.numberNode(0), () -> NODES.numberNode(-1),
                () -> NODES.numberNode(-5.5), () -> NODES.numberNode(0.5), () -> NODES.numberNode(Long.MAX_VALUE),
                () -> NODES.numberNode(BigInteger.TEN.pow(30)), () -> NODES.numberNode(new BigDecimal("1e400")),
                () -> NODES.textNode(""), () -> NODES.textNode(" "), () -> NODES.textNode("6379"),
                () -> NODES.textNode("A"), () -> NODES.textNode("http://localhost:6380/x"),
                () -> NODES.textNode("\ud83d\u0000" + mutant.random.nextLong()), NODES::objectNode, NODES::arrayNode,
                () -> NODES.objectNode().set("Sleep", NODES.objectNode()),
                () -> { // a well-formed piece of config in the wrong place
                    List<Slot> slots = slots(mutant.tree);
                    return slots.isEmpty() ? NODES.nullNode() : slots.get(mutant.random.nextInt(slots.size())).get().deepCopy();
                });
        return values.get(mutant.random.nextInt(values.size())).get();
    }

    /** Just under, at and far over the nesting limit, as arrays or as nested objects. */
    private static String deep(Mutant mutant) {
        int[] depths = {JsonDocument.MAX_NESTING_DEPTH - 10, JsonDocument.MAX_NESTING_DEPTH, 5_000, 200_000};
        int depth = depths[mutant.random.nextInt(depths.length)];
        return mutant.random.nextBoolean()
                ? "[".repeat(depth) + "]".repeat(depth)
                : "{\"Function\": ".repeat(depth) + "{}" + "}".repeat(depth);
    }

    private static String typo(String key, Random random) {
        int at = random.nextInt(key.length() + 1);
        return switch (random.nextInt(3)) {
            case 0 -> key.toUpperCase();
            case 1 -> key.substring(0, Math.max(0, at - 1)) + key.substring(at);
            default -> key + "_x";
        };
    }

    /** Every value in the tree below the root, with the container that holds it. */
    private static List<Slot> slots(JsonNode root) {
        List<Slot> slots = new ArrayList<>();
        Deque<JsonNode> containers = new ArrayDeque<>(List.of(root));
        while (!containers.isEmpty()) {
            JsonNode container = containers.pop();
            if (container.isObject()) {
                container.fieldNames().forEachRemaining(key -> slots.add(new Slot(container, key, -1)));
            } else {
                for (int i = 0; i < container.size(); i++) {
                    slots.add(new Slot(container, null, i));
                }
            }
            container.forEach(child -> {
                if (child.isContainerNode()) {
                    containers.push(child);
                }
            });
        }
        return slots;
    }

    /** A key of an object or an index of an array. */
    private record Slot(JsonNode container, String key, int index) {
        JsonNode get() {
            return key != null ? container.get(key) : container.get(index);
        }

        void set(JsonNode value) {
            if (key != null) {
                ((ObjectNode) container).set(key, value);
            } else {
                ((ArrayNode) container).set(index, value);
            }
        }

        void remove() {
            if (key != null) {
                ((ObjectNode) container).remove(key);
            } else {
                ((ArrayNode) container).remove(index);
            }
        }

        void rename(String newKey) {
            ((ObjectNode) container).set(newKey, ((ObjectNode) container).remove(key));
        }

        @Override
        public String toString() {
            return key != null ? key : "[" + index + "]";
        }
    }

    private record MatchSpan(int start, String text) {
        static List<MatchSpan> all(Matcher matcher) {
            List<MatchSpan> spans = new ArrayList<>();
            while (matcher.find()) {
                spans.add(new MatchSpan(matcher.start(), matcher.group()));
            }
            return spans;
        }
    }

    private static String report(int i, Mutant mutant, String outcome) {
        String text = mutant.text.length() > 400 ? mutant.text.substring(0, 400) + "..." : mutant.text;
        return "case " + i + " (new Random(" + (SEED + i) + ")): " + mutant.steps + " -> " + outcome + "\n" + text;
    }

    private static JsonNode readTree(String text) {
        try {
            return MAPPER.readTree(text);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String write(JsonNode tree, boolean pretty) {
        try {
            return pretty ? MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(tree) : MAPPER.writeValueAsString(tree);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
