// Runs bench.html in headless Chromium (Debian's /usr/bin/chromium, driven
// by playwright-core from web/tests/node_modules) and prints its result as
// one JSON line. Build first (web/build.sh). Usage:
//   node web/engine/bench/bench.mjs [epochs]
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import net from 'node:net';

const here = path.dirname(fileURLToPath(import.meta.url));
const web = path.resolve(here, '../..');
const require = createRequire(path.join(web, 'tests', 'package.json'));
const { chromium } = require('playwright-core');
const epochs = Number(process.argv[2] || 3);

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
  await page.goto(`http://127.0.0.1:${port}/engine/bench/bench.html?epochs=${epochs}`);
  await page.waitForFunction(() => window.benchResult !== undefined, null, { timeout: 600_000 });
  const result = await page.evaluate(() => window.benchResult);
  console.log(JSON.stringify(result));
  if (result.error) process.exitCode = 1;
} finally {
  if (browser) await browser.close();
  server.kill();
}
