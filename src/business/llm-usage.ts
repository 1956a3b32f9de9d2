import { isRecord } from '../option-reader.js';

/** Token usage and model of one LLM call, as read from its response; a field is absent when it was not reported. */
export interface LlmUsage {
  /** Input tokens, cached ones included (semconv: billable input). */
  readonly inputTokens?: number;
  /** Output tokens. */
  readonly outputTokens?: number;
  /** Input tokens read from the provider's prompt cache (part of `inputTokens`). */
  readonly cachedInputTokens?: number;
  /** The model that answered (`gen_ai.response.model`). */
  readonly responseModel?: string;
}

/** The usage counters we read, as the APIs name them. */
const FIELDS = [
  'prompt_tokens', // OpenAI Chat Completions
  'completion_tokens',
  'input_tokens', // OpenAI Responses API, Anthropic Messages
  'output_tokens',
  'cache_read_input_tokens', // Anthropic: cache reads, not part of input_tokens
  'cache_creation_input_tokens', // Anthropic: cache writes, not part of input_tokens
] as const;
type Field = (typeof FIELDS)[number] | 'cached_tokens';

/**
 * Reads token usage from OpenAI-style and Anthropic-style responses and streamed chunks, without depending on
 * their SDKs. Feed it the response, or every chunk of a stream in order; later numbers replace earlier ones
 * (Anthropic's `message_delta` carries cumulative counts). It looks at the object itself and at its `response`
 * (Responses API stream events) and `message` (Anthropic `message_start`):
 *
 * - OpenAI Chat Completions: `usage.prompt_tokens` (cached included), `completion_tokens`,
 *   `prompt_tokens_details.cached_tokens` (streams: the last chunk with `stream_options.include_usage`);
 * - OpenAI Responses: `usage.input_tokens` (cached included), `output_tokens`, `input_tokens_details.cached_tokens`
 *   (streams: the `response.completed` event);
 * - Anthropic Messages: `usage.input_tokens` plus `cache_read_input_tokens` and `cache_creation_input_tokens`
 *   (which Anthropic counts apart), `output_tokens` (streams: `message_start`, then `message_delta`).
 *
 * Nothing is guessed: a response without usage yields no token counts.
 */
export class UsageReader {
  private readonly raw: Partial<Record<Field, number>> = {};
  private anthropic = false;
  private model: string | undefined;

  /** Takes what a response or stream chunk reports; anything else is ignored. Never throws. */
  read(value: unknown): void {
    if (!isRecord(value)) return;
    this.take(value);
    if (isRecord(value['response'])) this.take(value['response']);
    if (isRecord(value['message'])) this.take(value['message']);
  }

  /** The usage read so far. */
  usage(): LlmUsage {
    const r = this.raw;
    const cached = this.anthropic ? r.cache_read_input_tokens : r.cached_tokens;
    let input = r.prompt_tokens ?? r.input_tokens;
    if (this.anthropic && input !== undefined)
      input += (r.cache_read_input_tokens ?? 0) + (r.cache_creation_input_tokens ?? 0);
    return {
      ...(input !== undefined && { inputTokens: input }),
      ...((r.completion_tokens ?? r.output_tokens) !== undefined && {
        outputTokens: r.completion_tokens ?? r.output_tokens,
      }),
      ...(cached !== undefined && { cachedInputTokens: cached }),
      ...(this.model !== undefined && { responseModel: this.model }),
    };
  }

  private take(o: Record<string, unknown>): void {
    if (typeof o['model'] === 'string' && o['model'] !== '') this.model = o['model'];
    const u = o['usage'];
    if (!isRecord(u)) return;
    for (const f of FIELDS) if (isCount(u[f])) this.raw[f] = u[f] as number;
    if (isCount(u['cache_read_input_tokens']) || isCount(u['cache_creation_input_tokens']))
      this.anthropic = true;
    const details = u['prompt_tokens_details'] ?? u['input_tokens_details'];
    if (isRecord(details) && isCount(details['cached_tokens']))
      this.raw.cached_tokens = details['cached_tokens'];
  }
}

function isCount(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

/** The usage of one (non-streamed) response; see {@link UsageReader}. */
export function usageOf(response: unknown): LlmUsage {
  const reader = new UsageReader();
  reader.read(response);
  return reader.usage();
}
