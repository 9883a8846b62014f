package org.align4j.policy.ops.cuda;

import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_16BF;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_32F_FAST_TF32;
import static org.bytedeco.cuda.global.cublas.CUBLAS_COMPUTE_64F;
import static org.bytedeco.cuda.global.cublas.CUBLAS_DEFAULT_MATH;
import static org.bytedeco.cuda.global.cublas.CUBLAS_GEMM_DEFAULT;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_N;
import static org.bytedeco.cuda.global.cublas.CUBLAS_OP_T;
import static org.bytedeco.cuda.global.cublas.CUBLAS_STATUS_SUCCESS;
import static org.bytedeco.cuda.global.cublas.cublasCreate_v2;
import static org.bytedeco.cuda.global.cublas.cublasGemmEx;
import static org.bytedeco.cuda.global.cublas.cublasGemmStridedBatchedEx;
import static org.bytedeco.cuda.global.cublas.cublasGetStatusString;
import static org.bytedeco.cuda.global.cublas.cublasSetMathMode;
import static org.bytedeco.cuda.global.cublas.cublasSetStream_v2;
import static org.bytedeco.cuda.global.cublas.cublasSetWorkspace_v2;
import static org.bytedeco.cuda.global.cudart.CUDA_R_16BF;
import static org.bytedeco.cuda.global.cudart.CUDA_R_32F;
import static org.bytedeco.cuda.global.cudart.CUDA_R_64F;

import java.lang.ref.Reference;
import java.lang.ref.ReferenceQueue;
import java.lang.ref.WeakReference;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.WeakHashMap;
import org.align4j.policy.ops.Bf16;
import org.align4j.policy.ops.Bf16Source;
import org.align4j.policy.ops.MoeGate;
import org.align4j.policy.ops.Ops;
import org.align4j.policy.ops.RopeTable;
import org.align4j.policy.ops.cuda.KernelModule.K;
import org.bytedeco.cuda.cublas.cublasContext;
import org.bytedeco.cuda.global.cublas;
import org.bytedeco.cuda.global.nvrtc;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.ShortPointer;
import org.nd4j.linalg.api.buffer.DataBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The {@link Ops} of an NVIDIA GPU (written for Hopper, sm_90; any CUDA 13 device works): matrix products
 * through cuBLAS, everything else through this package's kernels.cu, compiled at start-up by NVRTC for the
 * device's architecture, in float32 and float64. One stream, so every call is queued in program order and
 * the host waits only where it reads a result.
 *
 * <p>Arrays stay ND4J host arrays in the model code. Each underlying ND4J buffer (views share their
 * parent's) gets a device mirror on first use, with a state: a buffer this backend has not seen, or one
 * written through {@link #editOnHost}, is uploaded before it is read; an op's output becomes device-newer;
 * {@link #toHost} downloads a device-newer buffer. Mirrors are freed (into a caching allocator) once their
 * ND4J buffer is garbage collected.
 *
 * <p>Thread-safe by serialisation: every call holds this object's lock (rollout threads and the trainer
 * share one device and one stream). By default float32 matrix products run in full float32 (no TF32), so
 * results match the CPU backend within float rounding; {@link Options} can allow bf16 or TF32 tensor cores.
 *
 * <p>Mixed precision ({@link #holdInBf16}): a frozen weight's mirror holds bf16 only (2 bytes an element, no float32
 * copy on the device), uploaded by converting its host copy; a trainable weight's float32 mirror gets a bf16
 * working copy beside it, recast (lazily, before the next product that reads it) whenever the float32 one is
 * written. A product that reads either runs in cuBLAS with bf16 inputs, the other operand cast to bf16 into a
 * scratch buffer, and float32 accumulation and output.
 */
public final class CudaOps implements Ops {
    /** Matrix-product precision and debugging switches. */
    public record Options(boolean bf16Matmul, boolean tf32Matmul, boolean syncEveryOp) {
        public static Options defaults() {
            return new Options(false, false, false);
        }

        /** ALIGN4J_CUDA_BF16=1, ALIGN4J_CUDA_TF32=1, ALIGN4J_CUDA_SYNC=1 (wait after every op, to find a failing kernel). */
        public static Options fromEnvironment() {
            return new Options(flag("ALIGN4J_CUDA_BF16"), flag("ALIGN4J_CUDA_TF32"), flag("ALIGN4J_CUDA_SYNC"));
        }

        private static boolean flag(String name) {
            String v = System.getenv(name);
            return v != null && (v.equals("1") || v.equalsIgnoreCase("true"));
        }
    }

    private static final int HOST_NEWER = 0;
    private static final int SYNCED = 1;
    private static final int DEVICE_NEWER = 2;
    private static final int PARTIAL_BLOCKS = 1024;
    private static final int INT_CACHE = 6;
    private static final int MAX_HEAD_DIM = 256;
    private static final long BLAS_WORKSPACE = 32L << 20;

    private static volatile String probe;

    private final Options options;
    private final Gpu gpu;
    private final cublasContext blas = new cublasContext();
    /** cuBLAS's compute type for float32 products: bf16 or TF32 tensor cores, or full float32. */
    private volatile int floatCompute;
    /** Products of two float32 arrays and fused attention in bf16 (ALIGN4J_CUDA_BF16=1 or {@link #useBf16Products}). */
    private volatile boolean bf16Products;
    private KernelModule f32;
    private KernelModule f64;

    private final Map<Long, Mirror> mirrors = new HashMap<>();
    private final ReferenceQueue<DataBuffer> collected = new ReferenceQueue<>();
    private final Map<RopeTable, Long> invFreqs = new WeakHashMap<>();
    private final ThreadLocal<Boolean> bound = ThreadLocal.withInitial(() -> Boolean.FALSE);
    private final long scratch;

    private final Gpu.Addr pa = new Gpu.Addr();
    private final Gpu.Addr pb = new Gpu.Addr();
    private final Gpu.Addr pc = new Gpu.Addr();
    private final FloatPointer alphaF = new FloatPointer(1);
    private final FloatPointer betaF = new FloatPointer(1);
    private final DoublePointer alphaD = new DoublePointer(1);
    private final DoublePointer betaD = new DoublePointer(1);

    private final int[][] intRefs = new int[INT_CACHE][];
    private final int[][] intCopies = new int[INT_CACHE][];
    private final long[] intDev = new long[INT_CACHE];
    private final long[] intGen = new long[INT_CACHE];
    private int intNext;

    /** The device mirror of one ND4J buffer, keyed by the buffer's host address. */
    private static final class Mirror extends WeakReference<DataBuffer> {
        final long host;
        final long bytes;
        final long dev;
        /** A frozen weight held as bf16 only: dev holds bytes / 2 bf16 values of a float32 host buffer. */
        final boolean bf16Only;
        int state = HOST_NEWER;
        boolean released;
        /** A trainable weight's bf16 working copy (0: none), current when shadowVersion == version. */
        long shadow;
        long version = 1;
        long shadowVersion;

        Mirror(DataBuffer root, ReferenceQueue<DataBuffer> q, long host, long bytes, long dev, boolean bf16Only) {
            super(root, q);
            this.host = host;
            this.bytes = bytes;
            this.dev = dev;
            this.bf16Only = bf16Only;
        }

        long elements() {
            return bf16Only ? bytes / 2 : bytes / 4;
        }
    }

    /** Device 0 with {@link Options#fromEnvironment()}. */
    public CudaOps() {
        this(Options.fromEnvironment());
    }

    public CudaOps(Options options) {
        this(options, 0);
    }

    /** GPU {@code device} (a data-parallel rank's: each rank of a host drives one of its GPUs). */
    public CudaOps(Options options, int device) {
        String why = unavailableReason();
        if (why != null) {
            throw new CudaException("no CUDA device (" + why + ")");
        }
        this.options = options;
        // Step graphs need no wait between ops: ALIGN4J_CUDA_SYNC=1 (a wait after every op) turns them off.
        this.graphsOn = !"0".equals(System.getenv("ALIGN4J_CUDA_GRAPHS")) && !options.syncEveryOp();
        this.syncEveryOp = options.syncEveryOp();
        try {
            Loader.load(cublas.class);
            Loader.load(nvrtc.class);
        } catch (Throwable t) {
            throw new CudaException("no CUDA device (cannot load cuBLAS or NVRTC of CUDA 13: " + t + ")");
        }
        gpu = new Gpu(device);
        blas(cublasCreate_v2(blas), "cublasCreate");
        blas(cublasSetStream_v2(blas, gpu.stream), "cublasSetStream");
        // Default math mode: no TF32 unless asked for per call (the compute type below).
        blas(cublasSetMathMode(blas, CUBLAS_DEFAULT_MATH), "cublasSetMathMode");
        useBf16Products(options.bf16Matmul());
        scratch = gpu.alloc(8L * PARTIAL_BLOCKS + 256);
        // cuBLAS's own workspace: a product captured into a step graph must not allocate one (Hopper's size).
        long blasWorkspace = gpu.alloc(BLAS_WORKSPACE);
        blas(cublasSetWorkspace_v2(blas, new Gpu.Addr().at(blasWorkspace), BLAS_WORKSPACE), "cublasSetWorkspace");
        gpu.onLowMemory = () -> {
            System.gc(); // clears the weak references of unreachable buffers, whose mirrors enter() then frees
            reap();
        };
        bound.set(Boolean.TRUE);
    }

    /**
     * bf16 inputs (float32 accumulation) for every float32 product and fused attention on the tensor cores; off: the
     * products as {@link Options} set them (full float32 unless TF32 is on) and kernels.cu's exact attention.
     */
    @Override
    public synchronized void useBf16Products(boolean on) {
        bf16Products = on;
        floatCompute = on ? CUBLAS_COMPUTE_32F_FAST_16BF
                : options.tf32Matmul() ? CUBLAS_COMPUTE_32F_FAST_TF32 : CUBLAS_COMPUTE_32F;
    }

    /** Why this process cannot use a CUDA device, or null when it can (probed once). */
    public static String unavailableReason() {
        String p = probe;
        if (p == null) {
            String why = Gpu.unavailableReason();
            p = why == null ? "" : why;
            probe = p;
        }
        return p.isEmpty() ? null : p;
    }

    /** True when a CUDA device can be used (for JUnit's @EnabledIf). */
    public static boolean available() {
        return unavailableReason() == null;
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** A new cache's host arrays would be allocated and uploaded only to be overwritten here: reuse them. */
    @Override
    public boolean reuseCaches() {
        return true;
    }

    @Override
    public long deviceMemoryBytes() {
        return gpu.totalMemory();
    }

    /** Device, architecture and matrix precision, for logs. */
    public String describe() {
        return gpu.name + " (sm_" + gpu.major + gpu.minor + ", " + gpu.multiprocessors + " SMs), float32 matmuls in "
                + (bf16Products ? "bf16" : options.tf32Matmul() ? "tf32" : "fp32");
    }

    /**
     * Bytes of device memory held by live mirrors and by the allocator's cache, and the most held by live mirrors
     * since {@link #resetPeakBytes} (cuBLAS's workspace and the pinned host ring are not counted).
     */
    public synchronized long[] deviceBytes() {
        return new long[] {gpu.liveBytes(), gpu.cachedBytes(), gpu.peakLiveBytes()};
    }

    /**
     * Starts a new peak for {@link #deviceBytes}: the bytes live now, after freeing the mirrors of buffers the garbage
     * collector has found unreachable (so that a caller's System.gc() before a phase is seen in its peak).
     */
    public synchronized void resetPeakBytes() {
        enter();
        gpu.resetPeak();
    }

    /** Waits until every queued operation has finished (for timing). */
    public synchronized void synchronize() {
        enter();
        gpu.sync();
    }

    // ------------------------------------------------------------------ bookkeeping

    private static void blas(int status, String what) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw new CudaException(what + ": " + cublasGetStatusString(status).getString());
        }
    }

    private void enter() {
        if (!bound.get()) {
            gpu.bindThread();
            bound.set(Boolean.TRUE);
        }
        reap();
    }

    private void reap() {
        Reference<? extends DataBuffer> r;
        while ((r = collected.poll()) != null) {
            release((Mirror) r);
        }
    }

    /** A wait after every op: ALIGN4J_CUDA_SYNC=1, or {@link #waitAfterEachOp} (profiles). */
    private volatile boolean syncEveryOp;

    private void exit() {
        if (syncEveryOp) {
            gpu.sync();
        }
    }

    /** Waits after each op and turns step graphs off (on again when turned off, unless ALIGN4J_CUDA_GRAPHS=0). */
    @Override
    public synchronized void waitAfterEachOp(boolean on) {
        syncEveryOp = on || options.syncEveryOp();
        useGraphs(!syncEveryOp && !"0".equals(System.getenv("ALIGN4J_CUDA_GRAPHS")));
    }

    private void release(Mirror m) {
        if (m.released) {
            return;
        }
        m.released = true;
        if (mirrors.get(m.host) == m) {
            mirrors.remove(m.host);
        }
        gpu.free(m.dev, m.bytes);
        if (m.shadow != 0) {
            gpu.free(m.shadow, 2 * m.elements());
            m.shadow = 0;
        }
    }

    private KernelModule kernels(INDArray a) {
        DataType t = a.dataType();
        if (t == DataType.FLOAT) {
            if (f32 == null) {
                f32 = new KernelModule("float", gpu.major, gpu.minor);
            }
            return f32;
        }
        if (t == DataType.DOUBLE) {
            if (f64 == null) {
                f64 = new KernelModule("double", gpu.major, gpu.minor);
            }
            return f64;
        }
        throw new IllegalArgumentException("unsupported data type " + t + " (float32 or float64)");
    }

    private static DataBuffer root(DataBuffer d) {
        DataBuffer r = d;
        for (int i = 0; i < 16; i++) {
            DataBuffer u = r.underlyingDataBuffer();
            if (u == null || u == r) {
                break;
            }
            r = u;
        }
        return r;
    }

    private static void requireContiguous(INDArray a) {
        if (a.ordering() != 'c') {
            throw new IllegalArgumentException("array must be C-ordered: " + a.shapeInfoToString());
        }
        long[] shape = a.shape();
        long[] stride = a.stride();
        long expect = 1;
        for (int d = shape.length - 1; d >= 0; d--) {
            if (shape[d] != 1 && stride[d] != expect) {
                throw new IllegalArgumentException("array must be contiguous: " + a.shapeInfoToString());
            }
            expect *= shape[d];
        }
    }

    /** The mirror of a's buffer, made (device memory allocated, host-newer) when there is none. */
    private Mirror mirror(DataBuffer root) {
        long host = root.address();
        Mirror m = mirrors.get(host);
        if (m != null && m.get() != root) {
            release(m); // the address was freed and reused by a new buffer before its mirror was reaped
            m = null;
        }
        if (m == null) {
            long bytes = root.length() * root.getElementSize();
            m = new Mirror(root, collected, host, bytes, gpu.alloc(bytes), false);
            mirrors.put(host, m);
        }
        return m;
    }

    private Mirror existing(INDArray a) {
        DataBuffer root = root(a.data());
        Mirror m = mirrors.get(root.address());
        return m != null && m.get() == root ? m : null;
    }

    private static final int READ = 0;
    private static final int UPDATE = 1;
    private static final int OVERWRITE = 2;

    /** An array resolved to its mirror, so that the arrays a model passes every step are looked up once. */
    private static final class Resolved extends WeakReference<INDArray> {
        final Mirror mirror;
        final long address;
        final boolean whole;

        Resolved(INDArray a, Mirror mirror, long address, boolean whole) {
            super(a);
            this.mirror = mirror;
            this.address = address;
            this.whole = whole;
        }
    }

    /** Direct-mapped by identity hash; a collision only costs a new resolution. */
    private final Resolved[] resolved = new Resolved[1 << 12];

    /**
     * Device address of a's first element. READ: the device copy is made current. UPDATE: the same, and the
     * buffer becomes device-newer. OVERWRITE: the op writes every element of a, so when a is its whole
     * buffer the upload is skipped.
     */
    private long dev(INDArray a, int mode) {
        int slot = System.identityHashCode(a) & (resolved.length - 1);
        Resolved r = resolved[slot];
        if (r == null || r.get() != a || r.mirror.released) {
            r = resolve(a);
            resolved[slot] = r;
        }
        Mirror m = r.mirror;
        if (m.state == HOST_NEWER && !(mode == OVERWRITE && r.whole)) {
            gpu.upload(m.dev, m.host, m.bytes);
            m.state = SYNCED;
        }
        if (mode != READ) {
            m.state = DEVICE_NEWER;
            m.version++;
        }
        return r.address;
    }

    private Resolved resolve(INDArray a) {
        requireContiguous(a);
        DataBuffer d = a.data();
        DataBuffer root = root(d);
        Mirror m = mirror(root);
        if (m.bf16Only) {
            throw new IllegalStateException("a weight held in bf16 (frozen, bf16: true) was passed to an op that reads "
                    + "only float32 or writes it: " + a.shapeInfoToString());
        }
        int width = root.getElementSize();
        long elemOffset = (d.address() - m.host) / width + a.offset();
        boolean whole = elemOffset == 0 && a.length() * width == m.bytes;
        return new Resolved(a, m, m.dev + elemOffset * width, whole);
    }

    private long in(INDArray a) {
        return dev(a, READ);
    }

    private long out(INDArray a) {
        return dev(a, UPDATE);
    }

    private long fresh(INDArray a) {
        return dev(a, OVERWRITE);
    }

    /** Device copy of a host index array; unchanged arrays (positions reused by every layer) are sent once. */
    private long ints(int[] a) {
        for (int i = 0; i < stepInputs.length; i++) {
            if (stepInputs[i] == a) {
                return gpu.graph.slots[i]; // a step graph's input, uploaded before each launch
            }
        }
        for (int i = 0; i < INT_CACHE; i++) {
            if (intRefs[i] == a && intGen[i] == gpu.generation && Arrays.equals(a, intCopies[i])) {
                return intDev[i];
            }
        }
        long p = gpu.stageInts(a);
        int slot = intNext++ % INT_CACHE;
        intRefs[slot] = a;
        intCopies[slot] = a.clone();
        intDev[slot] = p;
        intGen[slot] = gpu.generation;
        return p;
    }

    private static int rows(INDArray a) {
        return Math.toIntExact(a.length() / a.size(a.rank() - 1));
    }

    private static int cols(INDArray a) {
        return Math.toIntExact(a.size(a.rank() - 1));
    }

    /** Threads for a one-block-per-row kernel over rows of n elements. */
    private static int rowBlock(long n) {
        return n >= 4096 ? 512 : n >= 512 ? 256 : n >= 128 ? 128 : n >= 64 ? 64 : 32;
    }

    private static void sameType(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.dataType() != arrays[0].dataType()) {
                throw new IllegalArgumentException("mixed data types " + arrays[0].dataType() + " and " + a.dataType());
            }
        }
    }

    // ------------------------------------------------------------------ matrix products

    private void blasGemm(DataType t, boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda,
                          long strideA, long b, int ldb, long strideB, double beta, long c, int ldc, long strideC,
                          int batch) {
        boolean dbl = t == DataType.DOUBLE;
        int type = dbl ? CUDA_R_64F : CUDA_R_32F;
        int compute = dbl ? CUBLAS_COMPUTE_64F : floatCompute;
        Pointer al;
        Pointer be;
        if (dbl) {
            al = alphaD.put(0, alpha);
            be = betaD.put(0, beta);
        } else {
            al = alphaF.put(0, (float) alpha);
            be = betaF.put(0, (float) beta);
        }
        int opA = transA ? CUBLAS_OP_T : CUBLAS_OP_N;
        int opB = transB ? CUBLAS_OP_T : CUBLAS_OP_N;
        StepGraph g = gpu.graph;
        if (g != null) {
            long[] call = {StepGraph.GEMM, opA, opB, m, n, k, Double.doubleToRawLongBits(alpha), a, lda, strideA, b, ldb,
                    strideB, Double.doubleToRawLongBits(beta), c, ldc, strideC, batch, type, compute};
            for (long x : call) {
                g.put(x);
            }
            if (g.checking()) {
                return; // the graph's launch runs it
            }
        }
        gpu.calls++;
        int st = batch == 1
                ? cublasGemmEx(blas, opA, opB, m, n, k, al, pa.at(a), type, lda, pb.at(b), type, ldb, be, pc.at(c),
                        type, ldc, compute, CUBLAS_GEMM_DEFAULT)
                : cublasGemmStridedBatchedEx(blas, opA, opB, m, n, k, al, pa.at(a), type, lda, strideA, pb.at(b), type,
                        ldb, strideB, be, pc.at(c), type, ldc, strideC, batch, compute, CUBLAS_GEMM_DEFAULT);
        blas(st, "cublasGemmEx");
    }

    @Override
    public synchronized void gemm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB, double alpha,
                                  double beta) {
        enter();
        sameType(a, b, c);
        if (a.rank() != 2 || b.rank() != 2 || c.rank() != 2) {
            throw new IllegalArgumentException("gemm needs 2-D arrays");
        }
        int m = (int) (transA ? a.size(1) : a.size(0));
        int k = (int) (transA ? a.size(0) : a.size(1));
        int n = (int) (transB ? b.size(0) : b.size(1));
        if ((transB ? b.size(1) : b.size(0)) != k || c.size(0) != m || c.size(1) != n) {
            throw new IllegalArgumentException("gemm shapes " + Arrays.toString(a.shape()) + (transA ? "^T" : "") + " x "
                    + Arrays.toString(b.shape()) + (transB ? "^T" : "") + " -> " + Arrays.toString(c.shape()));
        }
        long ha = bf16(a);
        long hb = bf16(b);
        if (ha != 0 || hb != 0) {
            // mixed precision: both inputs in bf16 (the float32 one cast into scratch), float32 accumulation
            ha = ha != 0 ? ha : castToBf16(a, 0);
            hb = hb != 0 ? hb : castToBf16(b, 1);
            long dc = beta == 0 ? fresh(c) : out(c);
            blasGemmBf16(transB, transA, n, m, k, alpha, hb, (int) b.size(1), ha, (int) a.size(1), beta, dc, n);
            exit();
            return;
        }
        long da = in(a);
        long db = in(b);
        long dc = beta == 0 ? fresh(c) : out(c);
        // Row-major C = op(A) op(B) is column-major C^T = op(B)^T op(A)^T: swap the operands, keep the flags.
        blasGemm(a.dataType(), transB, transA, n, m, k, alpha, db, (int) b.size(1), 0, da, (int) a.size(1), 0, beta,
                dc, n, 0, 1);
        exit();
    }

    /** Column-major C (float32) = alpha op(A) op(B) + beta C with A and B in bf16, accumulated in float32. */
    private void blasGemmBf16(boolean transA, boolean transB, int m, int n, int k, double alpha, long a, int lda,
                              long b, int ldb, double beta, long c, int ldc) {
        Pointer al = alphaF.put(0, (float) alpha);
        Pointer be = betaF.put(0, (float) beta);
        int st = cublasGemmEx(blas, transA ? CUBLAS_OP_T : CUBLAS_OP_N, transB ? CUBLAS_OP_T : CUBLAS_OP_N, m, n, k, al,
                pa.at(a), CUDA_R_16BF, lda, pb.at(b), CUDA_R_16BF, ldb, be, pc.at(c), CUDA_R_32F, ldc,
                CUBLAS_COMPUTE_32F, CUBLAS_GEMM_DEFAULT);
        blas(st, "cublasGemmEx (bf16)");
    }

    // ------------------------------------------------------------------ bf16 weights (mixed precision)

    /** Elements per host-side conversion chunk when a frozen weight is uploaded as bf16. */
    private static final int BF16_UPLOAD_CHUNK = 1 << 22;
    private ShortPointer bf16Staging;
    private final long[] castScratch = new long[2];
    private final long[] castScratchBytes = new long[2];

    @Override
    public synchronized void holdInBf16(INDArray weight, boolean trainable) {
        enter();
        Bf16.requireWholeFloatBuffer(weight);
        DataBuffer root = root(weight.data());
        Mirror old = existing(weight);
        if (old != null && old.bf16Only) {
            if (trainable) {
                throw new IllegalStateException("a frozen bf16 weight cannot become trainable: "
                        + weight.shapeInfoToString());
            }
            return;
        }
        if (trainable) {
            Mirror m = mirror(root);
            if (m.shadow == 0) {
                m.shadow = gpu.alloc(2 * m.elements());
                m.shadowVersion = m.version - 1;
            }
            return;
        }
        if (old != null) {
            toHost(weight);
            release(old);
        }
        Bf16.roundInPlace(weight);
        long n = weight.length();
        Mirror m = new Mirror(root, collected, root.address(), 2 * n, gpu.alloc(2 * n), true);
        mirrors.put(m.host, m);
    }

    /**
     * Device address of a's bf16 values when a is held in bf16 (made current: a frozen weight uploaded, a trainable
     * one's working copy recast after writes); 0 when a is an ordinary array.
     */
    private long bf16(INDArray a) {
        if (a.dataType() != DataType.FLOAT) {
            return 0;
        }
        Mirror m = existing(a);
        if (m == null || (!m.bf16Only && m.shadow == 0)) {
            return 0;
        }
        if (a.length() != m.elements()) {
            throw new IllegalArgumentException("a view of a weight held in bf16: " + a.shapeInfoToString());
        }
        if (m.bf16Only) {
            if (m.state == HOST_NEWER) {
                uploadAsBf16(m);
                m.state = SYNCED;
            }
            return m.dev;
        }
        long src = in(a);
        if (m.shadowVersion != m.version) {
            long n = m.elements();
            gpu.arg(src).arg(m.shadow).arg(n);
            gpu.launch(kernels(a).get(K.bf16_from_real), gpu.gridFor(n, 256), 256);
            m.shadowVersion = m.version;
        }
        return m.shadow;
    }

    /** Converts a frozen weight's host floats to bf16 chunk by chunk (rounding the host copy too) and uploads them. */
    private void uploadAsBf16(Mirror m) {
        DataBuffer root = m.get();
        if (root == null) {
            throw new IllegalStateException("the host buffer of a bf16 weight was collected");
        }
        java.nio.FloatBuffer host = root.asNioFloat();
        long n = m.elements();
        if (host.limit() < n) {
            throw new IllegalStateException("the host buffer of a bf16 weight holds " + host.limit() + " of " + n
                    + " elements");
        }
        if (bf16Staging == null) {
            bf16Staging = new ShortPointer(BF16_UPLOAD_CHUNK);
        }
        short[] chunk = new short[(int) Math.min(n, BF16_UPLOAD_CHUNK)];
        for (long off = 0; off < n; off += BF16_UPLOAD_CHUNK) {
            int len = (int) Math.min(BF16_UPLOAD_CHUNK, n - off);
            for (int i = 0; i < len; i++) {
                int at = (int) (off + i);
                short h = Bf16.fromFloat(host.get(at));
                chunk[i] = h;
                host.put(at, Bf16.toFloat(h)); // host edits are rounded as the device copy is
            }
            gpu.sync(); // the staging buffer's previous chunk has left
            bf16Staging.put(chunk, 0, len);
            gpu.upload(m.dev + 2 * off, bf16Staging.address(), 2L * len);
        }
        gpu.sync();
    }

    /** Host staging for {@link #loadBf16}: one chunk of bf16 bytes read from the checkpoint (JavaCPP memory). */
    private BytePointer loadStaging;
    private java.nio.ByteBuffer loadChunk;
    /** Device memory for one chunk of bf16 values that a trainable weight's float32 copy is widened from. */
    private long loadScratch;

    /**
     * Reads each chunk into host staging and widens it into the host copy. A weight with a device copy (held in bf16
     * before the load: {@link org.align4j.policy.model.HfCheckpoint#loadHeldInBf16}) is also sent the bf16 bytes: as
     * they are into a frozen weight's bf16-only copy, or to device scratch and widened there (real_from_bf16, exact)
     * into the float32 copy (a trainable master, whose bf16 working copy is recast before its next product): half the
     * bytes of a float32 upload. A weight without a device copy stays on the host until an op first reads it, as any
     * new array, so that loading a model takes no device memory before it is held.
     */
    @Override
    public synchronized void loadBf16(INDArray weight, Bf16Source source) {
        enter();
        Bf16.requireLoadable(weight, source);
        DataBuffer root = root(weight.data());
        Mirror m = existing(weight);
        if (loadStaging == null) {
            loadStaging = new BytePointer(2L * Bf16Source.CHUNK_ELEMENTS);
            loadChunk = loadStaging.position(0).limit(2L * Bf16Source.CHUNK_ELEMENTS).asByteBuffer()
                    .order(java.nio.ByteOrder.LITTLE_ENDIAN);
        }
        java.nio.FloatBuffer host = root.asNioFloat();
        long n = source.elements();
        for (long off = 0; off < n; off += Bf16Source.CHUNK_ELEMENTS) {
            gpu.sync(); // the staging buffer's previous chunk has left
            int len = Bf16.readChunk(source, off, loadChunk);
            Bf16.widen(loadChunk, host, Math.toIntExact(off));
            if (m == null) {
                continue;
            }
            if (m.bf16Only) {
                gpu.upload(m.dev + 2 * off, loadStaging.address(), 2L * len);
            } else {
                if (loadScratch == 0) {
                    loadScratch = gpu.alloc(2L * Bf16Source.CHUNK_ELEMENTS);
                }
                gpu.upload(loadScratch, loadStaging.address(), 2L * len);
                gpu.arg(loadScratch).arg(m.dev + 4 * off).arg((long) len);
                gpu.launch(kernels(weight).get(K.real_from_bf16), gpu.gridFor(len, 256), 256);
            }
        }
        gpu.sync();
        if (m != null) {
            m.state = SYNCED; // both copies hold the widened values now
            m.version++; // a trainable weight's working copy is recast before its next product
        }
        exit();
    }

    /** a (float32) cast to bf16 into scratch buffer slot (0 or 1, one per gemm operand); its device address. */
    private long castToBf16(INDArray a, int slot) {
        long n = a.length();
        if (castScratchBytes[slot] < 2 * n) {
            if (castScratch[slot] != 0) {
                gpu.free(castScratch[slot], castScratchBytes[slot]);
            }
            castScratchBytes[slot] = Math.max(2 * n, castScratchBytes[slot] * 3 / 2);
            castScratch[slot] = gpu.alloc(castScratchBytes[slot]);
        }
        gpu.arg(in(a)).arg(castScratch[slot]).arg(n);
        gpu.launch(kernels(a).get(K.bf16_from_real), gpu.gridFor(n, 256), 256);
        return castScratch[slot];
    }

    /**
     * Device bytes held for a's buffer: its mirror (float32, or bf16 only for a frozen bf16 weight) plus a trainable
     * weight's bf16 working copy; 0 when it has no mirror yet. For tests and memory reports.
     */
    public synchronized long deviceBytesOf(INDArray a) {
        enter();
        Mirror m = existing(a);
        return m == null ? 0 : m.bytes + (m.shadow != 0 ? 2 * m.elements() : 0);
    }

    @Override
    public synchronized void bmm(INDArray a, INDArray b, INDArray c, boolean transA, boolean transB) {
        enter();
        sameType(a, b, c);
        if (a.rank() != 3 || b.rank() != 3 || c.rank() != 3) {
            throw new IllegalArgumentException("bmm needs 3-D arrays");
        }
        int batch = (int) a.size(0);
        int m = (int) (transA ? a.size(2) : a.size(1));
        int k = (int) (transA ? a.size(1) : a.size(2));
        int n = (int) (transB ? b.size(1) : b.size(2));
        if (b.size(0) != batch || c.size(0) != batch || (transB ? b.size(2) : b.size(1)) != k || c.size(1) != m
                || c.size(2) != n) {
            throw new IllegalArgumentException("bmm shapes " + Arrays.toString(a.shape()) + " x "
                    + Arrays.toString(b.shape()) + " -> " + Arrays.toString(c.shape()));
        }
        long da = in(a);
        long db = in(b);
        long dc = fresh(c);
        blasGemm(a.dataType(), transB, transA, n, m, k, 1.0, db, (int) b.size(2), b.size(1) * b.size(2), da,
                (int) a.size(2), a.size(1) * a.size(2), 0.0, dc, n, (long) m * n, batch);
        exit();
    }

    // ------------------------------------------------------------------ kernels

    private static void checkIds(int[] ids, int vocab) {
        for (int id : ids) {
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    @Override
    public synchronized void embeddingForward(int[] ids, INDArray table, INDArray out) {
        enter();
        sameType(table, out);
        int d = cols(table);
        checkIds(ids, rows(table));
        KernelModule k = kernels(table);
        long n = (long) ids.length * d;
        Mirror held = existing(table);
        if (held != null && held.bf16Only) {
            long tab = bf16(table); // may upload (and wait) before this kernel's arguments are staged
            gpu.arg(ints(ids)).arg(tab).arg(fresh(out)).arg(ids.length).argInt(d);
            gpu.launch(k.get(K.embedding_fwd_bf16), gpu.gridFor(n, 256), 256);
            exit();
            return;
        }
        gpu.arg(ints(ids)).arg(in(table)).arg(fresh(out)).arg(ids.length).argInt(d);
        gpu.launch(k.get(K.embedding_fwd), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void embeddingBackward(int[] ids, INDArray dOut, INDArray dTable) {
        enter();
        sameType(dOut, dTable);
        int d = cols(dTable);
        checkIds(ids, rows(dTable));
        KernelModule k = kernels(dTable);
        long n = (long) ids.length * d;
        gpu.arg(ints(ids)).arg(in(dOut)).arg(out(dTable)).arg(ids.length).argInt(d);
        gpu.launch(k.get(K.embedding_bwd), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void rmsNormForward(INDArray x, INDArray w, INDArray out, INDArray rstd, double eps) {
        enter();
        sameType(x, w, out, rstd);
        int n = rows(x);
        int d = cols(x);
        KernelModule k = kernels(x);
        gpu.arg(in(x)).arg(in(w)).arg(fresh(out)).arg(fresh(rstd)).argInt(d).argDouble(eps);
        gpu.launch(k.get(K.rmsnorm_fwd), n, rowBlock(d));
        exit();
    }

    /** out[j] += sum_r a[r, j] (times b[r, j] * s[r] when b is non-null). */
    private void colSum(KernelModule k, long a, long b, long s, long out, int n, int d) {
        int rowsPerBlock = 64;
        gpu.arg(a).arg(b).arg(s).arg(out).argInt(n).argInt(d).argInt(rowsPerBlock);
        gpu.launch(k.get(K.col_sum), (d + 31) / 32, (n + rowsPerBlock - 1) / rowsPerBlock, 32, 8, 0);
    }

    @Override
    public synchronized void rmsNormBackward(INDArray dOut, INDArray x, INDArray w, INDArray rstd, INDArray dx,
                                             INDArray dw) {
        enter();
        sameType(dOut, x, w, rstd, dx, dw);
        int n = rows(x);
        int d = cols(x);
        KernelModule k = kernels(x);
        long g = in(dOut);
        long xs = in(x);
        long r = in(rstd);
        gpu.arg(g).arg(xs).arg(in(w)).arg(r).arg(out(dx)).argInt(d);
        gpu.launch(k.get(K.rmsnorm_bwd_dx), n, rowBlock(d));
        colSum(k, g, xs, r, out(dw), n, d);
        exit();
    }

    @Override
    public synchronized void addBias(INDArray y, INDArray b) {
        enter();
        sameType(y, b);
        KernelModule k = kernels(y);
        long n = y.length();
        gpu.arg(out(y)).arg(in(b)).arg(n).argInt(cols(y));
        gpu.launch(k.get(K.add_bias), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void biasBackward(INDArray dy, INDArray db) {
        enter();
        sameType(dy, db);
        KernelModule k = kernels(dy);
        colSum(k, in(dy), 0, 0, out(db), rows(dy), cols(dy));
        exit();
    }

    private long invFreq(RopeTable table) {
        Long p = invFreqs.get(table);
        if (p == null) {
            double[] f = table.inverseFrequencies();
            p = gpu.alloc(8L * f.length);
            gpu.uploadDoubles(f, p);
            invFreqs.put(table, p);
        }
        return p;
    }

    @Override
    public synchronized void rope(INDArray x, int[] positions, RopeTable table, boolean inverse) {
        enter();
        int half = table.half();
        int n = positions.length;
        int heads = Math.toIntExact(x.length() / ((long) n * 2 * half));
        KernelModule k = kernels(x);
        long total = (long) n * heads * half;
        gpu.arg(out(x)).arg(ints(positions)).arg(invFreq(table)).arg(n).argInt(heads).argInt(half).argInt(inverse ? 1 : 0)
                .argDouble(table.scale());
        gpu.launch(k.get(K.rope), gpu.gridFor(total, 256), 256);
        exit();
    }

    @Override
    public synchronized void regroupHeads(INDArray rowsArr, INDArray grouped, int batch, int seq, int kvHeads, int group,
                                          boolean toGrouped) {
        enter();
        sameType(rowsArr, grouped);
        int heads = kvHeads * group;
        long total = rowsArr.length();
        int hd = Math.toIntExact(total / ((long) batch * seq * heads));
        KernelModule k = kernels(rowsArr);
        long r = toGrouped ? in(rowsArr) : fresh(rowsArr);
        long g = toGrouped ? fresh(grouped) : in(grouped);
        gpu.arg(r).arg(g).argInt(seq).argInt(kvHeads).argInt(group).argInt(hd).arg(total).argInt(toGrouped ? 1 : 0);
        gpu.launch(k.get(K.regroup), gpu.gridFor(total, 256), 256);
        exit();
    }

    @Override
    public synchronized void causalSoftmax(INDArray scores, int seq, double scale) {
        enter();
        KernelModule k = kernels(scores);
        int n = rows(scores);
        gpu.arg(out(scores)).argInt(seq).argDouble(scale);
        gpu.launch(k.get(K.causal_softmax), n, rowBlock(seq));
        exit();
    }

    @Override
    public synchronized void softmaxBackward(INDArray p, INDArray dScores, double scale) {
        enter();
        sameType(p, dScores);
        KernelModule k = kernels(p);
        int n = cols(p);
        gpu.arg(in(p)).arg(out(dScores)).argInt(n).argDouble(scale);
        gpu.launch(k.get(K.softmax_bwd), rows(p), rowBlock(n));
        exit();
    }

    @Override
    public synchronized void swiGluForward(INDArray gate, INDArray up, INDArray h) {
        enter();
        sameType(gate, up, h);
        KernelModule k = kernels(gate);
        long n = gate.length();
        gpu.arg(in(gate)).arg(in(up)).arg(fresh(h)).arg(n);
        gpu.launch(k.get(K.swiglu_fwd), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void swiGluBackward(INDArray dh, INDArray gate, INDArray up, INDArray dGate, INDArray dUp) {
        enter();
        sameType(dh, gate, up, dGate, dUp);
        KernelModule k = kernels(gate);
        long n = gate.length();
        gpu.arg(in(dh)).arg(in(gate)).arg(in(up)).arg(fresh(dGate)).arg(fresh(dUp)).arg(n);
        gpu.launch(k.get(K.swiglu_bwd), gpu.gridFor(n, 256), 256);
        exit();
    }

    private static void checkTargets(int[] targets, int vocab) {
        for (int t : targets) {
            if (t >= vocab) {
                throw new IllegalArgumentException("target id " + t + " outside the vocabulary [0, " + vocab + ")");
            }
        }
    }

    @Override
    public synchronized void logProbsAndEntropy(INDArray logits, int[] targets, INDArray logProb, INDArray entropy) {
        enter();
        sameType(logits, logProb, entropy);
        int v = cols(logits);
        checkTargets(targets, v);
        KernelModule k = kernels(logits);
        gpu.arg(in(logits)).arg(ints(targets)).arg(fresh(logProb)).arg(fresh(entropy)).argInt(v);
        gpu.launch(k.get(K.logprobs_fwd), targets.length, rowBlock(v));
        exit();
    }

    @Override
    public synchronized void logProbsBackward(INDArray logits, int[] targets, INDArray dLogProb) {
        enter();
        sameType(logits, dLogProb);
        int v = cols(logits);
        checkTargets(targets, v);
        KernelModule k = kernels(logits);
        gpu.arg(out(logits)).arg(ints(targets)).arg(in(dLogProb)).argInt(v);
        gpu.launch(k.get(K.logprobs_bwd), targets.length, rowBlock(v));
        exit();
    }

    @Override
    public synchronized void copy(INDArray src, INDArray dst) {
        enter();
        sameType(src, dst);
        if (dst.length() != src.length()) {
            throw new IllegalArgumentException("copy between arrays of different lengths");
        }
        Mirror held = existing(src);
        if (held != null && held.bf16Only) {
            long n = src.length();
            long from = bf16(src);
            gpu.arg(from).arg(fresh(dst)).arg(n);
            gpu.launch(kernels(dst).get(K.real_from_bf16), gpu.gridFor(n, 256), 256);
            exit();
            return;
        }
        long s = in(src);
        long d = fresh(dst);
        if (s != d) {
            gpu.copyDevice(d, s, src.length() * src.dataType().width());
        }
        exit();
    }

    @Override
    public synchronized void addInPlace(INDArray y, INDArray x) {
        enter();
        sameType(y, x);
        KernelModule k = kernels(y);
        long n = y.length();
        gpu.arg(out(y)).arg(in(x)).arg(n);
        gpu.launch(k.get(K.add_inplace), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void dropout(INDArray x, INDArray out, double p, long seed) {
        enter();
        sameType(x, out);
        if (out.length() != x.length()) {
            throw new IllegalArgumentException("dropout: " + x.length() + " inputs, " + out.length() + " outputs");
        }
        KernelModule k = kernels(x);
        long n = x.length();
        long xi = in(x); // before out(): x and out may be the same array
        gpu.arg(xi).arg(out(out)).argDouble(p).argDouble(1.0 / (1.0 - p)).arg(seed).arg(n);
        gpu.launch(k.get(K.dropout), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void zero(INDArray x) {
        enter();
        requireContiguous(x);
        gpu.memsetZero(fresh(x), x.length() * x.dataType().width());
        exit();
    }

    @Override
    public synchronized void scale(INDArray x, double s) {
        enter();
        KernelModule k = kernels(x);
        long n = x.length();
        gpu.arg(out(x)).argDouble(s).arg(n);
        gpu.launch(k.get(K.scale), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized double sumSquares(INDArray x) {
        enter();
        KernelModule k = kernels(x);
        long n = x.length();
        int blocks = Math.max(1, Math.min(PARTIAL_BLOCKS, gpu.gridFor(n, 256)));
        gpu.arg(in(x)).arg(n).arg(scratch);
        gpu.launch(k.get(K.sumsq_partial), blocks, 256);
        double s = 0;
        for (double p : gpu.downloadDoubles(scratch, blocks)) {
            s += p;
        }
        return s;
    }

    @Override
    public synchronized boolean hasNonFinite(INDArray x) {
        enter();
        KernelModule k = kernels(x);
        long n = x.length();
        long flag = scratch + 8L * PARTIAL_BLOCKS;
        gpu.memsetZero(flag, 4);
        gpu.arg(in(x)).arg(n).arg(flag);
        gpu.launch(k.get(K.nonfinite), gpu.gridFor(n, 256), 256);
        return gpu.downloadInt(flag) != 0;
    }

    @Override
    public synchronized void adamW(INDArray param, INDArray grad, INDArray m, INDArray v, double lr, double beta1,
                                   double beta2, double eps, double weightDecay, long t) {
        enter();
        sameType(param, grad, m, v);
        KernelModule k = kernels(param);
        long n = param.length();
        double c1 = 1.0 - Math.pow(beta1, t);
        double c2 = 1.0 - Math.pow(beta2, t);
        double decay = 1.0 - lr * weightDecay;
        gpu.arg(out(param)).arg(in(grad)).arg(out(m)).arg(out(v)).arg(n).argDouble(lr).argDouble(beta1)
                .argDouble(beta2).argDouble(eps).argDouble(decay).argDouble(c1).argDouble(c2);
        gpu.launch(k.get(K.adamw), gpu.gridFor(n, 256), 256);
        exit();
    }

    @Override
    public synchronized void writeKv(INDArray rowsArr, INDArray cache, int batch, int seq, int[] startPos) {
        enter();
        sameType(rowsArr, cache);
        int kvHeads = Math.toIntExact(cache.size(1));
        int cap = Math.toIntExact(cache.size(2));
        int hd = Math.toIntExact(cache.size(3));
        for (int b = 0; b < batch; b++) {
            if (startPos[b] >= 0 && startPos[b] + seq > cap) {
                throw new IllegalStateException("KV cache full: position " + Math.max(cap, startPos[b])
                        + " >= capacity " + cap);
            }
        }
        KernelModule k = kernels(cache);
        long total = (long) batch * seq * kvHeads * hd;
        gpu.arg(in(rowsArr)).arg(out(cache)).arg(ints(startPos)).argInt(seq).argInt(kvHeads).argInt(cap).argInt(hd)
                .arg(total);
        gpu.launch(k.get(K.write_kv), gpu.gridFor(total, 256), 256);
        exit();
    }

    /** Below this many (row, head) blocks a decoding step splits long contexts across blocks (flash-decoding). */
    private int splitBelowBlocks() {
        return 2 * gpu.multiprocessors;
    }

    /** Positions per block of flash-decoding. */
    private static final int DECODE_CHUNK = 256;

    @Override
    public synchronized void decodeAttention(INDArray q, INDArray kCache, INDArray vCache, int[] lengths, INDArray out,
                                             int group, double scale, INDArray scratchArr) {
        enter();
        sameType(q, kCache, vCache, out);
        int kvHeads = Math.toIntExact(kCache.size(1));
        int cap = Math.toIntExact(kCache.size(2));
        int hd = Math.toIntExact(kCache.size(3));
        if (hd > MAX_HEAD_DIM) {
            throw new UnsupportedOperationException("cuda decodeAttention supports head_dim <= " + MAX_HEAD_DIM
                    + ", got " + hd);
        }
        int heads = kvHeads * group;
        KernelModule k = kernels(q);
        int threads = 128;
        int longest = 0;
        for (int len : lengths) {
            longest = Math.max(longest, len);
        }
        // Rounded up to whole chunks, so that the launch changes every DECODE_CHUNK steps, not every step (a step
        // graph stays valid that long).
        longest = (longest + DECODE_CHUNK - 1) / DECODE_CHUNK * DECODE_CHUNK;
        long groupedShared = GroupedDecode.sharedBytes(group, hd, q.dataType() == DataType.DOUBLE ? 8 : 4);
        if (GROUPED_DECODE && GroupedDecode.fits(group, hd, groupedShared)) {
            // the group's query heads in one block: each cached key and value read once, not once per query head
            int blocks = lengths.length * kvHeads;
            int splits = Math.max(1, Math.min(longest / DECODE_CHUNK, (splitBelowBlocks() + blocks - 1) / blocks));
            int chunk = (longest + splits - 1) / splits;
            long lens = ints(lengths);
            long part = splits > 1 ? work(8L * lengths.length * heads * splits * (hd + 2)) : 0;
            gpu.arg(in(q)).arg(in(kCache)).arg(in(vCache)).arg(lens).arg(splits > 1 ? 0 : out(out)).arg(part)
                    .argInt(heads).argInt(kvHeads).argInt(group).argInt(cap).argInt(hd).argDouble(scale)
                    .argInt(splits > 1 ? chunk : Math.max(longest, 1));
            gpu.launch(groupedDecode(q.dataType()), blocks, splits, GroupedDecode.THREADS, 1, (int) groupedShared);
            if (splits > 1) {
                gpu.arg(part).arg(lens).arg(out(out)).argInt(heads).argInt(splits).argInt(hd);
                gpu.launch(k.get(K.decode_combine), lengths.length * heads, 1, 128, 1, 0);
            }
            exit();
            return;
        }
        int blocks = lengths.length * heads;
        int splits = Math.min(longest / DECODE_CHUNK, (splitBelowBlocks() + blocks - 1) / blocks);
        if (splits <= 1) {
            gpu.arg(in(q)).arg(in(kCache)).arg(in(vCache)).arg(ints(lengths)).arg(out(out)).argInt(heads)
                    .argInt(kvHeads).argInt(group).argInt(cap).argInt(hd).argDouble(scale);
            gpu.launch(k.get(K.decode_attention), blocks, 1, threads, 1, (threads / 32) * hd * 8);
        } else {
            // flash-decoding: few (row, head) pairs and a long context, so each pair's positions go to several
            // blocks whose partial softmax sums are merged after
            int chunk = (longest + splits - 1) / splits;
            long part = work(8L * blocks * splits * (hd + 2));
            long lens = ints(lengths);
            gpu.arg(in(q)).arg(in(kCache)).arg(in(vCache)).arg(lens).arg(part).argInt(heads).argInt(kvHeads)
                    .argInt(group).argInt(cap).argInt(hd).argDouble(scale).argInt(chunk);
            gpu.launch(k.get(K.decode_attention_split), blocks, splits, threads, 1, (threads / 32) * hd * 8);
            gpu.arg(part).arg(lens).arg(out(out)).argInt(heads).argInt(splits).argInt(hd);
            gpu.launch(k.get(K.decode_combine), blocks, 1, 128, 1, 0);
        }
        exit();
    }

    /** decode_gqa.cu per element type, compiled on first use (kept: the module must outlive its kernel). */
    private final Map<DataType, GroupedDecode> groupedDecodes = new HashMap<>();

    private org.bytedeco.cuda.cudart.CUfunc_st groupedDecode(DataType t) {
        return groupedDecodes.computeIfAbsent(t, d -> new GroupedDecode(d == DataType.DOUBLE ? "double" : "float",
                gpu.major, gpu.minor)).kernel();
    }

    private long work;
    private long workBytes;

    /** A device scratch buffer of at least this many bytes, kept and grown between calls (one stream: no overlap). */
    private long work(long bytes) {
        if (workBytes < bytes) {
            if (work != 0) {
                gpu.free(work, workBytes);
            }
            workBytes = Math.max(bytes, 2 * workBytes);
            work = gpu.alloc(workBytes);
        }
        return work;
    }

    /** Warps (query or key rows) per block of the fused attention kernels. */
    private static final int FLASH_WARPS = 4;

    @Override
    public synchronized void flashAttentionForward(INDArray q, INDArray kArr, INDArray v, int[] lengths, int seq,
                                                   double scale, INDArray out, INDArray lse) {
        enter();
        sameType(q, kArr, v, out, lse);
        int batch = lengths.length;
        int heads = Math.toIntExact(lse.length() / ((long) batch * seq));
        int hd = cols(q) / heads;
        int kvHeads = cols(kArr) / hd;
        int hdV = cols(v) / kvHeads;
        checkFlash(hd, hdV, heads, kvHeads);
        if (tensorCoreFlash(q, hd, hdV)) {
            TensorCoreFlash f = tensorCoreFlash();
            gpu.arg(in(q)).arg(in(kArr)).arg(in(v)).arg(ints(lengths)).arg(fresh(out)).arg(fresh(lse)).argInt(seq)
                    .argInt(heads).argInt(kvHeads).argFloat((float) scale);
            gpu.launch(f.forward(hd), TensorCoreFlash.queryBlocks(seq), batch * heads, TensorCoreFlash.THREADS, 1, 0);
            exit();
            return;
        }
        KernelModule k = kernels(q);
        gpu.arg(in(q)).arg(in(kArr)).arg(in(v)).arg(ints(lengths)).arg(fresh(out)).arg(fresh(lse)).argInt(seq)
                .argInt(heads).argInt(kvHeads).argInt(hd).argInt(hdV).argDouble(scale);
        gpu.launch(k.get(K.flash_fwd), (seq + FLASH_WARPS - 1) / FLASH_WARPS, batch * heads, 32 * FLASH_WARPS, 1, 0);
        exit();
    }

    @Override
    public synchronized void flashAttentionBackward(INDArray q, INDArray kArr, INDArray v, INDArray out, INDArray lse,
                                                    INDArray dOut, int[] lengths, int seq, double scale, INDArray dq,
                                                    INDArray dk, INDArray dv) {
        enter();
        sameType(q, kArr, v, out, lse, dOut, dq, dk, dv);
        int batch = lengths.length;
        int heads = Math.toIntExact(lse.length() / ((long) batch * seq));
        int hd = cols(q) / heads;
        int kvHeads = cols(kArr) / hd;
        int hdV = cols(v) / kvHeads;
        checkFlash(hd, hdV, heads, kvHeads);
        if (tensorCoreFlash(q, hd, hdV)) {
            tensorCoreFlashBackward(q, kArr, v, out, lse, dOut, lengths, seq, (float) scale, dq, dk, dv, batch, heads,
                    kvHeads, hd, hdV);
            exit();
            return;
        }
        KernelModule k = kernels(q);
        long dsum = work(8L * batch * heads * seq);
        long lens = ints(lengths);
        int rowsPerBlock = (seq + FLASH_WARPS - 1) / FLASH_WARPS;
        gpu.arg(in(q)).arg(in(kArr)).arg(in(v)).arg(in(out)).arg(in(lse)).arg(in(dOut)).arg(lens).arg(fresh(dq))
                .arg(dsum).argInt(seq).argInt(heads).argInt(kvHeads).argInt(hd).argInt(hdV).argDouble(scale);
        gpu.launch(k.get(K.flash_bwd_dq), rowsPerBlock, batch * heads, 32 * FLASH_WARPS, 1, 0);
        gpu.arg(in(q)).arg(in(kArr)).arg(in(v)).arg(in(lse)).arg(in(dOut)).arg(lens).arg(dsum).arg(fresh(dk))
                .arg(fresh(dv)).argInt(seq).argInt(heads).argInt(kvHeads).argInt(hd).argInt(hdV).argDouble(scale);
        gpu.launch(k.get(K.flash_bwd_dkdv), rowsPerBlock, batch * kvHeads, 32 * FLASH_WARPS, 1, 0);
        exit();
    }

    private TensorCoreFlash tensorCoreFlash;

    /** ALIGN4J_CUDA_TC_ATTENTION=0: bf16 runs keep kernels.cu's flash kernels (to rule the tensor-core ones out). */
    private static final boolean TENSOR_CORE_ATTENTION = !"0".equals(System.getenv("ALIGN4J_CUDA_TC_ATTENTION"));
    /** ALIGN4J_CUDA_GROUPED_DECODE=0: decoding keeps one block per query head (kernels.cu's decode_attention). */
    private static final boolean GROUPED_DECODE = !"0".equals(System.getenv("ALIGN4J_CUDA_GROUPED_DECODE"));

    private TensorCoreFlash tensorCoreFlash() {
        if (tensorCoreFlash == null) {
            tensorCoreFlash = new TensorCoreFlash(gpu.major, gpu.minor);
        }
        return tensorCoreFlash;
    }

    /**
     * Whether fused attention runs on the tensor cores (flash_mma.cu): with bf16 products (the mixed-precision
     * recipe, whose attention PyTorch's autocast also runs in bf16), float32 arrays, a head_dim the kernels are built
     * for, and an Ampere-or-later device. Otherwise kernels.cu's flash kernels, which round as the CPU backend does.
     */
    private boolean tensorCoreFlash(INDArray q, int hd, int hdV) {
        return bf16Products && TENSOR_CORE_ATTENTION && q.dataType() == DataType.FLOAT
                && TensorCoreFlash.supports(hd, hdV)
                && gpu.major >= 8;
    }

    private void tensorCoreFlashBackward(INDArray q, INDArray kArr, INDArray v, INDArray out, INDArray lse,
                                         INDArray dOut, int[] lengths, int seq, float scale, INDArray dq, INDArray dk,
                                         INDArray dv, int batch, int heads, int kvHeads, int hd, int hdV) {
        TensorCoreFlash f = tensorCoreFlash();
        int group = heads / kvHeads;
        long rowsHeads = (long) batch * seq * heads;
        // scratch: D (one float per row and head), then, for a GQA group of several heads, dk and dv per query head
        long dBytes = (rowsHeads * 4L + 255) / 256 * 256;
        long dkBytes = group == 1 ? 0 : (rowsHeads * hd * 4L + 255) / 256 * 256;
        long dvBytes = group == 1 ? 0 : rowsHeads * hdV * 4L;
        long d = work(dBytes + dkBytes + dvBytes);
        long dkh = d + dBytes;
        long dvh = dkh + dkBytes;
        long lens = ints(lengths);
        long qDev = in(q);
        long kDev = in(kArr);
        long vDev = in(v);
        long lseDev = in(lse);
        long dOutDev = in(dOut);
        gpu.arg(in(out)).arg(dOutDev).arg(lens).arg(d).argInt(seq).argInt(heads).argInt(hdV).argInt(batch);
        gpu.launch(f.get(TensorCoreFlash.K.fm_bwd_rowdot), (int) ((rowsHeads + 3) / 4), 1, 128, 1, 0);
        gpu.arg(qDev).arg(kDev).arg(vDev).arg(lseDev).arg(d).arg(dOutDev).arg(lens).arg(fresh(dq)).argInt(seq)
                .argInt(heads).argInt(kvHeads).argFloat(scale);
        gpu.launch(f.dq(hd), TensorCoreFlash.queryBlocks(seq), batch * heads, TensorCoreFlash.THREADS, 1, 0);
        long dkDev = fresh(dk);
        long dvDev = fresh(dv);
        gpu.arg(qDev).arg(kDev).arg(vDev).arg(lseDev).arg(d).arg(dOutDev).arg(lens).arg(group == 1 ? dkDev : dkh)
                .arg(group == 1 ? dvDev : dvh).argInt(seq).argInt(heads).argInt(kvHeads)
                .argInt(group == 1 ? kvHeads : heads).argFloat(scale);
        gpu.launch(f.dkdv(hd), TensorCoreFlash.keyBlocks(seq), batch * heads, TensorCoreFlash.KEY_THREADS, 1, 0);
        if (group > 1) {
            long rows = (long) batch * seq;
            gpu.arg(dkh).arg(dkDev).arg(rows).argInt(kvHeads).argInt(group).argInt(hd);
            gpu.launch(f.get(TensorCoreFlash.K.fm_group_sum), gpu.gridFor(rows * kvHeads * hd, 256), 256);
            gpu.arg(dvh).arg(dvDev).arg(rows).argInt(kvHeads).argInt(group).argInt(hdV);
            gpu.launch(f.get(TensorCoreFlash.K.fm_group_sum), gpu.gridFor(rows * kvHeads * hdV, 256), 256);
        }
    }

    private static void checkFlash(int hd, int hdV, int heads, int kvHeads) {
        if (hd > MAX_HEAD_DIM || hdV > MAX_HEAD_DIM || kvHeads == 0 || heads % kvHeads != 0) {
            throw new UnsupportedOperationException("cuda flash attention supports head dims <= " + MAX_HEAD_DIM
                    + " and heads a multiple of kv heads, got head_dim " + hd + " (values " + hdV + "), " + heads
                    + " heads, " + kvHeads + " kv heads");
        }
    }

    @Override
    public synchronized void copyCacheRow(INDArray src, int srcRow, INDArray dst, int dstRow, int len) {
        enter();
        sameType(src, dst);
        int heads = Math.toIntExact(src.size(1));
        int hd = Math.toIntExact(src.size(3));
        KernelModule k = kernels(src);
        long total = (long) heads * len * hd;
        gpu.arg(in(src)).arg(out(dst)).argInt(heads).argInt(Math.toIntExact(src.size(2)))
                .argInt(Math.toIntExact(dst.size(2))).argInt(hd).argInt(srcRow).argInt(dstRow).argInt(len);
        gpu.launch(k.get(K.copy_cache_row), gpu.gridFor(total, 256), 256);
        exit();
    }

    private long picks;
    private int picksRows;

    /** Device room for rows picks: log-probs (doubles) at picks, then token ids (ints) at picks + 8 * picksRows. */
    private void pickRoom(int rows) {
        if (picksRows < rows) {
            if (picks != 0) {
                gpu.free(picks, 12L * picksRows);
            }
            picksRows = Math.max(rows, 256);
            picks = gpu.alloc(12L * picksRows);
        }
    }

    @Override
    public synchronized void sampleRows(INDArray logits, int rows, double invTemperature, boolean greedy,
                                        double[] uniforms, int[] tokens, double[] logProbs) {
        enter();
        if (rows == 0) {
            return;
        }
        int v = cols(logits);
        KernelModule k = kernels(logits);
        pickRoom(rows);
        long lp = picks;
        long tok = picks + 8L * picksRows;
        long u = gpu.stageDoubles(uniforms, rows);
        gpu.arg(in(logits)).argInt(v).argDouble(invTemperature).argInt(greedy ? 1 : 0).arg(u).arg(tok).arg(lp);
        gpu.launch(k.get(K.sample_rows), rows, rowBlock(v));
        gpu.downloadPicks(tok, tokens, lp, logProbs, rows);
    }

    /** sampling.cu per element type, compiled on first use (kept: the module must outlive its kernels). */
    private final Map<DataType, KernelModule> samplingModules = new HashMap<>();
    private final Map<DataType, org.bytedeco.cuda.cudart.CUfunc_st> truncatedDraws = new HashMap<>();

    /** Greedy and untruncated draws are sampleRows'; top-k / top-p ones are sampling.cu's radix searches. */
    @Override
    public synchronized void sampleTokens(INDArray logits, int rows, double invTemperature, boolean greedy, int topK,
                                          double topP, double[] uniforms, int[] tokens, double[] logProbs) {
        if (topK < 0 || !(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("sampleTokens: top_k must be >= 0 and top_p in (0, 1], got " + topK
                    + " and " + topP);
        }
        int v = cols(logits);
        if (rows > rows(logits)) {
            throw new IllegalArgumentException("sampleTokens: " + rows + " rows asked of logits " + Arrays.toString(
                    logits.shape()));
        }
        if (greedy || ((topK == 0 || topK >= v) && topP >= 1)) {
            sampleRows(logits, rows, invTemperature, greedy, uniforms, tokens, logProbs);
            return;
        }
        enter();
        if (rows == 0) {
            return;
        }
        DataType t = logits.dataType();
        kernels(logits); // rejects types other than float32 and float64
        var draw = truncatedDraws.get(t);
        if (draw == null) {
            KernelModule m = new KernelModule("sampling.cu", t == DataType.FLOAT ? "float" : "double", gpu.major,
                    gpu.minor);
            samplingModules.put(t, m);
            draw = m.function("sample_truncated");
            truncatedDraws.put(t, draw);
        }
        pickRoom(rows);
        long lp = picks;
        long tok = picks + 8L * picksRows;
        long u = gpu.stageDoubles(uniforms, rows);
        gpu.arg(in(logits)).argInt(v).argDouble(invTemperature).argInt(topK > 0 && topK < v ? topK : 0)
                .argDouble(topP).arg(u).arg(tok).arg(lp);
        gpu.launch(draw, rows, rowBlock(v));
        gpu.downloadPicks(tok, tokens, lp, logProbs, rows);
    }

    // ------------------------------------------------------------------ DeepSeek (MLA and MoE)

    @Override
    public synchronized void gatherHeads(INDArray rowsArr, int rowCol, int rowHeadStride, INDArray heads, int headCol,
                                         int width, int batch, int seq, boolean toHeads) {
        enter();
        sameType(rowsArr, heads);
        int rowWidth = cols(rowsArr);
        int headWidth = cols(heads);
        int nHeads = Math.toIntExact(heads.length() / ((long) batch * seq * headWidth));
        if ((long) batch * seq * rowWidth != rowsArr.length() || headCol + width > headWidth
                || rowCol + (long) (nHeads - 1) * rowHeadStride + width > rowWidth) {
            throw new IllegalArgumentException("gatherHeads: rows " + Arrays.toString(rowsArr.shape()) + " and heads "
                    + Arrays.toString(heads.shape()) + " do not fit");
        }
        KernelModule k = kernels(rowsArr);
        long total = (long) batch * seq * nHeads * width;
        long r = toHeads ? in(rowsArr) : out(rowsArr);
        long h = toHeads ? out(heads) : in(heads);
        gpu.arg(r).arg(h).argInt(rowWidth).argInt(rowCol).argInt(rowHeadStride).argInt(headWidth).argInt(headCol)
                .argInt(width).argInt(nHeads).argInt(seq).arg(total).argInt(toHeads ? 1 : 0);
        gpu.launch(k.get(K.gather_heads), gpu.gridFor(total, 256), 256);
        exit();
    }

    @Override
    public synchronized void ropeSlice(INDArray x, int[] positions, RopeTable table, int headStride, int col,
                                       boolean interleaved, boolean inverse) {
        enter();
        int half = table.half();
        int n = positions.length;
        int width = cols(x);
        int heads = width / headStride;
        if (width % headStride != 0 || col + 2 * half > headStride || rows(x) != n) {
            throw new IllegalArgumentException("ropeSlice: x " + Arrays.toString(x.shape())
                    + " does not hold heads of " + headStride + " with rotary dims at " + col);
        }
        KernelModule k = kernels(x);
        long total = (long) n * heads * half;
        gpu.arg(out(x)).arg(ints(positions)).arg(invFreq(table)).arg(n).argInt(heads).argInt(headStride).argInt(col)
                .argInt(half).argInt(interleaved ? 1 : 0).argInt(inverse ? 1 : 0).argDouble(table.scale());
        gpu.launch(k.get(K.rope_slice), gpu.gridFor(total, 256), 256);
        exit();
    }

    private static void checkRows(int[] rowsIdx, INDArray a, String op) {
        int n = rows(a);
        for (int r : rowsIdx) {
            if (r < 0 || r >= n) {
                throw new IllegalArgumentException(op + ": row " + r + " outside [0, " + n + ")");
            }
        }
    }

    @Override
    public synchronized void gatherRows(INDArray src, int[] rowsIdx, double[] scales, INDArray dst) {
        enter();
        sameType(src, dst);
        checkRows(rowsIdx, src, "gatherRows");
        int w = cols(src);
        KernelModule k = kernels(src);
        long n = rowsIdx.length;
        long s = scales == null ? 0 : gpu.stageDoubles(scales, rowsIdx.length);
        gpu.arg(in(src)).arg(ints(rowsIdx)).arg(s).arg(out(dst)).arg(n).argInt(w);
        gpu.launch(k.get(K.gather_rows), gpu.gridFor(n * w, 256), 256);
        exit();
    }

    @Override
    public synchronized void scatterAddRows(INDArray src, int[] rowsIdx, double[] scales, INDArray dst) {
        enter();
        sameType(src, dst);
        checkRows(rowsIdx, dst, "scatterAddRows");
        int w = cols(dst);
        KernelModule k = kernels(dst);
        long n = rowsIdx.length;
        long s = scales == null ? 0 : gpu.stageDoubles(scales, rowsIdx.length);
        gpu.arg(in(src)).arg(ints(rowsIdx)).arg(s).arg(out(dst)).arg(n).argInt(w);
        gpu.launch(k.get(K.scatter_add_rows), gpu.gridFor(n * w, 256), 256);
        exit();
    }

    private long dots;
    private int dotsRows;

    @Override
    public synchronized double[] gatheredRowDots(INDArray a, int[] rowsIdx, INDArray b) {
        enter();
        sameType(a, b);
        checkRows(rowsIdx, a, "gatheredRowDots");
        if (rowsIdx.length == 0) {
            return new double[0];
        }
        if (dotsRows < rowsIdx.length) {
            if (dots != 0) {
                gpu.free(dots, 8L * dotsRows);
            }
            dotsRows = Math.max(rowsIdx.length, 256);
            dots = gpu.alloc(8L * dotsRows);
        }
        KernelModule k = kernels(a);
        int n = rowsIdx.length;
        gpu.arg(in(a)).arg(ints(rowsIdx)).arg(in(b)).arg(dots).arg(n).argInt(cols(a));
        gpu.launch(k.get(K.gathered_row_dots), (n + 7) / 8, 256);
        return gpu.downloadDoubles(dots, n);
    }

    @Override
    public synchronized void latentDecodeAttention(INDArray qLatent, INDArray qRope, INDArray latentCache,
                                                   INDArray ropeCache, int[] lengths, INDArray out, double scale) {
        enter();
        sameType(qLatent, qRope, latentCache, ropeCache, out);
        int heads = Math.toIntExact(qLatent.size(0));
        int batch = lengths.length;
        int cap = Math.toIntExact(latentCache.size(2));
        int rank = Math.toIntExact(latentCache.size(3));
        int ropeDim = Math.toIntExact(ropeCache.size(3));
        int threads = 128;
        int shared = 8 * (rank + ropeDim + (threads / 32) * rank);
        if (shared > 48 * 1024) {
            throw new UnsupportedOperationException("cuda latentDecodeAttention supports kv_lora_rank + rope dims up to"
                    + " about 1200, got " + rank + " + " + ropeDim);
        }
        KernelModule k = kernels(qLatent);
        gpu.arg(in(qLatent)).arg(in(qRope)).arg(in(latentCache)).arg(in(ropeCache)).arg(ints(lengths)).arg(out(out))
                .argInt(heads).argInt(batch).argInt(cap).argInt(rank).argInt(ropeDim).argDouble(scale);
        gpu.launch(k.get(K.latent_decode_attention), heads * batch, 1, threads, 1, shared);
        exit();
    }

    // ------------------------------------------------------------------ step graphs

    /** Index arrays of the step being captured or checked, read from the graph's device slots (see ints). */
    private int[][] stepInputs = new int[0][];
    private final java.util.List<StepGraph> stepGraphs = new java.util.ArrayList<>();
    private boolean graphsOn;
    private final long[] graphCounts = new long[4];
    private static final int MAX_STEP_GRAPHS = 8;

    /** Turns step graphs on or off (ALIGN4J_CUDA_GRAPHS=0 starts with them off); off frees the graphs held. */
    public synchronized void useGraphs(boolean on) {
        enter();
        graphsOn = on;
        if (!on) {
            for (StepGraph g : stepGraphs) {
                g.release(gpu);
            }
            stepGraphs.clear();
        }
    }

    /**
     * Steps run as graph launches, graphs captured, steps run eagerly after a check found a different launch, and
     * failed captures, since this backend was made.
     */
    public synchronized long[] graphCounts() {
        return graphCounts.clone();
    }

    /**
     * Calls that handed work to the stream since this backend was made: kernel launches, cuBLAS products, copies,
     * memsets and graph launches (a replayed step counts its input uploads and one launch).
     */
    public synchronized long streamCalls() {
        return gpu.calls;
    }

    /**
     * A step with the same key (a KV cache) is run eagerly once, captured as a CUDA graph at its second run, and from
     * then on launched as that graph whenever its ops would issue exactly the graph's launches: see {@link StepGraph}.
     */
    @Override
    public synchronized void repeatedStep(Object key, Runnable step, int[]... inputs) {
        enter();
        if (!graphsOn || gpu.graph != null) {
            step.run();
            return;
        }
        StepGraph g = graph(key);
        switch (g.state) {
            case FAILED -> step.run();
            case NEW -> {
                step.run(); // makes the mirrors and scratch buffers the capture will find in place
                g.state = StepGraph.State.WARM;
            }
            case WARM -> capture(g, step, inputs);
            case READY -> {
                if (!g.sameInputs(inputs) || !runGraphMode(g, step, inputs, false)) {
                    g.dropGraph(gpu);
                    g.state = StepGraph.State.WARM;
                    graphCounts[2]++;
                    step.run();
                    return;
                }
                launchGraph(g, step, inputs);
            }
        }
    }

    private StepGraph graph(Object key) {
        for (int i = stepGraphs.size() - 1; i >= 0; i--) {
            StepGraph g = stepGraphs.get(i);
            Object k = g.key.get();
            if (k == key) {
                return g;
            }
            if (k == null) {
                g.release(gpu);
                stepGraphs.remove(i);
            }
        }
        if (stepGraphs.size() >= MAX_STEP_GRAPHS) {
            stepGraphs.remove(0).release(gpu);
        }
        StepGraph g = new StepGraph(key);
        stepGraphs.add(g);
        return g;
    }

    private void capture(StepGraph g, Runnable step, int[][] inputs) {
        g.makeSlots(gpu, inputs);
        if (runGraphMode(g, step, inputs, true)) {
            g.state = StepGraph.State.READY;
            graphCounts[1]++;
            launchGraph(g, step, inputs);
        } else {
            g.failures++;
            g.state = g.failures >= 3 ? StepGraph.State.FAILED : StepGraph.State.NEW;
            graphCounts[3]++;
            step.run();
        }
    }

    /** Runs step capturing (or checking) g; false when it could not be captured or did not match. */
    private boolean runGraphMode(StepGraph g, Runnable step, int[][] inputs, boolean capture) {
        boolean ok = false;
        if (capture) {
            g.beginCapture(gpu);
        } else {
            g.beginCheck();
        }
        stepInputs = inputs;
        gpu.graph = g;
        try {
            step.run();
            ok = true;
        } catch (StepGraph.Miss | CudaException e) {
            ok = false;
        } finally {
            gpu.graph = null;
            stepInputs = new int[0][];
            if (capture) {
                ok = g.endCapture(gpu, ok);
            } else {
                ok = g.endCheck() && ok;
            }
        }
        return ok;
    }

    /** Uploads the inputs into g's slots and launches g; a launch the driver refuses leaves the key eager. */
    private void launchGraph(StepGraph g, Runnable step, int[][] inputs) {
        for (int i = 0; i < inputs.length; i++) {
            gpu.uploadInts(inputs[i], g.slots[i]);
        }
        try {
            g.launch(gpu);
        } catch (CudaException e) {
            g.dropGraph(gpu);
            g.failures = 3;
            g.state = StepGraph.State.FAILED;
            graphCounts[3]++;
            step.run();
            return;
        }
        graphCounts[0]++;
        exit();
    }

    // ------------------------------------------------------------------ DeepSeekMoE (moe.cu)

    private MoeKernels moe32;
    private MoeKernels moe64;

    private MoeKernels moeKernels(INDArray a) {
        return moeKernels(a.dataType());
    }

    private MoeKernels moeKernels(DataType t) {
        if (t == DataType.FLOAT) {
            if (moe32 == null) {
                moe32 = new MoeKernels("float", gpu.major, gpu.minor);
            }
            return moe32;
        }
        if (t == DataType.DOUBLE) {
            if (moe64 == null) {
                moe64 = new MoeKernels("double", gpu.major, gpu.minor);
            }
            return moe64;
        }
        throw new IllegalArgumentException("unsupported data type " + t + " (float32 or float64)");
    }

    private static void requireInts(INDArray... arrays) {
        for (INDArray a : arrays) {
            if (a.dataType() != DataType.INT) {
                throw new IllegalArgumentException("index array must be INT32, got " + a.dataType());
            }
        }
    }

    @Override
    public synchronized void moeRoute(INDArray logits, INDArray bias, MoeGate gate, boolean[] valid, boolean replay,
                                      INDArray scores, INDArray topExpert, INDArray topWeight) {
        enter();
        sameType(bias == null ? logits : bias, logits, scores, topWeight);
        requireInts(topExpert);
        if (gate.groups() > MoeKernels.MAX_GROUPS) {
            throw new UnsupportedOperationException("cuda moeRoute supports n_group up to " + MoeKernels.MAX_GROUPS
                    + ", got " + gate.groups());
        }
        int rowCount = rows(logits);
        long v = 0;
        if (valid != null) {
            int[] flags = new int[rowCount];
            for (int r = 0; r < rowCount; r++) {
                flags[r] = valid[r] ? 1 : 0;
            }
            v = gpu.stageInts(flags);
        }
        int rank = gate.groupRank() == MoeGate.GroupRank.NONE ? 0 : gate.groupRank() == MoeGate.GroupRank.MAX ? 1 : 2;
        MoeKernels k = moeKernels(logits);
        long top = replay ? out(topExpert) : fresh(topExpert);
        gpu.arg(in(logits)).arg(bias == null ? 0 : in(bias)).arg(v).argInt(replay ? 1 : 0).arg(fresh(scores)).arg(top)
                .arg(fresh(topWeight)).argInt(rowCount).argInt(gate.experts()).argInt(gate.k())
                .argInt(gate.sigmoid() ? 1 : 0).argInt(gate.groups()).argInt(gate.topkGroup()).argInt(rank)
                .argInt(gate.normTopkProb() ? 1 : 0).argDouble(gate.scaling());
        gpu.launch(k.get(MoeKernels.K.moe_route), rowCount, 1, 32, 1, 16 * gate.experts());
        exit();
    }

    @Override
    public synchronized void moeRouteBackward(INDArray scores, INDArray topExpert, INDArray dTopWeight,
                                              INDArray dScores, MoeGate gate, INDArray dLogits) {
        enter();
        sameType(scores, dTopWeight, dScores == null ? scores : dScores, dLogits);
        requireInts(topExpert);
        int rowCount = rows(scores);
        MoeKernels k = moeKernels(scores);
        gpu.arg(in(scores)).arg(in(topExpert)).arg(in(dTopWeight)).arg(dScores == null ? 0 : in(dScores))
                .arg(fresh(dLogits)).argInt(rowCount).argInt(gate.experts()).argInt(gate.k())
                .argInt(gate.sigmoid() ? 1 : 0).argInt(gate.normTopkProb() ? 1 : 0).argDouble(gate.scaling());
        gpu.launch(k.get(MoeKernels.K.moe_route_bwd), rowCount, 1, 32, 1, 8 * gate.experts());
        exit();
    }

    @Override
    public synchronized void moeSortByExpert(INDArray topExpert, int experts, INDArray order, INDArray slotOf,
                                             INDArray offsets) {
        enter();
        requireInts(topExpert, order, slotOf, offsets);
        if (offsets.length() != experts + 1L) {
            throw new IllegalArgumentException("offsets must hold experts + 1 = " + (experts + 1) + " ints");
        }
        int n = Math.toIntExact(topExpert.length());
        MoeKernels k = moeKernels(DataType.FLOAT); // moe_sort reads and writes ints only: either module has it
        gpu.arg(in(topExpert)).argInt(n).argInt(experts).arg(fresh(order)).arg(fresh(slotOf)).arg(fresh(offsets));
        gpu.launch(k.get(MoeKernels.K.moe_sort), 1, 1, MoeKernels.SORT_THREADS, 1, 4 * (experts + 1));
        exit();
    }

    @Override
    public synchronized void moeGather(INDArray src, INDArray order, int kk, INDArray weight, int slots,
                                       INDArray dst) {
        enter();
        sameType(src, dst, weight == null ? src : weight);
        requireInts(order);
        int w = cols(src);
        MoeKernels k = moeKernels(src);
        gpu.arg(in(src)).arg(in(order)).argInt(kk).arg(weight == null ? 0 : in(weight)).arg(out(dst))
                .arg((long) slots).argInt(w);
        gpu.launch(k.get(MoeKernels.K.moe_gather), gpu.gridFor((long) slots * w, 256), 256);
        exit();
    }

    @Override
    public synchronized void moeCombine(INDArray src, INDArray slotOf, INDArray weight, INDArray dst) {
        enter();
        sameType(src, dst, weight == null ? src : weight);
        requireInts(slotOf);
        long rowCount = rows(dst);
        int w = cols(dst);
        int kk = Math.toIntExact(slotOf.length() / rowCount);
        MoeKernels k = moeKernels(src);
        gpu.arg(in(src)).arg(in(slotOf)).arg(weight == null ? 0 : in(weight)).arg(out(dst)).arg(rowCount).argInt(kk)
                .argInt(w);
        gpu.launch(k.get(MoeKernels.K.moe_combine), gpu.gridFor(rowCount * w, 256), 256);
        exit();
    }

    @Override
    public synchronized void moeCombineWeightGrad(INDArray dOut, INDArray src, INDArray slotOf, INDArray dWeight) {
        enter();
        sameType(dOut, src, dWeight);
        requireInts(slotOf);
        long pairs = dWeight.length();
        int kk = cols(dWeight);
        MoeKernels k = moeKernels(dOut);
        gpu.arg(in(dOut)).arg(in(src)).arg(in(slotOf)).arg(fresh(dWeight)).arg(pairs).argInt(kk).argInt(cols(dOut));
        gpu.launch(k.get(MoeKernels.K.moe_combine_wgrad), Math.toIntExact((pairs + 7) / 8), 256);
        exit();
    }

    // ------------------------------------------------------------------ host synchronisation

    @Override
    public synchronized void toHost(INDArray x) {
        enter();
        Mirror m = existing(x);
        if (m != null && m.state == DEVICE_NEWER) {
            gpu.download(m.host, m.dev, m.bytes);
            m.state = SYNCED;
        }
    }

    /** Downloads the arrays, runs edit and marks them host-newer (also when edit throws): see {@link Ops}. */
    @Override
    public synchronized void editOnHost(Runnable edit, INDArray... arrays) {
        for (INDArray a : arrays) {
            toHost(a);
        }
        try {
            edit.run();
        } finally {
            for (INDArray a : arrays) {
                hostWritten(a);
            }
        }
    }

    /** x's host copy is now the newer one: private, so that no caller can forget the download before a write. */
    private void hostWritten(INDArray x) {
        enter();
        Mirror m = existing(x);
        if (m != null) {
            m.state = HOST_NEWER;
            m.version++;
        }
    }

    // ------------------------------------------------------------------ collectives (NcclCollective)

    /** What runs on this backend's stream with its context bound: an NCCL call. */
    interface StreamCall {
        void run(org.bytedeco.cuda.cudart.CUstream_st stream, long[] addresses);
    }

    /**
     * Runs call on this backend's stream with the device addresses of the arrays (uploaded first where the host copy
     * is newer), which it reads and overwrites in place: they are device-newer after.
     */
    synchronized void inPlace(java.util.List<INDArray> arrays, StreamCall call) {
        enter();
        long[] addresses = new long[arrays.size()];
        for (int i = 0; i < addresses.length; i++) {
            addresses[i] = out(arrays.get(i));
        }
        call.run(gpu.stream, addresses);
    }

    /** The ordinal of this backend's GPU. */
    int deviceOrdinal() {
        return gpu.device;
    }
}
