package org.thespian.server;

import java.net.InetAddress;
import java.net.UnknownHostException;
import java.util.Map;
import java.util.Optional;

/**
 * Which instance of its service a process is ({@code service.instance.id}): THESPIAN_INSTANCE_ID, or else the host
 * name, which is the pod's name on Kubernetes and the container's id on Compose. A cast in one JVM names its
 * replicas {@code <member>-<i>} itself.
 */
public final class InstanceId {

    public static final String VARIABLE = "THESPIAN_INSTANCE_ID";

    private InstanceId() {
    }

    /** From the environment {@code env}; a blank value counts as unset. */
    public static String of(Map<String, String> env) {
        return given(env, VARIABLE).or(() -> given(env, "HOSTNAME")).orElseGet(() -> LocalHost.NAME);
    }

    private static Optional<String> given(Map<String, String> env, String variable) {
        return Optional.ofNullable(env.get(variable)).map(String::strip).filter(value -> !value.isEmpty());
    }

    /** Looked up once: resolving the local host can be slow where its name is not in /etc/hosts. */
    private static final class LocalHost {
        static final String NAME = lookUp();

        private static String lookUp() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (UnknownHostException e) {
                return "localhost";
            }
        }
    }
}
