import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** `promtool check metrics` on an exposition; resolves with its output, rejects with it on failure. */
export async function promtoolCheck(text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile('promtool', ['check', 'metrics'], (err, stdout, stderr) => {
      const out = `${stdout}${stderr}`;
      if (err) reject(new Error(`promtool check metrics failed:\n${out}`));
      else resolve(out);
    });
    child.stdin?.end(text);
  });
}

export interface ParsedFamily {
  name: string;
  type: string;
  unit?: string;
  samples: { name: string; labels: Record<string, string>; value: number }[];
}

/**
 * Parses an exposition with the reference parser from prometheus_client (Debian's python3-prometheus-client):
 * `text` uses `prometheus_client.parser`, `openmetrics` uses `prometheus_client.openmetrics.parser`.
 */
export async function referenceParse(
  text: string,
  format: 'text' | 'openmetrics' = 'text',
): Promise<ParsedFamily[]> {
  const module = format === 'text' ? 'prometheus_client.parser' : 'prometheus_client.openmetrics.parser';
  const script = `
import sys, json, math
from ${module} import text_string_to_metric_families
out = []
for f in text_string_to_metric_families(sys.stdin.read()):
    out.append({"name": f.name, "type": f.type, "unit": getattr(f, "unit", ""),
                "samples": [{"name": s.name, "labels": s.labels,
                             "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]})
print(json.dumps(out))
`;
  const child = run('/usr/bin/python3', ['-c', script], { maxBuffer: 256 * 1024 * 1024 });
  child.child.stdin?.end(text);
  const { stdout } = await child;
  return JSON.parse(stdout) as ParsedFamily[];
}
