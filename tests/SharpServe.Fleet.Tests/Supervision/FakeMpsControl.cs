using SharpServe.Fleet.Supervision;

namespace SharpServe.Fleet.Tests.Supervision;

/// <summary>
/// A stand-in nvidia-cuda-mps-control for the MPS tests (here and, linked, in the CLI's fleet tests): it appends its
/// arguments, the two MPS folders and (without -d) its stdin to a record file, then runs one more shell line.
/// </summary>
internal static class FakeMpsControl
{
    /// <summary>Writes the stand-in into <paramref name="bin"/> (created) and returns that folder, to put first on PATH.</summary>
    public static string Write(string bin, string record, string then = "")
    {
        Directory.CreateDirectory(bin);
        string script = Path.Combine(bin, MpsDaemon.ControlBinary);
        File.WriteAllText(script, $$"""
            #!/bin/sh
            {
              echo "call: $*"
              echo "pipe: $CUDA_MPS_PIPE_DIRECTORY"
              echo "log: $CUDA_MPS_LOG_DIRECTORY"
              if [ "$1" != "-d" ]; then echo "stdin: $(cat)"; fi
            } >> '{{record}}'
            {{then}}

            """);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        return bin;
    }
}
