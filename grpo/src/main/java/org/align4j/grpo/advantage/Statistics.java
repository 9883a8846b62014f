package org.align4j.grpo.advantage;

/** The means, standard deviations and whitening the estimators share. */
public final class Statistics {
    /** Added to a standard deviation before dividing by it, as TRL does (a zero-std group gets advantage 0). */
    public static final double STD_EPS = 1e-4;
    /** verl's masked_whiten: x -> (x - mean) / sqrt(var + 1e-8). */
    static final double WHITEN_EPS = 1e-8;

    private Statistics() {
    }

    public static double mean(double[] x, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += x[i];
        }
        return to > from ? s / (to - from) : 0;
    }

    public static double mean(double[] x) {
        return mean(x, 0, x.length);
    }

    /** The sample standard deviation (n - 1), as torch.std; 0 for fewer than two values. */
    public static double sampleStd(double[] x, int from, int to) {
        int n = to - from;
        if (n < 2) {
            return 0;
        }
        double m = mean(x, from, to);
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (x[i] - m) * (x[i] - m);
        }
        return Math.sqrt(s / (n - 1));
    }

    public static double sampleStd(double[] x) {
        return sampleStd(x, 0, x.length);
    }

    /**
     * Whitens the values of the scored completions' tokens together (verl's masked_whiten: mean and unbiased
     * variance over all of them), in place; abstained completions (null rows) are left alone.
     */
    static void whiten(double[][] values) {
        double sum = 0;
        long n = 0;
        for (double[] row : values) {
            if (row != null) {
                for (double v : row) {
                    sum += v;
                    n++;
                }
            }
        }
        if (n == 0) {
            return;
        }
        double mean = sum / n;
        double sq = 0;
        for (double[] row : values) {
            if (row != null) {
                for (double v : row) {
                    sq += (v - mean) * (v - mean);
                }
            }
        }
        double var = n > 1 ? sq / (n - 1) : 0;
        double scale = 1 / Math.sqrt(var + WHITEN_EPS);
        for (double[] row : values) {
            if (row != null) {
                for (int t = 0; t < row.length; t++) {
                    row[t] = (row[t] - mean) * scale;
                }
            }
        }
    }
}
