package org.thespian.server;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.thespian.config.ConfigException;
import org.thespian.config.ConfigSource;

/**
 * Loads CONFIG_FILE again whenever it changes, as SetConfig would. It watches the file's directory, not the
 * file: editors replace files by renaming, and Kubernetes updates a mounted ConfigMap by swapping the
 * {@code ..data} symlink that the file points through. Bursts of events are waited out, and a reload only
 * happens when the content differs from what was last read.
 */
final class ConfigWatcher implements AutoCloseable {

    static final long QUIET_MS = 250;
    private static final String KUBERNETES_DATA_LINK = "..data";

    private final Path file;
    private final LiveConfig config;
    private final RuntimeEvents events;
    private final WatchService watcher;
    private final Thread thread;
    private String lastText;

    private ConfigWatcher(Path file, LiveConfig config, RuntimeEvents events, WatchService watcher) {
        this.file = file;
        this.config = config;
        this.events = events;
        this.watcher = watcher;
        this.lastText = config.current().text();
        this.thread = new Thread(this::watch, "thespian-config-watch");
        this.thread.setDaemon(true);
    }

    static ConfigWatcher start(Path file, LiveConfig config, RuntimeEvents events) throws IOException {
        Path absolute = file.toAbsolutePath();
        WatchService watcher = FileSystems.getDefault().newWatchService();
        try {
            absolute.getParent().register(watcher, StandardWatchEventKinds.ENTRY_CREATE,
                    StandardWatchEventKinds.ENTRY_MODIFY, StandardWatchEventKinds.ENTRY_DELETE);
        } catch (IOException e) {
            watcher.close();
            throw e;
        }
        ConfigWatcher configWatcher = new ConfigWatcher(absolute, config, events, watcher);
        configWatcher.thread.start();
        return configWatcher;
    }

    private void watch() {
        try {
            while (true) {
                if (touchesFile(watcher.take())) {
                    // Wait until the directory has been quiet for QUIET_MS: a swap or a save is several events.
                    for (WatchKey more = watcher.poll(QUIET_MS, TimeUnit.MILLISECONDS); more != null;
                            more = watcher.poll(QUIET_MS, TimeUnit.MILLISECONDS)) {
                        touchesFile(more);
                    }
                    reload();
                }
            }
        } catch (ClosedWatchServiceException | InterruptedException stopped) {
            // close() was called
        }
    }

    private boolean touchesFile(WatchKey key) {
        boolean touches = false;
        for (WatchEvent<?> event : key.pollEvents()) {
            Object name = event.context();
            touches |= event.kind() == StandardWatchEventKinds.OVERFLOW
                    || file.getFileName().equals(name)
                    || Path.of(KUBERNETES_DATA_LINK).equals(name);
        }
        key.reset();
        return touches;
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
