package org.thespian.server;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.thespian.config.FailureCode;
import org.thespian.engine.Dice;

/**
 * The faults a request carries in its {@code thespian-fault} metadata: comma-separated entries
 * {@code SERVICE:delay=DURATION[@PERCENT]} or {@code SERVICE:abort=CODE[@PERCENT]}, SERVICE being a service
 * name or {@code *}. Parsed whole before anything is applied, so a typo is an error rather than no fault.
 */
public record FaultPlan(List<Entry> entries) {

    /** A header is metadata a hostile caller controls: long plans cost parsing on every hop. */
    static final int MAX_ENTRIES = 32;
    static final long MAX_DELAY_MS = 600_000;

    private static final Pattern ENTRY = Pattern.compile(
            "([^:\\s]+):(delay|abort)=([^@\\s]+)(?:@([0-9]+(?:\\.[0-9]+)?))?");
    private static final Pattern DURATION = Pattern.compile("([0-9]{1,9})(ms|s)");
    /** Mixed into the action keys of the request's dice, so fault rolls never reuse an action's roll. */
    private static final long ROLL_KEY = 0xFA_17_FA_17_FA_17L;

    public FaultPlan {
        entries = List.copyOf(entries);
    }

    /** One entry; {@code text} is how the caller wrote it, for messages and logs. */
    public record Entry(String text, String service, Effect effect, double percent) {
        boolean appliesTo(String serviceName) {
            return service.equals("*") || service.equals(serviceName);
        }
    }

    /** What an entry does when its roll comes up. */
    public sealed interface Effect permits Delay, Abort {
    }

    public record Delay(long millis) implements Effect {
    }

    public record Abort(FailureCode code) implements Effect {
    }

    /** A plan that cannot be parsed; the message names the entry. */
    public static final class InvalidFaultPlan extends Exception {
        InvalidFaultPlan(String message) {
            super(message, null, false, false);
        }
    }

    /** What this instance does for one request: the summed delays that came up, then maybe an abort. */
    public record Injection(long delayMillis, List<Entry> delays, Optional<Entry> abort) {
        static final Injection NONE = new Injection(0, List.of(), Optional.empty());

        public boolean isNone() {
            return delays.isEmpty() && abort.isEmpty();
        }
    }

    public static FaultPlan parse(String header) throws InvalidFaultPlan {
        String[] texts = header.split(",", -1);
        if (texts.length > MAX_ENTRIES) {
            throw new InvalidFaultPlan("thespian-fault: at most " + MAX_ENTRIES + " entries, got " + texts.length);
        }
        List<Entry> entries = new ArrayList<>(texts.length);
        for (int i = 0; i < texts.length; i++) {
            entries.add(entry(texts[i].strip(), i));
        }
        return new FaultPlan(entries);
    }

    private static Entry entry(String text, int index) throws InvalidFaultPlan {
        Matcher matcher = ENTRY.matcher(text);
        if (!matcher.matches()) {
            throw invalid(text, index, "expected SERVICE:delay=DURATION[@PERCENT] or SERVICE:abort=CODE[@PERCENT],"
                    + " e.g. payment:delay=300ms@50 or *:abort=UNAVAILABLE");
        }
        Effect effect = matcher.group(2).equals("delay")
                ? delay(text, index, matcher.group(3))
                : abort(text, index, matcher.group(3));
        double percent = matcher.group(4) == null ? 100 : Double.parseDouble(matcher.group(4));
        if (percent > 100) {
            throw invalid(text, index, "the percentage must be from 0 to 100, got " + matcher.group(4));
        }
        return new Entry(text, matcher.group(1), effect, percent);
    }

    private static Delay delay(String text, int index, String duration) throws InvalidFaultPlan {
        Matcher matcher = DURATION.matcher(duration);
        if (matcher.matches()) {
            long amount = Long.parseLong(matcher.group(1));
            long millis = matcher.group(2).equals("s") ? amount * 1000 : amount;
            if (millis <= MAX_DELAY_MS) {
                return new Delay(millis);
            }
        }
        throw invalid(text, index, "expected a duration such as 250ms or 2s, at most " + MAX_DELAY_MS / 1000
                + "s, got \"" + duration + "\"");
    }

    private static Abort abort(String text, int index, String code) throws InvalidFaultPlan {
        try {
            return new Abort(FailureCode.valueOf(code));
        } catch (IllegalArgumentException e) {
            throw invalid(text, index, "expected a gRPC status code name other than OK ("
                    + String.join(", ", FailureCode.names()) + "), got \"" + code + "\"");
        }
    }

    private static InvalidFaultPlan invalid(String text, int index, String problem) {
        String shown = text.length() > 80 ? text.substring(0, 80) + "..." : text;
        return new InvalidFaultPlan(String.format(Locale.ROOT, "thespian-fault entry %d \"%s\": %s", index + 1,
                shown, problem));
    }

    /** Whether any entry names {@code serviceName} (or {@code *}); if none does, no dice are rolled. */
    public boolean appliesTo(String serviceName) {
        return entries.stream().anyMatch(entry -> entry.appliesTo(serviceName));
    }

    /** Rolls each entry naming {@code serviceName}: delays that come up add up; the first abort wins. */
    public Injection roll(String serviceName, Dice.Rolls rolls) {
        long delayMillis = 0;
        List<Entry> delays = new ArrayList<>();
        Optional<Entry> abort = Optional.empty();
        for (int i = 0; i < entries.size(); i++) {
            Entry entry = entries.get(i);
            if (!entry.appliesTo(serviceName) || rolls.roll(ROLL_KEY + i) * 100 >= entry.percent()) {
                continue;
            }
            if (entry.effect() instanceof Delay delay) {
                delayMillis += delay.millis();
                delays.add(entry);
            } else if (abort.isEmpty()) {
                abort = Optional.of(entry);
            }
        }
        return delays.isEmpty() && abort.isEmpty() ? Injection.NONE : new Injection(delayMillis, delays, abort);
    }
}
