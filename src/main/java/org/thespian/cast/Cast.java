package org.thespian.cast;

import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.function.IntUnaryOperator;
import java.util.stream.IntStream;
import org.thespian.config.Config;

/**
 * A topology in one file: named members, each an ordinary Thespian config. A member's name is its service name
 * and its host name inside the cast, wherever the cast runs (one JVM, Compose, Kubernetes).
 */
public record Cast(String name, List<Member> members) {

    /** The port every member listens on inside Compose and Kubernetes, and the one peers call. */
    public static final int MEMBER_PORT = 6379;
    /** The admin token a member may set in its env; generated files pass it on without writing it into a spec. */
    public static final String ADMIN_TOKEN = "THESPIAN_ADMIN_TOKEN";

    public Cast {
        members = List.copyOf(members);
    }

    /**
     * @param port     where the member (its first replica) listens when the cast runs in one JVM
     * @param replicas instances of the member: in one JVM each on a port of its own, in Compose and Kubernetes each
     *                 a container or pod
     * @param env      extra environment for the member, in the cast's order (generated files list it so, run after run)
     */
    public record Member(String name, int port, MemberConfig config, int replicas, Map<String, String> env) {
        public Member {
            env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
        }

        /** Its replicas, numbered from 1. */
        public List<Replica> instances() {
            return IntStream.rangeClosed(1, replicas).mapToObj(number -> new Replica(this, number)).toList();
        }

        /** Serves the admin service to anyone who reaches it: THESPIAN_ADMIN=true and no THESPIAN_ADMIN_TOKEN. */
        public boolean servesOpenAdmin() {
            return "true".equals(env.get("THESPIAN_ADMIN")) && !env.containsKey(ADMIN_TOKEN);
        }
    }

    /** One instance of a member, {@code number} from 1 to its replicas. */
    public record Replica(Member member, int number) {
        /** {@code <member>-<number>}: its {@code service.instance.id}, the name a fault plan reaches it alone by. */
        public String instanceId() {
            return member.name() + "-" + number;
        }
    }

    /**
     * A member's config, parsed, with the text it came from so generators can ship it unchanged.
     *
     * @param text the file's text, or the inline mapping written as JSON
     * @param file the config file, for configs given by path
     */
    public record MemberConfig(Config config, String text, Optional<Path> file) {

        /** Its name inside a container: CONFIG_FILE takes .json and .jsonc, and a .jsonc file stays one. */
        public String fileName() {
            boolean jsonc = file.map(path -> path.getFileName().toString().toLowerCase(Locale.ROOT).endsWith(".jsonc"))
                    .orElse(false);
            return jsonc ? "config.jsonc" : "config.json";
        }
    }

    /** This cast with each member listening on another port, e.g. free ones picked for a demo or a test. */
    public Cast withPorts(IntUnaryOperator portOfMemberAt) {
        return new Cast(name, IntStream.range(0, members.size()).mapToObj(i -> {
            Member member = members.get(i);
            return new Member(member.name(), portOfMemberAt.applyAsInt(i), member.config(), member.replicas(),
                    member.env());
        }).toList());
    }
}
