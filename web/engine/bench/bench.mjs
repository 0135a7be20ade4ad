// Runs bench.html in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core from web/tests/node_modules) and prints its result as
// one JSON line. Build first (web/build.sh). Usage:
//   node web/engine/bench/bench.mjs [epochs [pkg module URL, relative to bench.html]]
//   node web/engine/bench/bench.mjs step '<{playground, dataset} JSON>' [pkg module URL]
//   node web/engine/bench/bench.mjs ab <module URL>,<module URL>,... [rounds [steps]]
// The second runs step.html: one step's Z, dW, db in wasm (compare.mjs
// compares them with the native step_dw example's).
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../..');
const require = createRequire(path.join(web, 'tests', 'package.json'));
const { chromium } = require('playwright-core');
// The third runs ab.html: an interleaved A/B of wasm builds (module URLs
// relative to web/engine/bench/, the first the reference).
const mode = ['step', 'ab'].includes(process.argv[2]) ? process.argv[2] : 'epoch';
const arg = (i) => (process.argv[i] ? encodeURIComponent(process.argv[i]) : '');
const url = {
  step: `engine/bench/step.html?config=${arg(3) || '{}'}${arg(4) ? `&pkg=${arg(4)}` : ''}`,
  ab: `engine/bench/ab.html?pkgs=${arg(3)}&rounds=${arg(4) || 30}&steps=${arg(5) || 40}`,
  epoch: `engine/bench/bench.html?epochs=${Number(process.argv[2] || 3)}${arg(3) ? `&pkg=${arg(3)}` : ''}`,
}[mode];
const key = { step: 'stepResult', ab: 'abResult', epoch: 'benchResult' }[mode];

const port = await new Promise((resolve) => {
  const s = net.createServer().listen(0, '127.0.0.1', () => {
    const p = s.address().port;
    s.close(() => resolve(p));
  });
});
const server = spawn('python3', ['-m', 'http.server', String(port), '--bind', '127.0.0.1', '--directory', web], {
  stdio: 'ignore',
});
let browser;
try {
  for (let i = 0; i < 50; i++) {
    const up = await new Promise((resolve) => {
      const c = net.connect(port, '127.0.0.1', () => { c.end(); resolve(true); });
      c.on('error', () => resolve(false));
    });
    if (up) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
  const page = await browser.newPage();
  page.on('console', (m) => { if (m.type() === 'error') console.error('console:', m.text()); });
  await page.goto(`http://127.0.0.1:${port}/${url}`);
  await page.waitForFunction((k) => window[k] !== undefined, key, { timeout: 600_000 });
  const result = await page.evaluate((k) => window[k], key);
  console.log(JSON.stringify(result));
  if (result.error) process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  server.kill();
}
