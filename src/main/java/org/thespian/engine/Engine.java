package org.thespian.engine;

import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.thespian.config.Action;
import org.thespian.config.Action.CallService;
import org.thespian.config.Action.Cpu;
import org.thespian.config.Action.Memory;
import org.thespian.config.Action.Sleep;
import org.thespian.config.Config;
import org.thespian.config.FailureCode;
import org.thespian.config.Function;
import org.thespian.config.Operation;
import org.thespian.config.RateLimit;
import org.thespian.config.Resource;

/**
 * Acts out a {@link Function} without blocking: sleeps are timer callbacks and peer calls are asynchronous,
 * so any number of requests can be in flight on a handful of threads. Each kind of action is started by its
 * own small class; this one walks the tree, keeps the listener informed and shapes failures.
 */
public final class Engine {

    private static final long ROOT_KEY = 0x9E3779B97F4A7C15L;
    /** The step each action is begun as: the one place that says which actions' calls get scopes of their own. */
    private static final Action.Visitor<Step> STEP = new Action.Visitor<>() {
        @Override
        public Step sleep(Sleep sleep) {
            return new Step.Act(sleep);
        }

        @Override
        public Step callService(CallService call) {
            return PeerCall.scopePerAttempt(call) ? new Step.Calls(call) : new Step.Act(call);
        }

        @Override
        public Step function(Function function) {
            return new Step.Act(function);
        }

        @Override
        public Step cpu(Cpu cpu) {
            return new Step.Act(cpu);
        }

        @Override
        public Step memory(Memory memory) {
            return new Step.Act(memory);
        }
    };

    private final Scheduler scheduler;
    private final PeerCaller peers;
    private final ActionListener listener;
    private final EngineLimits limits;
    private final BackgroundCalls background;
    private final MemoryPressure memory;
    private final ActionsInFlight inFlight;
    private final Bulkheads bulkheads;
    private final CircuitBreakers breakers;
    private final RateLimits rateLimits;

    /** The only engine of its process: the caps of {@code limits} are all its own. */
    public Engine(Scheduler scheduler, PeerCaller peers, ActionListener listener, EngineLimits limits) {
        this(scheduler, peers, listener, limits, new ActionsInFlight(limits.maxActionsInFlight()),
                new ProcessBudget(limits, HeapGauge.UNWATCHED).share(limits, () -> { }));
    }

    /**
     * One of the process's engines.
     *
     * @param inFlight the process-wide budget of work in flight, shared with the other servers of the process
     * @param share    where it holds memory and starts fire-and-forget calls
     */
    public Engine(Scheduler scheduler, PeerCaller peers, ActionListener listener, EngineLimits limits,
            ActionsInFlight inFlight, ProcessBudget.Share share) {
        this.scheduler = scheduler;
        this.peers = inFlight.counting(peers);
        this.listener = listener;
        this.limits = limits;
        this.inFlight = inFlight;
        this.background = share.background;
        this.memory = share.memory;
        this.bulkheads = new Bulkheads(scheduler.continuations());
        this.breakers = new CircuitBreakers(System::nanoTime, listener);
        this.rateLimits = new RateLimits(System::nanoTime);
        listener.watchCircuits(breakers::readings);
    }

    /**
     * The resources of the config now running. Permits of any other resource (one an older revision declared) are
     * released once no call of that revision holds or waits for them.
     */
    public void declareResources(Collection<Resource> resources) {
        bulkheads.declare(resources);
    }

    /**
     * The config now running: the circuit breakers and rate limits it keeps as they were go on as they are; the
     * state of any other is dropped.
     */
    public void declareBreakersAndLimits(Config config) {
        Set<CircuitBreakers.Key> circuits = new HashSet<>();
        Set<RateLimit> limits = new HashSet<>();
        for (CallService call : config.calls()) {
            call.policy().circuitBreaker().ifPresent(
                    breaker -> circuits.add(new CircuitBreakers.Key(call.peer(), call.method(), breaker)));
        }
        for (Function function : config.functions()) {
            function.rateLimit().ifPresent(limits::add);
        }
        breakers.declare(circuits);
        rateLimits.declare(limits);
    }

    /** Resources whose permits are held in memory now. */
    int resourcesHeld() {
        return bulkheads.size();
    }

    /** Fire-and-forget calls dropped so far because THESPIAN_MAX_BACKGROUND_CALLS were in flight. */
    public long droppedBackgroundCalls() {
        return background.dropped();
    }

    /**
     * Acts out {@code function} for one request. Must be called on the thread handling the request, so the
     * listener can find the request's own scope. Fails with an {@link ActionFailure} whose path starts at
     * {@code function}.
     */
    public CompletableFuture<Void> perform(Function function, Execution execution) {
        return run(function, ROOT_KEY, listener.requestScope(), execution);
    }

    /**
     * Runs one action in its own scope. The scope ends exactly once, however the action ends, a synchronous
     * throw included; the future fails only with an {@link ActionFailure}.
     */
    private CompletableFuture<Void> run(Action action, long key, ActionScope parent, Execution execution) {
        ActionScope scope = parent.begin(action.accept(STEP));
        CompletableFuture<Void> outcome;
        boolean tookPlace = false; // in THESPIAN_MAX_ACTIONS_IN_FLIGHT, given back when the action ends
        try {
            Optional<ActionFailure> refused = refusal(action, execution);
            tookPlace = refused.isEmpty();
            outcome = refused.isPresent()
                    ? CompletableFuture.failedFuture(refused.get())
                    : action.accept(new Start(key, scope, execution));
        } catch (RuntimeException | Error e) {
            outcome = CompletableFuture.failedFuture(e);
        }
        if (succeededAlready(outcome)) {
            inFlight.release();
            scope.succeeded();
            return outcome;
        }
        boolean holdsPlace = tookPlace;
        return outcome.handle((ignored, error) -> {
            if (holdsPlace) {
                inFlight.release();
            }
            if (error == null) {
                scope.succeeded();
                return null;
            }
            ActionFailure failure = failureOf(error, action);
            scope.failed(failure);
            throw failure;
        });
    }

    private Optional<ActionFailure> refusal(Action action, Execution execution) {
        if (execution.isOver()) {
            return Optional.of(execution.cancellationOf(action));
        }
        if (execution.startAction() > limits.maxActionsPerRequest()) {
            return Optional.of(ActionFailure.at(action, FailureCode.RESOURCE_EXHAUSTED, "this request started more"
                    + " than " + limits.maxActionsPerRequest() + " actions (THESPIAN_MAX_ACTIONS_PER_REQUEST)"));
        }
        if (!execution.context().traceBudget(limits.maxActionsPerTrace()).spend()) {
            return Optional.of(ActionFailure.at(action, FailureCode.RESOURCE_EXHAUSTED, "this trace has spent its"
                    + " budget of actions and peer calls, shared by every service it reached"
                    + " (THESPIAN_MAX_ACTIONS_PER_TRACE " + limits.maxActionsPerTrace() + ")"));
        }
        return inFlight.tryTake(action);
    }

    /** Starts an action's own work, inside its scope. */
    private final class Start implements Action.Visitor<CompletableFuture<Void>> {
        private final long key;
        private final ActionScope scope;
        private final Execution execution;

        Start(long key, ActionScope scope, Execution execution) {
            this.key = key;
            this.scope = scope;
            this.execution = execution;
        }

        @Override
        public CompletableFuture<Void> sleep(Sleep sleep) {
            return PendingSleep.start(sleep, key, scope, execution, scheduler);
        }

        @Override
        public CompletableFuture<Void> callService(CallService call) {
            return PeerCall.start(call, key, scope, execution, peers, scheduler, background, breakers);
        }

        @Override
        public CompletableFuture<Void> cpu(Cpu cpu) {
            return CpuBurn.start(cpu, key, scope, execution, scheduler);
        }

        @Override
        public CompletableFuture<Void> memory(Memory hold) {
            return MemoryHold.start(hold, memory, scheduler);
        }

        @Override
        public CompletableFuture<Void> function(Function function) {
            Optional<ActionFailure> limited = rateLimits.refusal(function);
            if (limited.isPresent()) {
                return CompletableFuture.failedFuture(limited.get());
            }
            List<Operation> operations = function.operations();
            Supplier<CompletableFuture<Void>> body = () -> Sequence.run(operations.size(),
                    index -> operation(operations.get(index), childKey(key, index)));
            CompletableFuture<Void> outcome = function.resource().isEmpty() ? body.get()
                    : ResourceGate.run(bulkheads, function, scope, execution, body);
            if (succeededAlready(outcome)) {
                return outcome;
            }
            return outcome.handle((ignored, error) -> {
                if (error == null) {
                    return null;
                }
                ActionFailure failure = failureOf(error, function);
                // A failure of the function's own making already starts with its name.
                throw failure.origin() == function ? failure : failure.within(function.tracingName());
            });
        }

        private CompletableFuture<Void> operation(Operation operation, long operationKey) {
            return operation.accept(new Operation.Visitor<>() {
                @Override
                public CompletableFuture<Void> single(Operation.Single single) {
                    return run(single.action(), childKey(operationKey, 0), scope, execution);
                }

                @Override
                public CompletableFuture<Void> concurrent(Operation.Concurrent group) {
                    List<Action> actions = group.actions();
                    return ConcurrentGroup.run(actions.size(),
                            index -> run(actions.get(index), childKey(operationKey, index), scope, execution));
                }
            });
        }
    }

    /**
     * Whether {@code outcome} has already ended well: work that finishes at once (a 0 ms sleep, a function of
     * them) then goes on in the same frame, without a callback and a future per step.
     */
    public static boolean succeededAlready(CompletableFuture<?> outcome) {
        return outcome.isDone() && !outcome.isCompletedExceptionally();
    }

    /** Unwraps what CompletableFuture wrapped; anything but an ActionFailure is a bug, reported at the action. */
    public static ActionFailure failureOf(Throwable error, Action action) {
        Throwable cause = unwrap(error);
        if (cause instanceof ActionFailure failure) {
            return failure;
        }
        return ActionFailure.at(action, "internal error: " + cause);
    }

    /** What CompletableFuture wrapped in CompletionExceptions. */
    static Throwable unwrap(Throwable error) {
        Throwable cause = error;
        while (cause instanceof CompletionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }

    static long childKey(long parentKey, int index) {
        long mixed = (parentKey ^ (index + 1) * 0xBF58476D1CE4E5B9L) * 0x94D049BB133111EBL;
        return mixed ^ (mixed >>> 31);
    }
}
