// MNIST mode: the tutorial's network, loaded from the shipped model file or
// trained live on the shipped subset, classifying what the user draws.

import { createDrawPad } from './draw.js';
import { History, drawCurves } from './curves.js';
import { classColor } from './colors.js';
import { download, onFilePicked, fetchBytes } from './models.js';
import { errorText, has, asObject } from './engine.js';

const $ = (id) => document.getElementById(id);
const fmt = (v, d = 4) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

/** The tutorial's network and training settings (README: `cargo run --release --example mnist`). */
export const MNIST_CONFIG = {
  layers: [784, 128, 64, 10], activation: 'relu', loss: 'softmax_cross_entropy',
  optimizer: 'adam', lr: 0.001, schedule: 'constant', batch: 64, l2: 0, dropout: 0, seed: 0,
};
/** The model file shipped with the page. */
export const SHIPPED_MODEL = 'data/mnist-model.safetensors';
const STEP_BUDGET_MS = 30;

export class MnistView {
  constructor(engine, loadSubset) {
    this.engine = engine;
    this.loadSubset = loadSubset;
    this.pg = null;
    this.running = false;
    this.pixels = null;
    this.probs = null;
    this.history = new History();
    this.buildBars();
    this.pad = createDrawPad($('draw'), $('digit28'), (p) => { this.pixels = p; this.classify(); });
    $('clear').addEventListener('click', () => this.pad.clear());
    $('mnist-shipped').addEventListener('click', () => this.loadShipped());
    $('mnist-train').addEventListener('click', () => this.train());
    $('mnist-stop').addEventListener('click', () => this.stop());
    $('mnist-save').addEventListener('click', () => this.save());
    onFilePicked($('mnist-load'), (bytes, name) => this.useModel(bytes, name));
    this.frame = this.frame.bind(this);
    requestAnimationFrame(this.frame);
  }

  status(text, isError = false) {
    const el = $('mnist-status');
    el.textContent = text;
    el.classList.toggle('error', isError);
  }

  buildBars() {
    const box = $('probs');
    this.bars = [];
    for (let d = 0; d < 10; d++) {
      const label = document.createElement('span');
      label.textContent = String(d);
      const track = document.createElement('div');
      const bar = document.createElement('div');
      bar.className = 'bar';
      bar.style.width = '0px';
      track.appendChild(bar);
      const value = document.createElement('span');
      value.className = 'p';
      value.dataset.digit = String(d);
      value.textContent = '–';
      box.append(label, track, value);
      this.bars.push({ bar, value });
    }
  }

  async loadShipped() {
    this.stop();
    try {
      this.status(`Loading ${SHIPPED_MODEL}…`);
      this.useModel(await fetchBytes(SHIPPED_MODEL), 'the shipped model');
    } catch (e) {
      this.status(errorText(e), true);
    }
  }

  useModel(bytes, name) {
    this.stop();
    try {
      const pg = this.engine.Playground.load(bytes);
      const sizes = has(pg, 'layer_sizes') ? Array.from(pg.layer_sizes()) : null;
      if (sizes && (sizes[0] !== 784 || sizes.at(-1) !== 10)) {
        throw new Error(`it maps ${sizes[0]} inputs to ${sizes.at(-1)} outputs; MNIST mode needs 784 → 10 ` +
          '(a 2-D model loads in the playground).');
      }
      this.setModel(pg);
      this.status(`Loaded ${name}${sizes ? ` (${sizes.join(' → ')})` : ''}. Draw a digit.`);
    } catch (e) {
      this.status(`${name}: ${errorText(e)}`, true);
    }
  }

  setModel(pg) {
    if (this.pg && this.pg !== pg && has(this.pg, 'free')) this.pg.free();
    this.pg = pg;
    this.history.clear();
    this.classify();
  }

  async train() {
    this.stop();
    try {
      this.status('Loading the shipped subset…');
      const s = await this.loadSubset();
      const pg = new this.engine.Playground(JSON.stringify(MNIST_CONFIG));
      pg.set_images(s.train_pixels, s.train_labels, s.test_pixels, s.test_labels);
      this.setModel(pg);
      this.stepsPerEpoch = Math.ceil(s.train_labels.length / MNIST_CONFIG.batch);
      this.steps = 0;
      this.runningLoss = null;
      this.running = true;
      $('mnist-stop').disabled = false;
      this.status(`Training 784 → 128 → 64 → 10 on ${s.train_labels.length} images ` +
        `(test: ${s.test_labels.length}), Adam 1e-3, batch 64…`);
    } catch (e) {
      this.status(errorText(e), true);
    }
  }

  stop() {
    if (this.running) this.status('Stopped. Draw a digit, or go on training.');
    this.running = false;
    $('mnist-stop').disabled = true;
  }

  frame() {
    requestAnimationFrame(this.frame);
    if (!this.running || !this.pg) return;
    const t0 = performance.now();
    try {
      let epochDone = false;
      do {
        const loss = this.pg.step();
        this.runningLoss = this.runningLoss === null ? loss : 0.98 * this.runningLoss + 0.02 * loss;
        this.steps++;
        if (this.steps % this.stepsPerEpoch === 0) epochDone = true;
      } while (!epochDone && performance.now() - t0 < STEP_BUDGET_MS);
      $('mnist-status').textContent = `Training: step ${this.steps}, epoch ` +
        `${(this.steps / this.stepsPerEpoch).toFixed(2)}, running mini-batch loss ${this.runningLoss.toFixed(4)}`;
      // The metrics evaluate all the images: once per epoch, not every frame.
      if (epochDone) {
        this.showMetrics(asObject(this.pg.metrics()));
        this.classify();
      }
    } catch (e) {
      this.stop();
      this.status(errorText(e), true);
    }
  }

  showMetrics(m) {
    this.metrics = m;
    this.history.push(m);
    $('mnist-train-loss').textContent = fmt(m.train_loss);
    $('mnist-train-acc').textContent = fmt(m.train_acc);
    $('mnist-test-loss').textContent = fmt(m.test_loss);
    $('mnist-test-acc').textContent = fmt(m.test_acc);
    drawCurves($('mnist-curve'), `accuracy · step ${m.step} · epoch ${m.epoch}`, [
      { name: 'train', color: classColor(0), points: this.history.series('train_acc') },
      { name: 'test', color: classColor(1), dashed: true, points: this.history.series('test_acc') },
    ], 0, 1);
  }

  /** Runs the model on the current drawing and shows the ten probabilities. */
  classify() {
    if (!this.pg || !this.pixels || !this.pixels.some((v) => v > 0)) {
      this.showProbs(null);
      return;
    }
    try {
      this.showProbs(Array.from(this.pg.predict_pixels(this.pixels)));
    } catch (e) {
      this.status(errorText(e), true);
    }
  }

  showProbs(p) {
    this.probs = p;
    let best = -1;
    if (p) best = p.indexOf(Math.max(...p));
    for (let d = 0; d < 10; d++) {
      const { bar, value } = this.bars[d];
      bar.style.width = p ? `${Math.round(p[d] * 200)}px` : '0px';
      bar.classList.toggle('best', d === best);
      value.textContent = p ? p[d].toFixed(3) : '–';
    }
    $('prediction').textContent = p ? String(best) : '–';
  }

  save() {
    if (!this.pg) { this.status('No model to save yet.', true); return; }
    try { download(this.pg.save(), 'backprop-mnist.safetensors'); } catch (e) { this.status(errorText(e), true); }
  }

  state() {
    return { running: this.running, probs: this.probs, metrics: this.metrics, hasModel: !!this.pg };
  }
}
