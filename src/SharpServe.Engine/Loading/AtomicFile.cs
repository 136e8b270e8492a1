namespace SharpServe.Engine.Loading;

/// <summary>
/// Writes a file under a temporary name and renames it into place when complete, so an interrupted
/// or failed write (a multi-GB model takes a while) never leaves a truncated file that looks like a model.
/// </summary>
internal static class AtomicFile
{
    public static void Write(string path, Action<FileStream> write)
    {
        string temporary = path + ".partial";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, bufferSize: 1 << 20))
            {
                write(stream);
            }

            File.Move(temporary, path, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
