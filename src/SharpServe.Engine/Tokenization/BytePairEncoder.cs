using System.Collections.Concurrent;
using System.Text;

namespace SharpServe.Engine.Tokenization;

/// <summary>
/// Byte-level BPE for one pre-tokenized piece: UTF-8 bytes become single-byte tokens, then the
/// adjacent pair with the lowest merge rank is merged (leftmost first on ties) until none is left,
/// as Hugging Face's BPE model does. Thread-safe; results are cached per piece.
/// </summary>
internal sealed class BytePairEncoder
{
    // HF caches 10k words; pieces repeat heavily in prompts, and the bound keeps a server's memory flat.
    private const int CacheCapacity = 65_536;
    private const int MaxCachedPieceLength = 128;

    private readonly int[] _byteTokenIds = new int[256];
    private readonly Dictionary<long, (int Rank, int MergedId)> _merges;
    private readonly ConcurrentDictionary<string, int[]> _cache = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, int[]>.AlternateLookup<ReadOnlySpan<char>> _cacheBySpan;
    private int _cacheCount;

    /// <param name="vocab">Regular token text (byte-level alphabet) → id.</param>
    /// <param name="merges">Merges in rank order, each "left right".</param>
    public BytePairEncoder(IReadOnlyDictionary<string, int> vocab, IReadOnlyList<string> merges)
    {
        _cacheBySpan = _cache.GetAlternateLookup<ReadOnlySpan<char>>();
        for (int b = 0; b < 256; b++)
        {
            string text = ByteLevelAlphabet.ToChar((byte)b).ToString();
            _byteTokenIds[b] = vocab.TryGetValue(text, out int id)
                ? id
                : throw new ArgumentException($"the vocabulary has no token for byte 0x{b:X2} ('{text}'); not a byte-level BPE vocabulary", nameof(vocab));
        }

        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (int rank = 0; rank < merges.Count; rank++)
        {
            string merge = merges[rank];
            int space = merge.IndexOf(' ', StringComparison.Ordinal);
            if (space <= 0
                || !vocab.TryGetValue(merge[..space], out int left)
                || !vocab.TryGetValue(merge[(space + 1)..], out int right)
                || !vocab.TryGetValue(string.Concat(merge.AsSpan(0, space), merge.AsSpan(space + 1)), out int merged))
            {
                throw new ArgumentException($"merge {rank} \"{merge}\" is not two vocabulary tokens forming a third", nameof(merges));
            }

            // A later duplicate of a pair never fires in HF either: the lowest rank wins.
            _merges.TryAdd(PairKey(left, right), (rank, merged));
        }
    }

    /// <summary>Appends the token ids of one pre-tokenized piece to <paramref name="output"/>.</summary>
    public void Encode(ReadOnlySpan<char> piece, List<int> output)
    {
        if (_cacheBySpan.TryGetValue(piece, out int[]? cached))
        {
            output.AddRange(cached);
            return;
        }

        int[] ids = Merge(piece);
        if (piece.Length <= MaxCachedPieceLength && Volatile.Read(ref _cacheCount) < CacheCapacity && _cacheBySpan.TryAdd(piece, ids))
        {
            Interlocked.Increment(ref _cacheCount);
        }

        output.AddRange(ids);
    }

    private static long PairKey(int left, int right) => ((long)left << 32) | (uint)right;

    private int[] Merge(ReadOnlySpan<char> piece)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(piece)];
        int count = Encoding.UTF8.GetBytes(piece, bytes);
        if (count == 0)
        {
            return [];
        }

        // Symbols form a linked list over the byte positions; a merged-away symbol has id -1.
        var ids = new int[count];
        var next = new int[count];
        var previous = new int[count];
        for (int i = 0; i < count; i++)
        {
            ids[i] = _byteTokenIds[bytes[i]];
            next[i] = i + 1 < count ? i + 1 : -1;
            previous[i] = i - 1;
        }

        // Priority = rank, then position: the lowest-ranked pair merges first, leftmost on ties.
        var queue = new PriorityQueue<int, long>();
        for (int i = 0; i + 1 < count; i++)
        {
            Enqueue(queue, ids, i, i + 1);
        }

        while (queue.TryDequeue(out int left, out long priority))
        {
            int right = next[left];

            // Stale entries: a side was merged away or the pair changed (ranks identify pairs).
            if (ids[left] < 0 || right < 0
                || !_merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge)
                || merge.Rank != (int)(priority >> 32))
            {
                continue;
            }

            ids[left] = merge.MergedId;
            ids[right] = -1;
            next[left] = next[right];
            if (next[right] >= 0)
            {
                previous[next[right]] = left;
            }

            if (previous[left] >= 0)
            {
                Enqueue(queue, ids, previous[left], left);
            }

            if (next[left] >= 0)
            {
                Enqueue(queue, ids, left, next[left]);
            }
        }

        var result = new List<int>(count);
        for (int i = 0; i >= 0; i = next[i])
        {
            result.Add(ids[i]);
        }

        return [.. result];
    }

    private void Enqueue(PriorityQueue<int, long> queue, int[] ids, int left, int right)
    {
        if (_merges.TryGetValue(PairKey(ids[left], ids[right]), out var merge))
        {
            queue.Enqueue(left, ((long)merge.Rank << 32) | (uint)left);
        }
    }
}
