// Shared by the browser tests: Debian's chromium through playwright-core,
// the page's URL (BASE_URL from run.sh, or a server of our own), and the
// console errors of every page opened.

import { chromium } from 'playwright-core';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { startServer, WEB_ROOT } from './serve.mjs';

/** Where screenshots go (gitignored). */
export const ARTIFACTS = path.join(WEB_ROOT, 'tests', 'artifacts');

/**
 * Launches headless chromium with a fresh profile (playwright passes it as
 * --user-data-dir); resolves to {context, close()}.
 */
export async function launch() {
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'backprop-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 1100 },
    acceptDownloads: true,
  });
  return {
    context,
    close: async () => {
      await context.close();
      fs.rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's base URL and a function that stops the server if we started it. */
export async function baseUrl() {
  if (process.env.BASE_URL) return { url: process.env.BASE_URL, close: async () => {} };
  return startServer(WEB_ROOT);
}

/**
 * Opens the page and waits until its engine is ready. `errors` collects every
 * console error and uncaught exception, each as text.
 */
export async function openPage(context, url, errors, hash = '') {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error') errors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  await page.goto(url + hash);
  await page.waitForFunction(() => window.backprop && (window.backprop.ready || window.backprop.error),
    null, { timeout: 30000 });
  const error = await page.evaluate(() => window.backprop.error);
  if (error) throw new Error(`the page did not start: ${error}`);
  return page;
}

/** Saves a screenshot of the page (or one element) under ARTIFACTS. */
export async function screenshot(target, name) {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const file = path.join(ARTIFACTS, name);
  await target.screenshot({ path: file });
  return file;
}
