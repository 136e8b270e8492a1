using System.Globalization;
using SharpServe.Engine.Loading;
using SharpServe.Fleet.Memory;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// Two <c>sharpserve serve --quantization int8</c> processes on one bf16 model: the first quantizes it into the
/// cache, the second maps that file, and the page cache holds it once (as <see cref="SharedWeightsTests"/> shows
/// for a model file).
/// </summary>
public sealed class SharedInt8WeightsTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-shared-int8-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Two_int8_instances_map_one_cache_file_and_hold_it_once()
    {
        string model = SharedWeightsModel.Create(_folder, "shared-bf16", "hf", "bf16");
        var servers = new List<(ServeProcess Server, int Port)>();
        try
        {
            // One after the other: the first builds the cache file, the second must only map it.
            servers.Add(await SharedWeightsModel.StartServer(model, "--quantization", "int8"));
            servers.Add(await SharedWeightsModel.StartServer(model, "--quantization", "int8"));
            Assert.Contains("quantized now", servers[0].Server.Output, StringComparison.Ordinal);
            Assert.Contains("from the cache", servers[1].Server.Output, StringComparison.Ordinal);
            await Task.WhenAll(servers.Select(s => SharedWeightsModel.CompleteOnceAsync(s.Port)));

            string cacheFile = QuantizedWeightCache.CacheFile(model, Path.Combine(CliRunner.CacheDirectory, "quantized"));
            long cacheBytes = new FileInfo(cacheFile).Length;
            var memory = new ProcessMemory();
            var readings = servers
                .Select(s => (Usage: memory.ReadUsage(s.Server.ProcessId), FilePss: memory.ReadFilePss(s.Server.ProcessId, cacheFile)))
                .ToList();
            string table = string.Join('\n', readings.Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"Pss {r.Usage?.PssBytes} Pss_Anon {r.Usage?.PssAnonBytes} Pss_File {r.Usage?.PssFileBytes} cache file Pss {r.FilePss}")));
            Assert.All(readings, r => Assert.True(r.Usage is not null && r.FilePss is not null, $"a server exited or does not map {cacheFile}:\n{table}"));

            // The page cache holds the cache file once: the two shares add up to at most the file, and at least half
            // of it, so both really read the weights through the map.
            long totalFilePss = readings.Sum(r => r.FilePss!.Value);
            Assert.True(totalFilePss <= cacheBytes * 1.1, $"cache file PSS over 2 instances is {totalFilePss} bytes, file is {cacheBytes}:\n{table}");
            Assert.True(totalFilePss >= cacheBytes / 2, $"cache file PSS over 2 instances is only {totalFilePss} bytes of {cacheBytes}:\n{table}");

            // Each maps the file rather than reading it: both are charged about half of it.
            Assert.All(readings, r => Assert.True(r.FilePss!.Value <= cacheBytes * 0.75, $"one instance is charged most of the cache file:\n{table}"));
        }
        finally
        {
            servers.ForEach(s => s.Server.Dispose());
        }
    }
}
