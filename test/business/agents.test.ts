import { describe, expect, it } from 'vitest';
import { createAgentMetrics } from '../../src/business/agents.js';
import { errorOf, setup } from './support.js';

class ToolTimeoutError extends Error {}
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('createAgentMetrics', () => {
  it('records a run with its steps and tools nested, with semconv buckets', async () => {
    const { tm, clock } = setup();
    const agents = createAgentMetrics({ meter: tm.meter, clock });
    const answer = await agents.run(
      'triage',
      async () => {
        await agents.step(async () => {
          await agents.tool('search_runbooks', async () => clock.advance(300));
          clock.advance(200);
        });
        await agents.step(() => agents.tool('page_oncall', () => clock.advance(50), { type: 'extension' }));
        return 'sev-2';
      },
      { model: 'gpt-4o' },
    );
    expect(answer).toBe('sev-2');
    const s = await tm.collect();
    const run = s.histogram('gen_ai.invoke_agent.duration', {
      'gen_ai.operation.name': 'invoke_agent',
      'gen_ai.agent.name': 'triage',
      'gen_ai.request.model': 'gpt-4o',
    });
    expect(run?.boundaries).toEqual([
      0.1, 0.2, 0.4, 0.8, 1.6, 3.2, 6.4, 12.8, 25.6, 51.2, 102.4, 204.8, 409.6,
    ]);
    expect([run?.count, run?.sum, run?.bucket(0.4), run?.bucket(0.8)]).toEqual([1, 0.55, 0, 1]);
    const tool = s.histogram('gen_ai.execute_tool.duration', {
      'gen_ai.operation.name': 'execute_tool',
      'gen_ai.tool.name': 'search_runbooks',
      'gen_ai.tool.type': 'function',
      'gen_ai.agent.name': 'triage',
    });
    expect([tool?.count, tool?.sum, tool?.bucket(0.16), tool?.bucket(0.32)]).toEqual([1, 0.3, 0, 1]);
    expect(s.histogram('gen_ai.execute_tool.duration', { 'gen_ai.tool.type': 'extension' })?.sum).toBe(0.05);
    expect(s.counter('agent.steps', { 'gen_ai.agent.name': 'triage' })).toBe(2);
    expect(s.counter('agent.tool_calls', { 'gen_ai.agent.name': 'triage' })).toBe(2);
  });

  it('keeps concurrent runs apart: each step and tool counts for its own agent', async () => {
    const { tm } = setup();
    const agents = createAgentMetrics({ meter: tm.meter });
    const work = (name: string, steps: number, delay: number) =>
      agents.run(name, async () => {
        for (let i = 0; i < steps; i++) {
          await agents.step(async () => {
            await sleep(delay);
            await agents.tool('lookup', () => sleep(1));
          });
        }
      });
    await Promise.all([
      work('triage', 5, 2),
      work('summarize', 2, 3),
      work('triage', 1, 1),
      work('router', 3, 1),
    ]);
    const s = await tm.collect();
    expect(s.counter('agent.steps', { 'gen_ai.agent.name': 'triage' })).toBe(6);
    expect(s.counter('agent.steps', { 'gen_ai.agent.name': 'summarize' })).toBe(2);
    expect(s.counter('agent.steps', { 'gen_ai.agent.name': 'router' })).toBe(3);
    expect(
      s.counter('agent.tool_calls', { 'gen_ai.agent.name': 'summarize', 'gen_ai.tool.name': 'lookup' }),
    ).toBe(2);
    expect(s.histogram('gen_ai.invoke_agent.duration', { 'gen_ai.agent.name': 'triage' })?.count).toBe(2);
  });

  it('records errors by scope and error.type and rethrows them unchanged', async () => {
    const { tm, clock } = setup();
    const agents = createAgentMetrics({ meter: tm.meter, clock });
    const err = new ToolTimeoutError('slow');
    await expect(
      agents.run('triage', () =>
        agents.step(() =>
          agents.tool('search_runbooks', async () => {
            clock.advance(100);
            throw err;
          }),
        ),
      ),
    ).rejects.toBe(err);
    const s = await tm.collect();
    for (const scope of ['tool', 'step', 'run'])
      expect(
        s.counter('agent.errors', {
          'gen_ai.agent.name': 'triage',
          'agent.scope': scope,
          'error.type': 'ToolTimeoutError',
        }),
      ).toBe(1);
    expect(s.histogram('gen_ai.execute_tool.duration', { 'error.type': 'ToolTimeoutError' })?.sum).toBe(0.1);
    expect(s.histogram('gen_ai.invoke_agent.duration', { 'error.type': 'ToolTimeoutError' })?.count).toBe(1);
    expect(s.counter('agent.steps')).toBe(1);
    expect(s.counter('agent.tool_calls')).toBe(1);
  });

  it('records workflows in their buckets, and steps and tools outside a run without an agent', async () => {
    const { tm, clock } = setup();
    const agents = createAgentMetrics({ meter: tm.meter, clock });
    agents.workflow('incident-response', () => {
      agents.step(() => agents.tool('lookup', () => clock.advance(45_000)));
    });
    const s = await tm.collect();
    const w = s.histogram('gen_ai.workflow.duration', { 'gen_ai.workflow.name': 'incident-response' });
    expect([w?.count, w?.bucket(30), w?.bucket(60)]).toEqual([1, 0, 1]);
    expect(s.points('agent.steps')[0]?.attributes).toEqual({});
  });

  it('bounds agent and tool names and tool types', async () => {
    const { tm, clock } = setup();
    const agents = createAgentMetrics({ meter: tm.meter, clock, agents: ['triage'], maxValues: 2 });
    for (let i = 0; i < 20; i++)
      agents.run(`agent-${i}`, () => agents.tool(`tool-${i}`, () => undefined, { type: 'weird' }));
    const s = await tm.collect();
    expect(s.histogram('gen_ai.invoke_agent.duration', { 'gen_ai.agent.name': '_OTHER' })?.count).toBe(20);
    const tools = new Set(
      s.points('gen_ai.execute_tool.duration').map((p) => p.attributes['gen_ai.tool.name']),
    );
    expect(tools).toEqual(new Set(['tool-0', 'tool-1', '_OTHER']));
    expect(s.counter('gen_ai.execute_tool.duration')).toBeUndefined();
    expect(
      s.points('gen_ai.execute_tool.duration').every((p) => p.attributes['gen_ai.tool.type'] === '_OTHER'),
    ).toBe(true);
  });

  it('rejects unknown options at creation', () => {
    const { tm } = setup();
    expect(errorOf(() => createAgentMetrics({ meter: tm.meter, tool: [] } as never)).code).toBe(
      'ERR_UNKNOWN_OPTION',
    );
  });
});
