// The inspector: for one dense layer at the last step, each quantity of the
// tutorial's forward and backward pass as a heatmap and a histogram, with its
// shape and the formula of docs/math.md that produced it.

import { drawHeatmap, drawHistogram, range } from './heatmap.js';

const sup = (s) => `<sup>${s}</sup>`;
const L = sup('[l]'), LM1 = sup('[l−1]'), LL = sup('[L]'), LP1 = sup('[l+1]');
const ONE_M = '<span class="frac">¹⁄ₘ</span>';

/**
 * The quantities shown, in the order of the pass, each with docs/math.md's
 * formula in its notation (W[l] is n_l × n_{l−1}, one column per sample; in
 * backprop the 1/m of the mean is inside dZ, so dW and db carry none) and
 * the shape in those symbols. `last` holds the output layer's forms, by loss.
 */
export const QUANTITIES = [
  { key: 'A_prev', name: `A${LM1}`, shape: 'n<sub>l−1</sub> × m',
    formula: `A${LM1}, the layer's input (X = A${sup('[0]')} for l = 1)` },
  { key: 'Z', name: `Z${L}`, shape: 'n<sub>l</sub> × m',
    formula: `Z${L} = W${L} A${LM1} + b${L} 𝟏${sup('⊤')}` },
  { key: 'A', name: `A${L}`, shape: 'n<sub>l</sub> × m',
    formula: `A${L} = g${L}(Z${L})`,
    last: {
      softmax_cross_entropy: `A${LL} = softmax(Z${LL}), shown; the loss takes the logits Z${LL}`,
      bce: `A${LL} = σ(Z${LL}), shown; the loss takes the logits Z${LL}`,
      mse: `A${LL} = Z${LL} (no output activation)`,
    } },
  { key: 'dA', name: `dA${L}`, shape: 'n<sub>l</sub> × m',
    formula: `dA${L} = W${LP1 + sup('⊤')} dZ${LP1}`,
    last: {
      softmax_cross_entropy: `∂L/∂Z${LL}, what the loss hands back`,
      bce: `∂L/∂Z${LL}, what the loss hands back`,
      mse: `∂L/∂Ŷ = 2(Ŷ − Y)/(n m)`,
    } },
  { key: 'dZ', name: `dZ${L}`, shape: 'n<sub>l</sub> × m',
    formula: `dZ${L} = dA${L} ⊙ g′(Z${L})`,
    last: {
      softmax_cross_entropy: `dZ${LL} = ${ONE_M}(softmax(Z${LL}) − Y)`,
      bce: `dZ${LL} = ${ONE_M}(σ(Z${LL}) − Y)`,
      mse: `dZ${LL} = 2(Z${LL} − Y)/(n m)`,
    } },
  { key: 'dW', name: `dW${L}`, shape: 'n<sub>l</sub> × n<sub>l−1</sub>',
    formula: `dW${L} = dZ${L} A${sup('[l−1]⊤')}` },
  { key: 'db', name: `db${L}`, shape: 'n<sub>l</sub> × 1',
    formula: `db${L} = dZ${L} 𝟏` },
];

/** Builds the grid of quantity cards once; returns a function that fills them. */
export function createInspector(grid) {
  const cards = new Map();
  for (const q of QUANTITIES) {
    const card = document.createElement('div');
    card.className = 'quantity';
    card.dataset.key = q.key;
    card.innerHTML = `<h3>${q.name} <span class="shape"></span></h3>
      <div class="formula"></div>
      <canvas class="heat" width="240" height="120"></canvas>
      <canvas class="hist" width="240" height="60"></canvas>
      <div class="range"></div>`;
    grid.appendChild(card);
    cards.set(q.key, card);
  }
  /**
   * Fills the cards from engine.inspect(l)'s result (matrices {rows, cols,
   * data}, null before the first step); `isLast` and `loss` pick the output
   * layer's formulas.
   */
  return function show(quantities, l, isLast, loss) {
    for (const q of QUANTITIES) {
      const card = cards.get(q.key);
      const m = quantities ? quantities[q.key] : null;
      const formula = isLast && q.last && q.last[loss] ? q.last[loss] : q.formula;
      card.querySelector('.formula').innerHTML = formula;
      const shape = card.querySelector('.shape');
      if (!m) {
        shape.innerHTML = `${q.shape}: not computed yet (take a step)`;
        card.querySelector('.range').textContent = '';
        for (const c of card.querySelectorAll('canvas')) c.getContext('2d').clearRect(0, 0, c.width, c.height);
        continue;
      }
      shape.innerHTML = `${q.shape} = <b>${m.rows} × ${m.cols}</b> (l = ${l}${isLast ? ' = L' : ''})`;
      drawHeatmap(card.querySelector('.heat'), m);
      drawHistogram(card.querySelector('.hist'), m.data);
      const r = range(m.data);
      card.querySelector('.range').textContent =
        `min ${r.lo.toPrecision(4)} · max ${r.hi.toPrecision(4)} · ${m.data.length} entries`;
    }
  };
}
