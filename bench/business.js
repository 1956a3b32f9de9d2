// What the business helpers add over doing the same recording by hand on bound instruments of the instruments API
// (the issue's budget: at most 10%). Each row times the helper and a hand-written equivalent that records the
// same series, side by side in one run; the wrapped work is an empty function, so the ratio is the worst case
// (any real job, LLM call or tool dwarfs both). Rows: jobs.track (sync), jobs.start().succeed(),
// llm.record (duration, 2 token counts, cost), agents.tool outside a run, agents.run with a step and a tool
// (the hand-written version uses AsyncLocalStorage too: a nested tool must find its run's agent).
//
//   node bench/business.js [--iterations 1000000] [--rounds 7]     (ROWS=0,2 runs only those rows)
//
// Runs on the built dist/ (`npm run build`).
import { AsyncLocalStorage } from 'node:async_hooks';
import { parseArgs } from 'node:util';
import {
  createAgentMetrics,
  createJobMetrics,
  createLlmMetrics,
  JOB_DURATION_BUCKETS,
} from '../dist/index.js';
import {
  GEN_AI_AGENT_DURATION_BUCKETS,
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_TOKEN_BUCKETS,
} from '../dist/semconv.js';
import { createTestMeter } from '../dist/testing/index.js';
import { environment } from './util.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '1000000' },
    rounds: { type: 'string', default: '7' },
  },
});
const N = Number(values.iterations);
const ROUNDS = Number(values.rounds);

// Helpers and hand-written instruments on two separate test meters, so neither shares series with the other.
const helpers = createTestMeter();
const hand = createTestMeter().instruments;
const jobs = createJobMetrics({ meter: helpers.meter });
const llm = createLlmMetrics({
  meter: helpers.meter,
  provider: 'openai',
  prices: { openai: { 'gpt-4o': { input: 2.5, output: 10, cachedInput: 1.25 } } },
});
const agents = createAgentMetrics({ meter: helpers.meter });
const emails = jobs.bind('email.send');

const work = () => 1;
const now = () => performance.now();

// Jobs by hand: the same five series the helper binds for one job type.
const jobAttrs = { 'job.type': 'email.send' };
const jobDone = { 'job.type': 'email.send', 'job.outcome': 'success' };
const hActive = hand.gauge('jobs.active', { labels: ['job.type'] }).bind(jobAttrs);
const hCompleted = hand.counter('jobs.completed', { labels: ['job.type', 'job.outcome'] }).bind(jobDone);
const hDuration = hand
  .timer('jobs.duration', { labels: ['job.type', 'job.outcome'], buckets: JOB_DURATION_BUCKETS })
  .bind(jobDone);
const handJob = () => {
  hActive.inc();
  const start = now();
  const result = work();
  hActive.dec();
  hCompleted.inc();
  hDuration.observe((now() - start) / 1000);
  return result;
};

// LLM by hand: duration, input and output tokens, cost, on series bound once, with the helper's buckets (a
// different bucket count changes the cost of every observe, which is not what this row measures).
const llmAttrs = {
  'gen_ai.operation.name': 'chat',
  'gen_ai.provider.name': 'openai',
  'gen_ai.request.model': 'gpt-4o',
  'gen_ai.response.model': 'gpt-4o-2024-08-06',
};
const hLlmDuration = hand
  .timer('gen_ai.client.operation.duration', { buckets: GEN_AI_DURATION_BUCKETS })
  .bind(llmAttrs);
const hTokens = hand.histogram('gen_ai.client.token.usage', {
  unit: '{token}',
  buckets: GEN_AI_TOKEN_BUCKETS,
});
const hInput = hTokens.bind({ ...llmAttrs, 'gen_ai.token.type': 'input' });
const hOutput = hTokens.bind({ ...llmAttrs, 'gen_ai.token.type': 'output' });
const hCost = hand.counter('llm.client.cost').bind(llmAttrs);
const price = { input: 2.5, output: 10, cachedInput: 1.25 };
const call = (i) => ({
  model: 'gpt-4o',
  responseModel: 'gpt-4o-2024-08-06',
  durationSeconds: (i & 1023) / 100,
  inputTokens: 1200,
  cachedInputTokens: 1024,
  outputTokens: 85 + (i & 7),
});
const handLlm = (c) => {
  hLlmDuration.observe(c.durationSeconds);
  hInput.observe(c.inputTokens);
  hOutput.observe(c.outputTokens);
  const cached = c.cachedInputTokens;
  hCost.add(
    ((c.inputTokens - cached) * price.input + cached * price.cachedInput + c.outputTokens * price.output) /
      1e6,
  );
};

// Agents by hand: the tool series, and AsyncLocalStorage carrying the run's agent to its tools.
const toolAttrs = {
  'gen_ai.operation.name': 'execute_tool',
  'gen_ai.tool.name': 'search',
  'gen_ai.tool.type': 'function',
};
const hToolDuration = hand
  .timer('gen_ai.execute_tool.duration', { buckets: GEN_AI_DURATION_BUCKETS })
  .bind(toolAttrs);
const hToolCalls = hand.counter('agent.tool_calls').bind({ 'gen_ai.tool.name': 'search' });
const handTool = () => {
  const start = now();
  const result = work();
  hToolCalls.inc();
  hToolDuration.observe((now() - start) / 1000);
  return result;
};
const als = new AsyncLocalStorage();
const runAttrs = { 'gen_ai.operation.name': 'invoke_agent', 'gen_ai.agent.name': 'triage' };
const hRun = hand
  .timer('gen_ai.invoke_agent.duration', { buckets: GEN_AI_AGENT_DURATION_BUCKETS })
  .bind(runAttrs);
const hSteps = hand.counter('agent.steps').bind({ 'gen_ai.agent.name': 'triage' });
const hRunTool = hand
  .timer('gen_ai.execute_tool.duration.run', { buckets: GEN_AI_DURATION_BUCKETS })
  .bind({ ...toolAttrs, 'gen_ai.agent.name': 'triage' });
const hRunToolCalls = hand
  .counter('agent.tool_calls.run')
  .bind({ 'gen_ai.agent.name': 'triage', 'gen_ai.tool.name': 'search' });
const context = { agent: 'triage' };
const handRun = () =>
  als.run(context, () => {
    const start = now();
    const stepStart = now();
    als.getStore();
    const toolStart = now();
    work();
    hRunToolCalls.inc();
    hRunTool.observe((now() - toolStart) / 1000);
    hSteps.inc();
    void stepStart;
    hRun.observe((now() - start) / 1000);
  });
const helperRun = () => agents.run('triage', () => agents.step(() => agents.tool('search', work)));

const rows = [
  {
    name: 'jobs.track (sync)',
    helper: () => {
      for (let i = 0; i < N; i++) jobs.track('email.send', work);
    },
    hand: () => {
      for (let i = 0; i < N; i++) handJob();
    },
  },
  {
    name: 'jobs.bind(type).track (sync)',
    helper: () => {
      for (let i = 0; i < N; i++) emails.track(work);
    },
    hand: () => {
      for (let i = 0; i < N; i++) handJob();
    },
  },
  {
    name: 'jobs.start().succeed()',
    helper: () => {
      for (let i = 0; i < N; i++) jobs.start('email.send').succeed();
    },
    hand: () => {
      for (let i = 0; i < N; i++) {
        hActive.inc();
        const start = now();
        hActive.dec();
        hCompleted.inc();
        hDuration.observe((now() - start) / 1000);
      }
    },
  },
  {
    name: 'llm.record',
    helper: () => {
      for (let i = 0; i < N; i++) llm.record(call(i));
    },
    hand: () => {
      for (let i = 0; i < N; i++) handLlm(call(i));
    },
  },
  {
    name: 'agents.tool (no run)',
    helper: () => {
      for (let i = 0; i < N; i++) agents.tool('search', work);
    },
    hand: () => {
      for (let i = 0; i < N; i++) handTool();
    },
  },
  {
    name: 'agents.run > step > tool',
    helper: () => {
      for (let i = 0; i < N; i++) helperRun();
    },
    hand: () => {
      for (let i = 0; i < N; i++) handRun();
    },
  },
];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const timeNs = (fn) => {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / N;
};

console.log(environment());
console.log(`${N} operations × ${ROUNDS} rounds, medians in ns/op (lower is better); budget: overhead ≤ 10%`);
console.log(`${'row'.padEnd(32)}${'helper'.padStart(9)}${'by hand'.padStart(10)}${'overhead'.padStart(10)}`);
const only = process.env.ROWS?.split(',');
for (const row of rows.filter((_row, i) => !only || only.includes(String(i)))) {
  row.helper();
  row.hand();
  const times = { helper: [], hand: [] };
  for (let r = 0; r < ROUNDS; r++) {
    // Interleaved, so machine load affects both alike.
    times.helper.push(timeNs(row.helper));
    times.hand.push(timeNs(row.hand));
  }
  const h = median(times.helper);
  const b = median(times.hand);
  console.log(
    `${row.name.padEnd(32)}${h.toFixed(1).padStart(9)}${b.toFixed(1).padStart(10)}${`${(((h - b) / b) * 100).toFixed(0)}%`.padStart(10)}`,
  );
}
await helpers.shutdown();
