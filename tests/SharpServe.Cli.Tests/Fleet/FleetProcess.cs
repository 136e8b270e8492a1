using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace SharpServe.Cli.Tests.Fleet;

/// <summary>
/// <c>sharpserve fleet ARGS</c> as a child process. On dispose the supervisor's tree is killed, and so is every
/// instance it reported starting, in case a test left them orphaned.
/// </summary>
public sealed partial class FleetProcess : IDisposable
{
    public const int SigKill = 9;
    public const int SigTerm = 15;

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public FleetProcess(params string[] args)
        : this(new Dictionary<string, string>(), args)
    {
    }

    /// <summary>With extra environment variables (e.g. a PATH that puts a stand-in command first).</summary>
    public FleetProcess(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        _process = new Process { StartInfo = CliRunner.StartInfo(["fleet", .. args]) };
        foreach (var (name, value) in environment)
        {
            _process.StartInfo.Environment[name] = value;
        }

        _process.OutputDataReceived += (_, e) => Record(e.Data);
        _process.ErrorDataReceived += (_, e) => Record(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>Every pid the supervisor reported starting for the instance on this port, in order.</summary>
    public IReadOnlyList<int> PidsOf(int port) =>
        StartedLine().Matches(Output).Where(m => m.Groups["port"].Value == port.ToString(CultureInfo.InvariantCulture))
            .Select(m => int.Parse(m.Groups["pid"].Value, CultureInfo.InvariantCulture)).ToList();

    public async Task WaitForOutputAsync(Func<string, bool> condition, TimeSpan timeout)
    {
        var clock = Stopwatch.StartNew();
        while (!condition(Output))
        {
            if (_process.HasExited)
            {
                await _process.WaitForExitAsync();
                if (condition(Output))
                {
                    return;
                }

                throw new InvalidOperationException($"sharpserve fleet exited with {_process.ExitCode}:\n{Output}");
            }

            if (clock.Elapsed > timeout)
            {
                throw new TimeoutException($"sharpserve fleet did not print what was awaited in {timeout}:\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Waits until every instance has printed "ready" once.</summary>
    public Task WaitForReadyAsync(int instances) =>
        WaitForOutputAsync(text => Regex.Matches(text, "answers /health 200").Count >= instances, TimeSpan.FromMinutes(2));

    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>True while the pid is a live process (a zombie is dead, only not yet reaped).</summary>
    public static bool IsAlive(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (IOException)
        {
            return false;
        }

        // The state letter follows the parenthesised command name, which may itself hold spaces.
        return stat[(stat.LastIndexOf(')') + 2)..][0] is not ('Z' or 'X');
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(30));
        }

        foreach (Match started in StartedLine().Matches(Output))
        {
            int pid = int.Parse(started.Groups["pid"].Value, CultureInfo.InvariantCulture);
            if (IsAlive(pid) && File.ReadAllText($"/proc/{pid}/cmdline").Contains("sharpserve", StringComparison.Ordinal))
            {
                SharpServe.Fleet.Supervision.ParentDeath.Signal(pid, SigKill);
            }
        }

        _process.Dispose();
    }

    private void Record(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }

    [GeneratedRegex(@"instance-(?<port>\d+): started pid (?<pid>\d+)")]
    private static partial Regex StartedLine();
}
