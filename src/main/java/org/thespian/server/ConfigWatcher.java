package org.thespian.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;

/**
 * Loads CONFIG_FILE again whenever it changes, as SetConfig would. It watches the file's directory, not the
 * file: editors replace files by renaming, and Kubernetes updates a mounted ConfigMap by swapping the
 * {@code ..data} symlink that the file points through. When the file is a symlink into another directory, that
 * directory is watched too, for edits of the target. Only events about these names count, so other files
 * changing beside the config cannot put a reload off; a burst of them is waited out, and a reload only happens
 * when the content differs from what was last read. A directory that disappears is looked for until it is back.
 */
final class ConfigWatcher implements AutoCloseable {

    static final long QUIET_MS = 250;
    /** How often a directory that is gone (or a link that leads nowhere) is looked at again. */
    static final long LOOK_AGAIN_MS = 500;
    private static final Path KUBERNETES_DATA_LINK = Path.of("..data");
    private static final Logger LOG = LoggerFactory.getLogger("thespian.runtime");

    private final Path file;
    private final Path directory;
    private final LiveConfig config;
    private final RuntimeEvents events;
    private final WatchService watcher;
    private final Thread thread;
    /** The directories watched now, and the names in each that matter. */
    private final Map<WatchKey, Watched> watched = new HashMap<>();
    private String lastText;
    private boolean directoryGone;

    private record Watched(Path directory, Set<Path> names) {
    }

    private ConfigWatcher(Path file, LiveConfig config, RuntimeEvents events, WatchService watcher) {
        this.file = file;
        this.directory = file.getParent();
        this.config = config;
        this.events = events;
        this.watcher = watcher;
        this.lastText = config.current().text();
        this.thread = new Thread(this::watch, "thespian-config-watch");
        this.thread.setDaemon(true);
    }

    static ConfigWatcher start(Path file, LiveConfig config, RuntimeEvents events) throws IOException {
        WatchService watcher = FileSystems.getDefault().newWatchService();
        ConfigWatcher configWatcher = new ConfigWatcher(file.toAbsolutePath(), config, events, watcher);
        try {
            configWatcher.arm();
        } catch (IOException e) {
            watcher.close();
            throw e;
        }
        configWatcher.thread.start();
        return configWatcher;
    }

    private void watch() {
        try {
            while (true) {
                if (rearm() || changeSeen()) {
                    awaitQuiet();
                    rearm();
                    if (!directoryGone) {
                        reload();
                    }
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException stopped) {
            // close() was called
        }
    }

    /** Waits for an event that matters, or while something is not watched yet, for the next look at it. */
    private boolean changeSeen() throws InterruptedException {
        WatchKey key = fullyArmed() ? watcher.take() : watcher.poll(LOOK_AGAIN_MS, TimeUnit.MILLISECONDS);
        return key != null && matters(key);
    }

    /** Waits until no event that matters has come for QUIET_MS: a swap or a save is several events. */
    private void awaitQuiet() throws InterruptedException {
        long quietSince = System.nanoTime();
        long left;
        while ((left = QUIET_MS - TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - quietSince)) > 0) {
            WatchKey more = watcher.poll(left, TimeUnit.MILLISECONDS);
            if (more != null && matters(more)) {
                quietSince = System.nanoTime();
            }
        }
    }

    private boolean matters(WatchKey key) {
        List<WatchEvent<?>> happened = key.pollEvents();
        Watched place = watched.get(key);
        if (place == null) {
            return false; // a directory given up on, whose last events were still queued
        }
        if (!key.reset()) {
            // The directory is gone: a target directory replaced under a link, or the config's own.
            watched.remove(key);
            return true;
        }
        return happened.stream().anyMatch(event -> event.kind() == StandardWatchEventKinds.OVERFLOW
                || place.names().contains((Path) event.context()));
    }

    /** Watches what {@link #wanted()} names and no more; true if a directory came into the watch with the file there. */
    private boolean rearm() {
        try {
            return arm();
        } catch (IOException e) {
            return false; // a directory that went away meanwhile: looked for again shortly
        }
    }

    private boolean arm() throws IOException {
        Map<Path, Set<Path>> wanted = wanted();
        watched.entrySet().removeIf(entry -> {
            boolean stale = !entry.getKey().isValid() || !wanted.containsKey(entry.getValue().directory());
            if (stale) {
                entry.getKey().cancel();
            }
            return stale;
        });
        watched.replaceAll((key, place) -> new Watched(place.directory(), wanted.get(place.directory())));
        Set<Path> before = directories();
        for (Map.Entry<Path, Set<Path>> place : wanted.entrySet()) {
            if (!before.contains(place.getKey()) && Files.isDirectory(place.getKey())) {
                WatchKey key = place.getKey().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                        StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
                watched.put(key, new Watched(place.getKey(), place.getValue()));
            }
        }
        boolean gone = !directories().contains(directory);
        if (gone != directoryGone) {
            directoryGone = gone;
            if (gone) {
                LOG.warn("config watch: the directory {} is gone; CONFIG_FILE is loaded again once it is back", directory);
            } else {
                LOG.info("config watch: the directory {} is back", directory);
            }
        }
        return !gone && !directories().equals(before) && Files.exists(file);
    }

    private Set<Path> directories() {
        Set<Path> directories = new HashSet<>();
        watched.values().forEach(place -> directories.add(place.directory()));
        return directories;
    }

    /**
     * The config's directory, for the file's name and Kubernetes' {@code ..data} link, and, when the file is a
     * link, the directory of the file it leads to, for that file's name.
     */
    private Map<Path, Set<Path>> wanted() {
        Set<Path> names = new HashSet<>(List.of(file.getFileName(), KUBERNETES_DATA_LINK));
        Map<Path, Set<Path>> wanted = new HashMap<>(Map.of(directory, names));
        target().ifPresent(target -> {
            if (target.getParent().equals(realPath(directory))) {
                names.add(target.getFileName());
            } else {
                wanted.put(target.getParent(), Set.of(target.getFileName()));
            }
        });
        return wanted;
    }

    private static Path realPath(Path path) {
        try {
            return path.toRealPath();
        } catch (IOException gone) {
            return path;
        }
    }

    private Optional<Path> target() {
        try {
            return Files.isSymbolicLink(file) ? Optional.of(file.toRealPath()) : Optional.empty();
        } catch (IOException dangling) {
            return Optional.empty();
        }
    }

    /** Every wanted directory is watched, and a link leads somewhere: nothing to look for. */
    private boolean fullyArmed() {
        return !directoryGone && watched.size() == wanted().size()
                && (!Files.isSymbolicLink(file) || Files.exists(file));
    }

    private void reload() {
        String origin = "CONFIG_FILE " + file;
        Optional<String> text = Optional.empty();
        try {
            ConfigSource.LoadedConfig loaded = ConfigSource.load(Map.of("CONFIG_FILE", file.toString()));
            text = Optional.of(loaded.text());
            if (!loaded.text().equals(lastText)) {
                config.replace(loaded.text(), origin);
            }
        } catch (ConfigException e) {
            events.configRejected(origin, e.getMessage());
        }
        text.ifPresent(read -> lastText = read);
    }

    @Override
    public void close() {
        try {
            watcher.close();
        } catch (IOException e) {
            // the watch ends either way: the thread is interrupted next
        }
        thread.interrupt();
    }
}
