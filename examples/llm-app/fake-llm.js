// A fake LLM API on localhost that answers and streams like the real ones, so the examples run offline:
// POST /v1/chat/completions (OpenAI Chat Completions, `stream: true` as SSE with `stream_options.include_usage`)
// and POST /v1/messages (Anthropic Messages, `stream: true` as SSE events). A model named "overloaded" gets a 429.
import { createServer } from 'node:http';

const words = (text) => text.split(/\s+/).filter(Boolean);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** The reply the fake model gives: a triage verdict, word by word. */
function replyFor(prompt) {
  const severity = /down|outage|payments/i.test(prompt)
    ? 'sev-1'
    : /error|5xx|latency/i.test(prompt)
      ? 'sev-2'
      : 'sev-3';
  return `${severity}: page the on-call owner and open a status page entry`;
}

async function readJson(req) {
  let body = '';
  for await (const chunk of req) body += chunk;
  return JSON.parse(body || '{}');
}

async function openai(res, body) {
  const prompt = (body.messages ?? []).map((m) => m.content).join(' ');
  const reply = replyFor(prompt);
  const usage = {
    prompt_tokens: words(prompt).length + 12,
    completion_tokens: words(reply).length,
    total_tokens: words(prompt).length + 12 + words(reply).length,
    prompt_tokens_details: { cached_tokens: 0 },
  };
  const model = `${body.model}-2024-07-18`;
  if (!body.stream) {
    await sleep(30);
    res.setHeader('content-type', 'application/json');
    res.end(
      JSON.stringify({
        id: 'chatcmpl-fake',
        object: 'chat.completion',
        model,
        choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
        usage,
      }),
    );
    return;
  }
  res.setHeader('content-type', 'text/event-stream');
  const send = (chunk) =>
    res.write(
      `data: ${JSON.stringify({ id: 'chatcmpl-fake', object: 'chat.completion.chunk', model, ...chunk })}\n\n`,
    );
  await sleep(40); // time to first token
  for (const word of words(reply)) {
    send({ choices: [{ index: 0, delta: { content: `${word} ` }, finish_reason: null }], usage: null });
    await sleep(5);
  }
  send({ choices: [{ index: 0, delta: {}, finish_reason: 'stop' }], usage: null });
  if (body.stream_options?.include_usage) send({ choices: [], usage });
  res.end('data: [DONE]\n\n');
}

async function anthropic(res, body) {
  const prompt = (body.messages ?? []).map((m) => m.content).join(' ');
  const reply = replyFor(prompt);
  const model = `${body.model}-20251001`;
  const input = words(prompt).length + 8;
  res.setHeader('content-type', 'text/event-stream');
  const send = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  await sleep(40);
  send('message_start', {
    message: {
      id: 'msg_fake',
      type: 'message',
      role: 'assistant',
      content: [],
      model,
      usage: {
        input_tokens: input,
        cache_creation_input_tokens: 0,
        cache_read_input_tokens: 1024,
        output_tokens: 1,
      },
    },
  });
  send('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
  for (const word of words(reply)) {
    send('content_block_delta', { index: 0, delta: { type: 'text_delta', text: `${word} ` } });
    await sleep(5);
  }
  send('content_block_stop', { index: 0 });
  send('message_delta', {
    delta: { stop_reason: 'end_turn' },
    usage: { output_tokens: words(reply).length },
  });
  send('message_stop', {});
  res.end();
}

/** Starts the fake API on a free port of 127.0.0.1: `{ url, port, close() }`. */
export async function startFakeLlm() {
  const server = createServer(async (req, res) => {
    const body = await readJson(req);
    if (body.model === 'overloaded') {
      res.statusCode = 429;
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ error: { type: 'rate_limit_error', message: 'slow down' } }));
    } else if (req.url === '/v1/chat/completions') await openai(res, body);
    else if (req.url === '/v1/messages') await anthropic(res, body);
    else {
      res.statusCode = 404;
      res.end();
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}
