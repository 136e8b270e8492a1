using SharpServe.Engine.Sampling;

namespace SharpServe.Engine.Tests.Sampling;

public sealed class SelectKthTests
{
    [Fact]
    public void AgreesWithAFullSort_IncludingTiesAndInfinities()
    {
        var random = new Random(3);
        for (int trial = 0; trial < 300; trial++)
        {
            int n = random.Next(1, 60);
            float[] values = [.. Enumerable.Range(0, n).Select(_ => random.Next(4) == 0 ? float.NegativeInfinity : random.Next(-5, 6))];
            int k = random.Next(1, n + 1);
            float expected = values.OrderDescending().ElementAt(k - 1);
            Assert.Equal(expected, SelectKth.Largest([.. values], k));
        }
    }
}
