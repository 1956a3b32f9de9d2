import { AsyncLocalStorage } from 'node:async_hooks';
import type { Attributes } from '@opentelemetry/api';
import { type Clock, systemClock } from '../clock.js';
import type { BoundCounter, Counter } from '../instruments/counter.js';
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
import { errorType, getOrAdd, type MeasureTarget, measure, settle, setupHelper } from './setup.js';

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

/**
 * The agent a step or tool belongs to, found through AsyncLocalStorage; one per agent name, reused. It is the
 * `settle()` target of that agent's steps (counted, not timed).
 */
class AgentContext implements MeasureTarget {
  readonly steps: BoundCounter;
  private readonly tools = new Map<string, Map<string, ToolSeries>>();
  private readonly runs = new Map<string | undefined, RunSeries>();

  constructor(
    readonly name: string | undefined,
    private readonly agents: AgentMetrics,
  ) {
    this.steps = agents.m.steps.bind({ [ATTR_GEN_AI_AGENT_NAME]: name });
  }

  /** Ends a step. */
  done(_seconds: number, failed: boolean, error: unknown): void {
    this.steps.inc();
    if (failed) this.agents.recordError({}, this, 'step', error);
  }

  run(model: string | undefined): RunSeries {
    const known = this.runs.get(model);
    if (known !== undefined) return known;
    const bounded = model === undefined ? undefined : this.agents.models.of(model);
    const series = new RunSeries(this.agents, this, bounded);
    // Only accepted names are cached under their own name, so unbounded input cannot grow the map.
    if (bounded === model) this.runs.set(model, series);
    return series;
  }

  tool(name: string, type: string): ToolSeries {
    const known = this.tools.get(name)?.get(type);
    if (known !== undefined) return known;
    const bounded = this.agents.toolNames.of(name);
    const toolType = GEN_AI_TOOL_TYPES.includes(type) ? type : BUSINESS_OVERFLOW_VALUE;
    const series = new ToolSeries(this.agents, this, bounded, toolType);
    if (bounded === name && toolType === type)
      getOrAdd(this.tools, name, () => new Map<string, ToolSeries>()).set(type, series);
    return series;
  }
}

/** A timed operation's bound series: successes go to the bound series, failures by `error.type`. */
abstract class TimedSeries implements MeasureTarget {
  protected abstract readonly scope: AgentScope;

  constructor(
    protected readonly agents: AgentMetrics,
    protected readonly context: AgentContext,
    private readonly timer: Timer,
    readonly attributes: Readonly<Record<string, string | undefined>>,
    private readonly bound = timer.bind(attributes),
  ) {}

  done(seconds: number, failed: boolean, error: unknown): void {
    if (failed)
      this.timer.observe(seconds, this.agents.recordError(this.attributes, this.context, this.scope, error));
    else this.bound.observe(seconds);
  }
}

/** The bound series of the runs of one agent with one model. */
class RunSeries extends TimedSeries {
  protected readonly scope = 'run';

  constructor(agents: AgentMetrics, context: AgentContext, model: string | undefined) {
    super(agents, context, agents.m.run, {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_AGENT,
      [ATTR_GEN_AI_AGENT_NAME]: context.name,
      [ATTR_GEN_AI_REQUEST_MODEL]: model,
    });
  }
}

/** The bound series of one tool of one agent. */
class ToolSeries extends TimedSeries {
  protected readonly scope = 'tool';
  private readonly calls: BoundCounter;

  constructor(agents: AgentMetrics, context: AgentContext, tool: string, type: string) {
    super(agents, context, agents.m.tool, {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_EXECUTE_TOOL,
      [ATTR_GEN_AI_TOOL_NAME]: tool,
      [ATTR_GEN_AI_TOOL_TYPE]: type,
      [ATTR_GEN_AI_AGENT_NAME]: context.name,
    });
    this.calls = agents.m.toolCalls.bind({
      [ATTR_GEN_AI_AGENT_NAME]: context.name,
      [ATTR_GEN_AI_TOOL_NAME]: tool,
    });
  }

  override done(seconds: number, failed: boolean, error: unknown): void {
    this.calls.inc();
    super.done(seconds, failed, error);
  }
}

/** The bound series of one workflow. */
class WorkflowSeries extends TimedSeries {
  protected readonly scope = 'workflow';

  constructor(agents: AgentMetrics, context: AgentContext, name: string) {
    super(agents, context, agents.m.workflow, {
      [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_INVOKE_WORKFLOW,
      [ATTR_GEN_AI_WORKFLOW_NAME]: name,
    });
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
  /** @internal */
  readonly models: BoundedValues;
  private readonly agentNames: BoundedValues;
  private readonly workflowNames: BoundedValues;
  private readonly errorTypes: BoundedValues;
  private readonly clock: Clock;
  private readonly current = new AsyncLocalStorage<AgentContext>();
  private readonly agents = new Map<string, AgentContext>();
  private readonly noAgent: AgentContext;
  private readonly workflows = new Map<string, WorkflowSeries>();

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
    this.models = base.bounded(ATTR_GEN_AI_REQUEST_MODEL, METRIC_GEN_AI_INVOKE_AGENT_DURATION);
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
    return this.current.run(context, measure, this.clock, fn, context.run(options?.model));
  }

  /** Runs `fn` as one step of the current agent run (counted in `agent.steps`). Returns what `fn` returns. */
  step<T>(fn: () => T): T {
    return settle(fn, this.current.getStore() ?? this.noAgent);
  }

  /**
   * Runs `fn` as a call of the tool `name` by the current agent: `gen_ai.execute_tool.duration` and
   * `agent.tool_calls`. Returns what `fn` returns.
   */
  tool<T>(name: string, fn: () => T, options?: AgentToolOptions): T {
    const context = this.current.getStore() ?? this.noAgent;
    return measure(this.clock, fn, context.tool(name, options?.type ?? 'function'));
  }

  /** Runs `fn` as the workflow `name` (`gen_ai.workflow.duration`), e.g. around several agent runs. */
  workflow<T>(name: string, fn: () => T): T {
    const bounded = this.workflowNames.of(name);
    const series = getOrAdd(this.workflows, bounded, () => new WorkflowSeries(this, this.noAgent, bounded));
    return measure(this.clock, fn, series);
  }

  /** @internal Counts the error in `agent.errors` and returns `attributes` with its `error.type`. */
  recordError(attributes: object, context: AgentContext, scope: AgentScope, error: unknown): Attributes {
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
