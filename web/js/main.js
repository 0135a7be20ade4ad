// Entry point: loads the engine, builds both modes and exposes a small hook
// (window.backprop) that the browser tests read.

import { loadEngine, errorText } from './engine.js';
import { PlaygroundView } from './playground.js';
import { MnistView } from './mnist.js';
import { loadSubset } from './subset.js';

const $ = (id) => document.getElementById(id);

function showMode(mode) {
  for (const b of document.querySelectorAll('.tab')) b.classList.toggle('active', b.dataset.mode === mode);
  $('playground').hidden = mode !== 'playground';
  $('mnist').hidden = mode !== 'mnist';
}

async function start() {
  for (const b of document.querySelectorAll('.tab')) b.addEventListener('click', () => showMode(b.dataset.mode));
  const hook = { ready: false, error: null };
  window.backprop = hook;
  let engine;
  try {
    engine = await loadEngine();
  } catch (e) {
    hook.error = errorText(e);
    $('status').textContent = hook.error;
    $('status').classList.add('error');
    return;
  }
  const playground = new PlaygroundView(engine);
  const mnist = new MnistView(engine, loadSubset);
  playground.rebuild();
  Object.assign(hook, { ready: true, engine, playground, mnist, showMode });
  $('status').textContent = 'The library runs here, compiled to WebAssembly: one thread, seeded.';
  if (location.hash === '#mnist') showMode('mnist');
}

start();
