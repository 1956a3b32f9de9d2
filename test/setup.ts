// Registers the testing kit's matchers (toHaveCounter, toHaveHistogram, …) for every test file, exactly as a user's
// `setupFiles: ['otel-metrics-bootstrap/testing/vitest']` would.
import '../src/testing/vitest.js';
