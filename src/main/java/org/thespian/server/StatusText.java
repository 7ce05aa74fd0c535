package org.thespian.server;

import io.grpc.Status;

/**
 * Keeps a status description short enough to travel. Each hop of a chain prefixes the failure it relays with
 * its own path, so a failure relayed over 1,000 hops grows past gRPC's 8 KiB limit on metadata (the caller
 * then sees INTERNAL, not the code) and fills the log: a description is cut in the middle, keeping the head
 * (the outer path) and the tail (where it failed, and why).
 */
final class StatusText {

    /** At most this many characters; even if every one takes nine once percent-encoded, far below 8 KiB. */
    static final int MAX_CHARS = 600;
    private static final int HEAD_CHARS = 200;
    private static final int TAIL_CHARS = 360;

    private StatusText() {
    }

    /** {@code text}, or its head and tail with how much was cut between them. */
    static String capped(String text) {
        if (text == null || text.length() <= MAX_CHARS) {
            return text;
        }
        // Never between the two halves of a surrogate pair.
        int headEnd = Character.isLowSurrogate(text.charAt(HEAD_CHARS)) ? HEAD_CHARS - 1 : HEAD_CHARS;
        int tailStart = text.length() - TAIL_CHARS;
        tailStart += Character.isLowSurrogate(text.charAt(tailStart)) ? 1 : 0;
        return text.substring(0, headEnd) + " ... [" + (tailStart - headEnd) + " characters cut] ... "
                + text.substring(tailStart);
    }

    /** {@code status}, its code unchanged, with its description {@link #capped}. */
    static Status capped(Status status) {
        String description = status.getDescription();
        String capped = capped(description);
        return capped == description ? status : status.withDescription(capped);
    }
}
