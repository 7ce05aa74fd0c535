package org.thespian.config;

import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A parsed, validated CONFIG_JSON document.
 *
 * @param serviceName the optional top-level {@code service_name}
 * @param methods     the function behind each method; a method that is absent (or {@code null} in JSON) does nothing
 * @param resources   the top-level {@code resources}, by name
 */
public record Config(Optional<String> serviceName, Map<Method, Function> methods, Map<String, Resource> resources) {

    public Config {
        EnumMap<Method, Function> copy = new EnumMap<>(Method.class);
        copy.putAll(methods);
        methods = Collections.unmodifiableMap(copy);
        resources = Collections.unmodifiableMap(new LinkedHashMap<>(resources));
    }

    public Config(Optional<String> serviceName, Map<Method, Function> methods) {
        this(serviceName, methods, Map.of());
    }

    /** A config whose three methods do nothing: what Thespian runs with no configuration at all. */
    public static Config empty() {
        return new Config(Optional.empty(), Map.of());
    }

    public Optional<Function> function(Method method) {
        return Optional.ofNullable(methods.get(method));
    }

    /** Every action of every method, functions included, each function before what it runs. */
    public List<Action> actions() {
        List<Action> actions = new ArrayList<>();
        methods.values().forEach(function -> collectActions(function, actions));
        return actions;
    }

    private static void collectActions(Action action, List<Action> actions) {
        actions.add(action);
        if (action instanceof Function function) {
            function.operations().forEach(operation -> operation.actions().forEach(child -> collectActions(child, actions)));
        }
    }

    /** Every peer any method may call, so connections can be made before the first request needs them. */
    public Set<Peer> peers() {
        Set<Peer> peers = new LinkedHashSet<>();
        calls().forEach(call -> peers.add(call.peer()));
        return peers;
    }

    /** Every CallService of every method, in the config's order (methods A, B, C). */
    public List<Action.CallService> calls() {
        List<Action.CallService> calls = new ArrayList<>();
        for (Method method : Method.values()) {
            function(method).ifPresent(function -> collectCalls(function, calls));
        }
        return calls;
    }

    private static void collectCalls(Action action, List<Action.CallService> calls) {
        action.accept(new Action.Visitor<Void>() {
            @Override
            public Void sleep(Action.Sleep sleep) {
                return null;
            }

            @Override
            public Void callService(Action.CallService call) {
                calls.add(call);
                return null;
            }

            @Override
            public Void cpu(Action.Cpu cpu) {
                return null;
            }

            @Override
            public Void memory(Action.Memory memory) {
                return null;
            }

            @Override
            public Void function(Function function) {
                for (Operation operation : function.operations()) {
                    operation.actions().forEach(child -> collectCalls(child, calls));
                }
                return null;
            }
        });
    }
}
