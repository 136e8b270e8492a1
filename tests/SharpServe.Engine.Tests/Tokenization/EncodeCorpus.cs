using System.Text;

namespace SharpServe.Engine.Tests.Tokenization;

/// <summary>Varied text for comparing encoders: hand-picked cases plus seeded random mixes of them.</summary>
internal static class EncodeCorpus
{
    public static IReadOnlyList<string> HandPicked { get; } =
    [
        "Hello world",
        "Hello, world! How are you today?",
        "The quick brown fox jumps over the lazy dog.",
        "  leading spaces and trailing spaces   ",
        "DON'T SHOUT, I'M LISTENING. YOU'RE RIGHT, WE'LL SEE, THEY'VE GONE, HE'D GO, IT'S",
        "don't i'm you're we'll they've he'd it's",
        "Don'T I'm You'Re we'LL",
        "'s 't 're 've 'm 'll 'd",
        "rock'n'roll o'clock 'quoted' \"double\"",
        "请用中文介绍一下人工智能的发展历史",
        "写两首关于秋天的五言绝句",
        "人工智能（AI）是计算机科学的一个分支，它企图了解智能的实质。",
        "今天天气很好，我们去公园散步吧！",
        "日本語のテキストです。ひらがなとカタカナと漢字。",
        "東京は日本の首都です",
        "한국어 문장입니다. 안녕하세요!",
        "서울특별시는 대한민국의 수도이다.",
        "مرحبا بالعالم، كيف حالك؟",
        "السلام عليكم ١٢٣٤٥",
        "Привет, мир! Как дела?",
        "Ελληνικά γράμματα: αβγδε",
        "עברית: שלום עולם",
        "हिन्दी में एक वाक्य।",
        "ภาษาไทย สวัสดีครับ",
        "Tiếng Việt có dấu: Xin chào thế giới",
        "Ünïcödé àccénts çà et là, naïve café résumé",
        "👋🏽 hi 👨‍👩‍👧‍👦 family 👩🏿‍💻 coder 🏳️‍🌈 flag 🇯🇵🇺🇸",
        "😀😃😄😁😆😅😂🤣",
        "❤️ ✨ ☀️ ⭐ ✅ ❌",
        "def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n",
        "for (int i = 0; i < 10; i++) { sum += a[i] * b[i]; }",
        "#include <stdio.h>\r\nint main(void) {\r\n\tprintf(\"hi\\n\");\r\n\treturn 0;\r\n}\r\n",
        "const x = {a: 1, b: [2, 3], c: 'str'}; // comment",
        "SELECT id, name FROM users WHERE age >= 18 ORDER BY name;",
        "<html><body><p class=\"x\">Text &amp; more</p></body></html>",
        "https://example.com/path?query=1&other=two#frag",
        "user.name+tag@example.co.uk",
        "1234567890",
        "3.14159265358979323846264338327950288419716939937510",
        "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
        "The year 2024 had 366 days; 1,000,000 people; $12.50; 50% off; #1",
        "          ",
        "\t\t\t\t",
        "\n\n\n\n",
        "\r\n\r\n\r\n",
        "a \n b \t c \r\n d",
        "line one\nline two\n\nline four\n",
        "trailing newline\n",
        "\n leading newline",
        "tabs\tbetween\twords",
        "mixed \t \n \r\n whitespace \u00a0 nbsp \u3000 ideographic",
        "!!!???...,,,;;;:::",
        "----====____****",
        "(((nested)))[[[brackets]]]{{{braces}}}",
        "a.b.c.d",
        "x=1;y=2;z=x+y",
        "CamelCaseIdentifier snake_case_identifier kebab-case-identifier",
        "ALLCAPS lowercase MiXeD",
        "e\u0301 vs é and n\u0303 vs ñ",
        "\u1100\u1161\u11A8 decomposed hangul",
        "A\u030A ring",
        "Ω ohm sign Ω and Å angstrom sign",
        "ﬁ ligature ﬀ and ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３",
        "½ ¼ ² ³ ⅓ Ⅻ ⅻ",
        "math: ∑ ∫ √ ∞ ≠ ≤ ≥ ± × ÷",
        "currency: € £ ¥ ₹ ₿ ¢",
        "<think>\nLet me think about this.\n</think>\nThe answer is 42.",
        "<｜User｜>What is 2+2?<｜Assistant｜><think>\n",
        "<｜begin▁of▁sentence｜><｜User｜>Hi<｜Assistant｜>Hello!<｜end▁of▁sentence｜>",
        "text<think>inner</think>text",
        "<thinking> is not <think>",
        "<tool_call>{\"name\": \"f\"}</tool_call>",
        "<|fim_prefix|>def f():<|fim_suffix|>\n<|fim_middle|>",
        "<|EOT|><|quad_start|><|vision_pad|>",
        "<|im_start|>user not a distill token<|im_end|>",
        "<｜User <｜User｜ <｜User｜>",
        "Please reason step by step, and put your final answer within \\boxed{}.",
        "\\frac{a}{b} + \\sqrt{x^2 + y^2} = \\int_0^1 f(x)\\,dx",
        "$$E = mc^2$$",
        "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.",
        "a",
        " ",
        "'",
        "''",
        "' s",
        "x's y'S z'Ll",
        "I'm, you're, it's; DON'T!",
        "\u200b zero width \u200d joiner \ufeff bom",
        "control \u0001\u0002\u0007 chars \u007f",
        "\u0085 next line \u2028 line sep \u2029 para sep",
        "supercalifragilisticexpialidocious",
        "pneumonoultramicroscopicsilicovolcanoconiosis",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "ababababababababababababababababababababababab",
        "中中中中中中中中中中中中中中中中中中中中",
        "..........................................................................",
        "=================================================================",
        "混合English和中文text在一起123",
        "Café naïve — “quotes” ‘single’ … ellipsis",
        "tab\tand\u000bvertical\u000cform feed",
    ];

    /// <summary><see cref="HandPicked"/> plus <paramref name="randomCount"/> strings glued from random fragments.</summary>
    public static IReadOnlyList<string> All(int randomCount)
    {
        var random = new Random(20240611);
        var fragments = HandPicked.Concat(
        [
            " ", "  ", "\n", "\r\n", "\t", "'", "'s", "'LL", "'Re", "1", "22", "333", "!", "?!", "\"", "-", "_", "/",
            "a", "Z", "é", "中", "の", "한", "ع", "Я", "🙂", "👍🏻", "<think>", "</think>", "<｜User｜>",
        ]).ToArray();
        var all = new List<string>(HandPicked);
        for (int i = 0; i < randomCount; i++)
        {
            var text = new StringBuilder();
            int parts = random.Next(2, 8);
            for (int p = 0; p < parts; p++)
            {
                string fragment = fragments[random.Next(fragments.Length)];

                // Cut long fragments at a random point (not inside a surrogate pair) to vary boundaries.
                if (fragment.Length > 12)
                {
                    int cut = random.Next(1, fragment.Length);
                    if (char.IsLowSurrogate(fragment[cut]))
                    {
                        cut--;
                    }

                    fragment = random.Next(2) == 0 ? fragment[..cut] : fragment[cut..];
                }

                text.Append(fragment);
            }

            all.Add(text.ToString());
        }

        return all;
    }
}
