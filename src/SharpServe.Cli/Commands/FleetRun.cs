using System.Globalization;
using System.Runtime.InteropServices;
using SharpServe.Engine.Memory;
using SharpServe.Fleet;
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
    public static int Run(FleetSpec spec, string? specPath)
    {
        // Instances share this machine's memory, so it is the device their fractions are of.
        long device = DeviceMemory.DetectHost().TotalBytes;
        FleetValidation validation = FleetSpecCheck.Validate(spec, specPath, device);
        if (!FleetSpecCheck.Report(validation))
        {
            return 1;
        }

        string modelPath = CommonOptions.ResolveModel(FleetSpecCheck.ModelPath(spec.Model!, specPath));
        using var stopRequested = new ManualResetEventSlim();
        using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
        using var onInt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);

        var supervisor = new FleetSupervisor(
            validation.Instances, new FleetServeLauncher(modelPath), spec.LogDir, SupervisorOptions.Default, TimeProvider.System, Log);
        try
        {
            PrintSummary(spec, validation, supervisor);
            supervisor.Start();
            IReadOnlyList<Upstream> upstreams = supervisor.Upstreams;

            // GATEWAY: the lead starts the gateway here, on spec.Gateway (listen, TLS, API keys, rate limits,
            // routing), with `upstreams` and `supervisor` (IInstanceProcesses, for GET /fleet/status).
            Log($"gateway not started yet (issue 6 deliverable 2); instances: {string.Join(", ", upstreams.Select(u => $"{u.Id} at {u.Address}"))}");

            stopRequested.Wait();
            Log("stopping: SIGTERM to every instance, SIGKILL to any still running after the drain timeout");
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

    private static void PrintSummary(FleetSpec spec, FleetValidation validation, FleetSupervisor supervisor)
    {
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
