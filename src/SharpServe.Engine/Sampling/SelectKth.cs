namespace SharpServe.Engine.Sampling;

/// <summary>
/// The k-th largest value of a span by quickselect: O(n) on average and in place, where a full sort of a
/// 151,936-entry vocabulary per token for top-k would dominate decoding.
/// </summary>
internal static class SelectKth
{
    /// <summary>Reorders <paramref name="values"/> and returns its <paramref name="k"/>-th largest (k ≥ 1).</summary>
    public static float Largest(Span<float> values, int k)
    {
        int target = k - 1; // position in descending order
        int lo = 0;
        int hi = values.Length - 1;
        while (lo < hi)
        {
            float pivot = values[lo + ((hi - lo) / 2)];
            int i = lo;
            int j = hi;
            while (i <= j)
            {
                while (values[i] > pivot)
                {
                    i++;
                }

                while (values[j] < pivot)
                {
                    j--;
                }

                if (i <= j)
                {
                    (values[i], values[j]) = (values[j], values[i]);
                    i++;
                    j--;
                }
            }

            // [lo, j] ≥ pivot ≥ [i, hi]; anything strictly between j and i equals the pivot.
            if (target <= j)
            {
                hi = j;
            }
            else if (target >= i)
            {
                lo = i;
            }
            else
            {
                return values[target];
            }
        }

        return values[target];
    }
}
