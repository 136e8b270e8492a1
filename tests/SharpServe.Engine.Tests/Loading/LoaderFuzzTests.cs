using SharpServe.Engine.Tests.TestSupport;
using System.Buffers.Binary;
using System.Diagnostics;
using SharpServe.Engine.Loading;
using Xunit.Abstractions;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>
/// Valid small files, truncated at every section boundary and many random lengths, and with
/// random header bytes overwritten: every load must either succeed or throw
/// <see cref="ModelFormatException"/> — no other exception, no hang, no huge allocation.
/// </summary>
public sealed class LoaderFuzzTests(ITestOutputHelper output) : IDisposable
{
    private const long MaxAllocatedBytesPerLoad = 32L << 20;
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan CorruptionBudget = TimeSpan.FromSeconds(3);
    private static readonly byte[] JsonAlphabet = "{}[]\",:-.eE0123456789 \\nu"u8.ToArray();
    private static readonly ulong[] InterestingWords = [0, 1, 7, 8, 31, 32, 255, 0x7fffffff, 0xffffffff, 1UL << 32, 1UL << 62, long.MaxValue, ulong.MaxValue];

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void GgufLoadsOrRefusesEveryDamagedFile()
    {
        var config = TinyQwen2.Config(hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64, vocab: 40);
        var tensors = TinyQwen2.Tensors(config, WeightNames.Gguf, TensorDType.Q8_0, TensorDType.F32);
        string original = _dir.File("original.gguf");
        TinyQwen2.WriteGguf(original, config, tensors, TinyQwen2.Tokenizer(config.VocabSize));
        byte[] valid = File.ReadAllBytes(original);
        long dataOffset;
        using (var file = GgufReader.Open(original))
        {
            dataOffset = file.DataOffset;
        }

        // Every length through the header and into the data, then each tensor's end.
        var lengths = Enumerable.Range(0, (int)dataOffset + 80).ToList();
        long end = dataOffset;
        foreach (var t in tensors)
        {
            end += (t.Bytes.Length + 31) / 32 * 32;
            lengths.AddRange([(int)end - 1, (int)end]);
        }

        string target = _dir.File("damaged.gguf");
        var outcomes = RunGuarded(() => Fuzz(valid, lengths, headerEnd: (int)dataOffset, seed: 1234, damaged =>
        {
            File.WriteAllBytes(target, damaged);
            return GgufModelLoader.Load(target);
        }));
        Assert.Equal(valid.Length, end);
        Report("GGUF", outcomes);
    }

    [Fact]
    public void SafetensorsLoadsOrRefusesEveryDamagedFile()
    {
        var config = TinyQwen2.Config(hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64, vocab: 40);
        var tensors = TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.BF16, TensorDType.BF16);
        TinyQwen2.WriteHf(_dir.Path, config, tensors);
        File.WriteAllText(_dir.File("generation_config.json"), """{"bos_token_id": 38, "eos_token_id": [37, 36], "temperature": 0.6, "top_p": 0.95}""");
        string weights = _dir.File("model.safetensors");
        byte[] valid = File.ReadAllBytes(weights);
        int headerEnd = 8 + (int)BinaryPrimitives.ReadUInt64LittleEndian(valid);
        var lengths = Enumerable.Range(0, headerEnd + 80).ToList();
        long end = headerEnd;
        foreach (var t in tensors.OrderBy(t => t.Name, StringComparer.Ordinal))
        {
            end += t.Bytes.Length;
            lengths.AddRange([(int)end - 1, (int)end]);
        }

        var outcomes = RunGuarded(() => Fuzz(valid, lengths, headerEnd, seed: 99, damaged =>
        {
            File.WriteAllBytes(weights, damaged);
            return ModelLoader.Load(_dir.Path);
        }));
        Report("safetensors", outcomes);
    }

    [Theory]
    [InlineData("config.json")]
    [InlineData("generation_config.json")]
    [InlineData("model.safetensors.index.json")]
    public void HfJsonFilesLoadOrRefuseWhenDamaged(string fileName)
    {
        var config = TinyQwen2.Config(hidden: 32, layers: 1, heads: 2, kvHeads: 1, intermediate: 64, vocab: 40);
        TinyQwen2.WriteHf(_dir.Path, config, TinyQwen2.Tensors(config, WeightNames.HuggingFace, TensorDType.F16, TensorDType.F16), maxShardBytes: 5000);
        File.WriteAllText(_dir.File("generation_config.json"), """{"bos_token_id": 38, "eos_token_id": [37, 36], "temperature": 0.6, "top_p": 0.95}""");
        string path = _dir.File(fileName);
        byte[] valid = File.ReadAllBytes(path);

        var outcomes = RunGuarded(() => Fuzz(valid, Enumerable.Range(0, valid.Length).ToList(), valid.Length, seed: fileName.Length, damaged =>
        {
            File.WriteAllBytes(path, damaged);
            return ModelLoader.Load(_dir.Path);
        }, corruptions: 600));
        Report(fileName, outcomes);
    }

    private static Outcomes Fuzz(byte[] valid, List<int> truncations, int headerEnd, int seed, Func<byte[], IDisposable> load, int corruptions = 3000)
    {
        var outcomes = new Outcomes();
        var rng = new Random(seed);
        foreach (int length in truncations.Concat(Enumerable.Range(0, 200).Select(_ => rng.Next(valid.Length))).Where(l => l < valid.Length))
        {
            outcomes.Load($"truncated to {length} bytes", () => load(valid[..length]));
        }

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < corruptions && clock.Elapsed < CorruptionBudget; i++)
        {
            byte[] damaged = (byte[])valid.Clone();
            var edits = new List<string>();
            for (int n = rng.Next(1, 5); n > 0; n--)
            {
                int at = rng.Next(headerEnd);
                if (rng.Next(4) == 0 && at + 8 <= headerEnd)
                {
                    // A whole length or count replaced: the values that break naive readers.
                    ulong word = InterestingWords[rng.Next(InterestingWords.Length)];
                    BinaryPrimitives.WriteUInt64LittleEndian(damaged.AsSpan(at), word);
                    edits.Add($"u64 {word} at {at}");
                }
                else
                {
                    damaged[at] = rng.Next(3) switch
                    {
                        0 => (byte)rng.Next(256),
                        1 => JsonAlphabet[rng.Next(JsonAlphabet.Length)],
                        _ => (byte)(damaged[at] + rng.Next(-2, 3)),
                    };
                    edits.Add($"byte {damaged[at]} at {at}");
                }
            }

            outcomes.Load($"corruption {i} ({string.Join(", ", edits)})", () => load(damaged));
        }

        return outcomes;
    }

    /// <summary>Runs the fuzz loop on its own thread so a hang fails the test instead of stalling the run.</summary>
    private static Outcomes RunGuarded(Func<Outcomes> fuzz)
    {
        var task = Task.Factory.StartNew(fuzz, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        Assert.True(task.Wait(HangLimit), $"a load did not finish within {HangLimit}");
        return task.Result;
    }

    private void Report(string what, Outcomes outcomes)
    {
        output.WriteLine($"{what}: {outcomes.Loaded} loaded, {outcomes.Refused} refused, {outcomes.Failures.Count} failures");
        Assert.True(outcomes.Failures.Count == 0, string.Join("\n", outcomes.Failures.Take(10)));
        Assert.True(outcomes.Refused > 0);
    }

    private sealed class Outcomes
    {
        public int Loaded { get; private set; }
        public int Refused { get; private set; }
        public List<string> Failures { get; } = [];

        public void Load(string description, Func<IDisposable> load)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            try
            {
                load().Dispose();
                Loaded++;
            }
            catch (ModelFormatException)
            {
                Refused++;
            }
#pragma warning disable CA1031 // Any other exception is exactly what this test looks for.
            catch (Exception e)
#pragma warning restore CA1031
            {
                Failures.Add($"{description}: {e.GetType().Name}: {e.Message}");
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            if (allocated > MaxAllocatedBytesPerLoad)
            {
                Failures.Add($"{description}: allocated {allocated} bytes");
            }
        }
    }
}
