/**
 * A deterministic log-normal sample (a known distribution, the same on every run): `n` latencies around
 * `median` seconds with log-standard-deviation `sigma`, from a linear congruential generator seeded with `seed`.
 */
export function lognormal(n: number, seed: number, median = 0.05, sigma = 1): number[] {
  let s = seed;
  const uniform = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return (s + 0.5) / 2 ** 31;
  };
  return Array.from({ length: n }, () => {
    const z = Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
    return Math.exp(Math.log(median) + sigma * z);
  });
}
