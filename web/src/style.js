// The map's colours: one place, shared by the map layers and the legend.
export const STATUS = { OPEN: '#d62728', WORKED_ON: '#ff8c00', CLOSED: '#2ca02c', HANDED_OVER: '#1f77b4' };
export const OUTCOME = { CANCELLED: '#9e9e9e', REDUCED: '#e6d600', CLEARED: '#00a651' };
// Residual contamination: EO or an accident inside released ground.
export const RESIDUAL = '#b2182b';
// The first hazards of the priority ranking.
export const PRIORITY = '#6a3d9a';
export const CATEGORY = { AP: '#e41a1c', AT: '#7f0000', UXO: '#ff7f00', AXO: '#8c510a', CMR: '#984ea3', IED: '#222222' };

// Legend swatches carry their colours as data (data-fill, data-stroke), not
// as style attributes, which the CSP refuses; `paint` applies them through
// the CSSOM, which it allows.
export function swatch(fill, stroke = '', dot = false) {
  return `<span class="swatch${dot ? ' dot' : ''}" data-fill="${fill}"${stroke ? ` data-stroke="${stroke}"` : ''}></span>`;
}

export function paint(root) {
  root.querySelectorAll('[data-fill]').forEach((el) => {
    el.style.background = el.dataset.fill;
    if (el.dataset.stroke) el.style.border = el.dataset.stroke;
  });
}

export function match(property, table, fallback = '#888888') {
  return ['match', ['get', property], ...Object.entries(table).flat(), fallback];
}

// A style with no outside resource: every source is this server's tiles.
export function baseStyle() {
  const tiles = (layer) => ({ type: 'vector', tiles: [`${location.origin}/tiles/${layer}/{z}/{x}/{y}.mvt`], minzoom: 0, maxzoom: 16 });
  return {
    version: 8,
    sources: {
      country: tiles('country'),
      districts: tiles('districts'),
      settlements: tiles('settlements'),
      hazards: tiles('hazards'),
      released_areas: tiles('released_areas'),
      eo_finds: tiles('eo_finds'),
      residuals: tiles('residuals'),
    },
    layers: [
      { id: 'background', type: 'background', paint: { 'background-color': '#eef1e8' } },
      { id: 'country-fill', type: 'fill', source: 'country', 'source-layer': 'country', paint: { 'fill-color': '#fbfaf4' } },
      { id: 'districts-fill', type: 'fill', source: 'districts', 'source-layer': 'districts', paint: { 'fill-color': '#fbfaf4', 'fill-opacity': 0.6 } },
      { id: 'districts-line', type: 'line', source: 'districts', 'source-layer': 'districts', paint: { 'line-color': '#8a8f7a', 'line-width': 0.8 } },
      { id: 'hazards-fill', type: 'fill', source: 'hazards', 'source-layer': 'hazards', paint: { 'fill-color': match('status', STATUS), 'fill-opacity': 0.55 } },
      // Confirmed areas (CHA) have a solid outline, suspected ones (SHA) a dashed one.
      { id: 'hazards-line-cha', type: 'line', source: 'hazards', 'source-layer': 'hazards', filter: ['==', ['get', 'kind'], 'CHA'], paint: { 'line-color': match('status', STATUS), 'line-width': 2 } },
      { id: 'hazards-line-sha', type: 'line', source: 'hazards', 'source-layer': 'hazards', filter: ['==', ['get', 'kind'], 'SHA'], paint: { 'line-color': match('status', STATUS), 'line-width': 1.5, 'line-dasharray': [3, 2] } },
      { id: 'released-fill', type: 'fill', source: 'released_areas', 'source-layer': 'released_areas', paint: { 'fill-color': match('outcome', OUTCOME), 'fill-opacity': 0.6 } },
      { id: 'eo-finds', type: 'circle', source: 'eo_finds', 'source-layer': 'eo_finds', paint: {
        'circle-color': ['case', ['>', ['coalesce', ['get', 'count'], 1], 1], '#5a3d7a', match('category', CATEGORY)],
        'circle-radius': ['interpolate', ['linear'], ['coalesce', ['get', 'count'], 1], 1, 3.5, 10, 7, 100, 12, 1000, 18],
        'circle-stroke-color': '#fff', 'circle-stroke-width': 1, 'circle-opacity': 0.85 } },
      // Drawn over everything but the outline: a ring that released ground does not hide.
      { id: 'residuals', type: 'circle', source: 'residuals', 'source-layer': 'residuals', paint: {
        'circle-color': '#ffffff', 'circle-radius': 6, 'circle-stroke-color': RESIDUAL, 'circle-stroke-width': 3 } },
      { id: 'country-line', type: 'line', source: 'country', 'source-layer': 'country', paint: { 'line-color': '#4b5320', 'line-width': 2.2 } },
      { id: 'settlements', type: 'circle', source: 'settlements', 'source-layer': 'settlements', paint: {
        'circle-color': '#3d3d3d', 'circle-radius': ['interpolate', ['linear'], ['zoom'], 6, 1.5, 12, 4], 'circle-stroke-color': '#fff', 'circle-stroke-width': 0.8 } },
    ],
  };
}
