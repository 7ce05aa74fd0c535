package org.thespian.cast;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.dataformat.yaml.YAMLMapper;
import com.fasterxml.jackson.dataformat.yaml.util.StringQuotingChecker;
import java.util.regex.Pattern;

/** Writes generated manifests: block style, quotes only where YAML would read another type, multi-line text as a literal block. */
final class YamlText {

    private static final YAMLMapper MAPPER = new YAMLMapper(YAMLFactory.builder()
            .disable(YAMLGenerator.Feature.WRITE_DOC_START_MARKER)
            .enable(YAMLGenerator.Feature.MINIMIZE_QUOTES)
            .enable(YAMLGenerator.Feature.ALWAYS_QUOTE_NUMBERS_AS_STRINGS)
            .enable(YAMLGenerator.Feature.LITERAL_BLOCK_STYLE)
            .enable(YAMLGenerator.Feature.INDENT_ARRAYS_WITH_INDICATOR)
            .disable(YAMLGenerator.Feature.SPLIT_LINES) // a folded line is valid YAML, but hard to read and to grep
            .stringQuotingChecker(new AnyReadersText())
            .build());


    /**
     * Jackson quotes what YAML 1.1 reads as another type; Compose reads YAML 1.2, where {@code 0o17} is a number,
     * and Kubernetes YAML 1.1, where {@code 1:30} (base 60) may be: text such as an env value is quoted for both.
     */
    private static final class AnyReadersText extends StringQuotingChecker.Default {
        private static final Pattern OTHER_NUMBER = Pattern.compile("[-+]?0o[0-7]+|[-+]?[0-9][0-9_]*(:[0-5]?[0-9])+(\\.[0-9_]*)?");

        @Override
        public boolean needToQuoteValue(String value) {
            return super.needToQuoteValue(value) || OTHER_NUMBER.matcher(value).matches();
        }
    }

    private YamlText() {
    }

    static ObjectNode object() {
        return JsonNodeFactory.instance.objectNode();
    }

    static String write(JsonNode document) {
        try {
            return MAPPER.writeValueAsString(document);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a tree of plain nodes always serializes", e);
        }
    }
}
