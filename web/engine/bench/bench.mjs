// Runs bench.html in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core from web/tests/node_modules) and prints its result as
// one JSON line. Build first (web/build.sh). Usage:
//   node web/engine/bench/bench.mjs [epochs [pkg module URL, relative to bench.html]]
//   node web/engine/bench/bench.mjs step '<{playground, dataset} JSON>' [pkg module URL]
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
const stepMode = process.argv[2] === 'step';
const epochs = stepMode ? 0 : Number(process.argv[2] || 3);
const url = stepMode
  ? `engine/bench/step.html?config=${encodeURIComponent(process.argv[3] || '{}')}${process.argv[4] ? `&pkg=${encodeURIComponent(process.argv[4])}` : ''}`
  : `engine/bench/bench.html?epochs=${epochs}${process.argv[3] ? `&pkg=${encodeURIComponent(process.argv[3])}` : ''}`;
const key = stepMode ? 'stepResult' : 'benchResult';

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
