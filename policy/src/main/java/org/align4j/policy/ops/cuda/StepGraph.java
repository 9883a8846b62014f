package org.align4j.policy.ops.cuda;

import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaGraphDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphExecDestroy;
import static org.bytedeco.cuda.global.cudart.cudaGraphInstantiate;
import static org.bytedeco.cuda.global.cudart.cudaGraphLaunch;
import static org.bytedeco.cuda.global.cudart.cudaStreamBeginCapture;
import static org.bytedeco.cuda.global.cudart.cudaStreamCaptureModeThreadLocal;
import static org.bytedeco.cuda.global.cudart.cudaStreamEndCapture;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

import java.lang.ref.WeakReference;
import java.util.Arrays;
import org.bytedeco.cuda.cudart.CUgraphExec_st;
import org.bytedeco.cuda.cudart.CUgraph_st;

/**
 * One repeated step (a decoding step of one KV cache) as a CUDA graph: its kernel launches, cuBLAS calls, device
 * copies and memsets, captured once from the stream and then launched with one call per step.
 *
 * <p>A graph holds device addresses and launch arguments, so it is launched only for a step that would issue exactly
 * the launches it holds. Each step still runs its Java code, with {@link Gpu} in check mode: every launch, product,
 * copy or memset is compared with the next one of the recording instead of being issued, and the graph is launched
 * when all of them matched. A step that differs (a mirror re-allocated, a scratch buffer grown, a split of the
 * attention changed with the context length) is run eagerly again and recaptured at its next repeat. The caller's
 * index arrays (token ids, positions, lengths) whose contents change every step are the graph's inputs: during
 * capture and check the ops read them from device buffers of this graph, which are uploaded before each launch.
 *
 * <p>Capture refuses what a graph cannot replay: an upload through the pinned ring (its contents would be read at
 * launch time, long after), an allocation, a download or a wait; check mode refuses downloads and waits (a result
 * is needed now). Either ends the graph's use for that step (it runs eagerly); after three failed captures the key stays eager.
 */
final class StepGraph {
    /** Thrown inside a step when it cannot be captured or does not match the recording. */
    static final class Miss extends RuntimeException {
        Miss(String why) {
            super(why, null, false, false);
        }
    }

    enum State { NEW, WARM, READY, FAILED }

    static final long KERNEL = 1;
    static final long GEMM = 2;
    static final long COPY = 3;
    static final long MEMSET = 4;

    final WeakReference<Object> key;
    State state = State.NEW;
    /** Failed captures: the third leaves the key eager for good. */
    int failures;
    /** Device buffers of the inputs (ints), and their lengths. */
    long[] slots = new long[0];
    int[] slotLengths = new int[0];

    private long[] sig = new long[4096];
    private int len;
    private int pos;
    private boolean checking;
    private CUgraphExec_st exec;

    StepGraph(Object key) {
        this.key = new WeakReference<>(key);
    }

    /** Whether ops should only be compared with the recording (not issued). */
    boolean checking() {
        return checking;
    }

    /** One field of the current launch's signature: appended while capturing, compared while checking. */
    void put(long v) {
        if (checking) {
            if (pos >= len || sig[pos] != v) {
                throw new Miss("the step's launch " + pos + " differs from the captured one");
            }
            pos++;
        } else {
            if (len == sig.length) {
                sig = Arrays.copyOf(sig, 2 * len);
            }
            sig[len++] = v;
        }
    }

    void refuse(String what) {
        throw new Miss(what + (checking ? " while checking" : " while capturing") + " a CUDA graph");
    }

    boolean sameInputs(int[][] inputs) {
        if (inputs.length != slotLengths.length) {
            return false;
        }
        for (int i = 0; i < inputs.length; i++) {
            if (inputs[i].length != slotLengths[i]) {
                return false;
            }
        }
        return true;
    }

    /** Device buffers for these inputs (made outside the capture: an allocation cannot be captured). */
    void makeSlots(Gpu gpu, int[][] inputs) {
        freeSlots(gpu);
        slots = new long[inputs.length];
        slotLengths = new int[inputs.length];
        for (int i = 0; i < inputs.length; i++) {
            slotLengths[i] = inputs[i].length;
            slots[i] = gpu.alloc(4L * Math.max(1, inputs[i].length));
        }
    }

    void beginCapture(Gpu gpu) {
        len = 0;
        checking = false;
        Gpu.check(cudaStreamBeginCapture(gpu.stream, cudaStreamCaptureModeThreadLocal), "cudaStreamBeginCapture");
    }

    /** Ends the capture; instantiates the graph when ok (returns false when that fails). */
    boolean endCapture(Gpu gpu, boolean ok) {
        CUgraph_st graph = new CUgraph_st();
        int st = cudaStreamEndCapture(gpu.stream, graph);
        if (st != cudaSuccess || graph.isNull()) {
            cudaGetLastError(); // an invalidated capture is not a sticky error; clear it
            return false;
        }
        try {
            if (!ok) {
                return false;
            }
            CUgraphExec_st e = new CUgraphExec_st();
            int ist = cudaGraphInstantiate(e, graph, 0L);
            if (ist != cudaSuccess) {
                cudaGetLastError();
                return false;
            }
            exec = e;
            return true;
        } finally {
            cudaGraphDestroy(graph);
        }
    }

    void beginCheck() {
        pos = 0;
        checking = true;
    }

    /** True when the checked step issued exactly the recording. */
    boolean endCheck() {
        checking = false;
        return pos == len;
    }

    void launch(Gpu gpu) {
        gpu.calls++;
        Gpu.check(cudaGraphLaunch(exec, gpu.stream), "cudaGraphLaunch");
    }

    /** Frees the executable graph (the slots stay for a recapture), once no launch of it is still queued. */
    void dropGraph(Gpu gpu) {
        if (exec != null) {
            gpu.sync();
            cudaGraphExecDestroy(exec);
            exec = null;
        }
        len = 0;
    }

    void freeSlots(Gpu gpu) {
        for (int i = 0; i < slots.length; i++) {
            gpu.free(slots[i], 4L * Math.max(1, slotLengths[i]));
        }
        slots = new long[0];
        slotLengths = new int[0];
    }

    /** Everything this graph holds on the device. The stream is synchronised first: a launch may still read it. */
    void release(Gpu gpu) {
        dropGraph(gpu);
        freeSlots(gpu);
    }
}
