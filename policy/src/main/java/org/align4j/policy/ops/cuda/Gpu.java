package org.align4j.policy.ops.cuda;

import static org.bytedeco.cuda.global.cudart.CUDA_SUCCESS;
import static org.bytedeco.cuda.global.cudart.cuCtxGetCurrent;
import static org.bytedeco.cuda.global.cudart.cuCtxSetCurrent;
import static org.bytedeco.cuda.global.cudart.cuDeviceGetName;
import static org.bytedeco.cuda.global.cudart.cuGetErrorString;
import static org.bytedeco.cuda.global.cudart.cuLaunchKernel;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMajor;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrComputeCapabilityMinor;
import static org.bytedeco.cuda.global.cudart.cudaDevAttrMultiProcessorCount;
import static org.bytedeco.cuda.global.cudart.cudaDeviceGetAttribute;
import static org.bytedeco.cuda.global.cudart.cudaErrorMemoryAllocation;
import static org.bytedeco.cuda.global.cudart.cudaFree;
import static org.bytedeco.cuda.global.cudart.cudaGetDeviceCount;
import static org.bytedeco.cuda.global.cudart.cudaGetErrorString;
import static org.bytedeco.cuda.global.cudart.cudaGetLastError;
import static org.bytedeco.cuda.global.cudart.cudaMalloc;
import static org.bytedeco.cuda.global.cudart.cudaMemGetInfo;
import static org.bytedeco.cuda.global.cudart.cudaMallocHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyAsync;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyDeviceToHost;
import static org.bytedeco.cuda.global.cudart.cudaMemcpyHostToDevice;
import static org.bytedeco.cuda.global.cudart.cudaMemsetAsync;
import static org.bytedeco.cuda.global.cudart.cudaSetDevice;
import static org.bytedeco.cuda.global.cudart.cudaStreamCreateWithFlags;
import static org.bytedeco.cuda.global.cudart.cudaStreamNonBlocking;
import static org.bytedeco.cuda.global.cudart.cudaStreamSynchronize;
import static org.bytedeco.cuda.global.cudart.cudaSuccess;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.IntBuffer;
import java.util.ArrayDeque;
import java.util.TreeMap;
import org.align4j.policy.ops.DeviceOutOfMemoryException;
import org.bytedeco.cuda.cudart.CUctx_st;
import org.bytedeco.cuda.cudart.CUfunc_st;
import org.bytedeco.cuda.cudart.CUstream_st;
import org.bytedeco.cuda.global.cudart;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One CUDA device as CudaOps uses it: its primary context, one non-blocking stream that every copy,
 * kernel and cuBLAS call goes to (so their order is the program order and nothing else needs a barrier),
 * a caching allocator over plain cudaMalloc, a pinned staging ring for small uploads, and a kernel
 * launcher. Not thread-safe: CudaOps serialises every call.
 */
final class Gpu {
    /** Pinned ring for uploads of index arrays and small buffers; wrapping it waits for the stream. */
    private static final long STAGING_BYTES = 32L << 20;
    /** Uploads up to this size go through the ring (truly asynchronous); larger ones copy from pageable memory. */
    static final long STAGED_UPLOAD_MAX = 4L << 20;

    final int device;
    final int major;
    final int minor;
    final int multiprocessors;
    final String name;
    final CUctx_st ctx = new CUctx_st();
    final CUstream_st stream = new CUstream_st();

    private final TreeMap<Long, ArrayDeque<Long>> freeBlocks = new TreeMap<>();
    private long cachedBytes;
    private long liveBytes;
    /** The most liveBytes has been since the last {@link #resetPeak} (what a benchmark reports as peak memory). */
    private long peakLiveBytes;

    private final long pinned;
    private final long stagingDev;
    private final ByteBuffer pinnedBytes;
    private final IntBuffer pinnedInts;
    private final DoubleBuffer pinnedDoubles;
    private long cursor;
    /** Bumped whenever the ring wraps: staged device copies of older generations may be overwritten. */
    long generation;

    private final Addr a1 = new Addr();
    private final Addr a2 = new Addr();
    private final BytePointer args = new BytePointer(8 * 64);
    private final ByteBuffer argBytes = args.asByteBuffer().order(ByteOrder.nativeOrder());
    /** void*[64], entry i pointing at argument slot i (the PointerPointer overload passes it as void**). */
    private final PointerPointer<Pointer> params = new PointerPointer<>(64);
    private int nargs;

    /** The step graph being captured or checked (see {@link StepGraph}); null when ops run eagerly. */
    StepGraph graph;
    /** Work handed to the stream one call at a time (kernels, copies, memsets; cuBLAS calls and graph launches are
     * counted by their callers): what a step graph saves. */
    long calls;

    /** A Pointer whose address we set, to pass raw device or host addresses to JavaCPP functions. */
    static final class Addr extends Pointer {
        Addr() {
            super((Pointer) null);
        }

        Addr at(long a) {
            address = a;
            position = 0;
            return this;
        }
    }

    /** The CUDA devices of this machine (0 when none can be used). */
    static int deviceCount() {
        if (unavailableReason() != null) {
            return 0;
        }
        int[] n = new int[1];
        return cudaGetDeviceCount(n) == cudaSuccess ? n[0] : 0;
    }

    /** Why no CUDA device can be used here, or null when one can. */
    static String unavailableReason() {
        try {
            Loader.load(cudart.class);
        } catch (Throwable t) {
            return "cannot load the CUDA runtime (CUDA 13's libcudart.so.13 must be on LD_LIBRARY_PATH): " + t;
        }
        int[] n = new int[1];
        int st = cudaGetDeviceCount(n);
        if (st != cudaSuccess) {
            return "cudaGetDeviceCount: " + cudaGetErrorString(st).getString();
        }
        if (n[0] == 0) {
            return "cudaGetDeviceCount: 0 devices";
        }
        return null;
    }

    Gpu(int device) {
        this.device = device;
        check(cudaSetDevice(device), "cudaSetDevice");
        // cudaFree(0) creates the primary context; the driver API (module loading, launches) then uses it.
        check(cudaFree(null), "cudaFree(0)");
        drv(cuCtxGetCurrent(ctx), "cuCtxGetCurrent");
        check(cudaStreamCreateWithFlags(stream, cudaStreamNonBlocking), "cudaStreamCreate");
        major = attribute(cudaDevAttrComputeCapabilityMajor);
        minor = attribute(cudaDevAttrComputeCapabilityMinor);
        multiprocessors = attribute(cudaDevAttrMultiProcessorCount);
        byte[] nm = new byte[256];
        drv(cuDeviceGetName(nm, nm.length, device), "cuDeviceGetName");
        int len = 0;
        while (len < nm.length && nm[len] != 0) {
            len++;
        }
        name = new String(nm, 0, len, java.nio.charset.StandardCharsets.UTF_8);
        Pointer p = new Pointer();
        check(cudaMallocHost(p, STAGING_BYTES), "cudaMallocHost");
        pinned = p.address();
        pinnedBytes = new BytePointer(p).capacity(STAGING_BYTES).asByteBuffer().order(ByteOrder.nativeOrder());
        pinnedInts = pinnedBytes.asIntBuffer();
        pinnedDoubles = pinnedBytes.asDoubleBuffer();
        stagingDev = malloc(STAGING_BYTES);
        LongPointer slots = new LongPointer(params);
        for (int i = 0; i < 64; i++) {
            slots.put(i, args.address() + 8L * i);
        }
    }

    private int attribute(int attr) {
        int[] v = new int[1];
        check(cudaDeviceGetAttribute(v, attr, device), "cudaDeviceGetAttribute");
        return v[0];
    }

    static void check(int status, String what) {
        if (status != cudaSuccess) {
            throw new CudaException(what + ": " + cudaGetErrorString(status).getString() + " (" + status + ")");
        }
    }

    static void drv(int status, String what) {
        if (status != CUDA_SUCCESS) {
            BytePointer s = new BytePointer((Pointer) null);
            cuGetErrorString(status, s);
            throw new CudaException(what + ": " + (s.isNull() ? "CUDA error" : s.getString()) + " (" + status + ")");
        }
    }

    /** Makes this device's context current on the calling thread (the driver API needs it per thread). */
    void bindThread() {
        drv(cuCtxSetCurrent(ctx), "cuCtxSetCurrent");
    }

    // ------------------------------------------------------------------ memory

    private static long bucket(long bytes) {
        long b = Math.max(bytes, 256);
        if (b <= (1L << 20)) {
            return (b + 511) & ~511L;
        }
        long mb2 = 2L << 20;
        return (b + mb2 - 1) / mb2 * mb2;
    }

    /** Total device memory in bytes. */
    long totalMemory() {
        org.bytedeco.javacpp.SizeTPointer free = new org.bytedeco.javacpp.SizeTPointer(1);
        org.bytedeco.javacpp.SizeTPointer total = new org.bytedeco.javacpp.SizeTPointer(1);
        check(cudaMemGetInfo(free, total), "cudaMemGetInfo");
        return total.get();
    }

    /** Device memory of at least {@code bytes}; give it back with {@link #free} and the same size. */
    long alloc(long bytes) {
        long size = bucket(bytes);
        ArrayDeque<Long> q = freeBlocks.get(size);
        if (q != null && !q.isEmpty()) {
            cachedBytes -= size;
            liveBytes += size;
            peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
            return q.pop();
        }
        long p = malloc(size);
        liveBytes += size;
        peakLiveBytes = Math.max(peakLiveBytes, liveBytes);
        return p;
    }

    void free(long ptr, long bytes) {
        long size = bucket(bytes);
        freeBlocks.computeIfAbsent(size, k -> new ArrayDeque<>()).push(ptr);
        liveBytes -= size;
        cachedBytes += size;
    }

    /**
     * Called when the device is out of memory, before the cache is emptied and the allocation retried: mirrors
     * of ND4J buffers that are unreachable but not yet collected (closed KV caches, say) can be freed.
     */
    Runnable onLowMemory = () -> { };

    private long malloc(long size) {
        if (graph != null && !graph.checking()) {
            graph.refuse("cudaMalloc");
        }
        Pointer p = new Pointer();
        int st = cudaMalloc(p, size);
        if (st == cudaErrorMemoryAllocation) {
            cudaGetLastError();
            onLowMemory.run();
            releaseCache();
            st = cudaMalloc(p, size);
            if (st == cudaErrorMemoryAllocation) {
                cudaGetLastError();
                throw new DeviceOutOfMemoryException("GPU", size, liveBytes);
            }
        }
        check(st, "cudaMalloc(" + size + " bytes; " + liveBytes + " in use)");
        return p.address();
    }

    /** Returns every cached block to the driver (cudaFree waits for the device). */
    void releaseCache() {
        for (var e : freeBlocks.entrySet()) {
            for (long ptr : e.getValue()) {
                check(cudaFree(a1.at(ptr)), "cudaFree");
            }
        }
        freeBlocks.clear();
        cachedBytes = 0;
    }

    long liveBytes() {
        return liveBytes;
    }

    long cachedBytes() {
        return cachedBytes;
    }

    long peakLiveBytes() {
        return peakLiveBytes;
    }

    void resetPeak() {
        peakLiveBytes = liveBytes;
    }

    // ------------------------------------------------------------------ copies

    void sync() {
        if (graph != null) {
            graph.refuse("waiting for the stream");
        }
        check(cudaStreamSynchronize(stream), "cudaStreamSynchronize (an earlier kernel or copy failed)");
    }

    /** Reserves n bytes of the pinned ring; a wrap first waits until no queued copy still reads it. */
    private long stage(long n) {
        if (graph != null && !graph.checking()) {
            graph.refuse("an upload through the pinned ring");
        }
        long size = (n + 255) & ~255L;
        if (cursor + size > STAGING_BYTES) {
            sync();
            cursor = 0;
            generation++;
        }
        long off = cursor;
        cursor += size;
        return off;
    }

    /** Uploads an index array into the staging ring's device half; the address stays valid until the ring wraps. */
    long stageInts(int[] a) {
        long off = stage(4L * a.length);
        pinnedInts.put((int) (off / 4), a);
        copy(stagingDev + off, pinned + off, 4L * a.length, cudaMemcpyHostToDevice);
        return stagingDev + off;
    }

    /** Uploads the first n doubles of a into the staging ring's device half (valid until the ring wraps). */
    long stageDoubles(double[] a, int n) {
        long off = stage(8L * n);
        pinnedDoubles.put((int) (off / 8), a, 0, n);
        copy(stagingDev + off, pinned + off, 8L * n, cudaMemcpyHostToDevice);
        return stagingDev + off;
    }

    /** n ints and n doubles from the device into the given arrays, with one wait for the stream. */
    void downloadPicks(long srcInts, int[] ints, long srcDoubles, double[] doubles, int n) {
        long offD = stage(8L * n);
        long offI = stage(4L * n);
        copy(pinned + offD, srcDoubles, 8L * n, cudaMemcpyDeviceToHost);
        copy(pinned + offI, srcInts, 4L * n, cudaMemcpyDeviceToHost);
        sync();
        pinnedDoubles.get((int) (offD / 8), doubles, 0, n);
        pinnedInts.get((int) (offI / 4), ints, 0, n);
    }

    /** Uploads ints into device memory at dst (through the ring). */
    void uploadInts(int[] a, long dst) {
        long off = stage(4L * a.length);
        pinnedInts.put((int) (off / 4), a);
        copy(dst, pinned + off, 4L * a.length, cudaMemcpyHostToDevice);
    }

    /** Uploads doubles into device memory at dst (through the ring). */
    void uploadDoubles(double[] a, long dst) {
        long off = stage(8L * a.length);
        pinnedDoubles.put((int) (off / 8), a);
        copy(dst, pinned + off, 8L * a.length, cudaMemcpyHostToDevice);
    }

    /** Host memory to device memory; small copies are staged so that the host does not wait for the stream. */
    void upload(long dst, long host, long bytes) {
        if (bytes <= STAGED_UPLOAD_MAX) {
            long off = stage(bytes);
            Pointer.memcpy(a1.at(pinned + off), a2.at(host), bytes);
            copy(dst, pinned + off, bytes, cudaMemcpyHostToDevice);
        } else {
            copy(dst, host, bytes, cudaMemcpyHostToDevice);
        }
    }

    /** Device memory to host memory, waiting for everything queued before it. */
    void download(long host, long src, long bytes) {
        copy(host, src, bytes, cudaMemcpyDeviceToHost);
        sync();
    }

    /** Device to pinned staging and back to the caller as doubles (small results: norms, flags). */
    double[] downloadDoubles(long src, int n) {
        long off = stage(8L * n);
        copy(pinned + off, src, 8L * n, cudaMemcpyDeviceToHost);
        sync();
        double[] out = new double[n];
        pinnedDoubles.get((int) (off / 8), out);
        return out;
    }

    int downloadInt(long src) {
        long off = stage(4);
        copy(pinned + off, src, 4, cudaMemcpyDeviceToHost);
        sync();
        return pinnedInts.get((int) (off / 4));
    }

    void copyDevice(long dst, long src, long bytes) {
        copy(dst, src, bytes, cudaMemcpyDeviceToDevice);
    }

    private void copy(long dst, long src, long bytes, int kind) {
        if (graph != null && bytes > 0) {
            if (kind == cudaMemcpyDeviceToHost) {
                graph.refuse("a download");
            } else if (kind == cudaMemcpyHostToDevice) {
                if (!graph.checking()) {
                    graph.refuse("an upload");
                }
            } else {
                graph.put(StepGraph.COPY);
                graph.put(dst);
                graph.put(src);
                graph.put(bytes);
                if (graph.checking()) {
                    return; // the graph's launch copies
                }
            }
        }
        if (bytes > 0) {
            calls++;
            check(cudaMemcpyAsync(a1.at(dst), a2.at(src), bytes, kind, stream), "cudaMemcpyAsync");
        }
    }

    void memsetZero(long dst, long bytes) {
        if (graph != null && bytes > 0) {
            graph.put(StepGraph.MEMSET);
            graph.put(dst);
            graph.put(bytes);
            if (graph.checking()) {
                return;
            }
        }
        if (bytes > 0) {
            calls++;
            check(cudaMemsetAsync(a1.at(dst), 0, bytes, stream), "cudaMemsetAsync");
        }
    }

    // ------------------------------------------------------------------ launches

    Gpu arg(long v) {
        argBytes.putLong(8 * nargs++, v);
        return this;
    }

    Gpu argInt(int v) {
        // The whole slot, so that a step graph compares no stale bytes (the kernel reads the low four).
        argBytes.putLong(8 * nargs++, v & 0xFFFFFFFFL);
        return this;
    }

    Gpu argFloat(float v) {
        argBytes.putLong(8 * nargs++, Float.floatToRawIntBits(v) & 0xFFFFFFFFL); // the low four bytes, as argInt
        return this;
    }

    Gpu argDouble(double v) {
        argBytes.putDouble(8 * nargs++, v);
        return this;
    }

    /** Launches f with the arguments given since the last launch (the driver copies them at the call). */
    void launch(CUfunc_st f, int gridX, int gridY, int blockX, int blockY, int sharedBytes) {
        int n = nargs;
        nargs = 0;
        if (gridX <= 0 || gridY <= 0) {
            return;
        }
        if (graph != null) {
            graph.put(StepGraph.KERNEL);
            graph.put(f.address());
            graph.put(((long) gridX << 32) | gridY);
            graph.put(((long) blockX << 32) | blockY);
            graph.put(((long) sharedBytes << 32) | n);
            for (int i = 0; i < n; i++) {
                graph.put(argBytes.getLong(8 * i));
            }
            if (graph.checking()) {
                return; // the graph's launch runs it
            }
        }
        calls++;
        // The PointerPointer overload: the Pointer one is @ByPtrPtr, which would pass &params and a non-null extra.
        drv(cuLaunchKernel(f, gridX, gridY, 1, blockX, blockY, 1, sharedBytes, stream, params, (PointerPointer) null),
                "cuLaunchKernel (" + n + " arguments)");
    }

    void launch(CUfunc_st f, int grid, int block) {
        launch(f, grid, 1, block, 1, 0);
    }

    /** Blocks for a grid-stride loop over n elements: enough to fill the device, no more. */
    int gridFor(long n, int block) {
        long blocks = (n + block - 1) / block;
        return (int) Math.min(blocks, (long) multiprocessors * 16);
    }
}
