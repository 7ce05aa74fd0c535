package org.thespian.cast;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.thespian.cast.Cast.Member;
import org.thespian.cast.Cast.MemberConfig;
import org.thespian.config.Config;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigParser;
import org.thespian.config.TextFile;
import org.thespian.server.InstanceId;

/**
 * Reads a cast file ({@code .cast.yaml} or {@code .cast.json}, see docs/casts.md) and every member config it names,
 * checking all of it before anything starts.
 */
public final class CastParser {

    /** Where a cast's relative config paths are read from: the cast file's folder, or the bundled demo. */
    public interface ConfigFiles {
        /** The text of {@code relativePath}, and the file it came from when it is one. */
        MemberConfigText read(String relativePath) throws IOException;
    }

    public record MemberConfigText(String text, Optional<Path> file) {
    }

    private static final int MAX_MEMBERS = 1000;
    private static final int MAX_REPLICAS = 1000;
    /** Member names are host names in Compose and Service names in Kubernetes: RFC 1035 labels. */
    private static final Pattern DNS_LABEL = Pattern.compile("[a-z]([-a-z0-9]{0,61}[a-z0-9])?");
    private static final Pattern MEMBER_PATH = Pattern.compile("members\\[(\\d+)\\]");
    private static final Pattern ENV_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    /**
     * The cast sets these for each member (the instance id for each replica, or the host name in Compose and
     * Kubernetes); a member's own value would contradict the cast.
     */
    private static final List<String> SET_BY_THE_CAST = List.of("PORT", "SERVICE_NAME", "CONFIG_JSON", "CONFIG_FILE",
            InstanceId.VARIABLE);
    private static final List<String> CAST_KEYS = List.of("name", "members");
    private static final List<String> MEMBER_KEYS = List.of("name", "port", "config", "replicas", "env");
    private static final List<String> MEMBER_REQUIRED = List.of("name", "port", "config");

    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();

    private CastParser() {
    }

    /** Reads {@code file}; relative config paths start from its folder. */
    public static Cast parse(Path file) throws CastException {
        String origin = file.toString();
        String text;
        try {
            text = TextFile.read(file);
        } catch (TextFile.Unreadable e) {
            throw new CastException(origin + ": " + e.getMessage());
        }
        Path folder = file.toAbsolutePath().getParent();
        return parse(origin, text, relative -> {
            Path config = folder.resolve(relative).normalize();
            return new MemberConfigText(TextFile.read(config), Optional.of(config));
        });
    }

    /** @param origin the cast's name in messages (its file name) */
    public static Cast parse(String origin, String text, ConfigFiles configs) throws CastException {
        String lower = origin.toLowerCase(Locale.ROOT);
        boolean json = lower.endsWith(".json");
        if (!json && !lower.endsWith(".yaml") && !lower.endsWith(".yml")) {
            throw new CastException(origin + ": expected a .cast.yaml or .cast.json file");
        }
        YamlTree.Document document = tree(origin, text, json);
        JsonNode root = document.root();
        if (root.isMissingNode()) {
            throw new CastException(origin + ": the cast is empty (expected a mapping with name and members)");
        }
        if (document.alias().isPresent()) {
            throw aliasIn(origin, root, document.alias().get());
        }
        return new Reading(origin, configs, document).cast(root);
    }

    private static YamlTree.Document tree(String origin, String text, boolean json) throws CastException {
        String format = json ? "JSON" : "YAML";
        try {
            return json ? new YamlTree.Document(JSON.readTree(text), Map.of(), Optional.empty()) : YamlTree.read(text);
        } catch (JsonProcessingException e) {
            JsonLocation at = e.getLocation();
            String where = at == null ? "" : " at line " + at.getLineNr() + ", column " + at.getColumnNr();
            throw new CastException(origin + ": invalid " + format + where + ": " + oneLine(e.getOriginalMessage()));
        } catch (IOException e) {
            throw new CastException(origin + ": " + ioProblem(e));
        }
    }

    /** An alias is refused where it stands, with the member it is in when that member has a name. */
    private static CastException aliasIn(String origin, JsonNode root, YamlTree.Alias alias) {
        Matcher member = MEMBER_PATH.matcher(alias.path());
        JsonNode name = member.lookingAt()
                ? root.path("members").path(Integer.parseInt(member.group(1))).path("name") : MissingNode.getInstance();
        return new Place(origin, name.isTextual() ? name.asText() : "", alias.path(), MissingNode.getInstance())
                .problem("*" + alias.name() + " is a YAML alias, which a cast does not resolve: write the value itself");
    }

    /** One pass over the tree, with the cast's origin and config folder for messages and paths. */
    private record Reading(String origin, ConfigFiles configs, YamlTree.Document document) {

        Cast cast(JsonNode root) throws CastException {
            Place top = new Place(origin, "", root);
            top.checkMapping(CAST_KEYS, CAST_KEYS);
            String name = top.get("name").dnsLabel();
            Place members = top.get("members");
            if (!members.node.isArray() || members.node.isEmpty() || members.node.size() > MAX_MEMBERS) {
                throw members.expected("a list of 1 to " + MAX_MEMBERS + " members");
            }
            List<Member> list = new ArrayList<>();
            Set<String> names = new HashSet<>();
            Map<Integer, String> ports = new LinkedHashMap<>();
            for (int i = 0; i < members.node.size(); i++) {
                Member member = member(members.element(i));
                Place at = members.element(i).inMember(member.name());
                if (!names.add(member.name())) {
                    throw at.get("name").problem("another member is already named \"" + member.name() + "\"");
                }
                String other = ports.putIfAbsent(member.port(), member.name());
                if (other != null) {
                    throw at.get("port").problem("member \"" + other + "\" already listens on " + member.port());
                }
                list.add(member);
            }
            List<String> memberNames = list.stream().map(Member::name).toList();
            for (int i = 0; i < list.size(); i++) {
                Optional<String> unknown = MemberAddresses.unknownMember(list.get(i).config().config(), memberNames);
                if (unknown.isPresent()) {
                    Place config = members.element(i).inMember(list.get(i).name()).get("config");
                    throw new CastException(config.memberPrefix() + inConfig(config) + unknown.get());
                }
            }
            return new Cast(name, list);
        }

        private Member member(Place place) throws CastException {
            place.checkMapping(MEMBER_KEYS, MEMBER_REQUIRED);
            String name = place.get("name").dnsLabel();
            Place member = place.inMember(name);
            int port = member.get("port").wholeNumber(1, 65535);
            Place replicas = member.get("replicas");
            return new Member(name, port, config(member.get("config")),
                    replicas.isAbsent() ? 1 : replicas.wholeNumber(1, MAX_REPLICAS),
                    env(member.get("env")));
        }

        private MemberConfig config(Place place) throws CastException {
            if (place.node.isObject()) {
                String json = place.node.toPrettyString();
                return new MemberConfig(parseConfig(json, place, inConfig(place)), json, Optional.empty());
            }
            if (!place.node.isTextual() || place.node.asText().isBlank()) {
                throw place.expected("a path to a .json or .jsonc config, relative to the cast file, or the config"
                        + " itself as a mapping");
            }
            String relative = place.node.asText();
            String lower = relative.toLowerCase(Locale.ROOT);
            if (!lower.endsWith(".json") && !lower.endsWith(".jsonc")) {
                throw place.problem("expected a .json or .jsonc file, got \"" + relative + "\"");
            }
            MemberConfigText text;
            try {
                text = configs.read(relative);
            } catch (IOException | InvalidPathException e) {
                throw place.problem(relative + ": " + ioProblem(e));
            }
            return new MemberConfig(parseConfig(text.text(), place, inConfig(place)), text.text(), text.file());
        }

        /** What goes before a JSON path inside a member's config: its place in the cast, or its file. */
        private static String inConfig(Place config) {
            return config.node.isObject() ? config.path + "." : "config " + config.node.asText() + ": ";
        }

        private static Config parseConfig(String json, Place place, String prefix) throws CastException {
            try {
                return ConfigParser.parse(json);
            } catch (ConfigException e) {
                throw new CastException(place.memberPrefix() + prefix + e.getMessage());
            }
        }

        /** Values are taken as the text written: {@code yes} stays yes and {@code 0777} stays 0777. */
        private Map<String, String> env(Place place) throws CastException {
            if (place.isAbsent()) {
                return Map.of();
            }
            if (!place.node.isObject()) {
                throw place.expected("a mapping of variable names to values");
            }
            Map<String, String> env = new LinkedHashMap<>();
            for (Map.Entry<String, JsonNode> entry : place.node.properties()) {
                Place value = place.get(entry.getKey());
                if (!ENV_NAME.matcher(entry.getKey()).matches()) {
                    throw value.problem("not an environment variable name");
                }
                if (SET_BY_THE_CAST.contains(entry.getKey())) {
                    throw value.problem("the cast sets " + String.join(", ", SET_BY_THE_CAST) + " itself");
                }
                if (!entry.getValue().isValueNode() || entry.getValue().isNull()) {
                    throw value.expected("a string, number or boolean");
                }
                env.put(entry.getKey(), document.textAt(value.path, entry.getValue()));
            }
            return env;
        }
    }

    /** A node, its path in the cast, and the member it belongs to (when known), for messages. */
    private record Place(String origin, String member, String path, JsonNode node) {

        Place(String origin, String path, JsonNode node) {
            this(origin, "", path, node);
        }

        Place inMember(String name) {
            return new Place(origin, name, path, node);
        }

        Place get(String key) {
            return new Place(origin, member, path.isEmpty() ? key : path + "." + key, node.path(key));
        }

        Place element(int index) {
            return new Place(origin, member, path + "[" + index + "]", node.get(index));
        }

        boolean isAbsent() {
            return node.isMissingNode() || node.isNull();
        }

        String memberPrefix() {
            return origin + ": " + (member.isEmpty() ? "" : "member \"" + member + "\": ");
        }

        CastException problem(String problem) {
            return new CastException(memberPrefix() + (path.isEmpty() ? "" : path + ": ") + problem);
        }

        CastException expected(String what) {
            String found = node.isMissingNode() ? "nothing" : node.isContainerNode()
                    ? (node.isObject() ? "a mapping" : "a list") : abbreviated(node.toString());
            return problem("expected " + what + ", got " + found);
        }

        void checkMapping(List<String> allowed, List<String> required) throws CastException {
            if (!node.isObject()) {
                throw expected("a mapping");
            }
            for (String key : (Iterable<String>) node::fieldNames) {
                if (!allowed.contains(key)) {
                    throw get(key).problem("unknown key (expected one of: " + String.join(", ", allowed) + ")");
                }
            }
            for (String key : required) {
                if (!node.has(key)) {
                    throw problem("missing required key \"" + key + "\"");
                }
            }
        }

        String dnsLabel() throws CastException {
            if (!node.isTextual() || !DNS_LABEL.matcher(node.asText()).matches()) {
                throw expected("a name of lowercase letters, digits and '-', starting with a letter, at most 63"
                        + " characters (it becomes a host name)");
            }
            return node.asText();
        }

        int wholeNumber(int min, int max) throws CastException {
            if (!node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < min || node.intValue() > max) {
                throw expected("a whole number from " + min + " to " + max);
            }
            return node.intValue();
        }
    }

    /** Reads a bundled file of the classpath, for the built-in demo. */
    public static String resource(String name) throws IOException {
        try (InputStream in = CastParser.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new NoSuchFileException(name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    private static String ioProblem(Exception e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof TextFile.Unreadable) {
            return e.getMessage();
        }
        return "cannot read: " + oneLine(String.valueOf(e.getMessage()));
    }

    private static String oneLine(String text) {
        return text.replaceAll("\\s+", " ").strip();
    }

    private static String abbreviated(String text) {
        return text.length() <= 60 ? text : text.substring(0, 60) + "…";
    }
}
