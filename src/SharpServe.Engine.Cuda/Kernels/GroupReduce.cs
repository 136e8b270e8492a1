using ILGPU;

namespace SharpServe.Engine.Cuda.Kernels;

/// <summary>
/// Reductions over a whole group through shared memory, every thread getting the result: each thread stores its value at
/// its index, one thread per result reads them all in thread order and stores the result, and every thread reads it back.
/// No warp shuffles: three barriers per call however many values, and sums in an order a plain loop reproduces (thread
/// 0's value first).
/// </summary>
internal static class GroupReduce
{
    /// <summary>The group's top-ranked candidate. values, indices: shared, at least the group size.</summary>
    public static Ranked Best(Ranked candidate, ArrayView<float> values, ArrayView<int> indices)
    {
        values[Group.IdxX] = candidate.Value;
        indices[Group.IdxX] = candidate.Index;
        Group.Barrier();
        if (Group.IsFirstThread)
        {
            var best = Ranked.None;
            for (int t = 0; t < Group.DimX; t++)
            {
                var other = new Ranked(values[t], indices[t]);
                if (other.Above(best))
                {
                    best = other;
                }
            }

            values[0] = best.Value;
            indices[0] = best.Index;
        }

        Group.Barrier();
        var result = new Ranked(values[0], indices[0]);
        Group.Barrier(); // every thread has read the result before the next reduction writes the slots
        return result;
    }

    /// <summary>
    /// sums[j] for j &lt; count (this thread's, in local memory; count at most the group size) become the group's: Σ over
    /// threads in thread order, from 0, added up by thread j. partials: shared, at least count · the group size.
    /// </summary>
    public static void Sums(ArrayView<double> sums, int count, ArrayView<double> partials)
    {
        for (int j = 0; j < count; j++)
        {
            partials[(j * Group.DimX) + Group.IdxX] = sums[j];
        }

        Group.Barrier();
        if (Group.IdxX < count)
        {
            double total = 0;
            for (int t = 0; t < Group.DimX; t++)
            {
                total += partials[(Group.IdxX * Group.DimX) + t];
            }

            partials[Group.IdxX * Group.DimX] = total;
        }

        Group.Barrier();
        for (int j = 0; j < count; j++)
        {
            sums[j] = partials[j * Group.DimX];
        }

        Group.Barrier();
    }
}
