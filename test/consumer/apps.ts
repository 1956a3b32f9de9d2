// The fresh apps the consumer test installs the packed tarball into: each is a package.json plus source files,
// started the way the README tells users to start them. Every app serves GET /items/:id and prints
// `listening <port>` once it accepts requests.

export interface AppSpec {
  /** Folder name and test label. */
  name: string;
  /** Extra packages for `npm install` besides the tarball. */
  extra: string[];
  /** Node arguments before the main file. */
  preload: string[];
  main: string;
  files: Record<string, string>;
  /** What the scrape must show as `service_name`. */
  serviceName: string;
}

const PLAIN_SERVER = `
const server = createServer((req, res) => {
  hits.add(1);
  res.setHeader('content-type', 'text/plain');
  res.end(req.url.startsWith('/items/') ? 'item' : 'hello');
});
server.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`;

const COUNTER = `const hits = metrics.getMeter('consumer-app').createCounter('app.hits');`;

export const APPS: readonly AppSpec[] = [
  {
    name: 'esm-http',
    extra: [],
    preload: ['--import', 'otel-metrics-bootstrap/register'],
    main: 'app.js',
    serviceName: 'esm-http',
    files: {
      'package.json': JSON.stringify({ name: 'esm-http', version: '1.0.0', private: true, type: 'module' }),
      'app.js': `import { createServer } from 'node:http';\nimport { metrics } from '@opentelemetry/api';\n${COUNTER}\n${PLAIN_SERVER}`,
    },
  },
  {
    name: 'commonjs-http',
    extra: [],
    preload: ['--require', 'otel-metrics-bootstrap/register'],
    main: 'app.js',
    serviceName: 'commonjs-http',
    files: {
      'package.json': JSON.stringify({ name: 'commonjs-http', version: '1.0.0', private: true }),
      'app.js': `const { createServer } = require('node:http');\nconst { metrics } = require('@opentelemetry/api');\n${COUNTER}\n${PLAIN_SERVER}`,
    },
  },
  {
    name: 'express5',
    extra: ['express@5'],
    preload: ['--import', 'otel-metrics-bootstrap/register'],
    main: 'app.js',
    serviceName: 'express5',
    files: {
      'package.json': JSON.stringify({ name: 'express5', version: '1.0.0', private: true, type: 'module' }),
      'app.js': `import express from 'express';
import { metrics } from '@opentelemetry/api';
${COUNTER}
const app = express();
app.get('/items/:id', (_req, res) => {
  hits.add(1);
  res.send('item');
});
const server = app.listen(0, '127.0.0.1', () => console.log('listening ' + server.address().port));
`,
    },
  },
  {
    // The design card's own register file: `node --import ./register.js app.js`.
    name: 'register-file',
    extra: [],
    preload: ['--import', './register.js'],
    main: 'app.js',
    serviceName: 'card-service',
    files: {
      'package.json': JSON.stringify({
        name: 'register-file',
        version: '1.0.0',
        private: true,
        type: 'module',
      }),
      'register.js': `import { register } from 'otel-metrics-bootstrap/register';
register({ serviceName: 'card-service', http: { routes: ['/items/:id'] } });
`,
      'app.js': `import { createServer } from 'node:http';\nimport { metrics } from '@opentelemetry/api';\n${COUNTER}\n${PLAIN_SERVER}`,
    },
  },
];

/** An ESM app that pins `@opentelemetry/api` itself, for the supported-range checks. */
export function pinnedApiApp(version: string): AppSpec {
  const name = `api-${version}`;
  return {
    name,
    extra: [`@opentelemetry/api@${version}`],
    preload: ['--import', 'otel-metrics-bootstrap/register'],
    main: 'app.js',
    serviceName: name,
    files: {
      'package.json': JSON.stringify({ name, version: '1.0.0', private: true, type: 'module' }),
      'app.js': `import { createServer } from 'node:http';\nimport { metrics } from '@opentelemetry/api';\n${COUNTER}\n${PLAIN_SERVER}`,
    },
  };
}
