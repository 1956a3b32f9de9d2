import { AsyncLocalStorage } from 'node:async_hooks';
import { type Clock, systemClock } from '../clock.js';
import type { BoundCounter, Counter } from '../instruments/counter.js';
import type { BoundHistogram } from '../instruments/histogram.js';
import type { Timer } from '../instruments/timer.js';
import {
  ATTR_AGENT_SCOPE,
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_AGENT_NAME,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOOL_NAME,
  ATTR_GEN_AI_TOOL_TYPE,
  ATTR_GEN_AI_WORKFLOW_NAME,
  BUSINESS_OVERFLOW_VALUE,
  GEN_AI_AGENT_DURATION_BUCKETS,
  GEN_AI_DURATION_BUCKETS,
  GEN_AI_OPERATION_EXECUTE_TOOL,
  GEN_AI_OPERATION_INVOKE_AGENT,
  GEN_AI_OPERATION_INVOKE_WORKFLOW,
  GEN_AI_TOOL_TYPES,
  GEN_AI_WORKFLOW_DURATION_BUCKETS,
  METRIC_AGENT_ERRORS,
  METRIC_AGENT_STEPS,
  METRIC_AGENT_TOOL_CALLS,
  METRIC_GEN_AI_EXECUTE_TOOL_DURATION,
  METRIC_GEN_AI_INVOKE_AGENT_DURATION,
  METRIC_GEN_AI_WORKFLOW_DURATION,
} from '../semconv.js';
import type { BoundedValues } from './bounded-values.js';
import type { AgentMetricsOptions } from './options.js';
import { errorType, getOrAdd, measure, setupHelper } from './setup.js';

/** Where an agent error happened: the `agent.scope` attribute of `agent.errors`. */
export type AgentScope = 'workflow' | 'run' | 'step' | 'tool';

/** `run()` options. */
export interface AgentRunOptions {
  /** `gen_ai.request.model` of the run. Default none. */
  model?: string;
}

/** `tool()` options. */
export interface AgentToolOptions {
  /** `gen_ai.tool.type`: `function` (default), `extension` or `datastore`; anything else is `_OTHER`. */
  type?: string;
}

/** The agent a step or tool belongs to, found through AsyncLocalStorage; one per agent name, reused. */
class AgentContext {
  readonly steps: BoundCounter;
  private readonly tools = new Map<string, Map<string, ToolSeries>>();

  constructor(
    readonly name: string | undefined,
    private readonly agents: AgentMetrics,
  ) {
    this.steps = agents.m.steps.bind({ [ATTR_GEN_AI_AGENT_NAME]: name });
  }

  tool(name: string, type: string): ToolSeries {
    const known = this.tools.get(name)?.get(type);
    if (known !== undefined) return known;
    const bounded = this.agents.toolNames.of(name);
    const toolType = GEN_AI_TOOL_TYPES.includes(type) ? type : BUSINESS_OVERFLOW_VALUE;
    const series = new ToolSeries(this.agents, this.name, bounded, toolType);
    // Only accepted names are cached under their own name, so unbounded input cannot grow the map.
    if (bounded === name && toolType === type) {
      getOrAdd(this.tools, name, () => new Map<string, ToolSeries>()).set(type, series);
    }
    return series;
  }
}

/** The bound series of one tool of one agent. */
class ToolSeries {
  readonly attributes: Record<string, string | undefined>;
  readonly duration: BoundHistogram;
  readonly calls: BoundCounter;

  constructor(agents: AgentMetrics, agent: string | undefined, tool: string, type: string) {
    this.attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: tool,
      [ATTR_GEN_AI_TOOL_TYPE]: type,
      [ATTR_GEN_AI_AGENT_NAME]: agent,
    };
    this.duration = agents.m.tool.bind(this.attributes);
    this.calls = agents.m.toolCalls.bind({ [ATTR_GEN_AI_AGENT_NAME]: agent, [ATTR_GEN_AI_TOOL_NAME]: tool });
  }
}

interface AgentInstruments {
  readonly run: Timer;
  readonly tool: Timer;
  readonly workflow: Timer;
  readonly steps: Counter;
  readonly toolCalls: Counter;
  readonly errors: Counter;
}

/**
 * Agent metrics (created by `createAgentMetrics()`): `gen_ai.invoke_agent.duration` (s, by `gen_ai.agent.name`,
 * `gen_ai.request.model`), `gen_ai.execute_tool.duration` (s, by `gen_ai.tool.name`, `gen_ai.tool.type`,
 * `gen_ai.agent.name`), `gen_ai.workflow.duration` (s, by `gen_ai.workflow.name`), all with `error.type` on
 * failure; and, outside semconv, `agent.steps` (`{step}`), `agent.tool_calls` (`{call}`) and `agent.errors`
 * (`{error}`, by `agent.scope` and `error.type`). `run()`, `step()` and `tool()` nest — a tool inside a step inside
 * a run is counted for that run's agent — and concurrent runs never mix (AsyncLocalStorage). Recording never
 * throws; wrapped errors are rethrown unchanged.
 */
export class AgentMetrics {
  /** @internal */
  readonly m: AgentInstruments;
  /** @internal */
  readonly toolNames: BoundedValues;
  private readonly agentNames: BoundedValues;
  private readonly workflowNames: BoundedValues;
  private readonly errorTypes: BoundedValues;
  private readonly clock: Clock;
  private readonly current = new AsyncLocalStorage<AgentContext>();
  private readonly agents = new Map<string, AgentContext>();
  private readonly noAgent: AgentContext;

  /** @internal use `createAgentMetrics()`. */
  constructor(options: AgentMetricsOptions | undefined) {
    const base = setupHelper('createAgentMetrics', options);
    this.clock = base.options.clock ?? systemClock;
    const i = base.instruments;
    const agent = [
      ATTR_GEN_AI_OPERATION_NAME,
      ATTR_GEN_AI_AGENT_NAME,
      ATTR_GEN_AI_REQUEST_MODEL,
      ATTR_ERROR_TYPE,
    ];
    this.m = {
      run: i.timer(METRIC_GEN_AI_INVOKE_AGENT_DURATION, {
        description: 'Duration of agent invocations.',
        labels: agent,
        buckets: GEN_AI_AGENT_DURATION_BUCKETS,
      }),
      tool: i.timer(METRIC_GEN_AI_EXECUTE_TOOL_DURATION, {
        description: 'Duration of tool executions.',
        labels: [
          ATTR_GEN_AI_OPERATION_NAME,
          ATTR_GEN_AI_TOOL_NAME,
          ATTR_GEN_AI_TOOL_TYPE,
          ATTR_GEN_AI_AGENT_NAME,
          ATTR_ERROR_TYPE,
        ],
        buckets: GEN_AI_DURATION_BUCKETS,
      }),
      workflow: i.timer(METRIC_GEN_AI_WORKFLOW_DURATION, {
        description: 'Duration of GenAI workflows.',
        labels: [ATTR_GEN_AI_OPERATION_NAME, ATTR_GEN_AI_WORKFLOW_NAME, ATTR_ERROR_TYPE],
        buckets: GEN_AI_WORKFLOW_DURATION_BUCKETS,
      }),
      steps: i.counter(METRIC_AGENT_STEPS, {
        unit: '{step}',
        description: 'Agent steps completed or failed, by agent (not a semantic convention).',
        labels: [ATTR_GEN_AI_AGENT_NAME],
      }),
      toolCalls: i.counter(METRIC_AGENT_TOOL_CALLS, {
        unit: '{call}',
        description: 'Tool calls, by agent and tool (not a semantic convention).',
        labels: [ATTR_GEN_AI_AGENT_NAME, ATTR_GEN_AI_TOOL_NAME],
      }),
      errors: i.counter(METRIC_AGENT_ERRORS, {
        unit: '{error}',
        description:
          'Failed agent runs, steps, tools and workflows, by agent, scope and error type (not a semantic convention).',
        labels: [ATTR_GEN_AI_AGENT_NAME, ATTR_AGENT_SCOPE, ATTR_ERROR_TYPE],
      }),
    };
    this.agentNames = base.bounded(ATTR_GEN_AI_AGENT_NAME, METRIC_GEN_AI_INVOKE_AGENT_DURATION, 'agents');
    this.toolNames = base.bounded(ATTR_GEN_AI_TOOL_NAME, METRIC_GEN_AI_EXECUTE_TOOL_DURATION, 'tools');
    this.workflowNames = base.bounded(ATTR_GEN_AI_WORKFLOW_NAME, METRIC_GEN_AI_WORKFLOW_DURATION);
    this.errorTypes = base.bounded(ATTR_ERROR_TYPE, METRIC_AGENT_ERRORS);
    this.noAgent = new AgentContext(undefined, this);
  }

  /**
   * Runs `fn` as one invocation of the agent `name`: `gen_ai.invoke_agent.duration`, and the agent of every
   * `step()` and `tool()` inside it, however deep and however many runs are in flight. Returns what `fn` returns.
   */
  run<T>(name: string, fn: () => T, options?: AgentRunOptions): T {
    const context = this.contextOf(name);
    const attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_AGENT,
      [ATTR_GEN_AI_AGENT_NAME]: context.name,
      [ATTR_GEN_AI_REQUEST_MODEL]: options?.model,
    };
    return this.current.run(context, () =>
      measure(this.clock, fn, (seconds, failed, error) =>
        this.m.run.observe(seconds, failed ? this.failed(attributes, context, 'run', error) : attributes),
      ),
    );
  }

  /** Runs `fn` as one step of the current agent run (counted in `agent.steps`). Returns what `fn` returns. */
  step<T>(fn: () => T): T {
    const context = this.current.getStore() ?? this.noAgent;
    return measure(this.clock, fn, (_seconds, failed, error) => {
      context.steps.inc();
      if (failed) this.failed({}, context, 'step', error);
    });
  }

  /**
   * Runs `fn` as a call of the tool `name` by the current agent: `gen_ai.execute_tool.duration` and
   * `agent.tool_calls`. Returns what `fn` returns.
   */
  tool<T>(name: string, fn: () => T, options?: AgentToolOptions): T {
    const context = this.current.getStore() ?? this.noAgent;
    const series = context.tool(name, options?.type ?? 'function');
    return measure(this.clock, fn, (seconds, failed, error) => {
      series.calls.inc();
      if (failed) this.m.tool.observe(seconds, this.failed(series.attributes, context, 'tool', error));
      else series.duration.observe(seconds);
    });
  }

  /** Runs `fn` as the workflow `name` (`gen_ai.workflow.duration`), e.g. around several agent runs. */
  workflow<T>(name: string, fn: () => T): T {
    const attributes = {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_WORKFLOW,
      [ATTR_GEN_AI_WORKFLOW_NAME]: this.workflowNames.of(name),
    };
    return measure(this.clock, fn, (seconds, failed, error) =>
      this.m.workflow.observe(
        seconds,
        failed
          ? this.failed(attributes, this.current.getStore() ?? this.noAgent, 'workflow', error)
          : attributes,
      ),
    );
  }

  /** Counts the error and returns `attributes` with its `error.type`. */
  private failed<A extends object>(attributes: A, context: AgentContext, scope: AgentScope, error: unknown) {
    const type = this.errorTypes.of(errorType(error));
    this.m.errors.inc({
      [ATTR_GEN_AI_AGENT_NAME]: context.name,
      [ATTR_AGENT_SCOPE]: scope,
      [ATTR_ERROR_TYPE]: type,
    });
    return { ...attributes, [ATTR_ERROR_TYPE]: type };
  }

  private contextOf(name: string): AgentContext {
    const known = this.agents.get(name);
    if (known !== undefined) return known;
    const bounded = this.agentNames.of(name);
    return getOrAdd(this.agents, bounded, () => new AgentContext(bounded, this));
  }
}

/**
 * Creates agent metrics on the provider of `options.meter` (default: the running `initMeter()`'s). Agent and
 * tool names are bounded by `agents`/`tools` (allow-lists) or `maxValues` (`OMB_BUSINESS_MAX_VALUES`, default
 * 100). Throws `MetricsError` for bad options or when there is no meter.
 *
 * ```ts
 * const agents = createAgentMetrics();
 * await agents.run('triage', async () => {
 *   await agents.step(() => agents.tool('search_runbooks', () => search(q)));
 * });
 * ```
 */
export function createAgentMetrics(options?: AgentMetricsOptions): AgentMetrics {
  return new AgentMetrics(options);
}
