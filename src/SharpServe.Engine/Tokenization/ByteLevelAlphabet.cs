namespace SharpServe.Engine.Tokenization;

/// <summary>
/// GPT-2's <c>bytes_to_unicode</c>: every byte gets a printable character so that byte-level BPE
/// tokens can be stored as text ("Ġ" is the space byte). Printable Latin-1 bytes map to themselves,
/// the other 68 bytes to U+0100.. in byte order.
/// </summary>
internal static class ByteLevelAlphabet
{
    private const int MaxMappedChar = 0x100 + 68;

    private static readonly char[] ByteToCharTable = BuildByteToChar();
    private static readonly short[] CharToByteTable = BuildCharToByte();

    public static char ToChar(byte value) => ByteToCharTable[value];

    /// <summary>False for characters that are not the image of any byte.</summary>
    public static bool TryGetByte(char c, out byte value)
    {
        if (c < MaxMappedChar && CharToByteTable[c] >= 0)
        {
            value = (byte)CharToByteTable[c];
            return true;
        }

        value = 0;
        return false;
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= '¡' and <= '¬' or >= '®' and <= 'ÿ';

    private static char[] BuildByteToChar()
    {
        var table = new char[256];
        int next = 0x100;
        for (int b = 0; b < 256; b++)
        {
            table[b] = IsPrintable(b) ? (char)b : (char)next++;
        }

        return table;
    }

    private static short[] BuildCharToByte()
    {
        var table = new short[MaxMappedChar];
        Array.Fill(table, (short)-1);
        for (int b = 0; b < 256; b++)
        {
            table[ByteToCharTable[b]] = (short)b;
        }

        return table;
    }
}
