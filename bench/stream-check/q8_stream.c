// How fast can a loop with the Q8_0 decode GEMV's instructions stream weights from DRAM on this machine,
// next to a plain read probe in the same minute? Independent of the engine: plain C and intrinsics.
//
//   gcc -O2 -march=native -pthread bench/stream-check/q8_stream.c -o /tmp/q8_stream
//   /tmp/q8_stream THREADS MODE [PREFETCH_BYTES]
//
// MODE 0: the read probe — 512-bit aligned loads summed, four accumulators (what `bench engine` calls the limit).
// MODE 1: Q8_0 rows of 48 blocks (34 bytes: fp16 scale + 32 int8), as Kernels/MatMul/Q8Tiles.cs does for one token:
//         per block a 256-bit load, xor 0x80, vpdpbusd against constant activations, convert, one fma into the row's
//         single accumulator, and a prefetch PREFETCH_BYTES ahead (default 8192).
// MODE 2: MODE 1 without the software prefetch.
// Prints the best of 7 passes over 1 GiB (2 MiB pages), split into one contiguous range per thread.
#define _GNU_SOURCE
#include <immintrin.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

enum { BlockBytes = 34, RowBlocks = 48 };
static const size_t Bytes = 1UL << 30;
static uint8_t *buffer;
static int mode, prefetchBytes = 8192;

typedef struct { int index, count; volatile float result; } Part;

static double Seconds(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

static float Probe(const uint8_t *p, size_t n)
{
    __m512i a0 = _mm512_setzero_si512(), a1 = a0, a2 = a0, a3 = a0;
    for (size_t i = 0; i + 256 <= n; i += 256)
    {
        a0 = _mm512_add_epi64(a0, _mm512_load_si512(p + i));
        a1 = _mm512_add_epi64(a1, _mm512_load_si512(p + i + 64));
        a2 = _mm512_add_epi64(a2, _mm512_load_si512(p + i + 128));
        a3 = _mm512_add_epi64(a3, _mm512_load_si512(p + i + 192));
    }
    return (float)_mm512_reduce_add_epi64(_mm512_add_epi64(_mm512_add_epi64(a0, a1), _mm512_add_epi64(a2, a3)));
}

static float Q8Rows(const uint8_t *p, size_t n, int prefetch)
{
    const __m256i x = _mm256_set1_epi8(3), flip = _mm256_set1_epi8((char)0x80), correction = _mm256_set1_epi32(-384);
    float total = 0;
    for (size_t row = 0; (row + 1) * RowBlocks * BlockBytes <= n; row++)
    {
        const uint8_t *w = p + row * RowBlocks * BlockBytes;
        __m256 acc = _mm256_setzero_ps();
        for (int b = 0; b < RowBlocks; b++, w += BlockBytes)
        {
            if (prefetch)
            {
                _mm_prefetch((const char *)w + prefetchBytes, _MM_HINT_T0);
            }
            __m256 scale = _mm256_set1_ps(_cvtsh_ss(*(const uint16_t *)w));
            __m256i u = _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(w + 2)), flip);
            acc = _mm256_fmadd_ps(scale, _mm256_cvtepi32_ps(_mm256_dpbusd_avx_epi32(correction, u, x)), acc);
        }
        total += _mm256_cvtss_f32(acc);
    }
    return total;
}

static void *Run(void *argument)
{
    Part *part = argument;
    size_t share = Bytes / part->count;
    const uint8_t *start = buffer + part->index * share;
    part->result = mode == 0 ? Probe(start, share) : Q8Rows(start, share, mode == 1);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3 || atoi(argv[1]) < 1 || atoi(argv[1]) > 64 || atoi(argv[2]) < 0 || atoi(argv[2]) > 2)
    {
        fprintf(stderr, "usage: %s THREADS(1-64) MODE(0 probe, 1 q8_0 rows, 2 q8_0 rows without prefetch) [PREFETCH_BYTES]\n", argv[0]);
        return 2;
    }
    int threads = atoi(argv[1]);
    mode = atoi(argv[2]);
    if (argc > 3)
    {
        prefetchBytes = atoi(argv[3]);
    }

    const size_t huge = 2UL << 20;
    uint8_t *mapped = mmap(NULL, Bytes + huge, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (mapped == MAP_FAILED)
    {
        perror("mmap");
        return 1;
    }
    buffer = (uint8_t *)(((uintptr_t)mapped + huge - 1) & ~(uintptr_t)(huge - 1));
    madvise(buffer, Bytes, MADV_HUGEPAGE);
    memset(buffer, 1, Bytes);

    double best = 0;
    for (int pass = 0; pass < 7; pass++)
    {
        pthread_t thread[64];
        Part parts[64];
        double start = Seconds();
        for (int t = 0; t < threads; t++)
        {
            parts[t] = (Part){ .index = t, .count = threads };
            pthread_create(&thread[t], NULL, Run, &parts[t]);
        }
        for (int t = 0; t < threads; t++)
        {
            pthread_join(thread[t], NULL);
        }
        double gbps = Bytes / (Seconds() - start) / 1e9;
        best = gbps > best ? gbps : best;
    }
    printf("threads %d, mode %d%s: best of 7 passes %.1f GB/s\n", threads, mode, mode == 1 ? " (prefetch on)" : "", best);
    return 0;
}
