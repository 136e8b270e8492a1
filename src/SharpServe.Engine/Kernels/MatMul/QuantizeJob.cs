using System.Runtime.CompilerServices;
using SharpServe.Engine.Kernels.Simd;
using SharpServe.Engine.Kernels.Threading;

namespace SharpServe.Engine.Kernels.MatMul;

/// <summary>
/// Quantizes many tokens' activations to Q8_0 blocks (<see cref="ActivationQuantizer"/>), tokens split across parts (a
/// single long row: its blocks), in the order the tiles read them: groups of <see cref="GroupTokens"/> tokens, each group
/// its blocks in order and a block its tokens side by side. A tile walks one group's blocks through one contiguous run; interleaving all tokens per block
/// instead put a group's consecutive blocks 32·tokens bytes apart (4 KiB at 128 tokens), all in the same L1 sets.
/// </summary>
internal sealed unsafe class QuantizeJob<TS, TV> : IParallelWork
    where TS : struct, ISimd<TV>
    where TV : struct
{
    private float* _x;        // [tokens, columns]
    private int _tokens;
    private int _columns;
    private sbyte* _quants;   // [groups, columns / 32, groupTokens, 32]
    private float* _scales;   // [groups, columns / 32, groupTokens]
    private int* _corrections;  // [groups, columns / 32, groupTokens, 8]
    private int _parts;

    /// <summary>Tokens per group: the tiles' token count (the last group holds the rest, 1–4).</summary>
    public const int GroupTokens = 4;

    public void Set(float* x, int tokens, int columns, sbyte* quants, float* scales, int* corrections, int parts)
    {
        _x = x;
        _tokens = tokens;
        _columns = columns;
        _quants = quants;
        _scales = scales;
        _corrections = corrections;
        _parts = parts;
    }

    /// <summary>
    /// Parts for quantizing <paramref name="tokens"/> rows of <paramref name="columns"/> on <paramref name="threads"/> threads:
    /// a part per token up to the threads; one long row (decode's down_proj input) is split into block ranges instead.
    /// </summary>
    public static int Parts(int tokens, int columns, int threads) =>
        tokens == 1 && columns >= MinSplitColumns ? threads : Math.Min(threads, tokens);

    /// <summary>A single row is split across threads from this many columns (8960-wide: ~9 µs on one thread, 2026-12-07).</summary>
    private const int MinSplitColumns = 4096;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void Execute(int part, int worker)
    {
        int blocks = _columns / 32;
        if (_tokens == 1)
        {
            // One token's blocks split into ranges (a single row has no interleave).
            int first = (int)((long)blocks * part / _parts);
            int last = (int)((long)blocks * (part + 1) / _parts);
            ActivationQuantizer.Quantize<TS, TV>(
                _x + (32L * first), 32 * (last - first), _quants + (32L * first), _scales + first, _corrections + (8L * first), 1);
            return;
        }

        long end = (long)_tokens * (part + 1) / _parts;
        for (long t = (long)_tokens * part / _parts; t < end; t++)
        {
            // A full group before t's holds GroupTokens·columns quants; t sits at lane j of its own group.
            long first = t - (t % GroupTokens);
            int lane = (int)(t - first);
            int groupTokens = (int)Math.Min(GroupTokens, _tokens - first);
            ActivationQuantizer.Quantize<TS, TV>(
                _x + (t * _columns), _columns, _quants + (first * _columns) + (32 * lane), _scales + (first * blocks) + lane, _corrections + (first * blocks * 8) + (8 * lane), groupTokens);
        }
    }
}
