package org.align4j.distributed;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import org.align4j.policy.train.StopRequest;
import org.junit.jupiter.api.Test;

/**
 * The driver's stop request reaches a rank in another process (here: a receiver that takes the driver for another
 * process's), whether the rank connected before or after it; a rank in the driver's process does not connect.
 */
class StopForwardingTest {

    @Test
    void theDriversStopRequestReachesRanksOfOtherProcesses() throws Exception {
        BlockingQueue<List<Object>> filed = new ArrayBlockingQueue<>(4);
        try (StopForwarding driver = new StopForwarding("127.0.0.1")) {
            String elsewhere = "another-process" + driver.address().substring(driver.address().indexOf('@'));
            try (AutoCloseable before = StopForwarding.receive(elsewhere, (s, c) -> filed.add(List.of(s, c)))) {
                Thread.sleep(300);
                assertEquals(0, filed.size(), "nothing before a request");
                StopRequest.request("SIGTERM", 143);
                assertEquals(List.of("SIGTERM", 143), filed.poll(10, TimeUnit.SECONDS));
                try (AutoCloseable after = StopForwarding.receive(elsewhere, (s, c) -> filed.add(List.of(s, c)))) {
                    assertEquals(List.of("SIGTERM", 143), filed.poll(10, TimeUnit.SECONDS));
                }
            }
            try (AutoCloseable local = StopForwarding.receive(driver.address(), (s, c) -> filed.add(List.of(s, c)))) {
                Thread.sleep(300);
                assertTrue(filed.isEmpty(), "a rank in the driver's process sees the request itself");
            }
        } finally {
            StopRequest.clear();
        }
    }
}
