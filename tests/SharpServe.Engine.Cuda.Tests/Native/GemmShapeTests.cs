using SharpServe.Engine.Cuda.Native;
using SharpServe.Engine.Cuda.Tests.Kernels;

namespace SharpServe.Engine.Cuda.Tests.Native;

/// <summary>
/// The mapping of the backend's row-major matmul onto cuBLAS's column-major GEMM, checked by running a GEMM written from
/// the BLAS definition on the row-major arrays as they lie in memory, with the mapping's parameters.
/// </summary>
public sealed class GemmShapeTests
{
    public static TheoryData<int, int, int> Shapes => new()
    {
        { 7, 32, 5 },   // rows (out), columns (in), tokens
        { 64, 32, 17 },
        { 7, 96, 64 },
        { 64, 96, 5 },
        { 1, 1, 1 },
    };

    [Theory]
    [MemberData(nameof(Shapes))]
    public void ColumnMajorGemmWithTheMapping_IsTheRowMajorMatMul(int rows, int columns, int tokens)
    {
        var w = TestData.Floats(rows * columns, 31);  // [rows, columns]
        var x = TestData.Floats(tokens * columns, 32); // [tokens, columns]
        var expected = new float[tokens * rows];     // [tokens, rows]
        for (int t = 0; t < tokens; t++)
        {
            for (int r = 0; r < rows; r++)
            {
                float sum = 0;
                for (int i = 0; i < columns; i++)
                {
                    sum += w[(r * columns) + i] * x[(t * columns) + i];
                }

                expected[(t * rows) + r] = sum;
            }
        }

        var shape = GemmShape.For(rows, columns, tokens);
        var y = new float[tokens * rows];
        BlasGemm(shape.TransA, shape.TransB, shape.M, shape.N, shape.K, w, shape.Lda, x, shape.Ldb, y, shape.Ldc);

        TestData.BitwiseEqual(expected, y);
    }

    /// <summary>
    /// C = op(A) · op(B), column-major, as BLAS defines it: op(A) is m × k, op(B) k × n, C m × n; element (i, j) of a
    /// matrix with leading dimension ld is at i + j · ld. The leading dimensions are checked as cuBLAS checks them.
    /// </summary>
    private static void BlasGemm(CublasOperation transa, CublasOperation transb, int m, int n, int k, float[] a, int lda, float[] b, int ldb, float[] c, int ldc)
    {
        Assert.True(lda >= Math.Max(1, transa == CublasOperation.None ? m : k), $"lda {lda}");
        Assert.True(ldb >= Math.Max(1, transb == CublasOperation.None ? k : n), $"ldb {ldb}");
        Assert.True(ldc >= Math.Max(1, m), $"ldc {ldc}");
        for (int j = 0; j < n; j++)
        {
            for (int i = 0; i < m; i++)
            {
                float sum = 0;
                for (int p = 0; p < k; p++)
                {
                    float opA = transa == CublasOperation.None ? a[i + (p * lda)] : a[p + (i * lda)];
                    float opB = transb == CublasOperation.None ? b[p + (j * ldb)] : b[j + (p * ldb)];
                    sum += opA * opB;
                }

                c[i + (j * ldc)] = sum;
            }
        }
    }
}
