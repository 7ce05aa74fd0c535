package org.thespian.cli;

import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.cast.CastServers;
import org.thespian.server.RuntimeOptions;

/**
 * What a running cast logs at start, as a single instance does: where telemetry goes, and which members serve the
 * admin service, warning of those that serve it without a token. One line each, not one per member: the members'
 * lines would share a template, and the repeated-warning limit would keep all but the first.
 */
final class CastAnnouncement {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);

    private CastAnnouncement() {
    }

    static void log(CastRunner.Checked checked, Serving.Running<CastServers> running) {
        List<CastServers.Running> members = running.servers().members();
        LOG.info("Cast \"{}\" serving {} in one JVM; {}; {}", checked.cast().name(), running.servers().headcount(),
                running.telemetry().describe(), running.warmUp());
        List<String> open = new ArrayList<>();
        List<String> guarded = new ArrayList<>();
        for (CastServers.Running member : members) {
            RuntimeOptions runtime = checked.members().get(member.member().name()).runtime();
            if (runtime.admin()) {
                String where = member.name() + " (port " + member.server().port() + ")";
                (runtime.adminToken().isPresent() ? guarded : open).add(where);
            }
        }
        if (!guarded.isEmpty()) {
            LOG.info("Admin service thespian.admin.v1.Admin is on in {}; calls need authorization: Bearer"
                    + " <THESPIAN_ADMIN_TOKEN>", String.join(", ", guarded));
        }
        if (!open.isEmpty()) {
            LOG.warn("Admin service thespian.admin.v1.Admin is on WITHOUT a token in {}: anyone who can reach those"
                    + " ports can replace those members' configs and flip their health", String.join(", ", open));
        }
    }
}
