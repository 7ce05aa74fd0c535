package org.thespian.cast;

import java.util.regex.Pattern;
import org.thespian.cast.Cast.Member;

/**
 * How a member stops: {@code THESPIAN_SHUTDOWN_DELAY_SECONDS} of NOT_SERVING while still taking calls, then up to
 * {@code THESPIAN_SHUTDOWN_GRACE_SECONDS} of drain. Whatever kills the container after a timeout (the kubelet,
 * Docker) must wait for both and the exit, or it cuts the drain short.
 */
record Shutdown(int delaySeconds, int graceSeconds) {

    static final String DELAY = "THESPIAN_SHUTDOWN_DELAY_SECONDS";
    static final String GRACE = "THESPIAN_SHUTDOWN_GRACE_SECONDS";
    /** After the grace: closing connections (up to 2 s), flushing telemetry, the JVM's exit. */
    static final int EXIT_MARGIN_SECONDS = 5;
    /** The range the server accepts for both. */
    private static final int MAX_SECONDS = 3600;
    private static final Pattern DIGITS = Pattern.compile("[0-9]{1,9}");

    /** The member's own values where its env sets them, {@code defaults}' otherwise. */
    static Shutdown of(Cast cast, Member member, Shutdown defaults) throws CastException {
        String where = "member \"" + member.name() + "\": members[" + cast.members().indexOf(member) + "].env.";
        return new Shutdown(seconds(member, DELAY, defaults.delaySeconds, where),
                seconds(member, GRACE, defaults.graceSeconds, where));
    }

    /** How long a supervisor must wait after asking the member to stop before it kills it. */
    int killAfterSeconds() {
        return delaySeconds + graceSeconds + EXIT_MARGIN_SECONDS;
    }

    private static int seconds(Member member, String variable, int fallback, String where) throws CastException {
        String text = member.env().get(variable);
        if (text == null) {
            return fallback;
        }
        if (DIGITS.matcher(text).matches() && Integer.parseInt(text) <= MAX_SECONDS) {
            return Integer.parseInt(text);
        }
        throw new CastException(where + variable + ": expected a whole number from 0 to " + MAX_SECONDS + ", got \""
                + text + "\"");
    }
}
