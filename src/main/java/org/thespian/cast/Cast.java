package org.thespian.cast;

import java.nio.file.Path;
import java.util.List;
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

    public Cast {
        members = List.copyOf(members);
    }

    /**
     * @param port     where the member listens when the cast runs in one JVM
     * @param replicas instances in Compose and Kubernetes (one JVM runs one)
     * @param env      extra environment for the member
     */
    public record Member(String name, int port, MemberConfig config, int replicas, Map<String, String> env) {
        public Member {
            env = Map.copyOf(env);
        }

        /** Serves the admin service to anyone who reaches it: THESPIAN_ADMIN=true and no THESPIAN_ADMIN_TOKEN. */
        public boolean servesOpenAdmin() {
            return "true".equals(env.get("THESPIAN_ADMIN")) && !env.containsKey("THESPIAN_ADMIN_TOKEN");
        }
    }

    /**
     * A member's config, parsed, with the text it came from so generators can ship it unchanged.
     *
     * @param text the file's text, or the inline mapping written as JSON
     * @param file the config file, for configs given by path
     */
    public record MemberConfig(Config config, String text, Optional<Path> file) {
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
