using SharpServe.Engine.Kernels;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Re-encodes a float matrix (F32, F16 or BF16) as a ggml block type (Q8_0, Q6_K, Q4_K or Q4_0), row by row, with
/// <see cref="WeightCodec"/>'s encoders: the bytes are exactly those create-model and llama.cpp's quantize_row_*_ref
/// write for the same values. Rows are split over the load's threads (the 1.5B distill has 1.8 G values, its
/// embedding alone 233 M: one core takes seconds, and the K-quants' scale search is slower still).
/// </summary>
internal static class TensorConversion
{
    // Values converted per written chunk: bounded memory (~4 MiB out at Q8_0) whatever the tensor's size.
    private const int ChunkValues = 1 << 22;

    public static void Write(WeightTensor source, TensorDType target, Stream destination, int threads)
    {
        int columns = source.Columns;
        int rows = source.Rows;
        int inRowBytes = (int)TensorDTypeInfo.ByteSize(source.Type, columns);
        int outRowBytes = (int)TensorDTypeInfo.ByteSize(target, columns);
        int chunkRows = Math.Clamp(ChunkValues / columns, 1, rows);
        var encoded = new byte[(long)chunkRows * outRowBytes];
        var parallel = new ParallelOptions { MaxDegreeOfParallelism = threads };
        for (int first = 0; first < rows; first += chunkRows)
        {
            int count = Math.Min(chunkRows, rows - first);
            int start = first;
            int parts = Math.Min(threads, count);
            Parallel.For(0, parts, parallel, part =>
            {
                // Each part takes a contiguous range of rows, so no two parts touch the same output bytes.
                int begin = start + (int)((long)count * part / parts);
                int end = start + (int)((long)count * (part + 1) / parts);
                var values = new float[columns]; // [columns]: one row widened
                var input = source.Data.Span;
                for (int row = begin; row < end; row++)
                {
                    WeightCodec.Decode(source.Type, input.Slice(row * inRowBytes, inRowBytes), values);
                    WeightCodec.Encode(target, values, encoded.AsSpan((row - start) * outRowBytes, outRowBytes));
                }
            });
            destination.Write(encoded, 0, count * outRowBytes);
        }
    }
}
