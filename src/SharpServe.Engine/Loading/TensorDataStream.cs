namespace SharpServe.Engine.Loading;

/// <summary>
/// The write-only stream a writer hands to a tensor's data callback: it forwards to the file and
/// refuses to go past the tensor's byte size, so a wrong callback cannot corrupt its neighbours.
/// </summary>
internal sealed class TensorDataStream(Stream file, string tensorName, long expectedBytes) : Stream
{
    public long Written { get; private set; }

    public override bool CanRead => false;
    public override bool CanSeek => false;
    public override bool CanWrite => true;
    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => Written;
        set => throw new NotSupportedException();
    }

    /// <summary>Runs <paramref name="writeData"/> for one tensor and checks it wrote exactly <paramref name="expectedBytes"/>.</summary>
    public static void Run(Stream file, string tensorName, long expectedBytes, Action<Stream> writeData)
    {
        using var stream = new TensorDataStream(file, tensorName, expectedBytes);
        writeData(stream);
        if (stream.Written != expectedBytes)
        {
            throw new InvalidOperationException($"tensor {tensorName}: the data callback wrote {stream.Written} bytes, its shape and type need {expectedBytes}");
        }
    }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer)
    {
        if (buffer.Length > expectedBytes - Written)
        {
            throw new InvalidOperationException($"tensor {tensorName}: the data callback wrote more than the {expectedBytes} bytes its shape and type need");
        }

        file.Write(buffer);
        Written += buffer.Length;
    }

    public override void WriteByte(byte value) => Write([value]);

    // The file is flushed once by the writer; flushing per tensor would only slow it down.
    public override void Flush()
    {
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
}
