package org.align4j.distributed;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.function.BiConsumer;
import org.align4j.policy.train.StopRequest;

/**
 * Ctrl-C (SIGINT) or SIGTERM of the driver, forwarded to the ranks that run in other processes (the executors of a
 * cluster, which never see the driver's signal): the driver files a {@link StopRequest} in its own process; this
 * service watches for it and sends it to every rank process connected, which files it there. The ranks then stop
 * together as after a local request (the training loop's vote). Ranks in the driver's own process (Spark's local
 * mode) see its request directly and do not connect.
 */
final class StopForwarding implements AutoCloseable {
    /** This process: a rank whose driver has the same id runs in the driver's process. */
    static final String PROCESS = UUID.randomUUID().toString();

    private final ServerSocket server;
    private final String address;
    private final List<Socket> ranks = new ArrayList<>();
    private volatile boolean closed;
    /** The request sent (to every rank connected, and to those that connect later); null until there is one. */
    private StopRequest.Stop sent;

    /** Listens on host (the driver's address as the executors reach it). */
    StopForwarding(String host) {
        try {
            server = new ServerSocket(0, 64, InetAddress.getByName(host));
        } catch (IOException e) {
            throw new IllegalStateException("cannot listen on " + host + " for the ranks' stop requests: "
                    + e.getMessage(), e);
        }
        address = PROCESS + "@" + host + ":" + server.getLocalPort();
        daemon(this::accept, "align4j-stop-forwarding");
        daemon(this::watch, "align4j-stop-watch");
    }

    /** Where the ranks connect: this process's id @ host:port. */
    String address() {
        return address;
    }

    private void accept() {
        while (!closed) {
            try {
                Socket s = server.accept();
                synchronized (ranks) {
                    ranks.add(s);
                    if (sent != null) {
                        send(s, sent);
                    }
                }
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    /** Polls the driver's stop request (filed by its signal handler) until there is one or the run ends. */
    private void watch() {
        while (!closed) {
            Optional<StopRequest.Stop> stop = StopRequest.pending();
            if (stop.isPresent()) {
                synchronized (ranks) {
                    sent = stop.get();
                    for (Socket s : ranks) {
                        send(s, sent);
                    }
                }
                return;
            }
            try {
                Thread.sleep(100);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private static void send(Socket s, StopRequest.Stop stop) {
        try {
            DataOutputStream out = new DataOutputStream(s.getOutputStream());
            out.writeUTF(stop.signal());
            out.writeInt(stop.exitCode());
            out.flush();
        } catch (IOException e) {
            // that rank has gone: nothing to stop there
        }
    }

    @Override
    public void close() {
        closed = true;
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        synchronized (ranks) {
            for (Socket s : ranks) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }

    /**
     * A rank's end: where the rank runs in another process than the driver at address, files the driver's stop
     * request in this process when it comes (and forgets it at close, with the run); a no-op in the driver's process.
     */
    static AutoCloseable receive(String address) {
        return receive(address, StopRequest::request);
    }

    /** As {@link #receive(String)}, handing the request to file (tests). */
    static AutoCloseable receive(String address, BiConsumer<String, Integer> file) {
        int at = address.indexOf('@');
        if (address.substring(0, at).equals(PROCESS)) {
            return () -> { };
        }
        int colon = address.lastIndexOf(':');
        Socket socket;
        try {
            socket = new Socket(address.substring(at + 1, colon), Integer.parseInt(address.substring(colon + 1)));
        } catch (IOException e) {
            throw new IllegalStateException("cannot reach the driver at " + address.substring(at + 1)
                    + " for its stop requests: " + e.getMessage(), e);
        }
        daemon(() -> {
            try {
                DataInputStream in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
                file.accept(in.readUTF(), in.readInt());
            } catch (IOException e) {
                // the run ended (or the driver went away) without a stop request
            }
        }, "align4j-stop-receiver");
        return () -> {
            socket.close();
            StopRequest.clear();
        };
    }

    private static void daemon(Runnable body, String name) {
        Thread t = new Thread(body, name);
        t.setDaemon(true);
        t.start();
    }
}
