// An LLM-backed app with GenAI metrics, offline: `node examples/llm-app/app.js`
// It starts a fake LLM API on localhost (fake-llm.js), makes a plain call, two streamed calls (OpenAI- and
// Anthropic-style) and one that is rate limited, then prints the GenAI part of its own /metrics.
import { createLlmMetrics, initMeter } from 'otel-metrics-bootstrap';
import { call, stream } from './client.js';
import { startFakeLlm } from './fake-llm.js';

const telemetry = initMeter({
  serviceName: 'llm-app',
  prometheus: { port: Number(process.env.METRICS_PORT ?? 0), host: '127.0.0.1' },
  runtime: false,
  host: false,
  http: false,
});
const api = await startFakeLlm();

// One helper per provider; prices in USD per million tokens feed llm_client_cost_total.
const prices = {
  openai: { 'gpt-4o-mini': { input: 0.15, output: 0.6, cachedInput: 0.075 } },
  anthropic: { 'claude-haiku-4-5': { input: 1, output: 5, cachedInput: 0.1 } },
};
const common = { serverAddress: '127.0.0.1', serverPort: api.port, prices };
const openai = createLlmMetrics({
  provider: 'openai',
  models: ['gpt-4o-mini', 'gpt-4o-mini-2024-07-18'],
  ...common,
});
const anthropic = createLlmMetrics({ provider: 'anthropic', ...common });

const messages = [{ role: 'user', content: 'Checkout returns 5xx errors for 20% of requests since 14:02' }];

// 1. A plain call: duration, tokens and cost come from the response's usage.
const reply = await openai.wrap(
  () => call(`${api.url}/v1/chat/completions`, { model: 'gpt-4o-mini', messages }),
  {
    model: 'gpt-4o-mini',
  },
);
console.log(`chat:      ${reply.choices[0].message.content}`);

// 2. Streamed, OpenAI-style: time to first chunk and between chunks too; usage from the last chunk.
let text = '';
const body = { model: 'gpt-4o-mini', messages, stream_options: { include_usage: true } };
for await (const chunk of openai.wrapStream(() => stream(`${api.url}/v1/chat/completions`, body), {
  model: 'gpt-4o-mini',
}))
  text += chunk.choices[0]?.delta?.content ?? '';
console.log(`streamed:  ${text.trim()}`);

// 3. Streamed, Anthropic-style events.
text = '';
const claude = { model: 'claude-haiku-4-5', max_tokens: 256, messages };
for await (const event of anthropic.wrapStream(() => stream(`${api.url}/v1/messages`, claude), {
  model: 'claude-haiku-4-5',
}))
  if (event.type === 'content_block_delta') text += event.delta.text;
console.log(`anthropic: ${text.trim()}`);

// 4. A rate-limited call: recorded with error.type="RateLimitError", the error reaches us unchanged.
await openai
  .wrap(() => call(`${api.url}/v1/chat/completions`, { model: 'overloaded', messages }), {
    model: 'gpt-4o-mini',
  })
  .catch((err) => console.log(`failed:    ${err.name}`));

await telemetry.ready;
const scrape = await (await fetch(telemetry.metricsUrl)).text();
console.log('\nScrape excerpt:');
for (const line of scrape.split('\n'))
  if (/^(gen_ai_client_\w+_count|gen_ai_client_token_usage_sum|llm_client_cost_total)\{/.test(line))
    console.log(`  ${line.replace(/otel_scope_name="[^"]*",/, '')}`);
await api.close();
await telemetry.shutdown();
