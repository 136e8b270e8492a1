namespace SharpServe.Fleet.Memory;

/// <summary>
/// One process's memory from /proc/PID/smaps_rollup, in bytes. PSS (proportional set size)
/// charges each shared page 1/N to each of the N processes mapping it, so PSS summed over a fleet
/// counts the page cache's one copy of a shared weight file once.
/// </summary>
public sealed record ProcessMemoryUsage(
    long RssBytes,        // resident pages, shared ones counted in full
    long PssBytes,        // PssAnonBytes + PssFileBytes + PssShmemBytes
    long PssAnonBytes,    // private heap: managed heap, KV cache, buffers; a copied weight matrix would land here
    long PssFileBytes,    // file-backed mappings: the memory-mapped weights, the runtime's own DLLs
    long PssShmemBytes);  // shared memory (tmpfs, memfd)
