using System.Diagnostics;

namespace SharpServe.Cli.Hub;

/// <summary>A one-line progress bar on stderr, drawn only when stderr is a terminal (logs and pipes stay clean).</summary>
public sealed class DownloadProgress(string file, long totalBytes)
{
    private const int BarWidth = 30;
    private static readonly TimeSpan RedrawInterval = TimeSpan.FromMilliseconds(100);

    private readonly bool _enabled = !Console.IsErrorRedirected;
    private readonly Stopwatch _sinceDraw = Stopwatch.StartNew();

    public void Report(long bytes)
    {
        if (_enabled && _sinceDraw.Elapsed >= RedrawInterval)
        {
            Draw(bytes);
            _sinceDraw.Restart();
        }
    }

    public void Complete()
    {
        if (_enabled)
        {
            Draw(totalBytes);
            Console.Error.WriteLine();
        }
    }

    private void Draw(long bytes)
    {
        double share = totalBytes > 0 ? Math.Clamp((double)bytes / totalBytes, 0, 1) : 1;
        int filled = (int)(share * BarWidth);
        Console.Error.Write($"\r{file} [{new string('#', filled)}{new string('.', BarWidth - filled)}] {share,4:P0} {Mib(bytes):F1}/{Mib(totalBytes):F1} MiB");
    }

    private static double Mib(long bytes) => bytes / (1024.0 * 1024.0);
}
