import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bucketQuantile } from '../../src/testing/quantile.js';

interface Case {
  boundaries: number[];
  counts: number[];
}

const CASES: Record<string, Case> = {
  spread: { boundaries: [1, 2, 5], counts: [1, 2, 1, 0] },
  inInf: { boundaries: [1, 2, 5], counts: [1, 0, 0, 3] },
  firstEmpty: { boundaries: [1, 2, 5], counts: [0, 2, 1, 1] },
  negativeFirst: { boundaries: [-1, 0, 1], counts: [2, 1, 1, 0] },
  seconds: {
    boundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10],
    counts: [3, 7, 11, 20, 9, 4, 30, 12, 5, 2, 1, 0, 0, 0, 1],
  },
  single: { boundaries: [0.5], counts: [1, 0] },
  empty: { boundaries: [1, 2], counts: [0, 0, 0] },
};
const QS = [0, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 1];

/**
 * Asks the real Prometheus engine (`promtool test rules`) to evaluate `histogram_quantile()` over the same buckets
 * and to compare with our estimates; resolves with promtool's output, rejects with it on any difference.
 */
async function promtoolAgrees(
  cases: Record<string, Case>,
  qs: number[],
  estimate: typeof bucketQuantile = bucketQuantile,
): Promise<string> {
  const series: string[] = [];
  const exprs: string[] = [];
  for (const [name, { boundaries, counts }] of Object.entries(cases)) {
    let cumulative = 0;
    [...boundaries.map(String), '+Inf'].forEach((le, i) => {
      cumulative += counts[i] ?? 0;
      series.push(`      - series: 'h_bucket{case="${name}",le="${le}"}'\n        values: '${cumulative}'`);
    });
    for (const q of qs) {
      const ours = estimate(q, boundaries, counts);
      const expr = `histogram_quantile(${q}, h_bucket{case="${name}"})`;
      // promtool cannot compare NaN with NaN; `x == x` filters out exactly the NaN results, leaving no sample.
      exprs.push(
        Number.isNaN(ours)
          ? `      - expr: '${expr} == ${expr}'\n        eval_time: 0\n        exp_samples: []`
          : `      - expr: '${expr}'\n        eval_time: 0\n` +
              `        exp_samples:\n          - labels: '{case="${name}"}'\n            value: ${ours}`,
      );
    }
  }
  const yaml = `rule_files: []\ntests:\n  - interval: 1m\n    input_series:\n${series.join('\n')}\n    promql_expr_test:\n${exprs.join('\n')}\n`;
  const dir = await mkdtemp(join(tmpdir(), 'omb-quantile-'));
  try {
    const file = join(dir, 'quantile.yml');
    await writeFile(file, yaml);
    return await new Promise((resolve, reject) => {
      execFile('promtool', ['test', 'rules', file], (err, stdout, stderr) =>
        err ? reject(new Error(`${stdout}${stderr}`)) : resolve(`${stdout}${stderr}`),
      );
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

describe('bucketQuantile', () => {
  it('gives the same value as Prometheus histogram_quantile() for every case and quantile', async () => {
    await expect(promtoolAgrees(CASES, QS)).resolves.toContain('SUCCESS');
  });

  it('is checked by a comparison that can fail', async () => {
    // An estimate off by 1% must make promtool fail, or the test above proves nothing.
    const skewed: typeof bucketQuantile = (q, b, c) => bucketQuantile(q, b, c) * 1.01;
    await expect(promtoolAgrees({ spread: CASES['spread']! }, [0.5], skewed)).rejects.toThrow(/FAILED/);
    const nan: typeof bucketQuantile = () => Number.NaN;
    await expect(promtoolAgrees({ spread: CASES['spread']! }, [0.5], nan)).rejects.toThrow(/FAILED/);
  });

  it('interpolates linearly inside the bucket that holds the rank', () => {
    // 4 observations: 1 in (0,1], 2 in (1,2], 1 in (2,5]; the median (rank 2) is halfway through (1,2].
    expect(bucketQuantile(0.5, [1, 2, 5], [1, 2, 1, 0])).toBe(1.5);
    expect(bucketQuantile(0.25, [1, 2, 5], [1, 2, 1, 0])).toBe(1);
    expect(bucketQuantile(1, [1, 2, 5], [1, 2, 1, 0])).toBe(5);
  });

  it('answers the highest finite boundary when the rank falls in the +Inf bucket', () => {
    expect(bucketQuantile(0.9, [1, 2, 5], [1, 0, 0, 3])).toBe(5);
  });

  it('answers the upper bound of a lowest bucket that is not above zero', () => {
    expect(bucketQuantile(0.25, [-1, 0, 1], [2, 1, 1, 0])).toBe(-1);
  });

  it('answers NaN for an empty histogram or one without finite buckets', () => {
    expect(bucketQuantile(0.5, [1, 2], [0, 0, 0])).toBeNaN();
    expect(bucketQuantile(0.5, [], [4])).toBeNaN();
  });

  it('rejects a quantile outside 0..1 instead of answering ±Inf like PromQL', () => {
    expect(() => bucketQuantile(99, [1], [1, 0])).toThrowErrorMatchingInlineSnapshot(
      `[RangeError: quantile must be between 0 and 1 (0.99, not 99), got 99]`,
    );
    expect(() => bucketQuantile(-0.1, [1], [1, 0])).toThrow(RangeError);
    expect(() => bucketQuantile(Number.NaN, [1], [1, 0])).toThrow(RangeError);
  });
});
