using SharpServe.Engine.Cuda.Sampling;
using SharpServe.Engine.Cuda.Tests.Kernels;
using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Cuda.Tests.Sampling;

/// <summary><see cref="DeviceSampler"/> on the simulated device against the contract, in batches, and on bad input.</summary>
[Collection(SimulatedDeviceCollection.Name)]
public sealed class DeviceSamplerTests(SimulatedDevice device)
{
    // One warp per row keeps the simulated barriers cheap; SamplingKernelTests covers several warps.
    private const int GroupSize = 32;

    [Theory]
    [InlineData(37, 120)]
    [InlineData(257, 100)]
    [InlineData(1000, 80)]
    public void AgreesWithTheContract_OnRandomRows(int vocab, int rowCount)
    {
        var random = new Random(vocab);
        var logits = RandomLogits(random, rowCount, vocab);
        var rows = Enumerable.Range(0, rowCount).Select(_ => RandomRow(random, vocab, random.Next(rowCount))).ToArray();
        using var sampler = new DeviceSampler(device.Accelerator, GroupSize);
        using var dLogits = device.Upload(logits);

        sampler.Sample(device.Stream, dLogits.View, vocab, rows);

        int near = 0;
        for (int r = 0; r < rows.Length; r++)
        {
            var expected = ContractSampler.Sample(logits, vocab, rows[r]);
            if (expected.NearBoundary)
            {
                near++;
            }
            else
            {
                Assert.True(expected.Token == rows[r].Token, $"row {r}: token {rows[r].Token}, the contract's {expected.Token}");
            }

            AssertLogprobs(expected, rows[r], $"row {r}");
        }

        Assert.True(near <= rowCount / 20, $"{near} of {rowCount} draws fell within 1e-9 of a boundary");
    }

    [Fact]
    public void RowsSharingLogitsRows_InAnyOrder_GetWhatEachGetsAlone()
    {
        const int Vocab = 101;
        var random = new Random(5);
        var logits = RandomLogits(random, 3, Vocab);
        int[] logitsRows = [2, 0, 2, 1, 0, 2, 1, 2];
        var rows = logitsRows.Select(l => RandomRow(random, Vocab, l)).ToArray();
        using var sampler = new DeviceSampler(device.Accelerator, GroupSize);
        using var dLogits = device.Upload(logits);

        sampler.Sample(device.Stream, dLogits.View, Vocab, rows);
        var batch = rows.Select(Snapshot).ToArray();
        sampler.Sample(device.Stream, dLogits.View, Vocab, rows.Reverse().ToArray());
        var reversed = rows.Select(Snapshot).ToArray();
        var alone = rows.Select(row =>
        {
            sampler.Sample(device.Stream, dLogits.View, Vocab, [row]);
            return Snapshot(row);
        }).ToArray();

        Assert.Equal(alone, batch);
        Assert.Equal(alone, reversed);
        for (int r = 0; r < rows.Length; r++)
        {
            var expected = ContractSampler.Sample(logits, Vocab, rows[r]);
            Assert.True(expected.NearBoundary || expected.Token == rows[r].Token, $"row {r}: token {rows[r].Token}, the contract's {expected.Token}");
            AssertLogprobs(expected, rows[r], $"row {r}");
        }

        Assert.True(rows.Select(r => r.Token).Distinct().Count() > 2, "the rows should not all draw alike");
    }

    /// <summary>
    /// Weights exactly 1, ½, ¼, ¼ (logits 0, −ln 2, −ln 4 rounded to float: their exps round to the powers of two), so
    /// both targets land exactly on a cumulative sum and "reaches" must mean ≥: top_p 0.75 needs 1.5 of 2 and keeps
    /// {1, ½} (c = ½), and U = 0.5 with top_p 1 needs exactly the first token's 1.
    /// </summary>
    [Fact]
    public void TargetsExactlyOnACumulativeSum_AreReached()
    {
        float[] logits = [0f, -0.6931472f, -1.3862944f, -1.3862944f, float.NegativeInfinity];
        var nucleus = Row(greedy: false);
        nucleus.TopP = 0.75f;
        nucleus.Uniform = 0.999; // 0.999 · 1.5 falls on token 1; over all four it would fall on token 3
        var plain = Row(greedy: false);
        plain.Uniform = 0.5;

        Sample(logits, 5, [nucleus, plain]);

        Assert.Equal(1, nucleus.Token);
        Assert.Equal(0, plain.Token);
    }

    [Fact]
    public void EveryTokenMasked_DrawsTheLowestIndex()
    {
        var rows = new[] { Row(greedy: false), Row(greedy: true) };
        foreach (var row in rows)
        {
            for (int t = 0; t < 9; t++)
            {
                row.AddEdit(new LogitEdit(t, 0, Masked: true, Penalized: false, OutputCount: 0));
            }

            row.Token = -1;
        }

        Sample(TestData.Floats(9, 3), 9, rows);

        Assert.All(rows, row => Assert.Equal(0, row.Token));
    }

    [Fact]
    public void RowsWithoutLogprobs_KeepTheirLogprobUntouched()
    {
        var row = Row(greedy: true);
        row.Logprob = 42f;

        Sample([0.5f, 2f, 1f], 3, [row]);

        Assert.Equal(1, row.Token);
        Assert.Equal(42f, row.Logprob);
    }

    public static TheoryData<string, string> BadRows => new()
    {
        { "edit-outside", "edits token 9, outside the vocabulary of 9" },
        { "edit-negative", "edits token -1, outside the vocabulary of 9" },
        { "edit-twice", "edits token 4 twice" },
        { "logits-row", "reads logits row 2, but the logits have 2 rows" },
        { "logprobs", "asks for 10 logprobs" },
        { "temperature", "has temperature 0" },
        { "top-p", "top_p must be in (0, 1]" },
    };

    [Theory]
    [MemberData(nameof(BadRows))]
    public void BadRows_AreRefusedByName(string kind, string message)
    {
        var good = Row(greedy: false);
        var row = Row(greedy: false, logprobs: kind == "logprobs" ? 10 : -1);
        switch (kind)
        {
            case "edit-outside":
                row.AddEdit(new LogitEdit(9, 1, false, false, 0));
                break;
            case "edit-negative":
                row.AddEdit(new LogitEdit(-1, 1, false, false, 0));
                break;
            case "edit-twice":
                row.AddEdit(new LogitEdit(4, 1, false, false, 0));
                row.AddEdit(new LogitEdit(3, 1, false, false, 0));
                row.AddEdit(new LogitEdit(4, 2, false, false, 0));
                break;
            case "logits-row":
                row.LogitsRow = 2;
                break;
            case "temperature":
                row.Temperature = 0;
                break;
            case "top-p":
                row.TopP = 0;
                break;
        }

        // The same token edited by two different rows is fine; only a repeat within one row is refused.
        good.AddEdit(new LogitEdit(4, 1, false, false, 0));
        var error = Assert.Throws<ArgumentException>(() => Sample(TestData.Floats(18, 4), 9, [good, row]));
        Assert.Contains($"sampling row 1 ", error.Message);
        Assert.Contains(message, error.Message);
    }

    [Fact]
    public void LogitsThatAreNotWholeRows_AreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => Sample(TestData.Floats(10, 4), 9, [Row(greedy: true)]));
        Assert.Contains("not whole rows of the vocabulary 9", error.Message);
    }

    private static void AssertLogprobs(ContractSampler.Result expected, SamplingRow row, string at)
    {
        if (row.Logprobs < 0)
        {
            return;
        }

        Assert.True(Close(expected.Logprob, row.Logprob), $"{at}: logprob {row.Logprob:R}, the contract's {expected.Logprob:R}");
        Assert.Equal(expected.Top.Select(t => t.Token), row.Top.ToArray().Select(t => t.TokenId));
        for (int j = 0; j < row.Logprobs; j++)
        {
            Assert.True(Close(expected.Top[j].Logprob, row.Top[j].Logprob), $"{at}: top {j} logprob {row.Top[j].Logprob:R}, the contract's {expected.Top[j].Logprob:R}");
        }
    }

    /// <summary>1e-6 relative to the logprob's size (at least 1): a float logprob of −20 carries 1e-6 of rounding alone.</summary>
    private static bool Close(double expected, float actual) =>
        expected == actual || Math.Abs(expected - actual) <= 1e-6 * Math.Max(1, Math.Abs(expected));

    /// <summary>A row's results with the floats as bits, so equal snapshots mean bitwise equal results.</summary>
    private static string Snapshot(SamplingRow row) =>
        $"{row.Token} {Bits(row.Logprob)} [{string.Join(", ", row.Top.ToArray().Select(t => $"{t.TokenId} {Bits(t.Logprob)}"))}]";

    private static string Bits(float value) => BitConverter.SingleToUInt32Bits(value).ToString("X8", System.Globalization.CultureInfo.InvariantCulture);

    private void Sample(float[] logits, int vocab, SamplingRow[] rows)
    {
        using var sampler = new DeviceSampler(device.Accelerator, GroupSize);
        using var dLogits = device.Upload(logits);
        sampler.Sample(device.Stream, dLogits.View, vocab, rows);
    }

    /// <summary>Logits with ties (some rows rounded to halves) and a few −∞.</summary>
    private static float[] RandomLogits(Random random, int logitRows, int vocab)
    {
        var logits = new float[logitRows * vocab];
        for (int r = 0; r < logitRows; r++)
        {
            bool ties = random.Next(3) == 0;
            float scale = 1 + (random.NextSingle() * 6);
            for (int i = 0; i < vocab; i++)
            {
                float v = ((random.NextSingle() * 2) - 1) * scale;
                logits[(r * vocab) + i] = random.Next(40) == 0 ? float.NegativeInfinity : ties ? MathF.Round(v * 2) / 2 : v;
            }

            logits[(r * vocab) + random.Next(vocab)] = scale; // at least one finite logit per row
        }

        return logits;
    }

    private static SamplingRow RandomRow(Random random, int vocab, int logitsRow)
    {
        var row = new SamplingRow
        {
            LogitsRow = logitsRow,
            Greedy = random.Next(7) == 0,
            Temperature = 0.2f + (random.NextSingle() * 1.3f),
            TopK = random.Next(2) == 0 ? 0 : 1 + random.Next(vocab + 10),
            TopP = random.Next(5) < 2 ? 1f : 0.05f + (random.NextSingle() * 0.95f),
            MinP = random.Next(5) < 3 ? 0f : random.NextSingle() * 0.5f,
            RepetitionPenalty = 1 + (random.NextSingle() * 0.5f),
            PresencePenalty = (random.NextSingle() * 2) - 1,
            FrequencyPenalty = (random.NextSingle() * 2) - 1,
            Uniform = random.Next(20) == 0 ? 0 : random.NextDouble(),
            Logprobs = random.Next(3) == 0 ? -1 : Math.Min(vocab, random.Next(6)),
        };
        row.ClearEdits();
        var edited = new HashSet<int>();
        for (int e = random.Next(12); e > 0; e--)
        {
            int token = random.Next(vocab);
            if (edited.Add(token))
            {
                row.AddEdit(new LogitEdit(token, (random.NextSingle() * 4) - 2, Masked: random.Next(10) == 0, Penalized: random.Next(2) == 0, OutputCount: random.Next(4)));
            }
        }

        return row;
    }

    private static SamplingRow Row(bool greedy, int logprobs = -1)
    {
        var row = new SamplingRow { Greedy = greedy, Temperature = 1, TopP = 1, Logprobs = logprobs, Uniform = 0.5 };
        row.ClearEdits();
        return row;
    }
}
