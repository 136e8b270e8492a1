// Renders every fixture chat template over every conversation that names it, with add_generation_prompt
// false and true, using @huggingface/jinja (the JS port HF maintains, configured like transformers:
// trim_blocks and lstrip_blocks on; raise_exception is built in). SharpServe's template tests compare their output to goldens.json.
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Template } from "@huggingface/jinja";

const fixtures = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "tests", "SharpServe.Engine.Tests", "Templates", "Fixtures");

// Special tokens from each template's tokenizer_config.json; Qwen's bos_token is null there, and transformers
// leaves null tokens out of the render variables, so bos_token is undefined for Qwen.
const specialTokens = {
  qwen2_5: { eos_token: "<|im_end|>" },
  qwen3: { eos_token: "<|im_end|>" },
  llama3_1: { bos_token: "<|begin_of_text|>", eos_token: "<|eot_id|>" },
  deepseek_r1_distill: { bos_token: "<｜begin▁of▁sentence｜>", eos_token: "<｜end▁of▁sentence｜>" },
  deepseek_r1_distill_earlier: { bos_token: "<｜begin▁of▁sentence｜>", eos_token: "<｜end▁of▁sentence｜>" },
};

const conversations = JSON.parse(readFileSync(join(fixtures, "conversations.json"), "utf8"));
const goldens = [];
for (const [name, tokens] of Object.entries(specialTokens)) {
  const template = new Template(readFileSync(join(fixtures, `${name}.jinja`), "utf8"));
  for (const conversation of conversations.filter((c) => c.templates.includes(name))) {
    for (const addGenerationPrompt of [false, true]) {
      const variables = {
        messages: conversation.messages,
        add_generation_prompt: addGenerationPrompt,
        ...tokens,
      };
      if (conversation.tools) {
        variables.tools = conversation.tools;
      }
      goldens.push({
        template: name,
        conversation: conversation.name,
        add_generation_prompt: addGenerationPrompt,
        bos_token: tokens.bos_token ?? null,
        eos_token: tokens.eos_token ?? null,
        expected: template.render(variables),
      });
    }
  }
}

writeFileSync(join(fixtures, "goldens.json"), JSON.stringify(goldens, null, 2) + "\n");
console.log(`wrote ${goldens.length} goldens`);
