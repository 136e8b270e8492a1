// Talks to an OpenAI-compatible server with the official `openai` npm package, the way a Node app would,
// and prints what it got as one JSON object for NodeClientTests.cs to check.
// Usage: node client.mjs BASE_URL API_KEY MODEL
import OpenAI from 'openai';

const [baseURL, apiKey, model] = process.argv.slice(2);
const client = new OpenAI({ baseURL, apiKey, maxRetries: 0, timeout: 60_000 });
const messages = [
  { role: 'system', content: '你是一个历史学家' },
  { role: 'user', content: '请简要介绍一下唐朝的历史' },
];
const greedy = { model, temperature: 0, max_tokens: 8 };

const chat = await client.chat.completions.create({ ...greedy, messages });

let streamedChat = '';
let streamedChatUsage = null;
let chatChunks = 0;
const chatStream = await client.chat.completions.create({ ...greedy, messages, stream: true, stream_options: { include_usage: true } });
for await (const chunk of chatStream) {
  if (chunk.choices.length > 0 && chunk.choices[0].delta.content) {
    streamedChat += chunk.choices[0].delta.content;
    chatChunks++;
  }
  streamedChatUsage = chunk.usage ?? streamedChatUsage;
}

const prompt = 'The capital of France is';
const completion = await client.completions.create({ ...greedy, prompt });

let streamedCompletion = '';
const completionStream = await client.completions.create({ ...greedy, prompt, stream: true });
for await (const chunk of completionStream) {
  streamedCompletion += chunk.choices.map((c) => c.text).join('');
}

console.log(JSON.stringify({
  chat: { content: chat.choices[0].message.content, finish_reason: chat.choices[0].finish_reason, usage: chat.usage },
  streamed_chat: { content: streamedChat, chunks: chatChunks, usage: streamedChatUsage },
  completion: { text: completion.choices[0].text, usage: completion.usage },
  streamed_completion: { text: streamedCompletion },
}));
