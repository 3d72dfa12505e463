// Small SVG charts: grouped or stacked bars with a legend. No dependency.
import { esc, fmt } from './api.js';
import { swatch } from './style.js';

const W = 560;

/// series: [{name, colour, values: [number per category]}]; categories: labels;
/// title: what the chart shows, read out with its figures by screen readers.
export function bars({ categories, series, stacked = false, height = 260, format = (v) => fmt(v, 2), title = '' }) {
  const m = { top: 10, right: 10, bottom: 48, left: 56 };
  const w = W - m.left - m.right;
  const h = height - m.top - m.bottom;
  const totals = categories.map((_, i) => (stacked ? series.reduce((s, se) => s + (se.values[i] || 0), 0) : Math.max(0, ...series.map((se) => se.values[i] || 0))));
  const integers = series.every((se) => se.values.every((v) => Number.isInteger(v || 0)));
  const top = Math.max(1e-9, ...totals);
  // Whole numbers get whole ticks: the axis runs to a multiple of 4.
  const max = integers ? Math.max(4, Math.ceil(top / 4) * 4) : top;
  const band = w / Math.max(1, categories.length);
  const inner = stacked ? band * 0.7 : (band * 0.8) / Math.max(1, series.length);
  const y = (v) => h - (v / max) * h;
  const figures = categories.map((c, i) => `${c}: ${series.map((se) => `${se.name} ${format(se.values[i] || 0)}`).join(', ')}`).join('; ');
  const label = `${title}${title ? '. ' : ''}${figures}`;
  let out = `<svg viewBox="0 0 ${W} ${height}" width="100%" role="img" aria-label="${esc(label)}"><title>${esc(label)}</title><g transform="translate(${m.left},${m.top})">`;
  for (let k = 0; k <= 4; k++) {
    const v = (max * k) / 4;
    out += `<line x1="0" x2="${w}" y1="${y(v)}" y2="${y(v)}" stroke="#e4e7eb"/><text x="-6" y="${y(v) + 4}" text-anchor="end">${esc(format(v))}</text>`;
  }
  categories.forEach((c, i) => {
    let base = 0;
    series.forEach((se, j) => {
      const v = se.values[i] || 0;
      if (v <= 0) return;
      const x = stacked ? i * band + (band - inner) / 2 : i * band + band * 0.1 + j * inner;
      const top = stacked ? y(base + v) : y(v);
      const bottom = stacked ? y(base) : h;
      out += `<rect class="bar" x="${x}" y="${top}" width="${Math.max(1, inner - 1)}" height="${Math.max(0, bottom - top)}" fill="${se.colour}"><title>${esc(c)} · ${esc(se.name)}: ${esc(format(v))}</title></rect>`;
      base += v;
    });
    const every = Math.ceil(categories.length / 14);
    if (i % every === 0) out += `<text x="${i * band + band / 2}" y="${h + 14}" text-anchor="end" transform="rotate(-35 ${i * band + band / 2} ${h + 14})">${esc(c)}</text>`;
  });
  out += `</g></svg><div>${series.map((se) => `<span class="key">${swatch(se.colour)}${esc(se.name)}</span>`).join('')}</div>`;
  return out;
}
