import { describe, expect, it } from 'vitest';
import { UsageReader, usageOf } from '../../src/business/llm-usage.js';
import { fixture } from './support.js';

function streamUsage(name: string) {
  const reader = new UsageReader();
  for (const chunk of fixture(name) as unknown[]) reader.read(chunk);
  return reader.usage();
}

describe('usageOf', () => {
  it('reads an OpenAI Chat Completions response: prompt tokens include the cached ones', () => {
    expect(usageOf(fixture('openai-chat.json'))).toEqual({
      inputTokens: 1200,
      outputTokens: 85,
      cachedInputTokens: 1024,
      responseModel: 'gpt-4o-2024-08-06',
    });
  });

  it('reads an OpenAI Responses API response', () => {
    expect(usageOf(fixture('openai-responses.json'))).toEqual({
      inputTokens: 328,
      outputTokens: 52,
      cachedInputTokens: 256,
      responseModel: 'gpt-4.1-2025-04-14',
    });
  });

  it('reads an Anthropic response, adding cache reads and writes to the input it counts apart', () => {
    expect(usageOf(fixture('anthropic.json'))).toEqual({
      inputTokens: 2050,
      outputTokens: 120,
      cachedInputTokens: 2000,
      responseModel: 'claude-sonnet-4-5-20250929',
    });
  });

  it('guesses nothing for a response without usage', () => {
    expect(usageOf({ model: 'm', choices: [] })).toEqual({ responseModel: 'm' });
    expect(usageOf('text')).toEqual({});
    expect(usageOf({ usage: { prompt_tokens: -1, completion_tokens: 'many' } })).toEqual({});
  });
});

describe('UsageReader over streams', () => {
  it('reads the last chunk of an OpenAI chat stream with include_usage', () => {
    expect(streamUsage('openai-chat-stream.jsonl')).toEqual({
      inputTokens: 300,
      outputTokens: 9,
      cachedInputTokens: 0,
      responseModel: 'gpt-4o-mini-2024-07-18',
    });
  });

  it('reads the response.completed event of a Responses API stream', () => {
    expect(streamUsage('openai-responses-stream.jsonl')).toEqual({
      inputTokens: 37,
      outputTokens: 11,
      cachedInputTokens: 0,
      responseModel: 'gpt-4.1-2025-04-14',
    });
  });

  it('reads message_start and the cumulative message_delta of an Anthropic stream', () => {
    expect(streamUsage('anthropic-stream.jsonl')).toEqual({
      inputTokens: 125,
      outputTokens: 15,
      cachedInputTokens: 0,
      responseModel: 'claude-haiku-4-5-20251001',
    });
  });
});
