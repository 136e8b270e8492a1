using SharpServe.Engine.Cuda.Kernels;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Tests.Kernels;

/// <summary>Every sampling phase on the simulated device, bit for bit against <see cref="SamplingReference"/>.</summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class SamplingKernelTests(SimulatedDevice device)
{
    private const int OneLeftToken = 123;

    public static TheoryData<string, int, int> Cases => new()
    {
        { "plain", 1, 32 },          // one token: every phase degenerates to it
        { "plain", 37, 64 },         // fewer tokens than threads: idle threads and empty chunks
        { "ties", 37, 64 },
        { "ties", 257, 64 },
        { "masked", 257, 64 },       // −∞ raw logits and masked edits
        { "one-left", 257, 64 },     // every token masked but one
        { "plain", 1000, 64 },
        { "ties", 1000, 96 },        // three warps
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void EveryPhaseMatchesTheReferenceBitForBit(string logitsKind, int vocab, int groupSize)
    {
        var logits = Logits(logitsKind, 2, vocab, seed: vocab);
        var rows = Rows(logitsKind, vocab);
        var kernels = new DeviceSamplingKernels(device.Accelerator, groupSize);
        var deviceRows = new DeviceSamplingRow[rows.Length];
        var edits = new List<DeviceLogitEdit>();
        int top = rows.Length;
        for (int r = 0; r < rows.Length; r++)
        {
            deviceRows[r] = DeviceSamplingRow.From(rows[r], edits.Count, top);
            edits.AddRange(rows[r].Edits.ToArray().Select(DeviceLogitEdit.From));
            top += Math.Max(rows[r].Logprobs, 0);
        }

        using var dLogits = device.Upload(logits);
        using var dRows = device.Upload(deviceRows);
        using var dEdits = device.Upload(edits.Count > 0 ? [.. edits] : new DeviceLogitEdit[1]);
        using var processed = device.Upload(new float[rows.Length * vocab]);
        using var states = device.Upload(new SamplingState[rows.Length]);
        using var results = device.Upload(new TokenLogprob[top]);

        kernels.Prepare(device.Stream, dLogits.View, dRows.View, dEdits.View, processed.View, states.View, vocab);
        var edited = device.Download(processed);
        kernels.Threshold(device.Stream, dRows.View, processed.View, states.View, vocab);
        kernels.Nucleus(device.Stream, dRows.View, processed.View, states.View, vocab);
        kernels.Draw(device.Stream, dRows.View, processed.View, states.View, results.View, vocab);
        kernels.Logprobs(device.Stream, dLogits.View, dRows.View, results.View, vocab);
        var weights = device.Download(processed);
        var state = device.Download(states);
        var result = device.Download(results);

        for (int r = 0; r < rows.Length; r++)
        {
            var expected = SamplingReference.Run(logits, vocab, rows[r], groupSize);
            string at = $"row {r} ({Describe(rows[r])})";
            TestData.BitwiseEqual(expected.Processed, edited.AsSpan(r * vocab, vocab).ToArray());
            Assert.True(Same(expected.Max, state[r].Max), $"{at}: max {state[r].Max:R}, expected {expected.Max:R}");
            Assert.Equal(expected.ArgMax, state[r].ArgMax);
            if (!rows[r].Greedy)
            {
                Assert.True(Same(expected.Floor, state[r].Floor), $"{at}: floor {state[r].Floor:R}, expected {expected.Floor:R}");
                TestData.BitwiseEqual(expected.Weights, weights.AsSpan(r * vocab, vocab).ToArray());
                Assert.True(Same(expected.Cut, state[r].Cut), $"{at}: cut {state[r].Cut:R}, expected {expected.Cut:R}");
            }

            Assert.True(expected.Token == result[r].TokenId, $"{at}: token {result[r].TokenId}, expected {expected.Token}");
            if (rows[r].Logprobs >= 0)
            {
                Assert.True(Same(expected.Logprob, result[r].Logprob), $"{at}: logprob {result[r].Logprob:R}, expected {expected.Logprob:R}");
                Assert.Equal(expected.Top, result.AsSpan(deviceRows[r].FirstTop, rows[r].Logprobs).ToArray());
            }
        }
    }

    [Fact]
    public void ReferenceSeesTheCasesItIsMeantTo()
    {
        // The scenarios above must exercise what they claim: a real cut, a real k-th floor, ties at the max, and the
        // one-left row drawing its only token.
        var ties = Logits("ties", 2, 257, seed: 257);
        var rows = Rows("ties", 257);
        var phases = rows.Select(row => SamplingReference.Run(ties, 257, row, 64)).ToArray();
        Assert.Contains(phases, p => p.Cut > 0 && p.Weights.Count(w => w >= p.Cut) < p.Weights.Count(w => w >= 0));
        Assert.Contains(rows.Zip(phases), x => x.First.TopK is > 0 and < 257 && x.Second.Weights.Count(w => w >= 0) > x.First.TopK);
        Assert.Contains(phases, p => p.Processed.Count(v => v == p.Max) > 1);

        var oneLeft = Rows("one-left", 257);
        var logits = Logits("one-left", 2, 257, seed: 257);
        Assert.All(oneLeft.Where(r => !r.Greedy), row => Assert.Equal(OneLeftToken, SamplingReference.Run(logits, 257, row, 64).Token));
    }

    /// <summary>logitRows × vocab logits: "ties" rounds to quarters (many equal values); "masked" puts −∞ in every seventh.</summary>
    internal static float[] Logits(string kind, int logitRows, int vocab, int seed)
    {
        var values = TestData.Floats(logitRows * vocab, seed, 4f);
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = kind switch
            {
                "ties" => MathF.Round(values[i] * 4) / 4,
                "masked" when i % 7 == 3 => float.NegativeInfinity,
                _ => values[i],
            };
        }

        return values;
    }

    /// <summary>A batch covering greedy, temperature alone, min_p, top_k (inside and beyond the vocabulary), top_p, edits and n = 0/1/5.</summary>
    private static SamplingRow[] Rows(string kind, int vocab)
    {
        int five = Math.Min(5, vocab);
        var rows = new List<SamplingRow>
        {
            Row(1, greedy: true, logprobs: five),
            Row(0, temperature: 0.7f, uniform: 0.5, logprobs: 0),
            Row(1, temperature: 1.3f, minP: 0.05f, uniform: 0.9, logprobs: 1),
            Row(0, temperature: 0.8f, topK: 5, uniform: 0.3, logprobs: -1),
            Row(1, temperature: 1f, topK: vocab, uniform: 0.999, logprobs: five),       // top_k = vocab: off
            Row(0, temperature: 1f, topK: vocab + 3, topP: 0.8f, uniform: 0.7, logprobs: 1),
            Row(1, temperature: 0.6f, topP: 0.5f, minP: 0.02f, topK: 20, uniform: 0.1, logprobs: five),
            Row(0, temperature: 2f, topP: 0.95f, uniform: 0, logprobs: -1),           // U = 0: the first kept token
            Row(0, temperature: 1f, topP: 1f, uniform: 0.4, logprobs: 0),
        };

        var random = new Random(vocab);
        foreach (var row in kind == "one-left" ? [] : rows.Skip(1).Take(3))
        {
            for (int t = 0; t < vocab; t += 3)
            {
                row.AddEdit(new LogitEdit(t, (random.NextSingle() * 2) - 1, Masked: kind == "masked" && t % 2 == 0, Penalized: t % 5 != 0, OutputCount: t % 4));
            }
        }

        if (kind == "one-left")
        {
            foreach (var row in rows)
            {
                for (int t = 0; t < vocab; t++)
                {
                    if (t != OneLeftToken % vocab)
                    {
                        row.AddEdit(new LogitEdit(t, 0, Masked: true, Penalized: false, OutputCount: 0));
                    }
                }
            }
        }

        return [.. rows];
    }

    private static SamplingRow Row(int logitsRow, bool greedy = false, float temperature = 1f, int topK = 0, float topP = 1f, float minP = 0f, double uniform = 0.5, int logprobs = -1)
    {
        var row = new SamplingRow
        {
            LogitsRow = logitsRow,
            Greedy = greedy,
            Temperature = temperature,
            TopK = topK,
            TopP = topP,
            MinP = minP,
            RepetitionPenalty = 1.2f,
            PresencePenalty = 0.5f,
            FrequencyPenalty = 0.25f,
            Uniform = uniform,
            Logprobs = logprobs,
        };
        row.ClearEdits();
        return row;
    }

    private static string Describe(SamplingRow row) =>
        row.Greedy ? "greedy" : $"T {row.Temperature}, top_k {row.TopK}, top_p {row.TopP}, min_p {row.MinP}, U {row.Uniform}, {row.EditCount} edits";

    private static bool Same(float a, float b) => BitConverter.SingleToUInt32Bits(a) == BitConverter.SingleToUInt32Bits(b);
}
