using System.Globalization;
using SharpServe.Fleet.Memory;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// Four real <c>sharpserve serve</c> processes on one model file hold its weights once: the page
/// cache has one copy, each process is charged about a quarter of it in PSS, and no process has a
/// private (anonymous) copy of the matrices.
/// </summary>
public sealed class SharedWeightsTests : IDisposable
{
    private const int Instances = 4;

    private readonly string _folder = Directory.CreateTempSubdirectory("sharpserve-shared-weights-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public async Task Four_instances_of_one_model_hold_its_weights_once()
    {
        string model = SharedWeightsModel.Create(_folder, "shared.gguf", "gguf", "f32");
        long fileBytes = new FileInfo(model).Length;
        var starts = Enumerable.Range(0, Instances).Select(_ => SharedWeightsModel.StartServer(model)).ToList();
        try
        {
            var servers = await Task.WhenAll(starts);
            await Task.WhenAll(servers.Select(s => SharedWeightsModel.CompleteOnceAsync(s.Port)));

            var memory = new ProcessMemory();
            var readings = servers
                .Select(s => (Usage: memory.ReadUsage(s.Server.ProcessId), FilePss: memory.ReadFilePss(s.Server.ProcessId, model)))
                .ToList();
            string table = string.Join('\n', readings.Select(r =>
                string.Create(CultureInfo.InvariantCulture, $"Pss {r.Usage?.PssBytes} Pss_Anon {r.Usage?.PssAnonBytes} Pss_File {r.Usage?.PssFileBytes} model file Pss {r.FilePss}")));
            Assert.All(readings, r => Assert.True(r.Usage is not null && r.FilePss is not null, $"a server exited:\n{table}"));

            // (a) The page cache holds the file once: the four shares add up to at most the file (and
            // at least half of it, so the weights really were mapped and read through the map).
            long totalFilePss = readings.Sum(r => r.FilePss!.Value);
            Assert.True(totalFilePss <= fileBytes * 1.1, $"model file PSS over {Instances} instances is {totalFilePss} bytes, file is {fileBytes}:\n{table}");
            Assert.True(totalFilePss >= fileBytes / 2, $"model file PSS over {Instances} instances is only {totalFilePss} bytes of {fileBytes}:\n{table}");

            // (b) No process holds a private copy of the weights: a server's own anonymous memory is about 55 MB with
            // the small KV cache and batch of SharedWeightsModel.StartServer, against a 365 MB f32 file.
            Assert.All(readings, r => Assert.True(
                r.Usage!.PssAnonBytes < fileBytes / 2, $"a server holds {r.Usage.PssAnonBytes} bytes of anonymous memory, weights are {fileBytes}:\n{table}"));
        }
        finally
        {
            foreach (var start in starts)
            {
                if (start.IsCompletedSuccessfully)
                {
                    (await start).Server.Dispose();
                }
            }
        }
    }
}
