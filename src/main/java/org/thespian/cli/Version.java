package org.thespian.cli;

/** {@code thespian --version}: the Maven project version, which the build writes into the jar's manifest. */
final class Version {

    private Version() {
    }

    static String text() {
        String version = Version.class.getPackage().getImplementationVersion();
        return "thespian " + (version != null ? version : "(unknown version: not run from the built jar)");
    }
}
