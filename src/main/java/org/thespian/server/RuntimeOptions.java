package org.thespian.server;

import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * How a running Thespian may be changed and what it protects itself from.
 *
 * @param serviceName  the name {@code thespian-fault} entries use for this instance
 * @param faultHeaders whether {@code thespian-fault} plans are applied here (they are forwarded either way)
 * @param maxHops      a call that arrives after this many hops fails with FAILED_PRECONDITION
 * @param admin        whether the admin service {@code thespian.admin.v1.Admin} is served
 * @param adminToken   when present, admin calls must send {@code authorization: Bearer <token>}
 * @param watchedFile  a CONFIG_FILE to load again whenever it changes
 * @param instanceId   this instance among those of its service ({@code service.instance.id}), which
 *                     {@code thespian-fault} entries may name instead of the service to reach it alone
 */
public record RuntimeOptions(
        String serviceName,
        boolean faultHeaders,
        int maxHops,
        boolean admin,
        Optional<String> adminToken,
        Optional<Path> watchedFile,
        String instanceId) {

    public static final int DEFAULT_MAX_HOPS = 16;

    /** With the host name as the instance id, as THESPIAN_INSTANCE_ID's default has it. */
    public RuntimeOptions(String serviceName, boolean faultHeaders, int maxHops, boolean admin,
            Optional<String> adminToken, Optional<Path> watchedFile) {
        this(serviceName, faultHeaders, maxHops, admin, adminToken, watchedFile, InstanceId.of(Map.of()));
    }

    public RuntimeOptions withServiceName(String name) {
        return new RuntimeOptions(name, faultHeaders, maxHops, admin, adminToken, watchedFile, instanceId);
    }

    public RuntimeOptions withInstanceId(String id) {
        return new RuntimeOptions(serviceName, faultHeaders, maxHops, admin, adminToken, watchedFile, id);
    }

    /** The same without the admin service or a file watch: a rehearsal's, which nothing outside may change. */
    RuntimeOptions unchangeable() {
        return new RuntimeOptions(serviceName, faultHeaders, maxHops, false, Optional.empty(), Optional.empty(),
                instanceId);
    }

    /**
     * Fault headers on, hop limit 16, no admin service, no file watch, the host name as the instance id: what an
     * unconfigured instance runs.
     */
    public static RuntimeOptions defaults(String serviceName) {
        return new RuntimeOptions(serviceName, true, DEFAULT_MAX_HOPS, false, Optional.empty(), Optional.empty());
    }
}
