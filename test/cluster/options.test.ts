import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/config.js';
import { messageOf } from '../helpers.js';

describe('cluster options', () => {
  it('is off by default and on with `cluster: true` or OMB_CLUSTER=true, with the defaults', () => {
    expect(resolveConfig({}, {}).cluster).toBeUndefined();
    const on = { timeout: 1000, output: 'per-worker', gauges: 'worker' };
    expect(resolveConfig({ cluster: true }, {}).cluster).toEqual(on);
    expect(resolveConfig({}, { OMB_CLUSTER: 'true' }).cluster).toEqual(on);
    expect(resolveConfig({ cluster: false }, { OMB_CLUSTER: 'true' }).cluster).toBeUndefined();
  });

  it('reads every option from the environment, and explicit options win', () => {
    const env = {
      OMB_CLUSTER: 'true',
      OMB_CLUSTER_TIMEOUT: '250',
      OMB_CLUSTER_OUTPUT: 'aggregated',
      OMB_CLUSTER_GAUGES: 'max',
    };
    expect(resolveConfig({}, env).cluster).toEqual({ timeout: 250, output: 'aggregated', gauges: 'max' });
    expect(resolveConfig({ cluster: { gauges: 'min' } }, env).cluster?.gauges).toBe('min');
  });

  it('names the option or variable and the accepted values when one is wrong', () => {
    expect(messageOf(() => resolveConfig({ cluster: { output: 'merged' as never } }, {}))).toBe(
      'cluster.output: "merged" is not accepted; use one of per-worker, aggregated (ERR_INVALID_CLUSTER_OUTPUT)',
    );
    expect(messageOf(() => resolveConfig({ cluster: true }, { OMB_CLUSTER_GAUGES: 'avg' }))).toBe(
      'OMB_CLUSTER_GAUGES: "avg" is not accepted; use one of sum, max, min, worker (ERR_INVALID_GAUGE_POLICY)',
    );
    expect(messageOf(() => resolveConfig({ cluster: { timeout: 0 } }, {}))).toMatch(
      /^cluster\.timeout: .*ERR_INVALID_LIMIT/,
    );
    expect(messageOf(() => resolveConfig({ cluster: { deadline: 5 } as never }, {}))).toMatch(
      /cluster\.deadline: unknown option/,
    );
  });
});
