// Run first by `npm test`: checks the programs the tests use and says exactly what to install, instead of a
// test failing later with an empty message. `.ci/run` installs the same Debian packages on a fresh machine.
import { spawnSync } from 'node:child_process';

/** What the tests run, how to tell it works, and the Debian package that provides it. */
const NEEDED = [
  { what: 'promtool (validates every scrape)', cmd: ['promtool', '--version'], apt: 'prometheus' },
  { what: 'prometheus (the end-to-end scrape tests)', cmd: ['prometheus', '--version'], apt: 'prometheus' },
  {
    what: '/usr/bin/python3 with prometheus_client (the reference exposition parser)',
    cmd: ['/usr/bin/python3', '-c', 'import prometheus_client'],
    apt: 'python3-prometheus-client',
  },
  {
    what: '/usr/bin/chromium (the live metrics page browser test, driven by playwright-core)',
    cmd: ['/usr/bin/chromium', '--version'],
    apt: 'chromium',
  },
];

const missing = NEEDED.filter(({ cmd }) => spawnSync(cmd[0], cmd.slice(1), { stdio: 'ignore' }).status !== 0);
if (missing.length > 0) {
  const packages = [...new Set(missing.map((m) => m.apt))].join(' ');
  console.error(
    [
      'npm test: missing prerequisites:',
      ...missing.map((m) => `  - ${m.what}`),
      `Install them with: sudo apt-get install ${packages}`,
      '(on a fresh machine `.ci/run` does this and then runs the tests)',
    ].join('\n'),
  );
  process.exit(1);
}
