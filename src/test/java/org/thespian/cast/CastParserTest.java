package org.thespian.cast;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.thespian.cast.Cast.Member;
import org.thespian.config.Method;

class CastParserTest {

    static final Path SHOP = Path.of(System.getProperty("thespian.basedir", "")).toAbsolutePath()
            .resolve("example-configs/shop.cast.yaml");

    private static final String SLEEPER = """
            {"grpc_method_a": {"tracing_name": "work", "operations": [
               {"Action": {"Sleep": {"tracing_name": "nap", "duration_ms": 1}}}]}}""";

    @TempDir
    Path dir;

    @Test
    void theShopCastReadsItsMemberFilesRelativeToTheCast() throws CastException {
        Cast shop = CastParser.parse(SHOP);
        assertEquals("shop", shop.name());
        assertEquals(List.of("frontend", "catalog", "checkout", "payment", "inventory"),
                shop.members().stream().map(Member::name).toList());
        assertEquals(List.of(6379, 6380, 6381, 6382, 6383), shop.members().stream().map(Member::port).toList());
        Member payment = shop.members().get(3);
        assertEquals(2, payment.replicas());
        assertEquals(1, shop.members().get(0).replicas());
        assertEquals(Optional.of(SHOP.getParent().resolve("shop/payment.jsonc")), payment.config().file());
        assertTrue(payment.config().config().function(Method.B).isPresent());
        assertTrue(payment.config().text().startsWith("// The flaky dependency"), "the file's text, unchanged");
    }

    @Test
    void aMemberServingTheAdminServiceWithoutATokenIsToldApart() throws CastException {
        Cast cast = CastParser.parse("admins.cast.yaml", """
                name: admins
                members:
                  - {name: open, port: 7000, config: {}, env: {THESPIAN_ADMIN: "true"}}
                  - {name: guarded, port: 7001, config: {}, env: {THESPIAN_ADMIN: "true", THESPIAN_ADMIN_TOKEN: t0k}}
                  - {name: none, port: 7002, config: {}}
                """, CastParserTest::noFiles);
        assertEquals(List.of(true, false, false), cast.members().stream().map(Member::servesOpenAdmin).toList());
    }

    @Test
    void configsMayBeInlineMappingsAndEnvValuesAnyScalar() throws CastException {
        Cast cast = CastParser.parse("inline.cast.yaml", """
                name: tiny
                members:
                  - name: solo
                    port: 7000
                    env: {THESPIAN_LOG_LEVEL: WARN, THESPIAN_SEED: 42}
                    config:
                      grpc_method_a:
                        tracing_name: work
                        operations:
                          - Action: {Sleep: {tracing_name: nap, duration_ms: 5, failure_chance: 0.5}}
                """, CastParserTest::noFiles);
        Member solo = cast.members().get(0);
        assertEquals(Map.of("THESPIAN_LOG_LEVEL", "WARN", "THESPIAN_SEED", "42"), solo.env());
        assertEquals(Optional.empty(), solo.config().file());
        assertTrue(solo.config().config().function(Method.A).isPresent());
        assertTrue(solo.config().text().contains("\"failure_chance\" : 0.5"), solo.config().text());
    }

    @Test
    void jsonCastsWork() throws CastException {
        Cast cast = CastParser.parse("x.cast.json", """
                {"name": "j", "members": [{"name": "a", "port": 7001, "config": %s}]}""".formatted(SLEEPER),
                CastParserTest::noFiles);
        assertEquals("a", cast.members().get(0).name());
    }

    @Test
    void envValuesAreTheTextWrittenNotWhatYaml11MakesOfIt() throws CastException {
        Cast cast = CastParser.parse("env.cast.yaml", """
                name: env
                members:
                  - name: solo
                    port: 7000
                    config: {}
                    env: {A_YES: yes, A_OFF: off, A_OCTAL: 0777, A_HEX: 0x1F, A_TRUE: True, A_FLOAT: 1e3, A_TEXT: "007"}
                """, CastParserTest::noFiles);
        assertEquals(Map.of("A_YES", "yes", "A_OFF", "off", "A_OCTAL", "0777", "A_HEX", "0x1F", "A_TRUE", "True",
                "A_FLOAT", "1e3", "A_TEXT", "007"), cast.members().get(0).env());
    }

    @Test
    void otherScalarsFollowYaml12NotYaml11() throws CastException {
        Cast cast = CastParser.parse("core.cast.yaml", """
                name: core
                members:
                  - name: solo
                    port: 07000
                    replicas: 0x0A
                    config:
                      grpc_method_a:
                        tracing_name: no
                        operations: []
                """, CastParserTest::noFiles);
        Member solo = cast.members().get(0);
        assertEquals(7000, solo.port(), "a leading zero does not make a number octal");
        assertEquals(10, solo.replicas());
        assertTrue(solo.config().text().contains("\"tracing_name\" : \"no\""), solo.config().text());
    }

    @Test
    void anAliasIsRefusedWhereItStandsAndNeverReadAsItsAnchorsName() {
        CastException error = assertThrows(CastException.class, () -> CastParser.parse("alias.cast.yaml", """
                name: alias
                members:
                  - name: first
                    port: 7000
                    config: {}
                    env: {THESPIAN_ADMIN_TOKEN: &tok s3cret}
                  - name: second
                    port: 7001
                    config: {}
                    env: {THESPIAN_ADMIN: "true", THESPIAN_ADMIN_TOKEN: *tok}
                """, CastParserTest::noFiles));
        assertEquals("alias.cast.yaml: member \"second\": members[1].env.THESPIAN_ADMIN_TOKEN: *tok is a YAML alias,"
                + " which a cast does not resolve: write the value itself", error.getMessage());

        CastException shared = assertThrows(CastException.class, () -> CastParser.parse("alias.cast.yaml", """
                name: alias
                members:
                  - {name: first, port: 7000, config: &shared {}}
                  - {config: *shared, name: second, port: 7001}
                """, CastParserTest::noFiles));
        assertTrue(shared.getMessage().startsWith("alias.cast.yaml: member \"second\": members[1].config: *shared is a"
                + " YAML alias"), shared.getMessage());
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(delimiter = '|', textBlock = """
            not a mapping        | - a                                               | c.cast.yaml: expected a mapping, got a list
            unknown key          | {name: s, members: [], extra: 1}                  | c.cast.yaml: extra: unknown key (expected one of: name, members)
            no members           | {name: s, members: []}                            | c.cast.yaml: members: expected a list of 1 to 1000 members, got a list
            bad cast name        | {name: Shop, members: [{name: a, port: 1, config: {}}]} | c.cast.yaml: name: expected a name of lowercase letters
            member name          | {name: s, members: [{name: a_b, port: 1, config: {}}]}  | c.cast.yaml: members[0].name: expected a name of lowercase
            missing port         | {name: s, members: [{name: a, config: {}}]}       | c.cast.yaml: members[0]: missing required key "port"
            port range           | {name: s, members: [{name: a, port: 70000, config: {}}]} | c.cast.yaml: member "a": members[0].port: expected a whole number from 1 to 65535, got 70000
            port text            | {name: s, members: [{name: a, port: "80", config: {}}]}  | c.cast.yaml: member "a": members[0].port: expected a whole number from 1 to 65535, got "80"
            replicas             | {name: s, members: [{name: a, port: 1, replicas: 0, config: {}}]} | c.cast.yaml: member "a": members[0].replicas: expected a whole number from 1 to 1000, got 0
            same name            | {name: s, members: [{name: a, port: 1, config: {}}, {name: a, port: 2, config: {}}]} | c.cast.yaml: member "a": members[1].name: another member is already named "a"
            same port            | {name: s, members: [{name: a, port: 1, config: {}}, {name: b, port: 1, config: {}}]} | c.cast.yaml: member "b": members[1].port: member "a" already listens on 1
            env not a mapping    | {name: s, members: [{name: a, port: 1, config: {}, env: [X]}]} | c.cast.yaml: member "a": members[0].env: expected a mapping of variable names to values, got a list
            env set by the cast  | {name: s, members: [{name: a, port: 1, config: {}, env: {PORT: 1}}]} | c.cast.yaml: member "a": members[0].env.PORT: the cast sets PORT, SERVICE_NAME, CONFIG_JSON, CONFIG_FILE, THESPIAN_INSTANCE_ID itself
            instance id by env   | {name: s, members: [{name: a, port: 1, config: {}, env: {THESPIAN_INSTANCE_ID: a-9}}]} | c.cast.yaml: member "a": members[0].env.THESPIAN_INSTANCE_ID: the cast sets PORT, SERVICE_NAME, CONFIG_JSON, CONFIG_FILE, THESPIAN_INSTANCE_ID itself
            env bad name         | {name: s, members: [{name: a, port: 1, config: {}, env: {A-B: 1}}]} | c.cast.yaml: member "a": members[0].env.A-B: not an environment variable name
            env nested value     | {name: s, members: [{name: a, port: 1, config: {}, env: {A: {b: 1}}}]} | c.cast.yaml: member "a": members[0].env.A: expected a string, number or boolean, got a mapping
            inline config wrong  | {name: s, members: [{name: a, port: 1, config: {grpc_method_a: {tracing_name: t, operations: [{Action: {Sleep: {tracing_name: n, duration_ms: -5}}}]}}}]} | c.cast.yaml: member "a": members[0].config.grpc_method_a.operations[0].Action.Sleep.duration_ms: expected a non-negative integer, got -5
            config not a path    | {name: s, members: [{name: a, port: 1, config: 5}]} | c.cast.yaml: member "a": members[0].config: expected a path to a .json or .jsonc config
            config not json file | {name: s, members: [{name: a, port: 1, config: a.yaml}]} | c.cast.yaml: member "a": members[0].config: expected a .json or .jsonc file, got "a.yaml"
            missing config file  | {name: s, members: [{name: a, port: 1, config: none.jsonc}]} | c.cast.yaml: member "a": members[0].config: none.jsonc: no such file
            duplicate key        | {name: s, name: t}                                | c.cast.yaml: invalid YAML at line 1, column
            syntax               | 'name: [unclosed'                                 | c.cast.yaml: invalid YAML at line
            empty                | ''                                                | c.cast.yaml: the cast is empty
            """)
    void badCastsSayOneLineNamingTheFileTheMemberAndThePath(String what, String yaml, String expectedStart) {
        CastException error = assertThrows(CastException.class,
                () -> CastParser.parse("c.cast.yaml", yaml, CastParserTest::noFiles));
        assertTrue(error.getMessage().startsWith(expectedStart), () -> what + ": " + error.getMessage());
        assertFalse(error.getMessage().contains("\n"), "one line: " + error.getMessage());
    }

    @Test
    void aMistakeInAMemberFileNamesTheCastTheMemberTheFileAndThePathInIt() throws IOException {
        Files.writeString(dir.resolve("bad.jsonc"), """
                // a member config with a typo
                {"grpc_method_a": {"tracing_name": "t", "operations": [{"Action": {"Slep": {}}}]}}""");
        Path cast = dir.resolve("mine.cast.yaml");
        Files.writeString(cast, "name: m\nmembers:\n  - {name: api, port: 7002, config: bad.jsonc}\n");
        CastException error = assertThrows(CastException.class, () -> CastParser.parse(cast));
        assertTrue(error.getMessage().startsWith(cast + ": member \"api\": config bad.jsonc:"
                + " grpc_method_a.operations[0].Action: unknown action \"Slep\" (expected one of \"Sleep\""),
                error.getMessage());
    }

    @Test
    void aCallToABareNameThatIsNoMemberIsRefusedWithTheNearestMember() throws IOException {
        Files.writeString(dir.resolve("checkout.jsonc"), """
                {"grpc_method_a": {"tracing_name": "buy", "operations": [
                  {"Action": {"Sleep": {"tracing_name": "think", "duration_ms": 1}}},
                  {"ConcurrentActions": [
                    {"CallService": {"service_address": "http://payment", "service_port": "6379", "grpc_method": "B"}},
                    {"Function": {"tracing_name": "ship", "operations": [
                      {"Action": {"CallService": {"service_address": "http://shiping", "service_port": 6379,
                                                  "grpc_method": "A"}}}]}}]}]}}""");
        Path cast = dir.resolve("shop.cast.yaml");
        Files.writeString(cast, """
                name: shop
                members:
                  - {name: checkout, port: 7000, config: checkout.jsonc}
                  - {name: payment, port: 7001, config: {}}
                  - {name: shipping, port: 7002, config: {}}
                """);
        CastException error = assertThrows(CastException.class, () -> CastParser.parse(cast));
        assertEquals(cast + ": member \"checkout\": config checkout.jsonc: grpc_method_a.operations[1]"
                + ".ConcurrentActions[1].Function.operations[0].Action.CallService.service_address: http://shiping:6379"
                + " names no member of the cast (did you mean \"shipping\"?); a host outside the cast needs a dot, an IP"
                + " address, localhost or a service_port other than 6379", error.getMessage());

        String inline = """
                name: s
                members:
                  - {name: front, port: 7000, config: {grpc_method_b: {tracing_name: t, operations: [
                      {Action: {CallService: {service_address: Back, service_port: 6379, grpc_method: A}}}]}}}
                  - {name: back, port: 7001, config: {}}
                """;
        assertEquals("c.cast.yaml: member \"front\": members[0].config.grpc_method_b.operations[0].Action.CallService"
                + ".service_address: http://Back:6379 names no member of the cast (did you mean \"back\"?); a host"
                + " outside the cast needs a dot, an IP address, localhost or a service_port other than 6379",
                assertThrows(CastException.class, () -> CastParser.parse("c.cast.yaml", inline,
                        CastParserTest::noFiles)).getMessage());
    }

    @Test
    void callsToHostsOutsideTheCastAreLeftAlone() throws CastException {
        StringBuilder calls = new StringBuilder();
        for (String outside : List.of("\"db.internal\", 6379", "\"10.0.0.7\", 6379", "\"[::1]\", 6379",
                "\"localhost\", 6379", "\"http://LocalHost\", 6379", "\"redis\", 6380", "\"https://back\", 6379")) {
            calls.append(calls.length() == 0 ? "" : ",\n").append("{Action: {CallService: {service_address: ")
                    .append(outside.replace(", ", ", service_port: ")).append(", grpc_method: A}}}");
        }
        Cast cast = CastParser.parse("c.cast.yaml", """
                name: s
                members:
                  - {name: front, port: 7000, config: {grpc_method_a: {tracing_name: t, operations: [%s]}}}
                  - {name: back, port: 7001, config: {}}
                """.formatted(calls), CastParserTest::noFiles);
        assertEquals(2, cast.members().size());
    }

    @Test
    void castFilesNeedAYamlOrJsonName() throws IOException {
        Path cast = dir.resolve("cast.txt");
        Files.writeString(cast, "name: x\n");
        CastException error = assertThrows(CastException.class, () -> CastParser.parse(cast));
        assertEquals(cast + ": expected a .cast.yaml or .cast.json file", error.getMessage());
        assertEquals(dir.resolve("gone.cast.yaml") + ": no such file",
                assertThrows(CastException.class, () -> CastParser.parse(dir.resolve("gone.cast.yaml"))).getMessage());
    }

    static CastParser.MemberConfigText noFiles(String relative) throws IOException {
        throw new java.nio.file.NoSuchFileException(relative);
    }
}
