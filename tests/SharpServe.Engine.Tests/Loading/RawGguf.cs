using System.Text;

namespace SharpServe.Engine.Tests.Loading;

/// <summary>Writes GGUF bytes field by field, so tests can build files the real writer never would.</summary>
internal sealed class RawGguf
{
    private readonly MemoryStream _bytes = new();
    private readonly BinaryWriter _writer;

    public RawGguf() => _writer = new BinaryWriter(_bytes);

    public long Length => _bytes.Length;

    /// <summary>Magic, version and the two counts.</summary>
    public static RawGguf Header(ulong tensors, ulong kvs, uint version = 3) => new RawGguf().Bytes("GGUF"u8.ToArray()).U32(version).U64(tensors).U64(kvs);

    public RawGguf U32(uint value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf U64(ulong value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf Bytes(byte[] value)
    {
        _writer.Write(value);
        return this;
    }

    public RawGguf Str(string value) => StrBytes(Encoding.UTF8.GetBytes(value));

    public RawGguf StrBytes(byte[] value) => U64((ulong)value.Length).Bytes(value);

    public RawGguf KvString(string key, string value) => Str(key).U32(8).Str(value);

    public RawGguf KvU32(string key, uint value) => Str(key).U32(4).U32(value);

    /// <summary>A tensor info; <paramref name="ne"/> is ggml order (innermost first).</summary>
    public RawGguf Tensor(string name, ulong[] ne, uint type, ulong offset)
    {
        Str(name).U32((uint)ne.Length);
        foreach (ulong d in ne)
        {
            U64(d);
        }

        return U32(type).U64(offset);
    }

    public RawGguf PadTo(int alignment)
    {
        while (_bytes.Length % alignment != 0)
        {
            _writer.Write((byte)0);
        }

        return this;
    }

    public RawGguf Zeros(int count) => Bytes(new byte[count]);

    public string Save(string path)
    {
        _writer.Flush();
        File.WriteAllBytes(path, _bytes.ToArray());
        return path;
    }
}
