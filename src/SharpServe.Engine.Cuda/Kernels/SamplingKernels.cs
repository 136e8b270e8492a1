using ILGPU;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// The draw of <see cref="SamplingRow"/> where the logits are, in five launches of one group per row (any multiple of 32
/// threads up to <see cref="MaxGroupSize"/>; thread t owns elements t, t + groupSize, …, except in <see cref="Draw"/>):
/// <see cref="Prepare"/> edits the row and finds its max, <see cref="Threshold"/> applies min_p / top_k and turns the
/// row into weights, <see cref="Nucleus"/> finds the top-p cut, <see cref="Draw"/> picks the token, <see cref="Logprobs"/>
/// scores it on the raw row. Sums are in double, each thread's in its element order, then the threads' in thread order
/// (<see cref="GroupReduce"/>). exp and log are <see cref="DeviceMath"/>'s, not ILGPU's approximate PTX ones.
/// </summary>
internal static class SamplingKernels
{
    public const int MaxGroupSize = 512;

    /// <summary>Cuts whose mass <see cref="Nucleus"/> sums in one pass: 30 bits of search in about 10 passes.</summary>
    private const int Probes = 7;

    private const int RadixBins = 256;

    /// <summary>The weight of a token out of the draw (every kept weight is ≥ 0, so one compare with the cut drops it).</summary>
    private const float Dropped = -1f;

    /// <summary>
    /// processed row r = raw row rows[r].LogitsRow with the row's edits; states[r].Max, ArgMax = its max and lowest index.
    /// logits: [logitRows, vocab]; rows: [rows]; edits: every row's, end to end; processed: [rows, vocab]; states: [rows].
    /// Launch: rows groups.
    /// </summary>
    public static void Prepare(
        ArrayView<float> logits, ArrayView<DeviceSamplingRow> rows, ArrayView<DeviceLogitEdit> edits, ArrayView<float> processed, ArrayView<SamplingState> states, int vocab)
    {
        var values = SharedMemory.Allocate<float>(MaxGroupSize);
        var indices = SharedMemory.Allocate<int>(MaxGroupSize);
        var row = rows[Grid.IdxX];
        var raw = logits.SubView((long)row.LogitsRow * vocab, vocab);
        var p = processed.SubView((long)Grid.IdxX * vocab, vocab);
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            p[i] = raw[i];
        }

        Group.Barrier(); // an edited token may belong to another thread's copy
        for (int e = Group.IdxX; e < row.EditCount; e += Group.DimX)
        {
            var edit = edits[row.FirstEdit + e];
            p[edit.Token] = edit.Apply(raw[edit.Token], row.Repetition, row.Presence, row.Frequency);
        }

        Group.Barrier();
        var best = GroupReduce.Best(BestBelow(p, Ranked.All), values, indices);
        if (Group.IsFirstThread)
        {
            states[Grid.IdxX].Max = best.Value;
            states[Grid.IdxX].ArgMax = best.Index;
        }
    }

    /// <summary>
    /// Sampled rows: floor = max(max + T·ln(min_p) when min_p is on, the k-th largest p when 0 &lt; top_k &lt; vocab), then
    /// processed[r, i] = exp((p − max) / T) where p ≥ floor and p &gt; −∞, else <see cref="Dropped"/>. The k-th largest is a
    /// radix select on p's order-preserving uint keys, a byte per pass (4 counting passes into a shared histogram).
    /// processed: [rows, vocab]. Launch: rows groups.
    /// </summary>
    public static void Threshold(ArrayView<DeviceSamplingRow> rows, ArrayView<float> processed, ArrayView<SamplingState> states, int vocab)
    {
        var histogram = SharedMemory.Allocate<int>(RadixBins);
        var row = rows[Grid.IdxX];
        if (row.Greedy != 0)
        {
            return;
        }

        var p = processed.SubView((long)Grid.IdxX * vocab, vocab);
        float max = states[Grid.IdxX].Max;
        float floor = row.MinPShift > float.NegativeInfinity ? max + row.MinPShift : float.NegativeInfinity;
        if (row.TopK > 0 && row.TopK < vocab)
        {
            floor = MathF.Max(floor, KthLargest(p, row.TopK, histogram));
        }

        // Each thread rewrites only the elements it alone has read, so no barrier is needed before.
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            float v = p[i];
            p[i] = v >= floor && v > float.NegativeInfinity ? DeviceMath.ExpF((v - max) / row.Temperature) : Dropped;
        }

        if (Group.IsFirstThread)
        {
            states[Grid.IdxX].Floor = floor;
        }
    }

    /// <summary>
    /// Sampled rows with top_p &lt; 1: states[r].Cut = the largest weight c with Σ_{w ≥ c} w ≥ top_p · Σ_kept w. A search
    /// over positive float bit patterns (ordered like the weights in (0, 1]) that sums the mass at <see cref="Probes"/>
    /// cuts per pass, about 10 passes. Every mass, the kept total included, is summed alike (<see cref="Masses"/>), so the
    /// cut does not depend on the probing. Without top-p the cut is the smallest positive float: every kept token
    /// whose weight did not underflow to 0.
    /// processed: the weights, [rows, vocab]. Launch: rows groups.
    /// </summary>
    public static void Nucleus(ArrayView<DeviceSamplingRow> rows, ArrayView<float> processed, ArrayView<SamplingState> states, int vocab)
    {
        var partials = SharedMemory.Allocate<double>(Probes * MaxGroupSize);
        var cuts = LocalMemory.Allocate<float>(Probes);
        var masses = LocalMemory.Allocate<double>(Probes);
        var row = rows[Grid.IdxX];
        if (row.Greedy != 0)
        {
            return;
        }

        float cut = float.Epsilon;
        if (row.TopP < 1)
        {
            var w = processed.SubView((long)Grid.IdxX * vocab, vocab);
            cuts[0] = 0;
            Masses(w, cuts, 1, masses, partials);
            double target = row.TopP * masses[0];

            // Invariant: the answer is in [lo, hi] and the mass at lo reaches the target. At lo = the smallest positive
            // float it is the whole kept mass (the same sum in the same order, zeros aside), and top_p ≤ 1; hi = 1, the
            // max token's weight. Probe j sits at lo + ⌈(hi − lo)·(j + 1) / (Probes + 1)⌉: ascending, in (lo, hi].
            uint lo = 1;
            uint hi = 0x3F800000;
            while (lo < hi)
            {
                ulong span = hi - lo;
                for (int j = 0; j < Probes; j++)
                {
                    cuts[j] = Interop.IntAsFloat(lo + (uint)(((span * (ulong)(j + 1)) + Probes) / (Probes + 1)));
                }

                Masses(w, cuts, Probes, masses, partials);
                int reached = -1;
                for (int j = 0; j < Probes; j++)
                {
                    reached = masses[j] >= target ? j : reached;
                }

                hi = reached == Probes - 1 ? hi : Interop.FloatAsInt(cuts[reached + 1]) - 1;
                lo = reached < 0 ? lo : Interop.FloatAsInt(cuts[reached]);
            }

            cut = Interop.IntAsFloat(lo);
        }

        if (Group.IsFirstThread)
        {
            states[Grid.IdxX].Cut = cut;
        }
    }

    /// <summary>
    /// results[r].TokenId = the draw: greedy rows their ArgMax; sampled rows the first token in index order whose cumulative
    /// weight (w ≥ Cut) reaches Uniform · total. Thread t owns one contiguous chunk: it sums it, every thread adds the
    /// chunk sums in thread order (its own prefix on the way, the total at the end), then walks its chunk from its prefix;
    /// the lowest crossing wins. If rounding leaves none, the last kept token; if nothing is kept (all −∞), ArgMax.
    /// processed: the weights, [rows, vocab]; results: [rows + Σ top n], the sampled entries first. Launch: rows groups.
    /// </summary>
    public static void Draw(ArrayView<DeviceSamplingRow> rows, ArrayView<float> processed, ArrayView<SamplingState> states, ArrayView<TokenLogprob> results, int vocab)
    {
        var chunkSums = SharedMemory.Allocate<double>(MaxGroupSize);
        var firsts = SharedMemory.Allocate<int>(MaxGroupSize);
        var lasts = SharedMemory.Allocate<int>(MaxGroupSize);
        var row = rows[Grid.IdxX];
        var state = states[Grid.IdxX];
        if (row.Greedy != 0)
        {
            if (Group.IsFirstThread)
            {
                results[Grid.IdxX] = new TokenLogprob(state.ArgMax, 0);
            }

            return;
        }

        var w = processed.SubView((long)Grid.IdxX * vocab, vocab);
        int chunk = (vocab + Group.DimX - 1) / Group.DimX;
        int start = Math.Min(Group.IdxX * chunk, vocab);
        int end = Math.Min(start + chunk, vocab);
        double sum = 0;
        for (int i = start; i < end; i++)
        {
            if (w[i] >= state.Cut)
            {
                sum += w[i];
            }
        }

        chunkSums[Group.IdxX] = sum;
        Group.Barrier();
        double before = 0;
        double total = 0;
        for (int t = 0; t < Group.DimX; t++)
        {
            before = t == Group.IdxX ? total : before;
            total += chunkSums[t];
        }

        double target = row.Uniform * total;
        double cumulative = before;
        int first = -1;
        int last = -1;
        for (int i = start; i < end; i++)
        {
            if (w[i] >= state.Cut)
            {
                cumulative += w[i];
                last = i;
                first = first < 0 && cumulative >= target ? i : first;
            }
        }

        firsts[Group.IdxX] = first;
        lasts[Group.IdxX] = last;
        Group.Barrier();
        if (Group.IsFirstThread)
        {
            // Chunks run in index order: the first thread that crossed holds the token, the last one with a kept token
            // holds the fallback.
            int token = -1;
            int fallback = state.ArgMax;
            for (int t = 0; t < Group.DimX; t++)
            {
                token = token < 0 ? firsts[t] : token;
                fallback = lasts[t] >= 0 ? lasts[t] : fallback;
            }

            results[Grid.IdxX] = new TokenLogprob(token >= 0 ? token : fallback, 0);
        }
    }

    /// <summary>
    /// Rows with Logprobs ≥ 0, on the raw row: m = max, s = Σ exp(raw − m) in double, logSum = (float)ln s;
    /// results[r].Logprob = (raw[token] − m) − logSum for the drawn token, and results[FirstTop + j] the j-th best token
    /// (ties to the lower id) with its logprob, one ranking pass per j. logits: [logitRows, vocab]. Launch: rows groups.
    /// </summary>
    public static void Logprobs(ArrayView<float> logits, ArrayView<DeviceSamplingRow> rows, ArrayView<TokenLogprob> results, int vocab)
    {
        var partials = SharedMemory.Allocate<double>(MaxGroupSize);
        var values = SharedMemory.Allocate<float>(MaxGroupSize);
        var indices = SharedMemory.Allocate<int>(MaxGroupSize);
        var sum = LocalMemory.Allocate<double>(1);
        var row = rows[Grid.IdxX];
        if (row.Logprobs < 0)
        {
            return;
        }

        var raw = logits.SubView((long)row.LogitsRow * vocab, vocab);
        var best = GroupReduce.Best(BestBelow(raw, Ranked.All), values, indices);
        float max = best.Value;
        sum[0] = 0;
        for (int i = Group.IdxX; i < vocab; i += Group.DimX)
        {
            sum[0] += DeviceMath.Exp(raw[i] - max);
        }

        GroupReduce.Sums(sum, 1, partials);
        float logSum = (float)DeviceMath.Log(sum[0]);
        if (Group.IsFirstThread)
        {
            int token = results[Grid.IdxX].TokenId;
            results[Grid.IdxX] = new TokenLogprob(token, (raw[token] - max) - logSum);
        }

        for (int j = 0; j < row.Logprobs; j++)
        {
            best = j == 0 ? best : GroupReduce.Best(BestBelow(raw, best), values, indices);
            if (Group.IsFirstThread)
            {
                results[row.FirstTop + j] = new TokenLogprob(best.Index, (best.Value - max) - logSum);
            }
        }
    }

    /// <summary>This thread's top-ranked element among those ranked below <paramref name="bound"/>.</summary>
    private static Ranked BestBelow(ArrayView<float> values, Ranked bound)
    {
        var best = Ranked.None;
        for (int i = Group.IdxX; i < values.IntLength; i += Group.DimX)
        {
            var candidate = new Ranked(values[i], i);
            if (bound.Above(candidate) && candidate.Above(best))
            {
                best = candidate;
            }
        }

        return best;
    }

    /// <summary>
    /// masses[j] = Σ of the weights ≥ cuts[j] (ascending) for j &lt; count, every thread getting them: each thread sums its
    /// elements in order, then <see cref="GroupReduce.Sums"/> (one pass, two barriers, however many cuts).
    /// </summary>
    private static void Masses(ArrayView<float> weights, ArrayView<float> cuts, int count, ArrayView<double> masses, ArrayView<double> partials)
    {
        for (int j = 0; j < count; j++)
        {
            masses[j] = 0;
        }

        for (int i = Group.IdxX; i < weights.IntLength; i += Group.DimX)
        {
            float weight = weights[i];
            for (int j = 0; j < count && weight >= cuts[j]; j++)
            {
                masses[j] += weight;
            }
        }

        GroupReduce.Sums(masses, count, partials);
    }

    /// <summary>
    /// The k-th largest of the row by its keys, a byte at a time from the top: count the keys that share the bytes found
    /// so far by their next byte, then walk the counts down from 255 to the byte where the k-th falls.
    /// </summary>
    private static float KthLargest(ArrayView<float> values, int k, ArrayView<int> histogram)
    {
        uint prefix = 0;
        uint known = 0;
        for (int shift = 24; shift >= 0; shift -= 8)
        {
            for (int b = Group.IdxX; b < RadixBins; b += Group.DimX)
            {
                histogram[b] = 0;
            }

            Group.Barrier();
            for (int i = Group.IdxX; i < values.IntLength; i += Group.DimX)
            {
                uint key = OrderedKey(values[i]);
                if ((key & known) == prefix)
                {
                    Atomic.Add(ref histogram[(int)((key >> shift) & 0xFF)], 1);
                }
            }

            Group.Barrier();
            int above = 0;
            int digit = RadixBins - 1;
            while (above + histogram[digit] < k)
            {
                above += histogram[digit];
                digit--;
            }

            k -= above;
            prefix |= (uint)digit << shift;
            known |= 0xFFu << shift;
            Group.Barrier(); // every thread has walked the histogram before the next byte clears it
        }

        return FromOrderedKey(prefix);
    }

    /// <summary>The float's bits mapped so that unsigned order is float order (−0 just below +0).</summary>
    private static uint OrderedKey(float value)
    {
        uint bits = Interop.FloatAsInt(value);
        return (bits & 0x80000000) != 0 ? ~bits : bits | 0x80000000;
    }

    private static float FromOrderedKey(uint key) =>
        Interop.IntAsFloat((key & 0x80000000) != 0 ? key & 0x7FFFFFFF : ~key);
}
