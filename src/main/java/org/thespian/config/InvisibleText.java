package org.thespian.config;

import java.util.Set;

/**
 * Text that shows nothing when printed: spaces, control and format characters (zero-width space, BOM, ...),
 * lone combining marks and the letters that render blank. A name made only of these is as good as blank.
 */
public final class InvisibleText {

    /** Hangul fillers, Mongolian vowel separator and the blank braille pattern: letters that draw nothing. */
    private static final Set<Integer> BLANK_LETTERS = Set.of(0x115F, 0x1160, 0x3164, 0xFFA0, 0x180E, 0x2800);

    private InvisibleText() {
    }

    public static boolean isInvisible(String text) {
        return text.codePoints().allMatch(InvisibleText::isInvisible);
    }

    private static boolean isInvisible(int codePoint) {
        int type = Character.getType(codePoint);
        return Character.isWhitespace(codePoint) || Character.isSpaceChar(codePoint)
                || type == Character.CONTROL || type == Character.FORMAT || type == Character.NON_SPACING_MARK
                || type == Character.ENCLOSING_MARK || type == Character.UNASSIGNED
                || BLANK_LETTERS.contains(codePoint);
    }
}
