using System.Diagnostics;

namespace SharpServe.Engine.Loading;

/// <summary>
/// An exclusive advisory lock on <c>&lt;entry&gt;.lock</c> beside a cache entry, so that of several instances starting
/// at once on a cold cache one builds the entry while the others wait and then map the same file.
/// <para>
/// The lock is a <see cref="FileStream"/> opened with <see cref="FileShare.None"/>: on Linux .NET takes that as
/// <c>flock(LOCK_EX | LOCK_NB)</c>, which the kernel drops when the holder's process ends, however it ends — a builder
/// that was killed leaves no stale lock, only the empty lock file. The file is never deleted: a waiter may already have
/// it open, and after a delete that waiter and a newcomer (who would create a fresh file) could both hold "the" lock.
/// </para>
/// </summary>
internal sealed class CacheEntryLock : IDisposable
{
    /// <summary>
    /// The IOException HResult .NET gives when another holder has the file: ERROR_SHARING_VIOLATION on Windows,
    /// elsewhere the errno of the failed flock, EWOULDBLOCK (11 on Linux, 35 on macOS).
    /// </summary>
    private static readonly int HeldElsewhere =
        OperatingSystem.IsWindows() ? unchecked((int)0x80070020) : OperatingSystem.IsMacOS() ? 35 : 11;

    private static readonly TimeSpan RetryInterval = TimeSpan.FromMilliseconds(100);

    private readonly FileStream _stream;

    private CacheEntryLock(FileStream stream) => _stream = stream;

    /// <summary>The lock file of <paramref name="entry"/>.</summary>
    public static string PathFor(string entry) => entry + ".lock";

    /// <summary>
    /// Takes the lock of <paramref name="entry"/>, retrying while another holder has it; null when it is still held
    /// after <paramref name="wait"/> (a live but slow or hung builder: the caller then builds its own copy rather than
    /// never starting).
    /// </summary>
    public static CacheEntryLock? TryAcquire(string entry, TimeSpan wait)
    {
        string path = PathFor(entry);
        var waited = Stopwatch.StartNew();
        while (true)
        {
            try
            {
                return new CacheEntryLock(new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
            }
            catch (IOException error) when (error.HResult == HeldElsewhere)
            {
                if (waited.Elapsed >= wait)
                {
                    return null;
                }

                Thread.Sleep(RetryInterval);
            }
        }
    }

    public void Dispose() => _stream.Dispose();
}
