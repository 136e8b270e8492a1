using System.CommandLine;
using System.Globalization;
using SharpServe.Engine.Creation;
using SharpServe.Engine.Cuda;
using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Scheduling;
using SharpServe.Fleet.Supervision;
using SharpServe.Server.Hosting;
using SharpServe.Server.Metrics;

namespace SharpServe.Cli.Commands;

/// <summary><c>sharpserve serve</c>: the OpenAI-compatible server, started with vLLM's flags.</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var options = new ServeOptions();
        var command = new Command("serve", "Serve a model over an OpenAI-compatible HTTP API (vLLM's flags)");
        foreach (Option option in options.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CommonOptions.Run(() =>
        {
            // First, before any slow work: under a supervisor, die with it (kernel-enforced), or exit if it is already gone.
            if (!ParentDeath.TieToSupervisor())
            {
                Console.Error.WriteLine($"error: the supervisor (pid {Environment.GetEnvironmentVariable(ParentDeath.SupervisorPidVariable)}) that started this instance is gone");
                return 1;
            }

            ServeSettings settings = options.Read(parse);
            RunAsync(settings).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Listens first, so a port in use fails before a long load and /health answers 503 while loading
    /// (as vLLM's does) instead of refusing connections; then loads the model and fills the server's slot.
    /// </summary>
    private static async Task RunAsync(ServeSettings settings)
    {
        using var log = new ServeLog(settings.LogFile);

        // The names are known before loading, so the metrics (labelled with the first) can exist from the start.
        IReadOnlyList<string> names = settings.ServedModelNames.Count > 0 ? settings.ServedModelNames : [settings.Model ?? DefaultModel.ServedName];
        var slot = new ServedModelSlot(new ServerMetrics(names[0]));
        await using var server = await SharpServeServer.StartAsync(slot, settings.Server);
        log.Info($"Listening on {server.Url}; loading the model (/health answers 503 until it is ready)");

        string path = CommonOptions.ResolveModel(settings.Model);
        using var loaded = CommonOptions.OpenOnDevice(path, settings.LoadOptions, settings.Threads, settings.Device, description => log.Info($"Device: {description}"));
        WeightFormatCheck.Ensure(loaded.Checkpoint, settings.DType, settings.Quantization);
        SharedWeightsManifest? shared = settings.SharedWeights is { } manifest ? SharedWeightsImport.Import(loaded, manifest) : null;
        int maxModelLen = settings.MaxModelLen ?? loaded.Config.MaxPositionEmbeddings;
        log.Info($"Loaded {path}: {loaded.Config.NumHiddenLayers} layers, hidden size {loaded.Config.HiddenSize}, vocabulary {loaded.Config.VocabSize}, " +
            $"weights: {(shared is null ? ResidentWeights.Describe(loaded) : SharedDescription(settings.SharedWeights!, shared))}");
        var config = new SchedulerConfig(settings.MaxNumBatchedTokens, settings.MaxNumSeqs, maxModelLen, settings.MaxQueue);
        var memory = Memory(settings, loaded) with { WeightsShared = shared is not null };
        using var engine = LlmEngine.Create(loaded, config, memory, log.Info, settings.EnablePrefixCaching, slot.Metrics.Requests);
        slot.Fill(new ServedModel(loaded, engine, names, maxModelLen));
        log.Info($"Serving {string.Join(", ", names)} with max model len {maxModelLen}, prefix caching {(settings.EnablePrefixCaching ? "on" : "off")}" +
            (settings.Server.ReasoningParser is { } parser ? $", reasoning parser {parser}" : "") +
            (settings.Server.ApiKey is null ? "" : "; an API key is required"));
        log.Info($"Application startup complete. Listening on {server.Url}");
        foreach (string hint in ServeHints.For(server.Url, names[0], settings.Server.ApiKey is not null))
        {
            log.Info(hint);
        }

        await server.WaitForShutdownAsync();
        log.Info("Shut down: in-flight requests drained");
    }

    /// <summary>E.g. "shared from fleet-logs/shared-weights.json (13.4 MiB, held by the fleet)".</summary>
    private static string SharedDescription(string manifestPath, SharedWeightsManifest manifest) => string.Create(
        CultureInfo.InvariantCulture, $"shared from {manifestPath} ({manifest.TotalBytes / (double)(1L << 20):F1} MiB, held by the fleet, pid {manifest.HolderPid})");

    /// <summary>On a card, --gpu-memory-utilization is a share of the card's memory, not the host's.</summary>
    private static EngineMemoryOptions Memory(ServeSettings settings, LoadedModel loaded) =>
        settings.Memory with
        {
            DeviceTotalBytes = settings.Memory.DeviceTotalBytes ?? CardMemory.TotalBytes(loaded),
            DeviceFreeBytes = CardMemory.FreeBytes(loaded),
        };
}
