using System.Globalization;
using System.Runtime.InteropServices;
using SharpServe.Engine.Cuda.Sharing;
using SharpServe.Engine.Loading;
using SharpServe.Fleet.Gateway;
using SharpServe.Fleet.Spec;
using SharpServe.Fleet.Supervision;

namespace SharpServe.Cli.Commands;

/// <summary>
/// Runs a fleet from a spec (a file or the flags): validates it against this machine, starts the
/// supervisor, and blocks until SIGTERM or Ctrl-C, then stops the instances gracefully and returns 0.
/// </summary>
internal static class FleetRun
{
    /// <param name="specPath">The spec file, for model paths relative to it; null for flags.</param>
    /// <param name="device">--device: auto, cpu or cuda.</param>
    /// <param name="shareWeights">On a card, hold one copy of the weights here and have every instance map it (CUDA IPC).</param>
        /// <param name="mps">Start NVIDIA's MPS control daemon first (<c>--mps</c>) and run the instances as its clients.</param>
    public static int Run(FleetSpec spec, string? specPath, string device, bool shareWeights, bool mps)
    {
        // Instances share one device: the card they compute on, or this machine's memory.
        FleetDevice target = FleetDevice.Probe(device);
        FleetValidation validation = FleetSpecCheck.Validate(spec, specPath, target.TotalBytes(), Shares(target, shareWeights));
        if (!FleetSpecCheck.Report(validation))
        {
            return 1;
        }

        if (!mps)
        {
            return Supervise(spec, specPath, target, shareWeights, validation, new Dictionary<string, string>());
        }

        // Before anything else starts (a model download included): a missing binary or a daemon that will not start is the error.
        MpsDaemon daemon = MpsDaemon.Start(spec.LogDir, Environment.GetEnvironmentVariable("PATH"));
        Log($"MPS on: {MpsDaemon.ControlBinary} -d started, pipes in {daemon.PipeDirectory}, its logs in {daemon.LogDirectory}; instances run as its clients ({MpsDaemon.PipeVariable}, {MpsDaemon.LogVariable})");
        try
        {
            return Supervise(spec, specPath, target, shareWeights, validation, daemon.Environment);
        }
        finally
        {
            // After the instances: the daemon's quit waits for its clients to go.
            Log(daemon.Stop());
        }
    }

    /// <summary>The gateway and the instances, until SIGTERM or Ctrl-C; <paramref name="environment"/> goes to every instance.</summary>
    private static int Supervise(FleetSpec spec, string? specPath, FleetDevice target, bool shareWeights, FleetValidation validation, IReadOnlyDictionary<string, string> environment)
    {
        string modelPath = CommonOptions.ResolveModel(FleetSpecCheck.ModelPath(spec.Model!, specPath));
        ResolvedEngine engine = validation.Instances[0].Engine;
        ModelCheckpoint LoadAsInstancesDo() => ModelLoader.Load(modelPath, engine.LoadOptions, engine.Threads ?? Environment.ProcessorCount);
        FleetDevice checkedTarget = target.CheckWeights(LoadAsInstancesDo);
        if (checkedTarget != target)
        {
            // auto, and the kernels cannot run these weights: the CPU after all, planned against the host's memory.
            target = checkedTarget;
            validation = FleetSpecCheck.Validate(spec, specPath, target.TotalBytes(), weightsShared: false);
            if (!FleetSpecCheck.Report(validation))
            {
                return 1;
            }
        }

        Log(string.Create(CultureInfo.InvariantCulture,
            $"device: {(target.Card is { } card ? $"cuda:{card.Index} {card.Name}, {card.TotalBytes / (1L << 20)} MiB" : "cpu")}{(target.Note is null ? "" : $" ({target.Note})")}"));
        using WeightHolder? holder = Shares(target, shareWeights) ? HoldWeights(LoadAsInstancesDo(), spec.LogDir, validation.Instances.Count) : null;

        using var stopRequested = new ManualResetEventSlim();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var supervisor = new FleetSupervisor(
            validation.Instances, new FleetServeLauncher(modelPath, target.Name, holder?.ManifestPath, environment), spec.LogDir, SupervisorOptions.Default, TimeProvider.System, Log);
        try
        {
            // The gateway binds first, so a port in use fails before any instance starts; its probes keep each
            // instance out of rotation until its /health answers 200.
            GatewayHost gateway = GatewayHost.StartAsync(GatewayOptions.FromSpec(spec.Gateway with
                {
                    TlsCertificate = FleetSpecCheck.BesideSpec(spec.Gateway.TlsCertificate, specPath),
                    TlsKey = FleetSpecCheck.BesideSpec(spec.Gateway.TlsKey, specPath),
                }), supervisor.Upstreams, supervisor, log: Log)
                .GetAwaiter().GetResult();
            try
            {
                PrintSummary(spec, validation, supervisor, gateway);
                supervisor.Start();
                foreach (string hint in ServeHints.For(gateway.Url, validation.Instances[0].ServedModelNames[0], spec.Gateway.ApiKeys.Count > 0))
                {
                    Log(hint + " (once an instance is ready: GET /health answers 200)");
                }

                stopRequested.Wait();
                Log("stopping: SIGTERM to every instance, SIGKILL to any still running after the drain timeout");
                supervisor.StopAsync().GetAwaiter().GetResult();
            }
            finally
            {
                gateway.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        }
        finally
        {
            supervisor.DisposeAsync().AsTask().GetAwaiter().GetResult();
        }

        Log("stopped");
        return 0;

        // Cancel: the process must not end on the signal before its children are stopped.
        void Stop(PosixSignalContext context)
        {
            context.Cancel = true;
            stopRequested.Set();
        }
    }

    private static bool Shares(FleetDevice target, bool shareWeights) => target.Card is not null && shareWeights;

    /// <summary>
    /// Uploads the weights once into an arena on the card that this process holds for the fleet's life (instances crash and
    /// restart; this process does not), and writes the manifest every instance is started with.
    /// </summary>
    private static WeightHolder HoldWeights(ModelCheckpoint checkpoint, string logDir, int instances)
    {
        Directory.CreateDirectory(logDir);
        var holder = WeightHolder.Start(checkpoint, Path.Combine(logDir, "shared-weights.json"));
        Log(string.Create(CultureInfo.InvariantCulture,
            $"weights: one copy of {holder.Manifest.TotalBytes / (double)(1L << 20):F1} MiB on {holder.Manifest.Card}, held by this process and mapped by the {instances} instance(s) through CUDA IPC (manifest {holder.ManifestPath}); each instance's fraction holds its activations and KV cache only"));
        return holder;
    }

    private static void PrintSummary(FleetSpec spec, FleetValidation validation, FleetSupervisor supervisor, GatewayHost gateway)
    {
        Log($"gateway listening on {gateway.Url}, routing {spec.Gateway.Routing} (status: {new Uri(gateway.Url, "/fleet/status")})");
        Log(string.Create(CultureInfo.InvariantCulture, $"supervisor pid {Environment.ProcessId}: {validation.Instances.Count} instance(s) of {spec.Model}, logs in {Path.GetFullPath(spec.LogDir)}"));
        for (int i = 0; i < validation.Instances.Count; i++)
        {
            ResolvedInstance instance = validation.Instances[i];
            Log(string.Create(
                CultureInfo.InvariantCulture,
                $"{supervisor.Upstreams[i].Id}: port {instance.Port}, memory fraction {instance.MemoryFraction}, served as {string.Join(", ", instance.ServedModelNames)}, log {supervisor.LogFiles[i]}"));
        }
    }

    private static void Log(string message) => Console.WriteLine($"{DateTimeOffset.Now:HH:mm:ss.fff} fleet: {message}");
}
