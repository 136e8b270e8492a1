using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace SharpServe.Engine.Loading;

/// <summary>
/// Bounds-checked little-endian reads over the GGUF header, which is read in place from the memory
/// map. Every length and count is checked against the bytes that remain before anything is
/// allocated for it, so a corrupt header fails with a message instead of a giant allocation.
/// </summary>
internal ref struct GgufSpanReader
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    private readonly ReadOnlySpan<byte> _data;
    private readonly string _path;

    public GgufSpanReader(ReadOnlySpan<byte> data, string path)
    {
        _data = data;
        _path = path;
    }

    public int Position { get; private set; }

    public readonly int Remaining => _data.Length - Position;

    /// <summary>A fixed-size little-endian value (GGUF is little-endian, as is every platform SharpServe runs on).</summary>
    public T Read<T>(string what)
        where T : unmanaged => MemoryMarshal.Read<T>(Take(Unsafe.SizeOf<T>(), what));

    /// <summary>An array of <paramref name="count"/> fixed-size values; <paramref name="countName"/> names the count in errors.</summary>
    public T[] ReadArray<T>(ulong count, string countName)
        where T : unmanaged
    {
        int n = CheckCount(count, Unsafe.SizeOf<T>(), countName);
        return MemoryMarshal.Cast<byte, T>(Take(n * Unsafe.SizeOf<T>(), countName)).ToArray();
    }

    /// <summary>A GGUF string: u64 byte length, then UTF-8 bytes (no terminator). Invalid UTF-8 is refused.</summary>
    public string ReadString(string what) => ReadString(what, index: -1);

    /// <summary>
    /// Element <paramref name="index"/> of the string array <paramref name="what"/> (or, with index -1,
    /// the string <paramref name="what"/>). Descriptions are only formatted for an error: a
    /// vocabulary has hundreds of thousands of strings.
    /// </summary>
    public string ReadString(string what, int index)
    {
        if (Remaining < sizeof(ulong))
        {
            throw new ModelFormatException(_path, $"truncated: length of {Describe(what, index)} at byte {Position} needs 8 bytes, only {Remaining} left");
        }

        ulong length = MemoryMarshal.Read<ulong>(_data[Position..]);
        Position += sizeof(ulong);
        if (length > (ulong)Remaining)
        {
            throw new ModelFormatException(_path, $"truncated: {Describe(what, index)} at byte {Position} claims {length} bytes, only {Remaining} left");
        }

        var bytes = _data.Slice(Position, (int)length);
        Position += (int)length;
        try
        {
            return StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFormatException(_path, $"{Describe(what, index)} is not valid UTF-8", e);
        }
    }

    /// <summary>
    /// Checks that <paramref name="count"/> items of at least <paramref name="minBytesEach"/> bytes
    /// can fit in what remains, and returns the count as an int.
    /// </summary>
    public readonly int CheckCount(ulong count, int minBytesEach, string what)
    {
        if (count > (ulong)(Remaining / minBytesEach))
        {
            throw new ModelFormatException(
                _path, $"truncated or corrupt: {what} is {count}, but {count} items of at least {minBytesEach} bytes cannot fit in the {Remaining} bytes left");
        }

        return (int)count;
    }

    public ReadOnlySpan<byte> Take(int count, string what)
    {
        if (count > Remaining)
        {
            throw new ModelFormatException(_path, $"truncated: {what} at byte {Position} needs {count} bytes, only {Remaining} left");
        }

        var bytes = _data.Slice(Position, count);
        Position += count;
        return bytes;
    }

    private static string Describe(string what, int index) => index < 0 ? what : $"'{what}'[{index}]";
}
