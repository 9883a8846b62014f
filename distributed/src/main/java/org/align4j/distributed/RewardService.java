package org.align4j.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;
import org.align4j.reward.code.CodeTestJob;
import org.align4j.reward.code.CodeTestReport;
import org.align4j.reward.code.CodeTestSpec;
import org.apache.spark.SparkContext;

/**
 * The driver's end of {@code reward_executor: spark} under {@code --ranks}: the ranks are tasks of a barrier stage,
 * which cannot start Spark jobs themselves, so each rank sends its batches of code-reward jobs here (over TCP, Java
 * serialisation: {@link Request} in, {@link Response} out) and the driver runs each as a Spark job
 * ({@link SparkCodeTestExecutor}) on the executors' free task slots. One thread per connected rank; Spark runs
 * jobs of several threads at once.
 */
final class RewardService implements AutoCloseable {

    /** A batch of jobs of one code reward. */
    record Request(CodeTestSpec spec, List<CodeTestJob> jobs) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    /** The reports in the jobs' order, or the error that stopped them (a one-line message). */
    record Response(List<CodeTestReport> reports, String error) implements Serializable {
        private static final long serialVersionUID = 1L;
    }

    private final SparkCodeTestExecutor executor;
    private final ServerSocket server;
    private final String address;
    private final List<Socket> clients = new ArrayList<>();

    RewardService(SparkContext sc) {
        this.executor = new SparkCodeTestExecutor(sc);
        String host = sc.getConf().get("spark.driver.host", "127.0.0.1");
        try {
            this.server = new ServerSocket(0, 64, InetAddress.getByName(host));
        } catch (IOException e) {
            throw new IllegalStateException("reward_executor: spark: cannot listen on " + host + ": " + e.getMessage(), e);
        }
        this.address = host + ":" + server.getLocalPort();
        Thread accept = new Thread(this::accept, "align4j-reward-service");
        accept.setDaemon(true);
        accept.start();
    }

    /** host:port, as the ranks connect to it. */
    String address() {
        return address;
    }

    private void accept() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                synchronized (clients) {
                    clients.add(s);
                }
                Thread t = new Thread(() -> serve(s), "align4j-reward-service-" + s.getPort());
                t.setDaemon(true);
                t.start();
            } catch (IOException e) {
                return; // closed
            }
        }
    }

    private void serve(Socket s) {
        try (s; ObjectOutputStream out = new ObjectOutputStream(new BufferedOutputStream(s.getOutputStream()))) {
            out.flush();
            ObjectInputStream in = new ObjectInputStream(new BufferedInputStream(s.getInputStream()));
            while (true) {
                Request r = (Request) in.readObject();
                Response response;
                try {
                    response = new Response(executor.run(r.spec(), null, r.jobs()), null);
                } catch (RuntimeException e) {
                    response = new Response(null, String.valueOf(e.getMessage()));
                }
                out.writeObject(response);
                out.reset();
                out.flush();
            }
        } catch (IOException | ClassNotFoundException e) {
            // the rank closed its connection (or went away): nothing more to serve
        }
    }

    @Override
    public void close() {
        try {
            server.close();
        } catch (IOException ignored) {
            // closing
        }
        synchronized (clients) {
            for (Socket s : clients) {
                try {
                    s.close();
                } catch (IOException ignored) {
                    // closing
                }
            }
        }
    }
}
