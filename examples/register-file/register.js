// Your own register file, for configuration that environment variables cannot express (route tables,
// buckets, views), started before the app with no change to the app:
//
//   node --import ./examples/register-file/register.js examples/register-file/app.js
//
// register() merges this config with the environment (explicit options win), never throws: on a problem it
// prints "metrics not started: <reason>" and the app runs on. It flushes and closes on SIGTERM/SIGINT like
// `--import otel-metrics-bootstrap/register`.
import { register } from 'otel-metrics-bootstrap/register';

register({
  serviceName: 'register-file-example',
  http: { routes: ['/users/:id'] },
  histograms: { 'http.server.request.duration': [0.005, 0.01, 0.05, 0.1, 0.5, 1, 5] },
});
