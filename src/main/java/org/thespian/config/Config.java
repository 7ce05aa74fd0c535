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

    /** Every function of every method, the methods' own included, each before those it runs. */
    public List<Function> functions() {
        return new Walk(this).functions;
    }

    /** Every peer any method may call, so connections can be made before the first request needs them. */
    public Set<Peer> peers() {
        Set<Peer> peers = new LinkedHashSet<>();
        calls().forEach(call -> peers.add(call.peer()));
        return peers;
    }

    /** Every CallService of every method, in the config's order (methods A, B, C). */
    public List<Action.CallService> calls() {
        return placedCalls().stream().map(Placed::action).toList();
    }

    /** Every CallService of every method with where the config writes it, in the config's order. */
    public List<Placed<Action.CallService>> placedCalls() {
        return new Walk(this).calls;
    }

    /** An action and where the config writes it, as a JSON path: {@code grpc_method_a.operations[1].Action}. */
    public record Placed<A extends Action>(A action, String path) {
    }

    /**
     * One walk through every action of every method, nested functions and concurrent groups included, sorting out the
     * kinds the callers of {@link #functions} and {@link #placedCalls} look for. It goes through the visitors, so a
     * new kind of action or operation does not compile until the walk says what to do with it.
     */
    private static final class Walk {
        final List<Function> functions = new ArrayList<>();
        final List<Placed<Action.CallService>> calls = new ArrayList<>();

        Walk(Config config) {
            for (Method method : Method.values()) {
                config.function(method).ifPresent(function -> function(function, method.configKey()));
            }
        }

        /** {@code path} is where the function's own keys are ({@code operations}, {@code tracing_name}, ...). */
        private void function(Function function, String path) {
            functions.add(function);
            List<Operation> operations = function.operations();
            for (int i = 0; i < operations.size(); i++) {
                String at = path + ".operations[" + i + "]";
                operations.get(i).accept(new Operation.Visitor<Void>() {
                    @Override
                    public Void single(Operation.Single single) {
                        action(single.action(), at + ".Action");
                        return null;
                    }

                    @Override
                    public Void concurrent(Operation.Concurrent group) {
                        List<Action> actions = group.actions();
                        for (int j = 0; j < actions.size(); j++) {
                            action(actions.get(j), at + ".ConcurrentActions[" + j + "]");
                        }
                        return null;
                    }
                });
            }
        }

        private void action(Action action, String path) {
            action.accept(new Action.Visitor<Void>() {
                @Override
                public Void callService(Action.CallService call) {
                    calls.add(new Placed<>(call, path));
                    return null;
                }

                @Override
                public Void function(Function function) {
                    Walk.this.function(function, path + ".Function");
                    return null;
                }

                @Override
                public Void sleep(Action.Sleep sleep) {
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
            });
        }
    }
}
