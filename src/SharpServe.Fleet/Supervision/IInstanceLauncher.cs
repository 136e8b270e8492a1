using System.Diagnostics;
using SharpServe.Fleet.Spec;

namespace SharpServe.Fleet.Supervision;

/// <summary>How an instance is started (the CLI runs <c>sharpserve serve</c>; tests run small shell commands), so the library does not know the CLI.</summary>
public interface IInstanceLauncher
{
    /// <summary>The command line of one instance; the supervisor adds output redirection and its pid to the environment.</summary>
    ProcessStartInfo StartInfo(ResolvedInstance instance);
}
