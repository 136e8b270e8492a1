using System.Globalization;
using System.Runtime.InteropServices;
using SharpServe.Engine.Memory;
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
    /// <param name="mps">Start NVIDIA's MPS control daemon first (<c>--mps</c>) and run the instances as its clients.</param>
    public static int Run(FleetSpec spec, string? specPath, bool mps)
    {
        // Instances share this machine's memory, so it is the device their fractions are of.
        long device = DeviceMemory.DetectHost().TotalBytes;
        FleetValidation validation = FleetSpecCheck.Validate(spec, specPath, device);
        if (!FleetSpecCheck.Report(validation))
        {
            return 1;
        }

        if (!mps)
        {
            return Supervise(spec, specPath, validation, new Dictionary<string, string>());
        }

        // Before anything else starts (a model download included): a missing binary or a daemon that will not start is the error.
        MpsDaemon daemon = MpsDaemon.Start(spec.LogDir, Environment.GetEnvironmentVariable("PATH"));
        Log($"MPS on: {MpsDaemon.ControlBinary} -d started, pipes in {daemon.PipeDirectory}, its logs in {daemon.LogDirectory}; instances run as its clients ({MpsDaemon.PipeVariable}, {MpsDaemon.LogVariable})");
        try
        {
            return Supervise(spec, specPath, validation, daemon.Environment);
        }
        finally
        {
            // After the instances: the daemon's quit waits for its clients to go.
            Log(daemon.Stop());
        }
    }

    /// <summary>The gateway and the instances, until SIGTERM or Ctrl-C; <paramref name="environment"/> goes to every instance.</summary>
    private static int Supervise(FleetSpec spec, string? specPath, FleetValidation validation, IReadOnlyDictionary<string, string> environment)
    {
        string modelPath = CommonOptions.ResolveModel(FleetSpecCheck.ModelPath(spec.Model!, specPath));
        using var stopRequested = new ManualResetEventSlim();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var supervisor = new FleetSupervisor(
            validation.Instances, new FleetServeLauncher(modelPath, environment), spec.LogDir, SupervisorOptions.Default, TimeProvider.System, Log);
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
