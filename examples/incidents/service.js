// The incident processor of the guide (its Step 4): create (deduplicated), triage by an LLM, resolve. Every
// dependency is passed in, so a test runs it on createTestMeter() and a fake LLM API.
import { call } from '../llm-app/client.js';

const SEVERITIES = ['sev-1', 'sev-2', 'sev-3', 'sev-4'];

export class IncidentService {
  /**
   * @param {object} deps
   * @param {ReturnType<import('./metrics.js').createIncidentMetrics>} deps.metrics
   * @param {import('otel-metrics-bootstrap').LlmMetrics} deps.llm  createLlmMetrics() of the triage provider
   * @param {string} deps.llmUrl  base URL of the (OpenAI-style) LLM API
   * @param {() => number} [deps.now]  wall clock in ms, for the time to resolve
   */
  constructor({ metrics, llm, llmUrl, now = Date.now }) {
    this.metrics = metrics;
    this.llm = llm;
    this.llmUrl = llmUrl;
    this.now = now;
    this.incidents = new Map();
    this.open = new Map(); // fingerprint → id, for deduplication
    this.nextId = 1;
  }

  /** Creates an incident from an event, or folds it into the open incident with the same fingerprint. */
  async create({ title, source, category }) {
    const fingerprint = `${source}\u0000${title}`;
    const openId = this.open.get(fingerprint);
    if (openId !== undefined) {
      this.metrics.deduplicated.inc({ source });
      return this.incidents.get(openId);
    }
    const severity = await this.triage(title);
    const incident = {
      id: String(this.nextId++),
      title,
      source,
      category,
      severity,
      status: 'open',
      createdAt: this.now(),
    };
    this.incidents.set(incident.id, incident);
    this.open.set(fingerprint, incident.id);
    const labels = { severity, source, category };
    this.metrics.created.inc(labels);
    this.metrics.active.inc(labels);
    return incident;
  }

  /** Resolves an open incident; `undefined` when there is none with that id. */
  resolve(id) {
    const incident = this.incidents.get(id);
    if (incident === undefined || incident.status !== 'open') return undefined;
    incident.status = 'resolved';
    this.open.delete(`${incident.source}\u0000${incident.title}`);
    const { severity, source, category } = incident;
    this.metrics.resolved.inc({ severity, source, category });
    this.metrics.active.dec({ severity, source, category });
    this.metrics.resolution.observe((this.now() - incident.createdAt) / 1000, { severity, source });
    return incident;
  }

  /** Asks the LLM for a severity; when the LLM fails, the incident is still created, as sev-2 to be safe. */
  async triage(title) {
    const body = {
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Answer with the severity (sev-1 … sev-4) of this incident.' },
        { role: 'user', content: title },
      ],
    };
    try {
      const reply = await this.llm.wrap(() => call(`${this.llmUrl}/v1/chat/completions`, body), {
        model: body.model,
      });
      const verdict = reply.choices?.[0]?.message?.content ?? '';
      return SEVERITIES.find((s) => verdict.startsWith(s)) ?? 'sev-2';
    } catch {
      return 'sev-2';
    }
  }
}
