namespace SharpServe.Engine.Tests.TestSupport;

/// <summary>
/// Bytes a piece of code allocates on this thread once warm, as the least of several windows: the runtime may now and
/// then allocate on the thread itself (its tiered-JIT worker, a GC retiring the thread's allocation context), but an
/// allocation the code makes shows in every window, so a non-zero minimum is the code's own.
/// </summary>
internal static class SteadyAllocations
{
    public static long Of(Action work, int windows = 3)
    {
        long least = long.MaxValue;
        for (int window = 0; window < windows; window++)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            work();
            least = Math.Min(least, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        return least;
    }
}
