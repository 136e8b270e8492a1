using ILGPU;
using ILGPU.Runtime;
using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Sampling;

/// <summary>
/// Draws a step's <see cref="SamplingRow"/>s from logits that stay on the device: uploads the rows' settings and edits,
/// runs <see cref="SamplingKernels"/>, and copies back only each row's token, logprob and top n. Host arrays and device
/// scratch grow to the largest step seen, so steady-state steps allocate nothing here (ILGPU's launches may still box
/// their arguments). One instance per stream: calls must not overlap.
/// </summary>
internal sealed class DeviceSampler : IDisposable
{
    /// <summary>Threads per row: 256 leaves ptxas a register budget no sampling kernel can exceed (255 × 256 ≤ 64K).</summary>
    public const int DefaultGroupSize = 256;

    private readonly DeviceSamplingKernels _kernels;
    private readonly GrowingBuffer<DeviceSamplingRow> _rows;
    private readonly GrowingBuffer<DeviceLogitEdit> _edits;
    private readonly GrowingBuffer<float> _processed;
    private readonly GrowingBuffer<SamplingState> _states;
    private readonly GrowingBuffer<TokenLogprob> _results;
    private DeviceSamplingRow[] _hostRows = [];
    private DeviceLogitEdit[] _hostEdits = [];
    private TokenLogprob[] _hostResults = [];

    // Duplicate-edit check without a per-row set: _editedBy[token] holds the stamp of the last row that edited it.
    private int[] _editedBy = [];
    private int _stamp;

    public DeviceSampler(Accelerator accelerator, int groupSize = DefaultGroupSize)
    {
        _kernels = new DeviceSamplingKernels(accelerator, groupSize);
        _rows = new(accelerator);
        _edits = new(accelerator);
        _processed = new(accelerator);
        _states = new(accelerator);
        _results = new(accelerator);
    }

    /// <summary>
    /// Fills every row's <see cref="SamplingRow.Token"/>, and <see cref="SamplingRow.Logprob"/> and
    /// <see cref="SamplingRow.Top"/> where it asks for logprobs. Returns once the results are on the host.
    /// </summary>
    /// <param name="logits">[logitRows, vocab]; rows may share a logits row and come in any order.</param>
    public void Sample(AcceleratorStream stream, ArrayView<float> logits, int vocab, ReadOnlySpan<SamplingRow> rows)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocab);
        if (logits.Length % vocab != 0)
        {
            throw new ArgumentException($"the logits hold {logits.Length} values, not whole rows of the vocabulary {vocab}", nameof(logits));
        }

        if (rows.Length == 0)
        {
            return;
        }

        int results = Flatten(rows, vocab, logits.Length / vocab, out int edits);
        int processed = checked(rows.Length * vocab);
        var deviceRows = _rows.Upload(stream, _hostRows.AsSpan(0, rows.Length));
        var deviceEdits = _edits.Upload(stream, _hostEdits.AsSpan(0, edits));
        var weights = _processed.View(processed); // [rows, vocab]
        var states = _states.View(rows.Length);
        var deviceResults = _results.View(results);

        _kernels.Prepare(stream, logits, deviceRows, deviceEdits, weights, states, vocab);
        _kernels.Threshold(stream, deviceRows, weights, states, vocab);
        _kernels.Nucleus(stream, deviceRows, weights, states, vocab);
        _kernels.Draw(stream, deviceRows, weights, states, deviceResults, vocab);
        _kernels.Logprobs(stream, logits, deviceRows, deviceResults, vocab);
        deviceResults.CopyToCPU(stream, _hostResults.AsSpan(0, results));
        stream.Synchronize();

        for (int r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            row.Token = _hostResults[r].TokenId;
            if (row.Logprobs >= 0)
            {
                row.Logprob = _hostResults[r].Logprob;
                _hostResults.AsSpan(_hostRows[r].FirstTop, row.Logprobs).CopyTo(row.Top);
            }
        }
    }

    public void Dispose()
    {
        _rows.Dispose();
        _edits.Dispose();
        _processed.Dispose();
        _states.Dispose();
        _results.Dispose();
    }

    /// <summary>Checks the rows and fills the host arrays; returns the result entries (rows, then every top n).</summary>
    private int Flatten(ReadOnlySpan<SamplingRow> rows, int vocab, long logitRows, out int edits)
    {
        int results = rows.Length;
        edits = 0;
        foreach (var row in rows)
        {
            edits = checked(edits + row.EditCount);
            results = checked(results + Math.Max(row.Logprobs, 0));
        }

        Grow(ref _hostRows, rows.Length);
        Grow(ref _hostEdits, edits);
        Grow(ref _hostResults, results);
        Grow(ref _editedBy, vocab);
        int edit = 0;
        int top = rows.Length;
        for (int r = 0; r < rows.Length; r++)
        {
            var row = rows[r];
            Check(row, r, vocab, logitRows);
            NextStamp();
            var rowEdits = row.Edits;
            for (int j = 0; j < rowEdits.Length; j++)
            {
                int token = rowEdits[j].Token;
                if (token < 0 || token >= vocab)
                {
                    throw new ArgumentException($"sampling row {r} edits token {token}, outside the vocabulary of {vocab}", nameof(rows));
                }

                if (_editedBy[token] == _stamp)
                {
                    throw new ArgumentException($"sampling row {r} edits token {token} twice; each token takes one edit", nameof(rows));
                }

                _editedBy[token] = _stamp;
                _hostEdits[edit + j] = DeviceLogitEdit.From(rowEdits[j]);
            }

            _hostRows[r] = DeviceSamplingRow.From(row, edit, top);
            edit += row.EditCount;
            top += Math.Max(row.Logprobs, 0);
        }

        return results;
    }

    private static void Check(SamplingRow row, int r, int vocab, long logitRows)
    {
        if (row.LogitsRow < 0 || row.LogitsRow >= logitRows)
        {
            throw new ArgumentException($"sampling row {r} reads logits row {row.LogitsRow}, but the logits have {logitRows} rows", "rows");
        }

        if (row.Logprobs < -1 || row.Logprobs > vocab)
        {
            throw new ArgumentException($"sampling row {r} asks for {row.Logprobs} logprobs; -1 (none) to the vocabulary of {vocab}", "rows");
        }

        if (!row.Greedy && !(row.Temperature > 0 && float.IsFinite(row.Temperature)))
        {
            throw new ArgumentException($"sampling row {r} is not greedy but has temperature {row.Temperature}; it must be finite and > 0", "rows");
        }

        if (!row.Greedy && !(row.TopP > 0 && row.TopP <= 1 && row.MinP >= 0 && row.MinP <= 1))
        {
            throw new ArgumentException($"sampling row {r} has top_p {row.TopP} and min_p {row.MinP}; top_p must be in (0, 1], min_p in [0, 1]", "rows");
        }
    }

    private void NextStamp()
    {
        if (++_stamp == int.MaxValue)
        {
            Array.Clear(_editedBy);
            _stamp = 1;
        }
    }

    private static void Grow<T>(ref T[] array, int length)
    {
        if (array.Length < length)
        {
            Array.Resize(ref array, Math.Max(length, array.Length * 2));
        }
    }
}
