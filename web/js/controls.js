// The settings form: reads it into the engine's configuration objects and
// checks what the engine cannot (the free-form list of hidden widths).

const $ = (id) => document.getElementById(id);

/**
 * Parses "64, 64" into [64, 64]. Any number of layers of any width; an empty
 * field means no hidden layer. Throws an Error naming the bad entry.
 */
export function parseHidden(text) {
  const parts = text.split(/[,\s]+/).filter((p) => p !== '');
  return parts.map((p, i) => {
    if (!/^\d+$/.test(p) || Number(p) < 1) {
      throw new Error(`Hidden layers: entry ${i + 1} is "${p}"; expected a positive whole number ` +
        '(widths separated by commas, such as 64,64).');
    }
    return Number(p);
  });
}

function number(id, what, { min = -Infinity, max = Infinity, integer = false } = {}) {
  const raw = $(id).value.trim();
  const v = Number(raw);
  if (raw === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v)) || v < min || v > max) {
    const kind = integer ? 'a whole number' : 'a number';
    const range = max === Infinity ? `at least ${min}` : `from ${min} to ${max}`;
    throw new Error(`${what}: expected ${kind} ${range}, found "${raw}".`);
  }
  return v;
}

/** The data settings, as make_dataset takes them. */
export function datasetConfig() {
  return {
    kind: $('dataset').value,
    n: number('points', 'Points', { min: 10, max: 100000, integer: true }),
    classes: number('classes', 'Classes', { min: 2, max: 10, integer: true }),
    noise: Number($('noise').value),
    test_fraction: Number($('test-fraction').value),
    seed: number('seed', 'Seed', { min: 0, integer: true }),
  };
}

/** The network and training settings, as `new Playground` takes them. */
export function networkConfig(features, classes) {
  return {
    layers: [features, ...parseHidden($('hidden').value), classes],
    activation: $('activation').value,
    loss: $('loss').value,
    optimizer: $('optimizer').value,
    lr: number('lr', 'Learning rate', { min: 0 }),
    schedule: $('schedule').value,
    epochs: number('epochs', 'Schedule epochs', { min: 1, integer: true }),
    batch: number('batch', 'Batch', { min: 1, integer: true }),
    l2: number('l2', 'L2', { min: 0 }),
    dropout: number('dropout', 'Dropout', { min: 0, max: 0.95 }),
    seed: number('seed', 'Seed', { min: 0, integer: true }),
  };
}

/** Shows each range input's value beside it; greys out Classes for the two-class sets. */
export function bindOutputs() {
  const twoClass = () => {
    const fixed = ['moons', 'circles', 'xor'].includes($('dataset').value);
    $('classes').disabled = fixed;
    $('classes').title = fixed ? 'this set always has 2 classes' : '';
  };
  $('dataset').addEventListener('change', twoClass);
  twoClass();
  for (const id of ['noise', 'test-fraction']) {
    const show = () => { $(`${id}-out`).textContent = Number($(id).value).toFixed(2); };
    $(id).addEventListener('input', show);
    show();
  }
}

/** Calls `onChange` when any setting changes (so the network is rebuilt). */
export function onSettingsChange(onChange) {
  for (const el of document.querySelectorAll('#controls input:not([type=file]), #controls select')) {
    el.addEventListener('change', onChange);
  }
}
