import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';

/** Polls `fn` every 200 ms until it returns something other than `undefined`; rejects after `ms`. */
export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, ms = 30_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A TCP port that was free a moment ago, for programs that cannot listen on port 0 and report it. */
export function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** `n` consecutive TCP ports that were all free a moment ago (PM2 gives each instance base port + instance). */
export async function freePorts(n: number): Promise<number> {
  for (;;) {
    const base = await freePort();
    const free = await Promise.all(Array.from({ length: n - 1 }, (_, i) => canListen(base + i + 1)));
    if (free.every(Boolean)) return base;
  }
}

function canListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer()
      .once('error', () => resolve(false))
      .listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

export interface Started {
  child: ChildProcess;
  /** The first capture group of each pattern, in order. */
  matches: string[];
  /** Everything the process printed so far (stdout and stderr). */
  output(): string;
}

/**
 * Starts a program (Node by default: this repository's Node 24) and resolves once its output matched every
 * pattern, or rejects with that output if it exits first or takes longer than `ms`. The caller kills it.
 */
export function startProcess(
  args: string[],
  patterns: RegExp[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; command?: string; ms?: number } = {},
): Promise<Started> {
  const child = spawn(options.command ?? process.execPath, args, {
    cwd: options.cwd,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${args.join(' ')} printed no ${patterns.join(', ')} in time:\n${out}`));
    }, options.ms ?? 30_000);
    const check = () => {
      const matches = patterns.map((p) => p.exec(out)?.[1]);
      if (matches.every((m) => m !== undefined)) {
        clearTimeout(timer);
        resolve({ child, matches: matches as string[], output: () => out });
      }
    };
    child.stdout?.on('data', (d) => {
      out += d;
      check();
    });
    child.stderr?.on('data', (d) => {
      out += d;
      check();
    });
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      reject(
        new Error(`${args.join(' ')} exited (${code ?? signal}) before printing what was expected:\n${out}`),
      );
    });
  });
}
