import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../processes.js';

// The live page in a real headless Chromium (Debian's `chromium`, no browser download), against the demo app
// under traffic. Screenshots go to test-artifacts/ (git-ignored); docs/live-page.png is one of them.
const root = fileURLToPath(new URL('../..', import.meta.url));
const artifacts = join(root, 'test-artifacts');
let demo: ChildProcess;
let traffic: NodeJS.Timeout;
let profile: string;
let context: BrowserContext;
let page: Page;
let base = '';
/** Every URL the page requested, and when. */
const requests: { url: string; at: number }[] = [];

beforeAll(async () => {
  let output = '';
  demo = spawn(process.execPath, ['examples/demo/server.js'], {
    cwd: root,
    env: { ...process.env, DEMO_PORT: '0', OTEL_EXPORTER_PROMETHEUS_PORT: '0' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  demo.stdout!.on('data', (d) => (output += d));
  demo.stderr!.on('data', (d) => (output += d));
  const metricsUrl = await waitFor('the demo to start', async () => /metrics:\s+(\S+)/.exec(output)?.[1]);
  const app = /demo app:\s+(http:\/\/[^/]+)/.exec(output)![1]!;
  base = metricsUrl.slice(0, -'/metrics'.length);
  // Traffic on top of the demo's own: 40 user ids push users.lookups past its limit of 20.
  let n = 0;
  const send = () => {
    n++;
    const path = n % 3 === 0 ? '/checkout' : `/users/${n % 40}`;
    fetch(`${app}${path}`, { method: n % 3 === 0 ? 'POST' : 'GET' }).then(
      (r) => r.arrayBuffer(),
      () => {},
    );
  };
  for (let i = 0; i < 80; i++) send();
  traffic = setInterval(send, 50);
  profile = mkdtempSync(join(tmpdir(), 'omb-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
    viewport: { width: 1280, height: 900 },
    colorScheme: 'light',
    reducedMotion: 'reduce',
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on('request', (r) => requests.push({ url: r.url(), at: Date.now() }));
  mkdirSync(artifacts, { recursive: true });
  await page.goto(`${base}/`);
}, 60_000);

afterAll(async () => {
  clearInterval(traffic);
  await context?.close();
  demo?.kill('SIGKILL');
  if (profile) rmSync(profile, { recursive: true, force: true });
});

const text = (selector: string) => page.locator(selector).first().innerText();

describe('the live metrics page in a browser', () => {
  it('lists every metric family with its type, unit, description and series count, searchable', async () => {
    await page.locator('#metrics-body tr[data-family="orders_placed"]').waitFor();
    const row = page.locator('#metrics-body tr[data-family="checkout_duration_seconds"]');
    await expect(row.locator('td').nth(1).innerText()).resolves.toBe('histogram');
    await expect(row.locator('td').nth(2).innerText()).resolves.toBe('seconds');
    await expect(row.innerText()).resolves.toContain('Time to complete a checkout');
    await expect(row.innerText()).resolves.toMatch(/p50 .+ · p95 .+ · p99 /);
    expect(await page.locator('#metrics-body tbody tr').count()).toBeGreaterThan(20);

    await page.getByLabel('Search metrics').fill('checkout');
    const names = await page.locator('#metrics-body tbody tr .name').allInnerTexts();
    expect(names).toEqual(['checkout_duration_seconds']);
    await expect(text('#count')).resolves.toMatch(/^1 of \d+ metric families$/);
    await page.getByLabel('Search metrics').fill('');
  });

  it('shows a route’s request rate, error ratio and p95 in the HTTP view', async () => {
    const row = page.locator('#red-body tr[data-route="/users/:id"]');
    const rate = await waitFor('a request rate for /users/:id', async () => {
      const t = await row.locator('[data-field="rate"]').innerText({ timeout: 1000 });
      const v = Number.parseFloat(t);
      return v > 0 ? v : undefined;
    });
    expect(rate).toBeGreaterThan(0);
    await expect(row.locator('[data-field="p95"]').innerText()).resolves.toMatch(/^[\d.e+-]+ (µs|ms|s)$/);
    await expect(row.locator('[data-field="errors"]').innerText()).resolves.toBe('0 %');
    await row.locator('svg.spark[aria-label^="/users/:id requests per second trend"]').waitFor();
  });

  it('flags the metric pushed past its cardinality limit at the top of the cardinality view', async () => {
    const first = page.locator('#cardinality-body tbody tr').first();
    await expect(first.getAttribute('data-family')).resolves.toBe('users_lookups');
    await expect(first.getAttribute('data-overflow')).resolves.toBe('true');
    await expect(first.innerText()).resolves.toContain('over its cardinality limit');
    expect(Number(await first.locator('td').nth(1).innerText())).toBeGreaterThanOrEqual(20);
    await expect(first.innerText()).resolves.toMatch(/user_id: \d+/);
    await expect(page.locator('#cardinality-body tr[data-overflow]').count()).resolves.toBe(1);
  });

  it('shows the runtime basics and the endpoint’s own omb_* health', async () => {
    for (const card of ['Event-loop delay p99', 'Heap used', 'CPU']) {
      await expect(page.locator(`[data-runtime="${card}"] .value`).innerText()).resolves.toMatch(/\d/);
    }
    await page.locator('#health-body tr[data-family="omb_scrape_requests"]').waitFor();
  });

  it('loads nothing from elsewhere, runs no animation, and is keyboard navigable', async () => {
    expect(requests.length).toBeGreaterThan(0);
    for (const { url } of requests) expect(url.startsWith(`${base}/`), url).toBe(true);
    // Expressions, not functions: they run in the page, and this project's types know no DOM.
    expect(await page.evaluate('document.getAnimations().length')).toBe(0);
    // From the heading, one step back is the skip link; following it lands on the search box next.
    await page.locator('h1').click();
    await page.keyboard.press('Shift+Tab');
    expect(await page.evaluate('document.activeElement.textContent')).toBe('Skip to all metrics');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    expect(await page.evaluate('document.activeElement.id')).toBe('search');
  });

  it('is readable in light and dark schemes (screenshots in test-artifacts/)', async () => {
    const background = () => page.evaluate('getComputedStyle(document.body).backgroundColor');
    await page.evaluate('window.scrollTo(0, 0)');
    expect(await background()).toBe('rgb(255, 255, 255)');
    await page.screenshot({ path: join(artifacts, 'live-page-light.png') });
    await page.screenshot({ path: join(artifacts, 'live-page-light-full.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await background()).toBe('rgb(20, 20, 20)');
    expect(await page.evaluate('getComputedStyle(document.body).color')).toBe('rgb(232, 232, 232)');
    await page.screenshot({ path: join(artifacts, 'live-page-dark.png') });
    await page.emulateMedia({ colorScheme: 'light' });
  });

  it('stops polling while the tab is hidden and resumes when it is shown', async () => {
    const polls = () => requests.filter((r) => r.url.endsWith('/data.json')).length;
    // Headless Chromium keeps every tab visible (switching tabs or minimizing changes nothing), so the test
    // sets the state the browser would report and fires the event it would fire.
    const setVisibility = (state: 'hidden' | 'visible') =>
      page.evaluate(
        `Object.defineProperty(document, 'visibilityState', { configurable: true, get: () => '${state}' });
         document.dispatchEvent(new Event('visibilitychange'));`,
      );
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    const isPoll = (r: { url(): string }) => r.url().endsWith('/data.json');
    const expectNoPollFor = async (ms: number) => {
      const before = polls();
      await sleep(ms);
      expect(polls()).toBe(before);
    };

    // Hidden while the page waits for its next poll.
    await page.waitForResponse(isPoll);
    await setVisibility('hidden');
    await expectNoPollFor(5000);
    await setVisibility('visible');
    await page.waitForRequest(isPoll, { timeout: 3000 });

    // Hidden while a poll is on the wire (held back for a second): its answer must not schedule another.
    await page.route('**/data.json', async (route) => {
      await sleep(1000);
      await route.continue();
    });
    await page.waitForRequest(isPoll);
    await setVisibility('hidden');
    await page.waitForResponse(isPoll);
    await page.unroute('**/data.json');
    await expectNoPollFor(5000);
    await setVisibility('visible');
    await page.waitForRequest(isPoll, { timeout: 3000 });
  });
});
