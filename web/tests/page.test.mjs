// End-to-end tests of the page in headless chromium (issue #18): it loads
// without console errors, learns the spiral in time, its dW equals the native
// library's, saves and loads models, and reads a drawn "1" as 1.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { launch, baseUrl, openPage, screenshot, ARTIFACTS } from './browser.mjs';
import { WEB_ROOT } from './serve.mjs';

const errors = [];
let chromium, server, page;

before(async () => {
  server = await baseUrl();
  chromium = await launch();
  page = await openPage(chromium.context, server.url, errors);
});

after(async () => {
  if (chromium) await chromium.close();
  if (server) await server.close();
});

/** Sets the playground's controls (by element id) and rebuilds data and network. */
async function setControls(values) {
  await page.evaluate((v) => {
    for (const [id, value] of Object.entries(v)) document.getElementById(id).value = String(value);
    document.getElementById('noise').dispatchEvent(new Event('input'));
    window.backprop.playground.rebuild();
  }, values);
  const err = await page.textContent('#config-error');
  assert.equal(err, '', `the settings were refused: ${err}`);
}

test('the page loads without console errors', async () => {
  await page.waitForTimeout(300);
  const state = await page.evaluate(() => window.backprop.playground.state());
  assert.deepEqual(state.sizes, [2, 64, 64, 3], 'the default network');
  assert.deepEqual(errors, []);
});

test('spiral, 2-64-64-3: training accuracy ≥ 0.95 within 10 s of wall time', async (t) => {
  await setControls({
    dataset: 'spiral', classes: 3, points: 600, noise: 0.1, 'test-fraction': 0.2, hidden: '64,64',
    activation: 'relu', loss: 'softmax_cross_entropy', optimizer: 'adam', lr: 0.01,
    schedule: 'constant', batch: 32, l2: 0, dropout: 0, seed: 1,
  });
  const start = Date.now();
  await page.click('#play');
  let reached = null;
  try {
    const handle = await page.waitForFunction(() => {
      const m = window.backprop.playground.metrics;
      return m && m.train_acc >= 0.95 ? { ...m } : false;
    }, null, { timeout: 10000, polling: 50 });
    reached = await handle.jsonValue();
  } catch {
    reached = null;
  }
  const seconds = (Date.now() - start) / 1000;
  if (reached) {
    t.diagnostic(`train_acc ${reached.train_acc.toFixed(4)} (test ${reached.test_acc.toFixed(4)}) after ` +
      `${reached.step} steps, ${seconds.toFixed(2)} s of wall time`);
    await page.waitForTimeout(1500); // a little longer, for the screenshot
  }
  await page.click('#play'); // pause
  const m = await page.evaluate(() => window.backprop.playground.metrics);
  await screenshot(page, 'playground-spiral.png');
  await page.screenshot({ path: path.join(ARTIFACTS, 'playground-full.png'), fullPage: true });
  assert.ok(reached, `train_acc ${m.train_acc} after 10 s (${m.step} steps)`);
  assert.ok(seconds <= 10, `${seconds} s of wall time`);
  assert.equal(await page.textContent('#train-acc'), m.train_acc.toFixed(4), 'the page shows the metrics');
});

test('the inspector shows Z, A, dZ, dW, db of the chosen layer with their shapes', async () => {
  await page.click('#step');
  await page.selectOption('#inspect-layer', '2');
  const shapes = await page.$$eval('#inspector-grid .quantity', (cards) =>
    Object.fromEntries(cards.map((c) => [c.dataset.key, c.querySelector('.shape b')?.textContent])));
  // Layer 2 of 2-64-64-3 with batch 32: W[2] is 64 × 64, one column per sample.
  assert.deepEqual(shapes, {
    A_prev: '64 × 32', Z: '64 × 32', A: '64 × 32', dA: '64 × 32', dZ: '64 × 32', dW: '64 × 64', db: '64 × 1',
  });
  const formula = await page.textContent('#inspector-grid [data-key=dW] .formula');
  assert.equal(formula, 'dW[l] = dZ[l] A[l−1]⊤');
  await screenshot(await page.$('#inspector'), 'inspector.png');
});

test('bad settings are refused with a message naming what was expected and found', async () => {
  const refuse = async (id, value) => {
    await page.evaluate(([i, v]) => {
      document.getElementById(i).value = v;
      window.backprop.playground.rebuild();
    }, [id, value]);
    return page.textContent('#config-error');
  };
  assert.equal(await refuse('hidden', '64, x'),
    'Hidden layers: entry 2 is "x"; expected a positive whole number (widths separated by commas, such as 64,64).');
  assert.equal(await refuse('hidden', '64,0'),
    'Hidden layers: entry 2 is "0"; expected a positive whole number (widths separated by commas, such as 64,64).');
  await page.fill('#hidden', '64,64');
  assert.equal(await refuse('batch', '0'), 'Batch: expected a whole number at least 1, found "0".');
  assert.equal(await page.evaluate(() => window.backprop.playground.pg), null, 'no network from bad settings');
  assert.equal(await refuse('batch', '32'), '', 'good settings clear the message');
  // Wide layers are not capped: 300 units train and are drawn (20 of them).
  assert.equal(await refuse('hidden', '300'), '');
  await page.click('#step');
  assert.deepEqual(await page.evaluate(() => window.backprop.playground.state().sizes), [2, 300, 3]);
  await page.fill('#hidden', '64,64');
  await page.evaluate(() => window.backprop.playground.rebuild());
});

/**
 * The first step of a tiny network, natively: `cargo run --example step_dw`
 * in the repository (BACKPROP_ROOT, or web/'s parent).
 */
function nativeStep(config) {
  const args = ['run', '--quiet', '--release', '-p', 'backprop-web', '--example', 'step_dw', '--',
    JSON.stringify(config)];
  const out = execFileSync('cargo', args, { cwd: process.env.BACKPROP_ROOT ?? path.join(WEB_ROOT, '..'), encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'], timeout: 600000 });
  return JSON.parse(out.trim().split('\n').at(-1));
}

/**
 * How far the browser's numbers may be from the native ones, relative to the
 * largest entry of the matrix: 2e-6, about 32 units in the last place of that
 * entry (f32's is 2^-24 ≈ 6e-8). The two builds run the same formulas with
 * different f32 rounding: natively the x86-64 kernels fuse multiply and add
 * (FMA) and sum in their own order, wasm32 has no FMA and runs the portable
 * kernels, and tanh comes from different libm implementations. Measured: at
 * most 4.7e-7 (tanh), 1.9e-7 to 2.1e-7 (identity, ReLU, sigmoid), with half of
 * the entries bit-identical; a wrong seed, layer, transposition or factor of
 * m is off by far more.
 */
const TOLERANCE = 2e-6;

test("one step's Z, dW and db equal the native library's for the same seed and data", async (t) => {
  const config = {
    playground: { layers: [2, 5, 4, 3], activation: 'tanh', loss: 'softmax_cross_entropy',
      optimizer: 'sgd', lr: 0.1, batch: 8, seed: 7 },
    dataset: { kind: 'spiral', n: 40, classes: 3, noise: 0.2, test_fraction: 0.25, seed: 11 },
  };
  const native = nativeStep(config);
  const browser = await page.evaluate((c) => {
    const { engine } = window.backprop;
    const d = engine.make_dataset(JSON.stringify(c.dataset));
    const pg = new engine.Playground(JSON.stringify(c.playground));
    pg.set_data(d.train_x, d.train_y, d.test_x, d.test_y, 2);
    const loss = pg.step();
    const plain = (m) => ({ rows: m.rows, cols: m.cols, data: Array.from(m.data) });
    const layers = [];
    for (let l = 1; l <= pg.layer_count(); l++) {
      const q = pg.inspect(l);
      layers.push({ l, Z: plain(q.Z), dW: plain(q.dW), db: plain(q.db) });
    }
    pg.free();
    return { loss, layers };
  }, config);
  assert.equal(browser.layers.length, 3);
  assert.equal(native.layers.length, 3);
  let compared = 0, identical = 0, worst = 0;
  browser.layers.forEach((b, i) => {
    const n = native.layers[i];
    for (const key of ['Z', 'dW', 'db']) {
      const what = `${key}[${b.l}]`;
      assert.equal(b[key].rows, n[key].rows, `${what} rows`);
      assert.equal(b[key].cols, n[key].cols, `${what} cols`);
      assert.equal(b[key].data.length, n[key].data.length, `${what} entries`);
      const scale = Math.max(...n[key].data.map(Math.abs));
      assert.ok(scale > 0, `${what} is not all zeros`);
      b[key].data.forEach((got, k) => {
        const want = Math.fround(n[key].data[k]);
        const rel = Math.abs(got - want) / scale;
        assert.ok(rel <= TOLERANCE, `${what} entry ${k}: browser ${got}, native ${want} ` +
          `(difference ${rel.toExponential(2)} of the largest entry)`);
        worst = Math.max(worst, rel);
        compared++;
        if (got === want) identical++;
      });
    }
  });
  // Z[l] is n_l × 8, dW[l] n_l × n_{l-1}, db[l] n_l × 1, for sizes 2, 5, 4, 3.
  assert.equal(compared, (5 * 8 + 5 * 2 + 5) + (4 * 8 + 4 * 5 + 4) + (3 * 8 + 3 * 4 + 3));
  assert.ok(Math.abs(browser.loss - native.loss) <= 1e-6 * Math.abs(native.loss), 'the batch loss');
  t.diagnostic(`${compared} numbers of Z, dW and db compared: ${identical} bit-identical, ` +
    `largest difference ${worst.toExponential(2)} of its matrix's largest entry`);
});

test('a model saved by the Save button loads back through the file picker, predicting the same', async () => {
  const before = await page.evaluate(() => {
    const p = window.backprop.playground;
    return Array.from(p.pg.predict(p.grid));
  });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
  const file = path.join(ARTIFACTS, 'saved.safetensors');
  await download.saveAs(file);
  await page.evaluate(() => window.backprop.playground.rebuild()); // a fresh, untrained network
  await page.setInputFiles('#load', file);
  await page.waitForFunction(() => document.getElementById('config-error').textContent.startsWith('Loaded'));
  const afterLoad = await page.evaluate(() => {
    const p = window.backprop.playground;
    return Array.from(p.pg.predict(p.grid));
  });
  assert.equal(afterLoad.length, before.length);
  assert.deepEqual(afterLoad, before);
});

/** Draws a stroke through `points` (canvas coordinates, 280 × 280) with the mouse. */
async function stroke(points) {
  const box = await page.locator('#draw').boundingBox();
  const at = ([x, y]) => [box.x + (x * box.width) / 280, box.y + (y * box.height) / 280];
  await page.mouse.move(...at(points[0]));
  await page.mouse.down();
  for (const p of points.slice(1)) await page.mouse.move(...at(p), { steps: 8 });
  await page.mouse.up();
}

test('MNIST mode trains the tutorial\'s network on the shipped subset', async (t) => {
  await page.click('#mode-mnist');
  const start = Date.now();
  await page.click('#mnist-train');
  // The metrics are evaluated at the end of each epoch (157 steps of 64 of the 10,000 images).
  // Read them and stop in the same animation frame as the page's own loop: on
  // a quiet machine an epoch takes a fraction of a second, so a stop sent
  // from here afterwards can land an epoch later.
  const handle = await page.waitForFunction(() => {
    const m = window.backprop.mnist.metrics;
    if (m) {
      document.getElementById('mnist-stop').click();
      return m;
    }
    return document.getElementById('mnist-status').classList.contains('error') ? { error: true } : null;
  }, null, { timeout: 60000 });
  const seconds = (Date.now() - start) / 1000;
  const got = await handle.jsonValue();
  const m = got.error ? null : got;
  assert.ok(m, await page.textContent('#mnist-status'));
  t.diagnostic(`epoch 1 in ${seconds.toFixed(1)} s (with loading the subset): train accuracy ` +
    `${m.train_acc.toFixed(4)}, test ${m.test_acc.toFixed(4)} on 1,000 images`);
  assert.equal(m.step, 157);
  assert.ok(m.test_acc >= 0.85, `test accuracy ${m.test_acc} after one epoch`);
  assert.equal(await page.textContent('#mnist-test-acc'), m.test_acc.toFixed(4));
});

test('a drawn "1" is classified as 1 by the shipped model', async (t) => {
  await page.click('#mode-mnist');
  await page.click('#mnist-shipped');
  await page.waitForFunction(() => {
    const el = document.getElementById('mnist-status');
    return /^Loaded/.test(el.textContent) || el.classList.contains('error');
  }, null, { timeout: 20000 });
  const status = await page.textContent('#mnist-status');
  assert.match(status, /^Loaded the shipped model \(784 → 128 → 64 → 10\)/);
  // A slightly slanted vertical stroke, as a person writes a one.
  await stroke([[150, 40], [146, 100], [141, 170], [137, 240]]);
  await page.waitForFunction(() => window.backprop.mnist.probs !== null);
  const probs = await page.evaluate(() => window.backprop.mnist.probs);
  const best = probs.indexOf(Math.max(...probs));
  t.diagnostic(`p(1) = ${probs[1].toFixed(4)}`);
  await screenshot(await page.$('#mnist'), 'mnist-one.png');
  assert.equal(best, 1, `probabilities ${probs.map((p) => p.toFixed(3)).join(' ')}`);
  assert.equal(await page.textContent('#prediction'), '1');
  assert.ok(Math.abs(probs.reduce((a, b) => a + b, 0) - 1) < 1e-4, 'the ten probabilities sum to 1');
});

test('no console errors in the whole session', () => {
  assert.deepEqual(errors, []);
});
