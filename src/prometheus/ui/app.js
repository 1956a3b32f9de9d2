// The live metrics page. Served inline by the endpoint after the test kit's `bucketQuantile` (same quantile
// rules as the tests and `histogram_quantile()`). It polls the JSON view of the same collection a scrape
// uses, one request at a time, and stops while the tab is hidden. History lives only in this tab.
/* global bucketQuantile */
(() => {
  const DATA = document.querySelector('meta[name="omb-data"]').content;
  const POLL_MS = 2000;
  /** Rates and windowed percentiles cover this long. */
  const WINDOW_MS = 60_000;
  /** Sparklines (and the history kept for them) cover this long. */
  const KEEP_MS = 10 * 60_000;
  const RED_FAMILY = 'http_server_request_duration_seconds';
  const $ = (id) => document.getElementById(id);

  /** Each poll: { time, families: Map(name → family), stats: Map(name → headline), red: Map(route → row) }. */
  const snapshots = [];
  let timer;
  let polling = false;
  let paused = false;

  function esc(s) {
    return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  }

  function fmt(v, unit) {
    if (v === null || v === undefined || Number.isNaN(v)) return '–';
    if (unit === 'seconds') {
      const a = Math.abs(v);
      if (a !== 0 && a < 1e-3) return `${num(v * 1e6)} µs`;
      if (a !== 0 && a < 1) return `${num(v * 1e3)} ms`;
      return `${num(v)} s`;
    }
    if (unit === 'bytes') {
      const steps = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
      let i = 0;
      while (Math.abs(v) >= 1024 && i < steps.length - 1) {
        v /= 1024;
        i++;
      }
      return `${num(v)} ${steps[i]}`;
    }
    if (unit === 'ratio') return `${num(v * 100)} %`;
    return unit ? `${num(v)} ${unit}` : num(v);
  }

  function num(v) {
    if (v === 0) return '0';
    const a = Math.abs(v);
    if (a >= 1e6 || a < 1e-3) return v.toExponential(2);
    return String(Number(v.toPrecision(3)));
  }

  const key = (labels) => JSON.stringify(labels);

  /** The snapshot the window starts at: the oldest within WINDOW_MS of `i`, never `i` itself. */
  function baseOf(i) {
    const from = snapshots[i].time - WINDOW_MS;
    for (let j = 0; j < i; j++) if (snapshots[j].time >= from) return snapshots[j];
    return undefined;
  }

  /** Per-bucket count differences since `before` (a counter reset counts from zero). */
  function delta(series, before) {
    if (before === undefined) return series.counts;
    if (series.count < before.count || before.counts.length !== series.counts.length) return series.counts;
    return series.counts.map((c, i) => c - before.counts[i]);
  }

  /** Histogram series merged by bucket layout; returns p50/p95/p99 of the merged counts and their total. */
  function mergedQuantiles(list) {
    let bounds;
    let counts;
    for (const { series, counts: c } of list) {
      if (bounds === undefined) {
        bounds = series.bounds;
        counts = c.slice();
      } else if (key(bounds) === key(series.bounds)) counts = counts.map((x, i) => x + c[i]);
    }
    if (bounds === undefined) return { total: 0 };
    const total = counts.reduce((a, b) => a + b, 0);
    const q = (p) => (total > 0 ? bucketQuantile(p, bounds, counts) : Number.NaN);
    return { total, p50: q(0.5), p95: q(0.95), p99: q(0.99) };
  }

  /** What a family's row shows at snapshot `cur` (window from `base`): text, and a number for the sparkline. */
  function headline(f, cur, base) {
    const prev = base?.families.get(f.name);
    const previous = new Map((prev?.series ?? []).map((s) => [key(s.labels), s]));
    const dt = base ? (cur.time - base.time) / 1000 : 0;
    const unit = f.unit;
    if (f.type === 'counter') {
      if (!base || dt <= 0) return { text: 'rate after the next poll', value: Number.NaN };
      let rate = 0;
      for (const s of f.series) {
        const before = previous.get(key(s.labels))?.value ?? 0;
        rate += (s.value < before ? s.value : s.value - before) / dt;
      }
      return { text: `${fmt(rate, unit)}/s`, value: rate };
    }
    if (f.type === 'histogram') {
      const windowed = mergedQuantiles(
        f.series.map((s) => ({ series: s, counts: delta(s, previous.get(key(s.labels))) })),
      );
      const use =
        base && windowed.total > 0
          ? windowed
          : mergedQuantiles(f.series.map((s) => ({ series: s, counts: s.counts })));
      const suffix = base && windowed.total > 0 ? '' : ' (all time)';
      return {
        text: `p50 ${fmt(use.p50, unit)} · p95 ${fmt(use.p95, unit)} · p99 ${fmt(use.p99, unit)}${suffix}`,
        value: use.p95,
      };
    }
    if (f.type === 'summary') {
      const count = f.series.reduce((a, s) => a + (s.count ?? 0), 0);
      return { text: `${num(count)} observations`, value: count };
    }
    const values = f.series.map((s) => s.value).filter((v) => typeof v === 'number');
    if (values.length === 0) return { text: '–', value: Number.NaN };
    if (values.length === 1) return { text: fmt(values[0], unit), value: values[0] };
    const lo = Math.min(...values);
    const hi = Math.max(...values);
    return { text: `${fmt(lo, unit)} … ${fmt(hi, unit)}`, value: hi };
  }

  /** The RED row of each route: requests/s, error ratio and p95 over the window. */
  function redRows(cur, base) {
    const f = cur.families.get(RED_FAMILY);
    const rows = new Map();
    if (!f) return rows;
    const prev = new Map((base?.families.get(RED_FAMILY)?.series ?? []).map((s) => [key(s.labels), s]));
    const dt = base ? (cur.time - base.time) / 1000 : 0;
    for (const s of f.series) {
      const route = s.labels.http_route ?? '(no route)';
      const before = prev.get(key(s.labels));
      const counts = delta(s, before);
      const n = counts.reduce((a, b) => a + b, 0);
      const status = Number(s.labels.http_response_status_code);
      const failed = status >= 500 || s.labels.error_type !== undefined;
      const row = rows.get(route) ?? { requests: 0, errors: 0, parts: [] };
      row.requests += n;
      if (failed) row.errors += n;
      row.parts.push({ series: s, counts });
      rows.set(route, row);
    }
    for (const row of rows.values()) {
      row.rate = dt > 0 ? row.requests / dt : Number.NaN;
      row.errorRatio = row.requests > 0 ? row.errors / row.requests : Number.NaN;
      row.p95 = mergedQuantiles(row.parts).p95;
      row.parts = undefined;
    }
    return rows;
  }

  function add(view) {
    const families = new Map(view.families.map((f) => [f.name, f]));
    const cur = { time: view.time, families, stats: new Map(), red: new Map() };
    snapshots.push(cur);
    while (snapshots.length > 1 && snapshots[0].time < view.time - KEEP_MS) snapshots.shift();
    const base = baseOf(snapshots.length - 1);
    for (const f of view.families) cur.stats.set(f.name, headline(f, cur, base));
    cur.red = redRows(cur, base);
  }

  function spark(values, label) {
    const ys = values.filter((v) => Number.isFinite(v));
    if (ys.length < 2) return '';
    const lo = Math.min(...ys);
    const hi = Math.max(...ys);
    const step = 120 / (values.length - 1);
    const points = [];
    values.forEach((v, i) => {
      if (!Number.isFinite(v)) return;
      const y = hi === lo ? 12 : 22 - ((v - lo) / (hi - lo)) * 20;
      points.push(`${(i * step).toFixed(1)},${y.toFixed(1)}`);
    });
    return (
      `<svg class="spark" viewBox="0 0 120 24" role="img" aria-label="${esc(label)} trend, ${esc(num(lo))} to ` +
      `${esc(num(hi))}"><polyline points="${points.join(' ')}"/></svg>`
    );
  }

  const history = (pick) => snapshots.map(pick);

  function familyRows(families) {
    const rows = families.map((f) => {
      const stat = snapshots.at(-1).stats.get(f.name);
      const trend = spark(
        history((s) => s.stats.get(f.name)?.value ?? Number.NaN),
        f.name,
      );
      return (
        `<tr data-family="${esc(f.name)}"><td><span class="name">${esc(f.name)}</span>` +
        `<span class="help">${esc(f.help)}</span></td><td>${esc(f.type)}</td><td>${esc(f.unit)}</td>` +
        `<td class="num">${f.series.length}</td><td class="num">${esc(stat.text)}</td><td>${trend}</td></tr>`
      );
    });
    return (
      '<table><thead><tr><th scope="col">Metric</th><th scope="col">Type</th><th scope="col">Unit</th>' +
      '<th scope="col">Series</th><th scope="col">Now</th><th scope="col">Trend</th></tr></thead>' +
      `<tbody>${rows.join('')}</tbody></table>`
    );
  }

  function renderRed(cur) {
    if (cur.red.size === 0) {
      $('red-body').innerHTML = `<p>No <code>${RED_FAMILY}</code> yet: no HTTP requests recorded.</p>`;
      return;
    }
    const routes = [...cur.red.entries()].sort((a, b) => (b[1].rate || 0) - (a[1].rate || 0));
    const rows = routes.map(([route, r]) => {
      const trend = spark(
        history((s) => s.red.get(route)?.rate ?? Number.NaN),
        `${route} requests per second`,
      );
      return (
        `<tr data-route="${esc(route)}"><td class="name">${esc(route)}</td>` +
        `<td class="num" data-field="rate">${esc(fmt(r.rate))}/s</td>` +
        `<td class="num" data-field="errors">${esc(fmt(r.errorRatio, 'ratio'))}</td>` +
        `<td class="num" data-field="p95">${esc(fmt(r.p95, 'seconds'))}</td><td>${trend}</td></tr>`
      );
    });
    $('red-body').innerHTML =
      '<table><thead><tr><th scope="col">Route</th><th scope="col">Requests</th><th scope="col">Errors</th>' +
      `<th scope="col">p95</th><th scope="col">Requests trend</th></tr></thead><tbody>${rows.join('')}</tbody></table>`;
  }

  /** Runtime basics: the first of each list that the app exports. Gauges are summed (heap spaces, CPU modes). */
  const RUNTIME = [
    ['Event-loop delay p99', ['nodejs_eventloop_delay_p99_seconds', 'nodejs_eventloop_lag_seconds']],
    ['Heap used', ['v8js_memory_heap_used_bytes', 'nodejs_heap_size_used_bytes', 'process_heap_bytes']],
    ['CPU', ['process_cpu_utilization_ratio', 'process_cpu_time_seconds', 'process_cpu_seconds']],
    ['Event-loop utilization', ['nodejs_eventloop_utilization_ratio']],
  ];

  function runtimeValue(snapshot, name) {
    const f = snapshot.families.get(name);
    if (f?.type !== 'gauge') return snapshot.stats.get(name) ?? { text: '–', value: Number.NaN };
    const value = f.series.reduce((a, s) => a + (s.value ?? 0), 0);
    return { text: fmt(value, f.unit), value };
  }

  function renderRuntime(cur) {
    const cards = [];
    for (const [title, names] of RUNTIME) {
      const name = names.find((n) => cur.families.has(n));
      if (name === undefined) continue;
      const trend = spark(
        history((s) => (s.families.has(name) ? runtimeValue(s, name).value : Number.NaN)),
        title,
      );
      cards.push(
        `<div class="card" data-runtime="${esc(title)}"><h3>${esc(title)}</h3>` +
          `<div class="value">${esc(runtimeValue(cur, name).text)}</div><code>${esc(name)}</code>${trend}</div>`,
      );
    }
    $('runtime-body').innerHTML =
      cards.length > 0 ? cards.join('') : '<p>No runtime metrics exported (runtime metrics are off).</p>';
  }

  function matches(f, q) {
    return q === '' || [f.name, f.type, f.unit, f.help].some((t) => t.toLowerCase().includes(q));
  }

  function renderMetrics(cur) {
    const q = $('search').value.trim().toLowerCase();
    const all = [...cur.families.values()];
    const shown = all.filter((f) => matches(f, q));
    $('count').textContent = `${shown.length} of ${all.length} metric families`;
    $('metrics-body').innerHTML = shown.length > 0 ? familyRows(shown) : '<p>No metric matches.</p>';
    const omb = all.filter((f) => f.name.startsWith('omb_'));
    $('health-body').innerHTML =
      omb.length > 0 ? familyRows(omb) : '<p>Self-metrics are off (prometheus.selfMetrics).</p>';
  }

  const NOT_ATTRIBUTES = new Set(['otel_scope_name', 'otel_scope_version', 'otel_scope_schema_url']);

  function renderCardinality(cur) {
    const rows = [...cur.families.values()].map((f) => {
      const values = new Map();
      let overflow = false;
      for (const s of f.series) {
        if (s.labels.otel_metric_overflow === 'true') overflow = true;
        for (const [k, v] of Object.entries(s.labels)) {
          if (NOT_ATTRIBUTES.has(k)) continue;
          if (!values.has(k)) values.set(k, new Set());
          values.get(k).add(v);
        }
      }
      const keys = [...values.entries()].sort((a, b) => b[1].size - a[1].size);
      return { f, overflow, keys };
    });
    rows.sort((a, b) => b.overflow - a.overflow || b.f.series.length - a.f.series.length);
    const html = rows.map(({ f, overflow, keys }) => {
      const attrs = keys.map(([k, set]) => `<code>${esc(k)}</code>: ${set.size}`).join(', ');
      const flag = overflow ? '<span class="badge">⚠ over its cardinality limit</span>' : '';
      return (
        `<tr data-family="${esc(f.name)}"${overflow ? ' class="over" data-overflow="true"' : ''}>` +
        `<td class="name">${esc(f.name)}</td><td class="num">${f.series.length}</td><td>${flag}</td>` +
        `<td>${attrs}</td></tr>`
      );
    });
    $('cardinality-body').innerHTML =
      '<table><thead><tr><th scope="col">Metric</th><th scope="col">Series</th><th scope="col">Overflow</th>' +
      `<th scope="col">Distinct values per attribute</th></tr></thead><tbody>${html.join('')}</tbody></table>`;
  }

  function render() {
    const cur = snapshots.at(-1);
    if (!cur) return;
    const target = cur.families.get('target_info') ?? cur.families.get('target');
    const service = target?.series[0]?.labels.service_name;
    $('service').textContent = service ? `— ${service}` : '';
    renderRed(cur);
    renderRuntime(cur);
    renderMetrics(cur);
    renderCardinality(cur);
  }

  function status(text) {
    $('status').textContent = text;
  }

  function schedule() {
    clearTimeout(timer);
    timer = undefined;
    if (paused || document.visibilityState === 'hidden') return;
    timer = setTimeout(poll, POLL_MS);
  }

  async function poll() {
    if (polling) return;
    polling = true;
    try {
      const res = await fetch(DATA, { cache: 'no-store', credentials: 'same-origin' });
      if (!res.ok) throw new Error(`${res.status} ${(await res.text()).trim()}`);
      add(await res.json());
      render();
      const at = new Date(snapshots.at(-1).time).toLocaleTimeString();
      status(`Updated ${at}, every ${POLL_MS / 1000} s; polling stops while this tab is hidden.`);
    } catch (err) {
      status(`Could not load metrics: ${err.message}. Retrying.`);
    } finally {
      polling = false;
      schedule();
    }
  }

  document.addEventListener('visibilitychange', () => {
    if (document.visibilityState === 'hidden') {
      clearTimeout(timer);
      timer = undefined;
    } else if (!paused && timer === undefined) poll();
  });
  $('pause').addEventListener('click', () => {
    paused = !paused;
    $('pause').textContent = paused ? 'Resume' : 'Pause';
    $('pause').setAttribute('aria-pressed', String(paused));
    if (paused) {
      clearTimeout(timer);
      timer = undefined;
      status('Paused.');
    } else poll();
  });
  $('search').addEventListener('input', () => {
    if (snapshots.length > 0) renderMetrics(snapshots.at(-1));
  });
  poll();
})();
