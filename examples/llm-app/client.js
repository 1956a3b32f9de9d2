// A minimal LLM client over fetch (what an SDK does): JSON calls, and streams parsed from server-sent events.

/** The API answered with an error status; `name` says which, as SDK errors do. */
export class LlmApiError extends Error {
  constructor(status, body) {
    super(`LLM API answered ${status}: ${body}`);
    this.status = status;
    this.name = status === 429 ? 'RateLimitError' : 'LlmApiError';
  }
}

async function post(url, body) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new LlmApiError(res.status, await res.text());
  return res;
}

/** A non-streamed call: the parsed JSON response. */
export async function call(url, body) {
  return (await post(url, body)).json();
}

/** A streamed call: the SSE `data:` payloads as parsed objects, until `[DONE]` or the end of the stream. */
export async function* stream(url, body) {
  const res = await post(url, { ...body, stream: true });
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const bytes of res.body) {
    buffer += decoder.decode(bytes, { stream: true });
    let end = buffer.indexOf('\n\n');
    while (end !== -1) {
      const event = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      for (const line of event.split('\n')) {
        if (!line.startsWith('data: ')) continue;
        if (line === 'data: [DONE]') return;
        yield JSON.parse(line.slice(6));
      }
      end = buffer.indexOf('\n\n');
    }
  }
}
