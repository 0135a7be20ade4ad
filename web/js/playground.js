// The 2-D playground: builds data and network from the settings, trains with
// several mini-batches per animation frame, and redraws the views.

import { datasetConfig, networkConfig, bindOutputs, onSettingsChange } from './controls.js';
import { boundsOf, gridPoints, drawRegions } from './regions.js';
import { History, drawHistory } from './curves.js';
import { drawNetwork, layerAt } from './network.js';
import { createInspector } from './inspector.js';
import { download, onFilePicked } from './models.js';
import { errorText, has, asObject } from './engine.js';

const $ = (id) => document.getElementById(id);

/** Milliseconds of training per animation frame while playing. */
const STEP_BUDGET_MS = 24;
/** Milliseconds between evaluations and redraws (regions, curves, network) while playing. */
const DRAW_EVERY_MS = 100;
/** Milliseconds between refreshes of the inspector while playing. */
const INSPECT_EVERY_MS = 600;

const fmt = (v, d = 4) => (typeof v === 'number' && Number.isFinite(v) ? v.toFixed(d) : '–');

export class PlaygroundView {
  constructor(engine) {
    this.engine = engine;
    this.pg = null;
    this.data = null;
    this.history = new History();
    this.running = false;
    this.selected = 1;
    this.lastDraw = 0;
    this.lastInspect = 0;
    this.stepsThisSecond = [];
    this.showInspector = createInspector($('inspector-grid'));
    bindOutputs();
    onSettingsChange(() => this.rebuild());
    $('play').addEventListener('click', () => this.toggle());
    $('step').addEventListener('click', () => this.stepOnce());
    $('reset').addEventListener('click', () => this.rebuild());
    $('show-test').addEventListener('change', () => this.drawRegions());
    $('inspect-layer').addEventListener('change', (e) => this.select(Number(e.target.value)));
    $('network').addEventListener('click', (e) => {
      const r = e.target.getBoundingClientRect();
      const l = layerAt(this.columns || [], ((e.clientX - r.left) * e.target.width) / r.width);
      if (l) this.select(l);
    });
    $('save').addEventListener('click', () => this.save());
    onFilePicked($('load'), (bytes, name) => this.load(bytes, name));
    document.addEventListener('keydown', (e) => {
      if (e.code === 'Space' && e.target === document.body && !$('playground').hidden) {
        e.preventDefault();
        this.toggle();
      }
    });
    this.frame = this.frame.bind(this);
    requestAnimationFrame(this.frame);
  }

  error(text) { $('config-error').textContent = text; }

  /** New data and a new network from the settings (the seed fixes both). */
  rebuild() {
    this.pause();
    this.error('');
    try {
      const dc = datasetConfig();
      this.data = asObject(this.engine.make_dataset(JSON.stringify(dc)));
      this.bounds = boundsOf(this.data.train_x, this.data.test_x);
      this.grid = gridPoints(this.bounds);
      const nc = networkConfig(this.data.features ?? 2, this.data.classes ?? dc.classes);
      this.setPlayground(new this.engine.Playground(JSON.stringify(nc)), nc.layers, nc.loss);
    } catch (e) {
      if (this.pg && has(this.pg, 'free')) this.pg.free();
      this.pg = null;
      this.error(errorText(e));
      this.render(true);
    }
  }

  setPlayground(pg, sizes, loss) {
    if (this.pg && this.pg !== pg && has(this.pg, 'free')) this.pg.free();
    this.pg = pg;
    this.sizes = sizes;
    this.loss = loss;
    const d = this.data;
    pg.set_data(d.train_x, d.train_y, d.test_x, d.test_y, d.features ?? 2);
    this.history.clear();
    this.selected = Math.min(Math.max(1, this.selected), sizes.length - 1);
    const sel = $('inspect-layer');
    sel.innerHTML = '';
    for (let l = 1; l < sizes.length; l++) {
      const o = document.createElement('option');
      o.value = String(l);
      o.textContent = `l = ${l} (${sizes[l - 1]} → ${sizes[l]})`;
      sel.appendChild(o);
    }
    sel.value = String(this.selected);
    this.record();
    this.render(true);
  }

  toggle() { if (this.running) this.pause(); else this.play(); }

  play() {
    if (!this.pg) return;
    this.running = true;
    $('play').textContent = '❚❚ Pause';
  }

  pause() {
    this.running = false;
    $('play').textContent = '▶ Play';
  }

  /** One mini-batch, then every view, the inspector included. */
  stepOnce() {
    this.pause();
    if (!this.pg) return;
    try {
      this.pg.step();
    } catch (e) {
      this.error(errorText(e));
      return;
    }
    this.record();
    this.render(true);
  }

  record() {
    if (!this.pg) return;
    const m = asObject(this.pg.metrics());
    this.metrics = m;
    this.history.push(m);
  }

  frame(now) {
    requestAnimationFrame(this.frame);
    if (!this.running || !this.pg) return;
    const t0 = performance.now();
    let steps = 0;
    try {
      do { this.pg.step(); steps++; } while (performance.now() - t0 < STEP_BUDGET_MS);
    } catch (e) {
      this.pause();
      this.error(errorText(e));
      return;
    }
    this.stepsThisSecond.push([now, steps]);
    while (this.stepsThisSecond.length && this.stepsThisSecond[0][0] < now - 1000) this.stepsThisSecond.shift();
    // Metrics evaluate the whole sets: as often as the views are drawn, not every frame.
    if (now - this.lastDraw > DRAW_EVERY_MS) {
      this.lastDraw = now;
      this.record();
      const inspect = now - this.lastInspect > INSPECT_EVERY_MS;
      if (inspect) this.lastInspect = now;
      this.render(inspect);
    }
  }

  showMetrics() {
    const m = this.metrics || {};
    $('train-loss').textContent = fmt(m.train_loss);
    $('train-acc').textContent = fmt(m.train_acc);
    $('test-loss').textContent = fmt(m.test_loss);
    $('test-acc').textContent = fmt(m.test_acc);
    $('step-count').textContent = String(m.step ?? 0);
    $('epoch-count').textContent = String(m.epoch ?? 0);
    const per = this.stepsThisSecond.reduce((s, [, n]) => s + n, 0);
    $('speed').textContent = this.running ? `${per} steps/s` : 'paused';
  }

  drawRegions() {
    let probs = null;
    if (this.pg && this.grid) {
      try { probs = this.pg.predict(this.grid); } catch (e) { this.error(errorText(e)); }
    }
    drawRegions($('regions'), this.bounds || boundsOf(), probs, this.sizes ? this.sizes.at(-1) : 2,
      this.data, $('show-test').checked);
  }

  /** The weights of every dense layer, if this engine build exposes them. */
  weights() {
    if (!this.pg) return null;
    const out = [];
    for (let l = 1; l < this.sizes.length; l++) {
      let w = null;
      if (has(this.pg, 'weights')) w = asObject(this.pg.weights(l));
      if (!w) return null;
      out.push(w.W ?? w);
    }
    return out;
  }

  render(withInspector) {
    this.showMetrics();
    this.drawRegions();
    drawHistory($('curve-loss'), $('curve-acc'), this.history);
    if (this.sizes) this.columns = drawNetwork($('network'), this.sizes, this.weights(), this.selected);
    if (withInspector) this.inspect();
  }

  select(l) {
    this.selected = l;
    $('inspect-layer').value = String(l);
    this.render(true);
  }

  inspect() {
    let q = null;
    if (this.pg && (this.metrics?.step ?? 0) > 0) {
      try { q = asObject(this.pg.inspect(this.selected)); } catch (e) { this.error(errorText(e)); }
    }
    this.showInspector(q, this.selected, this.selected === this.sizes?.length - 1, this.loss);
  }

  save() {
    if (!this.pg) return;
    try {
      download(this.pg.save(), `backprop-${this.data ? datasetConfig().kind : 'model'}.safetensors`);
    } catch (e) { this.error(errorText(e)); }
  }

  load(bytes, name) {
    this.pause();
    try {
      const pg = this.engine.Playground.load(bytes);
      const sizes = has(pg, 'layer_sizes') ? Array.from(pg.layer_sizes()) : null;
      if (sizes && sizes[0] !== (this.data?.features ?? 2)) {
        throw new Error(`${name} takes ${sizes[0]} inputs; the playground's points have 2 ` +
          '(an MNIST model loads in MNIST mode).');
      }
      if (sizes && sizes.at(-1) !== this.data.classes) {
        throw new Error(`${name} predicts ${sizes.at(-1)} classes; this data set has ` +
          `${this.data.classes} (set Classes to ${sizes.at(-1)} first).`);
      }
      this.setPlayground(pg, sizes || this.sizes, this.loss);
      this.error(`Loaded ${name}.`);
    } catch (e) {
      this.error(`${name}: ${errorText(e)}`);
    }
  }

  /** What the browser tests read. */
  state() {
    return { running: this.running, sizes: this.sizes, metrics: this.metrics, selected: this.selected };
  }
}
