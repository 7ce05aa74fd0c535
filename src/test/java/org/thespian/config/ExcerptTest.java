package org.thespian.config;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import org.junit.jupiter.api.Test;

class ExcerptTest {

    @Test
    void aShortTextStaysWhole() {
        assertEquals("payment:delay=5ms", Excerpt.of("payment:delay=5ms", 17));
        assertNull(Excerpt.of(null, 10));
    }

    @Test
    void aLongTextKeepsItsHeadAndSaysHowMuchWasCut() {
        assertEquals("12345… (59,995 more characters)", Excerpt.of("12345" + "9".repeat(59_995), 5));
    }

    @Test
    void aSurrogatePairIsNeverSplit() {
        String text = "ab\uD83D\uDE00cd"; // an emoji is two chars
        assertEquals("ab… (4 more characters)", Excerpt.of(text, 3));
    }
}
