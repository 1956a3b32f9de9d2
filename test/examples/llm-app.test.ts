import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

describe('examples/llm-app', () => {
  it('runs offline against its fake LLM API and prints GenAI metrics from its own scrape', async () => {
    const { stdout } = await run(process.execPath, ['examples/llm-app/app.js'], {
      cwd: root,
      timeout: 60_000,
    });
    expect(stdout).toContain('streamed:  sev-2: page the on-call owner');
    expect(stdout).toContain('failed:    RateLimitError');
    const ok =
      'gen_ai_provider_name="openai",gen_ai_request_model="gpt-4o-mini",gen_ai_response_model="gpt-4o-mini-2024-07-18"';
    expect(stdout).toMatch(
      new RegExp(`gen_ai_client_operation_duration_seconds_count\\{[^}]*${ok}[^}]*\\} 2`),
    );
    expect(stdout).toMatch(
      /gen_ai_client_operation_duration_seconds_count\{[^}]*error_type="RateLimitError"\} 1/,
    );
    expect(stdout).toMatch(
      /gen_ai_client_operation_time_to_first_chunk_seconds_count\{[^}]*anthropic[^}]*\} 1/,
    );
    // Anthropic's input: 1024 cache-read tokens on top of the prompt's.
    expect(stdout).toMatch(
      /gen_ai_client_token_usage_sum\{[^}]*anthropic[^}]*gen_ai_token_type="input"\} 10\d\d/,
    );
    expect(stdout).toMatch(/llm_client_cost_total\{[^}]*anthropic[^}]*llm_cost_currency="USD"\} 0\.000\d+/);
  });
});
