using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace SharpServe.Engine.KvCache;

/// <summary>
/// Hashes one full cache block chained to the hash of the block before it, so equal hashes mean
/// equal whole prefixes (up to collisions, which <see cref="KvBlockManager"/> guards against by
/// comparing token ids on every hit). Injectable so tests can force collisions.
/// </summary>
public delegate UInt128 BlockHasher(UInt128 parentHash, ReadOnlySpan<int> blockTokens);

/// <summary>The default <see cref="BlockHasher"/>: SHA-256 of (parent hash, token ids) truncated to 128 bits.</summary>
public static class Sha256BlockHasher
{
    // SHA-256 rather than a faster non-cryptographic hash: it ships with the runtime (no new package),
    // and a prompt-controlled collision would let one request read another's cached K/V.
    public static UInt128 Hash(UInt128 parentHash, ReadOnlySpan<int> blockTokens)
    {
        int length = sizeof(ulong) * 2 + blockTokens.Length * sizeof(int);
        Span<byte> input = length <= 1024 ? stackalloc byte[length] : new byte[length];
        MemoryMarshal.Write(input, in parentHash);
        MemoryMarshal.AsBytes(blockTokens).CopyTo(input[(sizeof(ulong) * 2)..]);

        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        SHA256.HashData(input, digest);
        return MemoryMarshal.Read<UInt128>(digest);
    }
}
