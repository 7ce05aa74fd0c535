package org.thespian.server;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.grpc.Status;
import org.junit.jupiter.api.Test;

class StatusTextTest {

    @Test
    void aShortDescriptionIsKept() {
        Status status = Status.FAILED_PRECONDITION.withDescription("x".repeat(StatusText.MAX_CHARS));
        assertSame(status, StatusText.capped(status));
        assertSame(null, StatusText.capped((String) null));
    }

    @Test
    void aLongOneKeepsItsHeadItsTailAndItsCode() {
        String text = "edge > " + "middle > ".repeat(1000) + "origin: why";
        Status capped = StatusText.capped(Status.FAILED_PRECONDITION.withDescription(text));
        assertEquals(Status.Code.FAILED_PRECONDITION, capped.getCode());
        String description = capped.getDescription();
        assertTrue(description.length() <= StatusText.MAX_CHARS, description.length() + ": " + description);
        assertTrue(description.startsWith("edge > middle > "), description);
        assertTrue(description.endsWith("middle > origin: why"), description);
        String[] kept = description.split(" \\.\\.\\. \\[\\d+ characters cut] \\.\\.\\. ");
        int cut = Integer.parseInt(description.replaceAll(".*\\[(\\d+) characters cut].*", "$1"));
        assertEquals(text.length(), kept[0].length() + cut + kept[1].length(), "the count says how much is missing");
    }

    @Test
    void aCutNeverSplitsACharacterOutsideTheBasicPlane() {
        String text = "🎭".repeat(2 * StatusText.MAX_CHARS);
        String description = StatusText.capped(text);
        assertTrue(description.codePoints().noneMatch(c -> c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE), description);
    }
}
