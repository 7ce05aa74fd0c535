package org.thespian.config;

import java.util.Locale;

/**
 * The head of a text of any length, for a message, a log line or a span attribute: what a client sent (a
 * header, a peer's message, a document) is never repeated whole, and the reader is told how much was cut.
 */
public final class Excerpt {

    private Excerpt() {
    }

    /**
     * {@code text} itself if it has at most {@code maxChars} (at least 1) characters, else its first
     * {@code maxChars} (never half a surrogate pair) and {@code … (1,234 more characters)}; {@code null} stays
     * {@code null}, so that a status without a description can be passed as it is.
     */
    public static String of(String text, int maxChars) {
        if (text == null || text.length() <= maxChars) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(maxChars - 1)) ? maxChars - 1 : maxChars;
        return text.substring(0, end) + String.format(Locale.ROOT, "… (%,d more characters)", text.length() - end);
    }
}
