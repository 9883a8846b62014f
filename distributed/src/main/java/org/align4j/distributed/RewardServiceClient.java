package org.align4j.distributed;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.net.Socket;
import java.util.List;
import org.align4j.reward.code.CodeTestExecutor;
import org.align4j.reward.code.CodeTestJob;
import org.align4j.reward.code.CodeTestReport;
import org.align4j.reward.code.CodeTestRunner;
import org.align4j.reward.code.CodeTestSpec;

/**
 * {@code reward_executor: spark} as a rank sees it: each batch goes to the driver's {@link RewardService}, which
 * runs it as Spark tasks and answers with the reports in order. One connection per code reward of the rank.
 */
final class RewardServiceClient implements CodeTestExecutor {

    private final Socket socket;
    private final ObjectOutputStream out;
    private final ObjectInputStream in;

    RewardServiceClient(String address) {
        int colon = address.lastIndexOf(':');
        try {
            this.socket = new Socket(address.substring(0, colon), Integer.parseInt(address.substring(colon + 1)));
            this.out = new ObjectOutputStream(new BufferedOutputStream(socket.getOutputStream()));
            out.flush();
            this.in = new ObjectInputStream(new BufferedInputStream(socket.getInputStream()));
        } catch (IOException e) {
            throw new IllegalStateException("reward_executor: spark: cannot reach the driver at " + address + ": "
                    + e.getMessage(), e);
        }
    }

    @Override
    public String name() {
        return SparkCodeTestExecutor.NAME;
    }

    @Override
    public synchronized List<CodeTestReport> run(CodeTestSpec spec, CodeTestRunner local, List<CodeTestJob> jobs) {
        RewardService.Response response;
        try {
            out.writeObject(new RewardService.Request(spec, List.copyOf(jobs)));
            out.reset();
            out.flush();
            response = (RewardService.Response) in.readObject();
        } catch (IOException | ClassNotFoundException e) {
            throw new IllegalStateException("reward_executor: spark: the driver's reward service failed: "
                    + e.getMessage(), e);
        }
        if (response.error() != null) {
            throw new IllegalStateException("reward_executor: spark: " + response.error());
        }
        return response.reports();
    }

    @Override
    public void close() {
        try {
            socket.close();
        } catch (IOException ignored) {
            // closing
        }
    }
}
