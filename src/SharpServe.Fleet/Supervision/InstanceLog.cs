namespace SharpServe.Fleet.Supervision;

/// <summary>An instance's log file: the child's stdout and stderr as they come, and the supervisor's lines about it, marked.</summary>
internal sealed class InstanceLog : IDisposable
{
    private readonly StreamWriter _file;
    private readonly Lock _gate = new();

    public InstanceLog(string path)
    {
        _file = new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public void Child(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _file.WriteLine(line);
        }
    }

    public void Supervisor(string message)
    {
        lock (_gate)
        {
            _file.WriteLine($"[supervisor] {message}");
        }
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _file.Dispose();
        }
    }
}
