namespace SharpServe.Cli.Benchmarks.Serve;

/// <summary>
/// When requests are sent, as vLLM's benchmark does it: gaps between arrivals drawn from a gamma
/// distribution with shape = burstiness and mean = 1 / rate. Burstiness 1 is a Poisson process
/// (exponential gaps); below 1 arrivals bunch up, above 1 they even out (coefficient of variation
/// 1 / √burstiness). An infinite rate sends everything at once.
/// </summary>
public static class ArrivalSchedule
{
    /// <summary>The seconds from each request to the next (the first request goes at once).</summary>
    public static double[] Gaps(int count, double requestRate, double burstiness, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (!(requestRate > 0))
        {
            throw new ArgumentException($"--request-rate must be positive or inf, got {requestRate}");
        }

        if (!(burstiness > 0) || double.IsInfinity(burstiness))
        {
            throw new ArgumentException($"--burstiness must be a positive number, got {burstiness}");
        }

        var gaps = new double[count];
        if (double.IsPositiveInfinity(requestRate))
        {
            return gaps;
        }

        double scale = 1 / (requestRate * burstiness);
        for (int i = 0; i < count; i++)
        {
            gaps[i] = Gamma(burstiness, random) * scale;
        }

        return gaps;
    }

    /// <summary>A Gamma(shape, 1) sample by Marsaglia and Tsang's method (boosted by U^(1/shape) below shape 1).</summary>
    public static double Gamma(double shape, Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        if (shape < 1)
        {
            return Gamma(shape + 1, random) * Math.Pow(1 - random.NextDouble(), 1 / shape);
        }

        double d = shape - (1.0 / 3);
        double c = 1 / Math.Sqrt(9 * d);
        while (true)
        {
            double x, v;
            do
            {
                x = StandardNormal(random);
                v = 1 + (c * x);
            }
            while (v <= 0);

            v = v * v * v;
            double u = 1 - random.NextDouble();
            if (Math.Log(u) < (0.5 * x * x) + d - (d * v) + (d * Math.Log(v)))
            {
                return d * v;
            }
        }
    }

    private static double StandardNormal(Random random)
    {
        // Box–Muller; 1 − U keeps the logarithm's argument in (0, 1].
        double u1 = 1 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
    }
}
