namespace SharpServe.Cli.Commands;

/// <summary>The server's log lines, on stdout and, with --log-file, appended to that file as well.</summary>
internal sealed class ServeLog : IDisposable
{
    private readonly StreamWriter? _file;
    private readonly Lock _gate = new();

    public ServeLog(string? path)
    {
        _file = path is null ? null : new StreamWriter(path, append: true) { AutoFlush = true };
    }

    public void Info(string message)
    {
        string line = $"INFO: {message}";
        lock (_gate)
        {
            Console.WriteLine(line);
            _file?.WriteLine($"{DateTimeOffset.Now:O} {line}");
        }
    }

    public void Dispose() => _file?.Dispose();
}
