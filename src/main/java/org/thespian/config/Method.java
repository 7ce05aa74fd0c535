package org.thespian.config;

/** The three RPCs of {@code thespian.Thespian}; each is configured by its own key in CONFIG_JSON. */
public enum Method {
    A("grpc_method_a"),
    B("grpc_method_b"),
    C("grpc_method_c");

    private final String configKey;

    Method(String configKey) {
        this.configKey = configKey;
    }

    public String configKey() {
        return configKey;
    }

    /** The full gRPC method name, as in {@code thespian.Thespian/A}. */
    public String fullName() {
        return "thespian.Thespian/" + name();
    }
}
