using System.CommandLine;
using SharpServe.Engine.Memory;
using SharpServe.Engine.Models;
using SharpServe.Engine.Scheduling;
using SharpServe.Server.Hosting;

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
            ServeSettings settings = options.Read(parse);
            RunAsync(settings).GetAwaiter().GetResult();
            return 0;
        }));
        return command;
    }

    private static async Task RunAsync(ServeSettings settings)
    {
        string path = CommonOptions.ResolveModel(settings.Model);
        using var loaded = LoadedModel.Open(path, settings.Threads);
        int maxModelLen = settings.MaxModelLen ?? loaded.Config.MaxPositionEmbeddings;
        Log($"Loaded {path}: {loaded.Config.NumHiddenLayers} layers, hidden size {loaded.Config.HiddenSize}, vocabulary {loaded.Config.VocabSize}, " +
            $"{ModelMemory.WeightBytes(loaded.Checkpoint) / (1024.0 * 1024.0):F1} MiB of weights, {settings.Threads} threads");
        var config = new SchedulerConfig(settings.MaxNumBatchedTokens, settings.MaxNumSeqs, maxModelLen, settings.MaxQueue);
        using var engine = LlmEngine.Create(loaded, config, settings.Memory, Log, settings.EnablePrefixCaching);
        IReadOnlyList<string> names = settings.ServedModelNames.Count > 0 ? settings.ServedModelNames : [settings.Model ?? path];
        var served = new ServedModel(loaded, engine, names, maxModelLen);
        await using var server = await SharpServeServer.StartAsync(served, new ServerOptions { Host = settings.Host, Port = settings.Port, ApiKey = settings.ApiKey });
        Log($"Serving {string.Join(", ", names)} with max model len {maxModelLen}, prefix caching {(settings.EnablePrefixCaching ? "on" : "off")}" +
            (settings.ApiKey is null ? "" : "; an API key is required"));
        Log($"Application startup complete. Listening on {server.Url}");
        await server.WaitForShutdownAsync();
    }

    private static void Log(string message) => Console.WriteLine($"INFO: {message}");
}
