package org.thespian.testsupport;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;
import org.junit.jupiter.api.Tag;

/**
 * A test whose wall-clock bounds are tight enough (a median within milliseconds, a rate within 15%) that tests
 * running beside it on two cores could fail it. The build runs the other {@code *Test} classes in parallel JVMs
 * and these after them, one at a time, in a JVM of their own (pom.xml: surefire's execution
 * {@code timing-sensitive}). The {@code *IT} classes all run in parallel: where they time calls, they compare them
 * with a process measured beside them.
 */
@Target({ElementType.TYPE, ElementType.METHOD})
@Retention(RetentionPolicy.RUNTIME)
@Tag(TimingSensitive.TAG)
public @interface TimingSensitive {

    String TAG = "timing-sensitive";
}
