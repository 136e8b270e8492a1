using System.Runtime.InteropServices;
using SharpServe.Engine.Cuda.Native;

namespace SharpServe.Engine.Cuda.Tests.Native;

/// <summary>
/// Where cuBLAS is looked for: the sonames, then NVIDIA's wheels inside Python installations, on a temporary tree laid out
/// like a machine with several of them; and what the probe says on this machine.
/// </summary>
public sealed class CublasLibraryTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("sharpserve-cublas-").FullName;

    [Fact]
    public void Candidates_SonamesFirst_ThenWheelCopies_Cuda13BeforeCuda12_InPrefixOrder()
    {
        Make("venv/bin/python3");
        string venv13 = Make("venv/lib/python3.12/site-packages/nvidia/cu13/lib/libcublas.so.13");
        string venv12 = Make("venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12");
        Make("venv/lib/python3.12/site-packages/nvidia/cublas/lib/libcublasLt.so.12");
        string conda12 = Make("conda/lib/python3.11/site-packages/nvidia/cublas/lib/libcublas.so.12");
        string pyenv13 = Make("pyenv/lib/python3.10/site-packages/nvidia/cu13/lib/libcublas.so.13");
        Make("pyenv/bin/python3");
        string home12 = Make("home/.local/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12");
        string usrLocal13 = Make("usr/local/lib/python3.11/dist-packages/nvidia/cu13/lib/libcublas.so.13");
        string usr12 = Make("usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.12");
        // Not candidates: a prefix whose bin has no python3, a wheel folder without the library, a non-Python lib folder.
        Make("nopython/bin/perl");
        Make("nopython/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12");
        Make("usr/lib/python3.9/site-packages/nvidia/cublas/lib/README");
        Make("usr/lib/perl5/nvidia/cublas/lib/libcublas.so.12");
        var search = new CublasSearch(
            VirtualEnv: Path.Combine(_root, "venv"),
            CondaPrefix: Path.Combine(_root, "conda") + "/",
            PathVariable: string.Join(':', Path.Combine(_root, "nopython/bin"), Path.Combine(_root, "venv/bin"), Path.Combine(_root, "pyenv/bin")),
            Home: Path.Combine(_root, "home"),
            SystemPrefixes: [Path.Combine(_root, "usr/local"), Path.Combine(_root, "usr")]);

        var candidates = CublasLibrary.Candidates(search, CublasLibrary.ListDirectory);

        Assert.Equal(["libcublas.so.13", "libcublas.so.12", venv13, pyenv13, usrLocal13, venv12, conda12, home12, usr12], candidates);
    }

    [Fact]
    public void Candidates_WithNoPythonAnywhere_AreTheSonames()
    {
        var search = new CublasSearch(null, "", null, null, [Path.Combine(_root, "missing")]);

        Assert.Equal(["libcublas.so.13", "libcublas.so.12"], CublasLibrary.Candidates(search, CublasLibrary.ListDirectory));
    }

    [Fact]
    public void Candidates_ScanEveryPythonOfAPrefix_InNameOrder_SiteBeforeDist()
    {
        string old = Make("usr/lib/python3.10/site-packages/nvidia/cublas/lib/libcublas.so.12");
        string debian = Make("usr/lib/python3/dist-packages/nvidia/cublas/lib/libcublas.so.12");
        string both = Make("usr/lib/python3.12/dist-packages/nvidia/cublas/lib/libcublas.so.12");
        string site = Make("usr/lib/python3.12/site-packages/nvidia/cublas/lib/libcublas.so.12");
        var search = new CublasSearch(null, null, null, null, [Path.Combine(_root, "usr")]);

        Assert.Equal(["libcublas.so.13", "libcublas.so.12", debian, old, site, both], CublasLibrary.Candidates(search, CublasLibrary.ListDirectory));
    }

    [Fact]
    public void TheProbe_LoadsACandidate_OrListsEveryOneItTried()
    {
        var candidates = CublasLibrary.Candidates(CublasSearch.Current(), CublasLibrary.ListDirectory);
        var load = CublasLibrary.Load();

        if (load.Handle != IntPtr.Zero)
        {
            Assert.Contains(load.Description, candidates);
            return;
        }

        // No cuBLAS here (CI): nothing it names may be loadable, and the message lists all of it.
        Assert.All(candidates, c => Assert.False(NativeLibrary.TryLoad(c, out _), $"{c} loads, but the probe found no cuBLAS"));
        Assert.Equal($"no cuBLAS: none of {string.Join(", ", candidates)} could be loaded", load.Description);
        Assert.StartsWith("no cuBLAS: none of libcublas.so.13, libcublas.so.12", load.Description, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private string Make(string relative)
    {
        string path = Path.Combine(_root, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, "");
        return path;
    }
}
