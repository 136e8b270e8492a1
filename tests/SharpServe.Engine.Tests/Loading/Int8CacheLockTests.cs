using System.Diagnostics;
using SharpServe.Engine.Kernels;
using SharpServe.Engine.Loading;
using SharpServe.Engine.Models;
using SharpServe.Engine.Tests.TestSupport;
using Xunit.Abstractions;
using static SharpServe.Engine.Tests.TestSupport.EngineHarness;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>
/// Instances starting at once on a cold int8 cache: one quantizes, the others wait on <c>&lt;entry&gt;.lock</c> and map
/// its file; a killed holder's lock dies with it; a holder that never lets go delays a start by the bounded wait only.
/// </summary>
public sealed class Int8CacheLockTests(ITestOutputHelper output)
{
    private static readonly int[] Prompt = RandomPrompt(16, seed: 11);

    [Fact]
    public async Task ThreeConcurrentLoadsOnAColdCache_QuantizeOnce_AndGiveIdenticalLogits()
    {
        using var cache = new TempDirectory();
        string model = TestModels.TinyHf(TensorDType.BF16);
        const int Instances = 3;
        using var start = new Barrier(Instances);
        var loads = Enumerable.Range(0, Instances).Select(_ => Task.Factory.StartNew(() =>
        {
            start.SignalAndWait();
            using var loaded = LoadedModel.Open(model, new ModelLoadOptions(WeightQuantization.Int8, cache.Path), threads: 1);
            return (Report: loaded.Checkpoint.Quantization!, Logits: PromptLogits(loaded, Prompt, 16));
        }, TaskCreationOptions.LongRunning)).ToArray();
        var results = await Task.WhenAll(loads);

        output.WriteLine(string.Join(", ", results.Select(r => r.Report.Built ? "quantized" : "from the cache")));
        Assert.Single(results, r => r.Report.Built);
        Assert.Single(results.Select(r => r.Report.CacheFile).Distinct());
        foreach (var result in results[1..])
        {
            Assert.Equal(0f, MaxAbsDiff(results[0].Logits, result.Logits));
        }

        string file = results[0].Report.CacheFile;
        Assert.Equal([file, CacheEntryLock.PathFor(file)], Directory.GetFiles(cache.Path).Order()); // one copy, no temporary left
    }

    [Fact]
    public async Task LockHolderKilled_TheWaitingLoadProceeds_AndQuantizes()
    {
        using var cache = new TempDirectory();
        string model = TestModels.TinyHf(TensorDType.F32);
        string file = QuantizedWeightCache.CacheFile(model, cache.Path);
        QuantizeOnceElsewhere(model);
        using var holder = HoldLockInChildProcess(CacheEntryLock.PathFor(file));
        Task<ModelCheckpoint> load;
        try
        {
            load = Task.Run(() => ModelLoader.Load(model, new ModelLoadOptions(WeightQuantization.Int8, cache.Path), threads: 2));
            Assert.NotSame(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(3)))); // still waiting for the child's lock
            Assert.False(File.Exists(file));
        }
        finally
        {
            holder.Kill();
            holder.WaitForExit();
        }

        Assert.Same(load, await Task.WhenAny(load, Task.Delay(TimeSpan.FromSeconds(60)))); // the killed holder's lock is gone
        using var checkpoint = await load;
        Assert.True(checkpoint.Quantization!.Built);
        Assert.Equal(file, checkpoint.Quantization.CacheFile);
    }

    [Fact]
    public void LockHeldPastTheWait_TheLoadQuantizesAnyway()
    {
        using var cache = new TempDirectory();
        string model = TestModels.TinyHf(TensorDType.F32);
        string file = QuantizedWeightCache.CacheFile(model, cache.Path);
        QuantizeOnceElsewhere(model);
        using var holder = HoldLockInChildProcess(CacheEntryLock.PathFor(file));
        try
        {
            var wait = TimeSpan.FromSeconds(2);
            var clock = Stopwatch.StartNew();
            using var checkpoint = QuantizedWeightCache.Int8(ModelLoader.Load(model), cache.Path, threads: 2, lockWait: wait);
            output.WriteLine($"loaded after {clock.Elapsed.TotalMilliseconds:F0} ms with the lock held elsewhere");
            Assert.True(clock.Elapsed >= wait, $"loaded after {clock.Elapsed}, before the {wait} wait was over");
            Assert.True(checkpoint.Quantization!.Built);
        }
        finally
        {
            holder.Kill();
        }
    }

    /// <summary>
    /// Quantizes <paramref name="model"/> into a throwaway cache, so the code is compiled and a load that ignored the lock
    /// would finish in well under the waits these tests measure.
    /// </summary>
    private static void QuantizeOnceElsewhere(string model)
    {
        using var elsewhere = new TempDirectory();
        ModelLoader.Load(model, new ModelLoadOptions(WeightQuantization.Int8, elsewhere.Path), threads: 2).Dispose();
    }

    /// <summary>
    /// A child process (bash exec'ing into sleep, so a kill ends the one process holding the fd) that takes flock(1)'s
    /// exclusive lock on <paramref name="lockFile"/>: an independent holder of the same kernel lock .NET's FileShare.None takes.
    /// </summary>
    private static Process HoldLockInChildProcess(string lockFile)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (string arg in new[] { "-c", "exec 9>>\"$0\" && flock --exclusive 9 && echo locked && exec sleep 600", lockFile })
        {
            info.ArgumentList.Add(arg);
        }

        var child = Process.Start(info)!;
        Assert.Equal("locked", child.StandardOutput.ReadLine());
        return child;
    }
}
