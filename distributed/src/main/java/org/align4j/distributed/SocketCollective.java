package org.align4j.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.align4j.policy.train.Collective;

/**
 * The CPU ranks' collective over TCP, in a star through rank 0: each all-gather sends every rank's bytes to rank
 * 0, which sends all of them back in rank order. The ranks find rank 0 through one all-gather of their bootstrap
 * (Spark's barrier, whose messages each wait about a second: too slow for every step, fine for the rendezvous).
 * Fine for the gradients of the tiny models of tests and for CPU ranks; GPUs use NCCL.
 */
final class SocketCollective implements Collective, AutoCloseable {
    private final int rank;
    private final int size;
    private final ServerSocket server;
    /** On rank 0: the stream of rank i at index i (index 0 unused); elsewhere one connection, to rank 0. */
    private final Socket[] sockets;
    private final DataInputStream[] in;
    private final DataOutputStream[] out;

    /** Connects the ranks of bootstrap; every rank calls it together. host: rank 0's address as others reach it. */
    SocketCollective(Collective bootstrap, String host) {
        this.rank = bootstrap.rank();
        this.size = bootstrap.size();
        this.sockets = new Socket[size];
        this.in = new DataInputStream[size];
        this.out = new DataOutputStream[size];
        try {
            server = rank == 0 ? new ServerSocket(0, size) : null;
            byte[] where = rank == 0 ? (host + ":" + server.getLocalPort()).getBytes(StandardCharsets.UTF_8)
                    : new byte[0];
            String[] hostPort = new String(bootstrap.broadcast(where, 0), StandardCharsets.UTF_8).split(":");
            if (rank == 0) {
                for (int i = 1; i < size; i++) {
                    Socket s = server.accept();
                    s.setTcpNoDelay(true);
                    DataInputStream din = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                    int r = din.readInt();
                    sockets[r] = s;
                    in[r] = din;
                    out[r] = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                }
            } else {
                Socket s = new Socket();
                s.setTcpNoDelay(true);
                s.connect(new InetSocketAddress(InetAddress.getByName(hostPort[0]), Integer.parseInt(hostPort[1])));
                sockets[0] = s;
                in[0] = new DataInputStream(new BufferedInputStream(s.getInputStream()));
                out[0] = new DataOutputStream(new BufferedOutputStream(s.getOutputStream()));
                out[0].writeInt(rank);
                out[0].flush();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("rank " + rank + ": cannot connect the ranks: " + e.getMessage(), e);
        }
        bootstrap.barrier();
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int size() {
        return size;
    }

    @Override
    public List<byte[]> allGather(byte[] mine) {
        try {
            List<byte[]> all = new ArrayList<>(size);
            if (rank == 0) {
                all.add(mine);
                for (int r = 1; r < size; r++) {
                    all.add(read(in[r]));
                }
                for (int r = 1; r < size; r++) {
                    for (byte[] b : all) {
                        out[r].writeInt(b.length);
                        out[r].write(b);
                    }
                    out[r].flush();
                }
            } else {
                out[0].writeInt(mine.length);
                out[0].write(mine);
                out[0].flush();
                for (int r = 0; r < size; r++) {
                    all.add(read(in[0]));
                }
            }
            return all;
        } catch (IOException e) {
            throw new RankLeftException(rank, e);
        }
    }

    /** Rank 0 sums the float arrays and sends back only the sum (a 1/size of what an all-gather sends). */
    @Override
    public void allReduceSum(float[] values) {
        ByteBuffer b = ByteBuffer.allocate(4 * values.length);
        b.asFloatBuffer().put(values);
        byte[] sum = reduceAtRoot(b.array(), true);
        ByteBuffer.wrap(sum).asFloatBuffer().get(values);
    }

    @Override
    public void allReduceSum(double[] values) {
        ByteBuffer b = ByteBuffer.allocate(8 * values.length);
        b.asDoubleBuffer().put(values);
        byte[] sum = reduceAtRoot(b.array(), false);
        ByteBuffer.wrap(sum).asDoubleBuffer().get(values);
    }

    /** Sums in rank order at rank 0 (so every rank gets the same bits) and returns the sum on every rank. */
    private byte[] reduceAtRoot(byte[] mine, boolean floats) {
        try {
            if (rank != 0) {
                out[0].writeInt(mine.length);
                out[0].write(mine);
                out[0].flush();
                return read(in[0]);
            }
            ByteBuffer acc = ByteBuffer.wrap(mine.clone());
            for (int r = 1; r < size; r++) {
                ByteBuffer other = ByteBuffer.wrap(read(in[r]));
                if (floats) {
                    for (int i = 0; i < mine.length / 4; i++) {
                        acc.putFloat(4 * i, acc.getFloat(4 * i) + other.getFloat(4 * i));
                    }
                } else {
                    for (int i = 0; i < mine.length / 8; i++) {
                        acc.putDouble(8 * i, acc.getDouble(8 * i) + other.getDouble(8 * i));
                    }
                }
            }
            byte[] sum = acc.array();
            for (int r = 1; r < size; r++) {
                out[r].writeInt(sum.length);
                out[r].write(sum);
                out[r].flush();
            }
            return sum;
        } catch (IOException e) {
            throw new RankLeftException(rank, e);
        }
    }

    private static byte[] read(DataInputStream din) throws IOException {
        byte[] b = new byte[din.readInt()];
        din.readFully(b);
        return b;
    }

    @Override
    public void close() {
        for (Socket s : sockets) {
            try {
                if (s != null) {
                    s.close();
                }
            } catch (IOException ignored) {
                // closing: nothing more to send or receive
            }
        }
        try {
            if (server != null) {
                server.close();
            }
        } catch (IOException ignored) {
            // closing
        }
    }

    @Override
    public String toString() {
        return "rank " + rank + " of " + size + " (TCP through rank 0)";
    }
}
