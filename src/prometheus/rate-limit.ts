/**
 * A token bucket for the optional scrape rate limit: `perSecond` tokens flow in per second, up to `burst`
 * (default `max(1, perSecond)`). So `0.1` allows one scrape every ten seconds, and `10` with a burst of `20`
 * allows twenty at once after a quiet second, then ten per second.
 */
export class RateLimiter {
  private tokens: number;
  private last: number;

  constructor(
    private readonly perSecond: number,
    private readonly burst = Math.max(1, perSecond),
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = this.now();
  }

  /** Takes a token: `0` when the scrape may go ahead, else the seconds to wait (for `Retry-After`). */
  take(): number {
    const now = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.last) / 1000) * this.perSecond);
    this.last = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - this.tokens) / this.perSecond));
  }
}
