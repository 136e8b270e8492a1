namespace SharpServe.Engine.Cuda.Native;

/// <summary>
/// The column-major GEMM C = op(A) · op(B) (op(A): m × k, op(B): k × n, C: m × n; lda, ldb, ldc the leading dimensions)
/// that computes the backend's row-major matmul y[tokens, rows] = x[tokens, columns] · W[rows, columns]ᵀ in place, with
/// A = W, B = x, C = y. Row-major data read column-major is its transpose: W is a columns × rows matrix (ld columns), x a
/// columns × tokens one (ld columns), y a rows × tokens one (ld rows). So yᵀ = W · xᵀ is Aᵀ · B: op(A) = transpose,
/// op(B) = none, m = rows, n = tokens, k = columns.
/// </summary>
internal readonly record struct GemmShape(CublasOperation TransA, CublasOperation TransB, int M, int N, int K, int Lda, int Ldb, int Ldc)
{
    public static GemmShape For(int rows, int columns, int tokens) =>
        new(CublasOperation.Transpose, CublasOperation.None, M: rows, N: tokens, K: columns, Lda: columns, Ldb: columns, Ldc: rows);
}
