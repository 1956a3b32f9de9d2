import { readFileSync } from 'node:fs';
import { diag } from '@opentelemetry/api';
import { bucketQuantile } from '../testing/quantile.js';

const ASSETS = new URL('./ui/', import.meta.url);
let page: string | undefined;

/**
 * The live page, one self-contained HTML document: its styles and script are inlined from `ui/` (copied next
 * to this module by the build) together with the test kit's `bucketQuantile`, so the browser computes windowed
 * percentiles with the very code the JSON view and the tests use. Read once; `undefined` (reported once) when
 * the files are missing, which only a broken install can cause. `dataPath` is where its JSON view is served.
 */
export function uiPage(dataPath: string): string | undefined {
  if (page === undefined) page = readPage();
  const attr = dataPath.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return page === '' ? undefined : page.replace('__DATA_PATH__', () => attr);
}

function readPage(): string {
  try {
    const read = (file: string) => readFileSync(new URL(file, ASSETS), 'utf8');
    return read('index.html')
      .replace('/*STYLE*/', () => read('style.css'))
      .replace('/*SCRIPT*/', () => `${bucketQuantile.toString()}\n${read('app.js')}`);
  } catch (err) {
    diag.error('otel-metrics-bootstrap: the live metrics page is missing from the package', err);
    return '';
  }
}
