import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse, parseAllDocuments } from 'yaml';

/** The repository root, with a trailing slash. */
export const root = fileURLToPath(new URL('../..', import.meta.url));

/** A YAML file of the repository (path relative to the root), parsed. */
export function readYaml<T>(path: string): T {
  return parse(readFileSync(root + path, 'utf8')) as T;
}

/** Every document of a multi-document YAML file (Kubernetes manifests). */
export function readYamlDocuments<T>(path: string): T[] {
  return parseAllDocuments(readFileSync(root + path, 'utf8')).map((d) => {
    if (d.errors.length) throw new Error(`${path}: ${d.errors.join('; ')}`);
    return d.toJS() as T;
  });
}

export interface ScrapeConfig {
  job_name: string;
  metrics_path?: string;
  static_configs?: { targets: string[] }[];
  kubernetes_sd_configs?: { role: string }[];
  file_sd_configs?: { files: string[]; refresh_interval?: string }[];
  relabel_configs?: Record<string, unknown>[];
}

export interface PrometheusConfig {
  global: Record<string, string>;
  rule_files: string[];
  scrape_configs: ScrapeConfig[];
}

/** Runs promtool; resolves with its exit code and output (it never rejects: the caller asserts). */
export function promtool(args: string[]): Promise<{ code: number; out: string }> {
  return new Promise((resolve) => {
    execFile('promtool', args, { cwd: root }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}
