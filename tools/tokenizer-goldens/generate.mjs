// Writes SharpServe's tokenizer parity corpus and the transformers.js golden ids.
//
//   cd tools/tokenizer-goldens && npm ci --ignore-scripts && node generate.mjs
//
// (--ignore-scripts: only the tokenizer is used, so onnxruntime-node/sharp need not fetch binaries;
// everything runs offline apart from the npm install.) Output is byte-identical on every run.
//
// Lone surrogates: transformers.js (via @huggingface/tokenizers) gets the raw JS string; its NFC
// (String.prototype.normalize) and regex pass a lone surrogate through as one code point, and its
// byte-level step (TextEncoder) turns it into U+FFFD (EF BF BD). For every ill-formed corpus string
// this gives the same ids as encoding s.toWellFormed(), i.e. the U+FFFD substitution SharpServe does.
//
// Outputs (committed) in tests/SharpServe.Engine.Tests/Tokenization/Parity/:
//   corpus.jsonl                 one JSON string per line (lone surrogates kept as \udXXX escapes)
//   goldens.transformersjs.jsonl line 1: metadata object; line k+1: JSON array of ids of corpus line k
//
// The corpus is deterministic (seeded PRNG over the hand-written fragments below). The distill
// tokenizer is assembled here from ../shared (Qwen2.5 vocab/merges/normalizer/pre-tokenizer/decoder of
// qwen3-tokenizer.json, plus the 22 added tokens parsed from DEEPSEEK_R1_DISTILL_NOTES.md), not from
// SharpServe's own writer, so the goldens share no code with the engine.
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PreTrainedTokenizer } from '@huggingface/transformers';

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = join(here, '..', '..');
const sharedTokenizer = join(repoRoot, '..', 'shared', 'models', 'qwen2-tokenizer');
const outDir = join(repoRoot, 'tests', 'SharpServe.Engine.Tests', 'Tokenization', 'Parity');
const packageVersion = (name) => JSON.parse(readFileSync(join(here, 'node_modules', name, 'package.json'), 'utf8')).version;

// ---------------------------------------------------------------- PRNG (mulberry32, fixed seed)
let state = 0x5eed2026;
function next() {
  state = (state + 0x6d2b79f5) >>> 0;
  let t = state;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const int = (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)); // inclusive
const pick = (array) => array[Math.floor(next() * array.length)];

// ---------------------------------------------------------------- fragments
const F = {
  english: [
    'Hello world', 'Hello, world! How are you today?', 'The quick brown fox jumps over the lazy dog.',
    'Machine learning models are trained on large datasets.', 'Please reason step by step, and put your final answer within \\boxed{}.',
    'In 1969, Apollo 11 landed on the Moon.', 'She said, "It\'s not what you think."', 'e.g. i.e. etc. Mr. Mrs. Dr. St.',
    'Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor incididunt ut labore et dolore magna aliqua.',
    'supercalifragilisticexpialidocious', 'pneumonoultramicroscopicsilicovolcanoconiosis', 'CamelCaseIdentifier snake_case_identifier kebab-case-identifier',
    'ALLCAPS lowercase MiXeD', 'https://example.com/path?query=1&other=two#frag', 'user.name+tag@example.co.uk',
    'Café naïve — “quotes” ‘single’ … ellipsis', 'Ünïcödé àccénts çà et là, résumé', 'What is 2+2?', 'The answer is 42.',
    'Let me think about this carefully.', 'Wait, that is not right. Let me re-check.', 'Therefore, x = 7.',
  ],
  chinese: [
    '请用中文介绍一下人工智能的发展历史', '写两首关于秋天的五言绝句', '人工智能（AI）是计算机科学的一个分支，它企图了解智能的实质。',
    '今天天气很好，我们去公园散步吧！', '床前明月光，疑是地上霜。举头望明月，低头思故乡。', '深度学习是机器学习的一个子领域。',
    '北京是中华人民共和国的首都。', '“你好”，他说。', '一二三四五六七八九十百千万亿', '中中中中中中中中中中中中', '混合English和中文text在一起123',
    '繁體中文：臺灣的資訊科技產業', '数学：设 x² + y² = 1，求 x + y 的最大值。',
  ],
  japanese: [
    '日本語のテキストです。ひらがなとカタカナと漢字。', '東京は日本の首都です', 'こんにちは、世界！', 'ｶﾀｶﾅ半角 ﾃｽﾄ', 'ありがとうございます。',
    '吾輩は猫である。名前はまだ無い。', 'コンピューターサイエンス', '〜ですね？「はい」『そうです』',
  ],
  korean: [
    '한국어 문장입니다. 안녕하세요!', '서울특별시는 대한민국의 수도이다.', '인공지능의 역사에 대해 설명해 주세요.', '감사합니다', '\u1100\u1161\u11A8 decomposed hangul',
    '한글 자모: ㄱㄴㄷㄹㅁㅂㅅ ㅏㅑㅓㅕ',
  ],
  arabic: [
    'مرحبا بالعالم، كيف حالك؟', 'السلام عليكم ١٢٣٤٥', 'اللغة العربية جميلة جداً.', 'الذكاء الاصطناعي', 'كِتَابٌ مُشَكَّلٌ',
    'فارسی: سلام دنیا ۱۲۳', 'עברית: שלום עולם',
  ],
  other: [
    'Привет, мир! Как дела?', 'Ελληνικά γράμματα: αβγδε', 'हिन्दी में एक वाक्य।', 'ภาษาไทย สวัสดีครับ', 'Tiếng Việt có dấu: Xin chào thế giới',
    'e\u0301 vs é and n\u0303 vs ñ', 'A\u030A ring', 'Ω ohm sign Ω and Å angstrom sign', 'ﬁ ligature ﬀ and ｆｕｌｌｗｉｄｔｈ ＡＢＣ １２３',
    '½ ¼ ² ³ ⅓ Ⅻ ⅻ', 'math: ∑ ∫ √ ∞ ≠ ≤ ≥ ± × ÷', 'currency: € £ ¥ ₹ ₿ ¢', '𝐁𝐨𝐥𝐝 𝑖𝑡𝑎𝑙𝑖𝑐 𝔉𝔯𝔞𝔨𝔱𝔲𝔯 𝟙𝟚𝟛',
    '𠀀𠀁𪚥 CJK extension B', '\u200b zero width \u200d joiner \ufeff bom', 'control \u0001\u0002\u0007 chars \u007f',
    '\u0085 next line \u2028 line sep \u2029 para sep', 'tab\tand\u000bvertical\u000cform feed', '\u0000nul',
    '!!!???...,,,;;;:::', '----====____****', '(((nested)))[[[brackets]]]{{{braces}}}', '\u00a0nbsp\u3000ideographic\u2003em space',
  ],
  emoji: [
    '👋🏽 hi', '👨‍👩‍👧‍👦 family', '👩🏿‍💻 coder', '🏳️‍🌈 flag', '🇯🇵🇺🇸🇩🇪', '😀😃😄😁😆😅😂🤣', '❤️ ✨ ☀️ ⭐ ✅ ❌', '👍🏻👍🏼👍🏽👍🏾👍🏿',
    '🧑‍🤝‍🧑', '👁️‍🗨️', '🏴󠁧󠁢󠁳󠁣󠁴󠁿 Scotland', '🤷‍♀️🤦🏼‍♂️', '1️⃣2️⃣#️⃣', '🐱‍👤', '🫠🫶🏾', '❤️‍🔥',
  ],
  code: [
    'def fibonacci(n):\n    if n < 2:\n        return n\n    return fibonacci(n - 1) + fibonacci(n - 2)\n',
    'for (int i = 0; i < 10; i++) { sum += a[i] * b[i]; }',
    '#include <stdio.h>\r\nint main(void) {\r\n\tprintf("hi\\n");\r\n\treturn 0;\r\n}\r\n',
    "const x = {a: 1, b: [2, 3], c: 'str'}; // comment", 'SELECT id, name FROM users WHERE age >= 18 ORDER BY name;',
    '<html><body><p class="x">Text &amp; more</p></body></html>',
    'fn main() {\n    let v: Vec<u32> = (0..10).map(|x| x * x).collect();\n    println!("{:?}", v);\n}\n',
    'package main\n\nimport "fmt"\n\nfunc main() {\n\tfmt.Println("hello")\n}\n',
    'public sealed class Foo : IDisposable\n{\n    private readonly int _x;\n    public void Dispose() => GC.SuppressFinalize(this);\n}\n',
    '#!/bin/bash\nset -euo pipefail\nfor f in *.txt; do echo "$f"; done\n', '{"key": "value", "n": [1, 2.5e-3, null, true]}',
    '\\frac{a}{b} + \\sqrt{x^2 + y^2} = \\int_0^1 f(x)\\,dx', '$$E = mc^2$$', 'x=1;y=2;z=x+y', 'a.b.c.d', 'arr[i]->next->val != NULL',
    '    indented four\n        indented eight\n\t\ttabbed\n', 'if (a && b || !c) { return; }', 'lambda x: x ** 2  # square',
    '/* block */ // line', '<?php echo $var; ?>', 'SELECT * FROM t WHERE name LIKE \'%abc%\';',
  ],
  digits: [
    '1234567890', '3.14159265358979323846264338327950288419716939937510', '12345678901234567890123456789012345678901234567890',
    'The year 2024 had 366 days; 1,000,000 people; $12.50; 50% off; #1', '0x7FFFFFFF 0b1010 1e-9 6.02e23', '١٢٣٤٥٦٧٨٩٠ ०१२३४५ ๑๒๓',
    '2026-11-25T14:46:23Z', '+1 (555) 123-4567', '１２３４５６７８９０',
  ],
  whitespace: [
    ' ', '  ', '   ', '          ', '\t', '\t\t\t\t', '\n', '\n\n', '\n\n\n\n', '\r\n', '\r\n\r\n\r\n', '\r', ' \n', ' \t \n \r\n ', '\n \n',
    '  \t\n', 'a \n b \t c \r\n d', 'line one\nline two\n\nline four\n', '\n leading newline', 'trailing newline\n', 'tabs\tbetween\twords',
  ],
  contractions: [
    "DON'T SHOUT, I'M LISTENING. YOU'RE RIGHT, WE'LL SEE, THEY'VE GONE, HE'D GO, IT'S", "don't i'm you're we'll they've he'd it's",
    "Don'T I'm You'Re we'LL", "'s 't 're 've 'm 'll 'd", "'S 'T 'RE 'VE 'M 'LL 'D", "rock'n'roll o'clock 'quoted' \"double\"",
    "x's y'S z'Ll", "I'm, you're, it's; DON'T!", "CAN'T WON'T SHOULDN'T", "'", "''", "' s", "'ll've", "it'sn't", "İ'M ΣΊ'S",
  ],
  added: [
    '<think>', '</think>', '<｜User｜>', '<｜Assistant｜>', '<｜begin▁of▁sentence｜>', '<｜end▁of▁sentence｜>', '<|EOT|>', '<tool_call>', '</tool_call>',
    '<|fim_prefix|>', '<|fim_middle|>', '<|fim_suffix|>', '<|fim_pad|>', '<|repo_name|>', '<|file_sep|>', '<|quad_start|>', '<|quad_end|>',
    '<|vision_start|>', '<|vision_end|>', '<|vision_pad|>', '<|image_pad|>', '<|video_pad|>',
    // near misses and tokens of other Qwen tokenizers (not added tokens here)
    '<thinking>', '<think', 'think>', '<｜User', '<｜User｜', '<|im_start|>', '<|im_end|>', '<|endoftext|>', '< think>', '<THINK>', '<|User|>',
  ],
};
const categories = Object.keys(F);
// Lone or misordered surrogates (invalid UTF-16) inserted on purpose.
const badSurrogates = ['\ud800', '\udbff', '\udc00', '\udfff', '\ude00\ud83d', '\ud83d', '\ude00', '\ud83d\ud83d', '\udc00\udc00'];
const spaceChars = [' ', ' ', ' ', '\t', '\n', '\r\n', '\r', '\u00a0', '\u3000', '\u000b', '\u000c'];

function whitespaceRun() {
  let s = '';
  const n = int(1, 12);
  for (let i = 0; i < n; i++) s += pick(spaceChars);
  return s;
}
function digitRun() {
  let s = '';
  const n = pick([1, 2, 3, 4, 5, 7, 10, 16, 33, 64, 100, int(1, 200)]);
  for (let i = 0; i < n; i++) s += String(int(0, 9));
  return s;
}
function randomCase(s) {
  const mode = int(0, 3);
  if (mode === 0) return s.toUpperCase();
  if (mode === 1) return s.toLowerCase();
  if (mode === 2) return [...s].map((c) => (next() < 0.5 ? c.toUpperCase() : c.toLowerCase())).join('');
  return s;
}
// Cut at a random code-unit index: sometimes inside a surrogate pair (on purpose, ~1 in 4 of those).
function cut(s) {
  if (s.length < 4) return s;
  let at = int(1, s.length - 1);
  const inside = at < s.length && s.charCodeAt(at) >= 0xdc00 && s.charCodeAt(at) <= 0xdfff;
  if (inside && next() < 0.75) at--;
  return next() < 0.5 ? s.slice(0, at) : s.slice(at);
}
function fragment(category) {
  const r = next();
  if (r < 0.06) return whitespaceRun();
  if (r < 0.1) return digitRun();
  let f = pick(F[category]);
  if (category === 'contractions' || (category === 'english' && next() < 0.2)) f = randomCase(f);
  if (f.length > 10 && next() < 0.3) f = cut(f);
  return f;
}
const separators = ['', '', ' ', ' ', '\n', '\r\n', '\t', '  ', ', ', '. ', '\n\n'];

// A chat-shaped string in the distill's template, with random content and random whitespace around the tags.
function chatString() {
  const text = () => fragment(pick(categories));
  const ws = () => pick(['', '', '\n', '\n\n', ' ']);
  let s = next() < 0.5 ? '<｜begin▁of▁sentence｜>' : '';
  const turns = int(1, 3);
  for (let i = 0; i < turns; i++) {
    s += `<｜User｜>${text()}${ws()}<｜Assistant｜>`;
    if (next() < 0.7) s += `<think>${ws()}${text()}${ws()}</think>${ws()}`;
    s += text();
    if (next() < 0.6) s += '<｜end▁of▁sentence｜>';
  }
  return s;
}

function randomString() {
  const mode = next();
  const parts = [];
  if (mode < 0.1) return chatString();
  if (mode < 0.5) {
    // one category
    const c = pick(categories);
    const n = int(1, 6);
    for (let i = 0; i < n; i++) parts.push(fragment(c));
  } else {
    // mixed
    const n = int(2, 8);
    for (let i = 0; i < n; i++) parts.push(fragment(pick(categories)));
  }
  let s = '';
  for (const p of parts) s += (s ? pick(separators) : '') + p;
  if (next() < 0.05) {
    const at = int(0, s.length);
    s = s.slice(0, at) + pick(badSurrogates) + s.slice(at);
  }
  return s;
}

function documentOf(size, weights) {
  const chosen = Object.entries(weights);
  const total = chosen.reduce((a, [, w]) => a + w, 0);
  let s = '';
  while (s.length < size) {
    let r = next() * total;
    let c = chosen[0][0];
    for (const [name, w] of chosen) {
      if ((r -= w) < 0) { c = name; break; }
    }
    const para = int(2, 8);
    for (let i = 0; i < para; i++) s += fragment(c) + pick([' ', ' ', '', '\n']);
    s += pick(['\n\n', '\n', '\r\n\r\n', ' ']);
  }
  return s;
}

// ---------------------------------------------------------------- corpus
const corpus = [];
for (const c of categories) corpus.push(...F[c]); // every fragment on its own
corpus.push(...badSurrogates, ...badSurrogates.map((b) => `a${b}b`), ...badSurrogates.map((b) => ` ${b} 中`));
while (corpus.length < 2400) corpus.push(randomString());
corpus.push(documentOf(100_000, { english: 5, code: 4, whitespace: 1, digits: 1, contractions: 1 }));
corpus.push(documentOf(60_000, { chinese: 5, japanese: 3, korean: 2, arabic: 1, other: 1 })); // ~100 KB of UTF-8+
corpus.push(documentOf(100_000, Object.fromEntries(categories.map((c) => [c, 1]))));

mkdirSync(outDir, { recursive: true });
const corpusLines = corpus.map((s) => JSON.stringify(s)); // well-formed JSON.stringify escapes lone surrogates
writeFileSync(join(outDir, 'corpus.jsonl'), corpusLines.join('\n') + '\n');

// ---------------------------------------------------------------- distill tokenizer (independent of SharpServe's writer)
const qwen = JSON.parse(readFileSync(join(sharedTokenizer, 'qwen3-tokenizer.json'), 'utf8'));
const notes = readFileSync(join(sharedTokenizer, 'DEEPSEEK_R1_DISTILL_NOTES.md'), 'utf8');
const addedTokens = [...notes.matchAll(/^\| (1516\d\d) \| `([^`]+)` \| (true|false) \|$/gm)].map((m) => ({
  id: Number(m[1]), content: m[2], single_word: false, lstrip: false, rstrip: false, normalized: false, special: m[3] === 'true',
}));
if (addedTokens.length !== 22 || addedTokens[0].id !== 151643 || addedTokens[21].id !== 151664) throw new Error('added-token table not parsed');
const bos = '<｜begin▁of▁sentence｜>';
const distill = {
  ...qwen,
  added_tokens: addedTokens,
  post_processor: {
    type: 'TemplateProcessing',
    single: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
    pair: [{ SpecialToken: { id: bos, type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: bos, type_id: 1 } }, { Sequence: { id: 'B', type_id: 1 } }],
    special_tokens: { [bos]: { id: bos, ids: [151646], tokens: [bos] } },
  },
};
const config = { add_bos_token: true, add_eos_token: false, bos_token: bos, eos_token: '<｜end▁of▁sentence｜>', tokenizer_class: 'LlamaTokenizerFast', clean_up_tokenization_spaces: false };
const tokenizer = new PreTrainedTokenizer(distill, config);

const check = tokenizer.encode('Hi', { add_special_tokens: true });
if (check[0] !== 151646) throw new Error(`BOS not prepended: ${check}`);

const goldenLines = corpus.map((s) => JSON.stringify(tokenizer.encode(s, { add_special_tokens: false })));
const meta = {
  oracle: '@huggingface/transformers',
  version: packageVersion('@huggingface/transformers'),
  tokenizers: packageVersion('@huggingface/tokenizers'),
  node: process.version,
  lines: corpus.length,
  corpus_sha256: createHash('sha256').update(corpusLines.join('\n'), 'utf8').digest('hex'),
};
writeFileSync(join(outDir, 'goldens.transformersjs.jsonl'), [JSON.stringify(meta), ...goldenLines].join('\n') + '\n');
console.log(JSON.stringify(meta));
