using System.Globalization;
using System.Runtime.InteropServices;

namespace SharpServe.Fleet.Supervision;

/// <summary>
/// The kernel-enforced half of "no orphans": a supervised child asks Linux to SIGKILL it when its parent
/// dies (PR_SET_PDEATHSIG), so even a supervisor killed with SIGKILL leaves no instance behind.
/// .NET's Process.Start cannot set it between fork and exec, so the child sets it on itself at startup.
/// Also home of the one other libc call the supervisor needs: kill(2), to send SIGTERM.
/// </summary>
public static partial class ParentDeath
{
    /// <summary>Set by the supervisor on each child to its own pid.</summary>
    public const string SupervisorPidVariable = "SHARPSERVE_SUPERVISOR_PID";

    public const int SigTerm = 15;
    private const int SigKill = 9;
    private const int PrSetPdeathsig = 1;

    /// <summary>
    /// When started by a supervisor: arranges to die with it, and returns false when it is already gone
    /// (it died before prctl ran, so the signal would never come) and the caller must exit at once.
    /// </summary>
    public static bool TieToSupervisor()
    {
        string? text = Environment.GetEnvironmentVariable(SupervisorPidVariable);
        if (text is null || !OperatingSystem.IsLinux())
        {
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int supervisorPid))
        {
            throw new ArgumentException($"{SupervisorPidVariable} must be a process id, got '{text}'");
        }

        if (prctl(PrSetPdeathsig, SigKill, 0, 0, 0) != 0)
        {
            throw new InvalidOperationException($"prctl(PR_SET_PDEATHSIG) failed with errno {Marshal.GetLastPInvokeError()}");
        }

        // Checked after prctl: a parent that dies from here on triggers the signal; one that died before shows up here.
        return getppid() == supervisorPid;
    }

    /// <summary>Sends a signal; false when the process is already gone.</summary>
    public static bool Signal(int pid, int signal) => kill(pid, signal) == 0;

    [DllImport("libc", SetLastError = true)]
    private static extern int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [DllImport("libc", SetLastError = true)]
    private static extern int getppid();

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
