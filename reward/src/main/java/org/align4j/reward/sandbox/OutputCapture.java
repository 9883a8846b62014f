package org.align4j.reward.sandbox;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads a process's output on its own thread, keeping at most {@code limit} bytes; the moment the
 * process prints more, it is killed ({@code onExceeded}), so "prints gigabytes" costs a few
 * milliseconds instead of gigabytes.
 */
final class OutputCapture {

    private final Thread thread;
    private final long limit;
    private final Runnable onExceeded;
    private byte[] buffer = new byte[8192];
    private int size;
    private volatile boolean exceeded;

    OutputCapture(InputStream in, long limit, Runnable onExceeded) {
        this.limit = limit;
        this.onExceeded = onExceeded;
        this.thread = new Thread(() -> drain(in), "sandbox-output");
        this.thread.setDaemon(true);
        this.thread.start();
    }

    private void drain(InputStream in) {
        byte[] chunk = new byte[8192];
        try (in) {
            int n;
            while ((n = in.read(chunk)) > 0) {
                int keep = (int) Math.min(n, limit - size);
                if (keep > 0) {
                    append(chunk, keep);
                }
                if (keep < n) {
                    exceeded = true;
                    onExceeded.run();
                    return;
                }
            }
        } catch (IOException e) {
            // the stream closes when the process tree is killed
        }
    }

    private synchronized void append(byte[] chunk, int n) {
        if (size + n > buffer.length) {
            buffer = Arrays.copyOf(buffer, Math.max(buffer.length * 2, size + n));
        }
        System.arraycopy(chunk, 0, buffer, size, n);
        size += n;
    }

    boolean exceeded() {
        return exceeded;
    }

    /** Waits for the stream's end (all writers dead), at most {@code millis}; false if it did not come. */
    boolean await(long millis) throws InterruptedException {
        thread.join(millis);
        return !thread.isAlive();
    }

    synchronized String text() {
        return new String(buffer, 0, size, StandardCharsets.UTF_8);
    }
}
