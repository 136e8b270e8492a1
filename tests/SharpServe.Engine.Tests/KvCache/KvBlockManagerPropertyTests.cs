using SharpServe.Engine.KvCache;

namespace SharpServe.Engine.Tests.KvCache;

/// <summary>
/// Random allocate / grow / free runs against a model of what each cache slot holds: a slot's content
/// is identified by the whole token prefix up to and including its position, so a hit on the wrong
/// block, a write into a shared block, or a leaked block all show up.
/// </summary>
public sealed class KvBlockManagerPropertyTests
{
    private const int Blocks = 24;
    private const int BlockSize = 4;

    [Theory]
    [InlineData(1, true)]
    [InlineData(2, true)]
    [InlineData(3, false)]
    public void RandomRuns_NeverLeakOrServeWrongKv(int seed, bool prefixCaching)
    {
        var random = new Random(seed);
        var manager = new KvBlockManager(Blocks, BlockSize, prefixCaching);
        var slotContent = new long?[Blocks * BlockSize];        // [slot] prefix id of the K/V written there
        var live = new Dictionary<int, List<int>>();             // sequence → tokens whose K/V are written
        // Few shared prompt stems over a tiny vocabulary, so hits (and collisions of block contents at different prefixes) are common.
        int[][] stems = [.. Enumerable.Range(0, 3).Select(_ => RandomTokens(random, 10))];
        int nextId = 0;

        for (int op = 0; op < 400; op++)
        {
            int choice = random.Next(3);
            if (choice == 0 || live.Count == 0)
            {
                int[] prompt = [.. stems[random.Next(stems.Length)].Take(random.Next(1, 11)), .. RandomTokens(random, random.Next(0, 6))];
                if (prompt.Length == 0)
                {
                    continue;
                }

                int id = nextId++;
                BlockAllocation allocation = manager.Allocate(id, prompt);
                if (!allocation.Succeeded)
                {
                    Assert.False(manager.CanAllocate(prompt.Length));
                    continue;
                }

                Assert.True(allocation.CachedTokens < prompt.Length);
                Assert.Equal(0, allocation.CachedTokens % BlockSize);
                for (int p = 0; p < allocation.CachedTokens; p++)
                {
                    Assert.Equal(PrefixId(prompt, p), slotContent[Slot(manager, id, p)]);
                }

                live[id] = [.. prompt[..allocation.CachedTokens]];
                Write(manager, live, slotContent, id, prompt.AsSpan(allocation.CachedTokens));
            }
            else if (choice == 1)
            {
                int id = live.Keys.ElementAt(random.Next(live.Count));
                if (manager.TryReserve(id, live[id].Count + 1))
                {
                    Write(manager, live, slotContent, id, [random.Next(4)]);
                }
            }
            else
            {
                int id = live.Keys.ElementAt(random.Next(live.Count));
                manager.Free(id);
                live.Remove(id);
            }

            int used = live.Keys.SelectMany(id => Table(manager, id)).Distinct().Count();
            Assert.Equal(Blocks, manager.FreeBlockCount + used);
            Assert.InRange(manager.EvictableBlockCount, 0, manager.FreeBlockCount);
            Assert.All(live, pair => Assert.Equal((pair.Value.Count + BlockSize - 1) / BlockSize, Table(manager, pair.Key).Length));
        }

        Assert.Equal(prefixCaching, manager.PrefixHits > 0);
        foreach (int id in live.Keys)
        {
            manager.Free(id);
        }

        Assert.Equal(Blocks, manager.FreeBlockCount);
        Assert.Equal(0.0, manager.UsagePercent);
    }

    /// <summary>Commits <paramref name="tokens"/> as the runner would after writing their K/V, checking no other live sequence shares the written blocks.</summary>
    private static void Write(KvBlockManager manager, Dictionary<int, List<int>> live, long?[] slotContent, int id, ReadOnlySpan<int> tokens)
    {
        List<int> written = live[id];
        foreach (int token in tokens)
        {
            written.Add(token);
            int position = written.Count - 1;
            int block = Table(manager, id)[position / BlockSize];
            Assert.DoesNotContain(live.Keys, other => other != id && Table(manager, other).Contains(block));
            slotContent[Slot(manager, id, position)] = PrefixId(written, position);
        }

        manager.CommitTokens(id, tokens);
    }

    private static int[] RandomTokens(Random random, int count) => [.. Enumerable.Range(0, count).Select(_ => random.Next(4))];

    private static int[] Table(KvBlockManager manager, int id) => manager.GetBlockTable(id).Blocks[..manager.GetBlockTable(id).Count];

    private static int Slot(KvBlockManager manager, int id, int position) => Table(manager, id)[position / BlockSize] * BlockSize + position % BlockSize;

    /// <summary>Identifies tokens[0..position] (a K/V vector depends on its whole prefix): a wrapping polynomial hash, collision-free in practice at this scale.</summary>
    private static long PrefixId(IReadOnlyList<int> tokens, int position)
    {
        long id = 1;
        for (int i = 0; i <= position; i++)
        {
            id = id * 5 + tokens[i] + 1;
        }

        return id;
    }
}
