package org.thespian.cast;

/**
 * A mistake in a cast file. The message is one line naming the file, the member (when the mistake is inside one)
 * and the YAML/JSON path, e.g. {@code shop.cast.yaml: member "checkout": members[1].port: expected ...}.
 */
public final class CastException extends Exception {

    public CastException(String message) {
        super(message);
    }
}
