// The measure tool: click points on the map for the length of the line
// through them and, from three points, the area and perimeter of the
// polygon they close — on the WGS 84 ellipsoid with GeographicLib (as the
// register's own figures), never in screen pixels.
import { Geodesic } from 'geographiclib-geodesic';
import { t } from './i18n.js';
import { esc, fmt } from './api.js';
import { PRIORITY } from './style.js';

const WGS84 = Geodesic.WGS84;

/**
 * The geodesic figures of `points` ([lng, lat] in degrees): the length of
 * the line through them in metres and, from three points, the polygon's
 * area (m², whichever way it is drawn) and perimeter (m).
 */
export function measure(points) {
  const line = WGS84.Polygon(true);
  const ring = WGS84.Polygon(false);
  for (const [lng, lat] of points) {
    line.AddPoint(lat, lng);
    ring.AddPoint(lat, lng);
  }
  const length = points.length > 1 ? line.Compute(false, true).perimeter : 0;
  if (points.length < 3) return { length };
  const r = ring.Compute(false, true);
  return { length, area: Math.abs(r.area), perimeter: r.perimeter };
}

const metres = (m) => (m < 1000 ? `${fmt(m, 1)} ${t('unit.m')}` : `${fmt(m / 1000, 3)} ${t('unit.km')}`);
const squareMetres = (m2) => (m2 < 1e4 ? `${fmt(m2, 0)} ${t('unit.m2')}` : `${fmt(m2 / 1e4, 2)} ${t('unit.ha')} (${fmt(m2 / 1e6, 4)} ${t('unit.km2')})`);

/** The tool's button and result, in `host`, working on `map`. */
export function measureTool(map, host) {
  host.insertAdjacentHTML('beforeend', `<button type="button" id="measure" aria-pressed="false">${esc(t('measure.start'))}</button>
    <div id="measure-box" class="measure" hidden><p id="measure-result" role="status" aria-live="polite"></p>
    <p><button type="button" id="measure-undo">${esc(t('measure.undo'))}</button> <button type="button" id="measure-clear">${esc(t('measure.clear'))}</button></p></div>`);
  const button = host.querySelector('#measure');
  const box = host.querySelector('#measure-box');
  const result = host.querySelector('#measure-result');
  let points = [];
  const shape = () => {
    const features = [];
    if (points.length >= 3) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Polygon', coordinates: [[...points, points[0]]] } });
    if (points.length >= 2) features.push({ type: 'Feature', properties: {}, geometry: { type: 'LineString', coordinates: points } });
    for (const p of points) features.push({ type: 'Feature', properties: {}, geometry: { type: 'Point', coordinates: p } });
    return { type: 'FeatureCollection', features };
  };
  const show = () => {
    const source = map.getSource('measure');
    if (source) source.setData(shape());
    const m = measure(points);
    result.dataset.points = String(points.length);
    result.dataset.length = String(m.length);
    if (m.area !== undefined) { result.dataset.area = String(m.area); result.dataset.perimeter = String(m.perimeter); } else { delete result.dataset.area; delete result.dataset.perimeter; }
    result.textContent = points.length < 2 ? t('measure.hint')
      : m.area === undefined ? t('measure.line', { length: metres(m.length) })
        : t('measure.polygon', { length: metres(m.length), area: squareMetres(m.area), perimeter: metres(m.perimeter) });
  };
  const layers = () => {
    if (map.getSource('measure')) return;
    map.addSource('measure', { type: 'geojson', data: shape() });
    map.addLayer({ id: 'measure-fill', type: 'fill', source: 'measure', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': PRIORITY, 'fill-opacity': 0.12 } });
    map.addLayer({ id: 'measure-line', type: 'line', source: 'measure', filter: ['==', ['geometry-type'], 'LineString'], paint: { 'line-color': PRIORITY, 'line-width': 2, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'measure-points', type: 'circle', source: 'measure', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': '#fff', 'circle-stroke-color': PRIORITY, 'circle-stroke-width': 2 } });
  };
  const active = () => button.getAttribute('aria-pressed') === 'true';
  const set = (on) => {
    button.setAttribute('aria-pressed', String(on));
    button.textContent = t(on ? 'measure.stop' : 'measure.start');
    box.hidden = !on && points.length === 0;
    map.getCanvas().style.cursor = on ? 'crosshair' : '';
    if (on) { if (map.loaded()) layers(); show(); }
  };
  // Drawn from the style's first load (the tool is made with the map), or
  // at once when the map has loaded.
  map.once('load', layers);
  button.onclick = () => set(!active());
  host.querySelector('#measure-undo').onclick = () => { points.pop(); show(); };
  host.querySelector('#measure-clear').onclick = () => { points = []; show(); if (!active()) box.hidden = true; };
  map.on('click', (e) => {
    if (!active()) return;
    const { lng, lat } = e.lngLat.wrap();
    points.push([lng, lat]);
    show();
  });
  map.getContainer().addEventListener('keydown', (e) => { if (e.key === 'Escape' && active()) set(false); });
  // While measuring, a click places a point: the map's own click (a
  // feature's details) waits.
  return { measuring: active };
}
