package org.thespian.config;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Reads every file Thespian is given by name (CONFIG_FILE, a cast and its member configs, {@code admin
 * set-config FILE}) the same way: a regular file of at most {@link #MAX_BYTES}, UTF-8, a byte-order mark dropped.
 */
public final class TextFile {

    public static final int MAX_BYTES = 64 << 20;

    /** Why a file cannot be read, in a few words that follow its name in a message. */
    public static final class Unreadable extends IOException {
        Unreadable(String problem) {
            super(problem);
        }
    }

    private TextFile() {
    }

    public static String read(String file) throws Unreadable {
        try {
            return read(Path.of(file));
        } catch (InvalidPathException e) {
            throw new Unreadable("not a file name: " + e.getReason());
        }
    }

    public static String read(Path file) throws Unreadable {
        try {
            // A FIFO would block the read and a link to /dev/zero would never end: only regular files, bounded.
            if (!Files.isRegularFile(file)) {
                throw new Unreadable(Files.exists(file)
                        ? "not a regular file (a FIFO, device or directory cannot be a config)" : "no such file");
            }
            String text = decode(readAtMost(file));
            // Some editors save UTF-8 with a byte-order mark, which is not JSON.
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (NoSuchFileException e) {
            throw new Unreadable("no such file");
        } catch (CharacterCodingException e) {
            throw new Unreadable("the file is not UTF-8 text");
        } catch (Unreadable e) {
            throw e;
        } catch (IOException e) {
            throw new Unreadable("cannot read the file: " + e);
        }
    }

    private static byte[] readAtMost(Path file) throws IOException {
        try (InputStream in = Files.newInputStream(file)) {
            byte[] bytes = in.readNBytes(MAX_BYTES + 1);
            if (bytes.length > MAX_BYTES) {
                throw new Unreadable("the file is larger than the limit of " + (MAX_BYTES >> 20) + " MB");
            }
            return bytes;
        }
    }

    private static String decode(byte[] bytes) throws CharacterCodingException {
        return StandardCharsets.UTF_8.newDecoder().decode(ByteBuffer.wrap(bytes)).toString();
    }
}
