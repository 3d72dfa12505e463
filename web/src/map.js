// The national map: districts, settlements, hazards by status, released
// ground by outcome and clustered EO finds, all from this server's tiles.
import maplibregl from 'maplibre-gl';
import { forward as toMgrs } from 'mgrs';
import { t, language } from './i18n.js';
import { get, esc, km2, num, day, checkSession } from './api.js';
import { baseStyle, STATUS, OUTCOME, CATEGORY, RESIDUAL, PRIORITY, swatch, paint } from './style.js';
import { measureTool } from './measure.js';
import { printTool } from './print.js';
import { findTool } from './find.js';
import { fileItem } from './files.js';

export const AZERBAIJAN = [[44.7, 38.3], [50.9, 41.95]];

export function newMap(container, bounds = AZERBAIJAN) {
  const map = new maplibregl.Map({ container, style: baseStyle(), bounds, fitBoundsOptions: { padding: 30, maxZoom: 14 }, attributionControl: false, fadeDuration: 0 });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }), 'top-right');
  map.addControl(new maplibregl.ScaleControl({ unit: 'metric' }), 'bottom-right');
  // A tile refused for want of a session: ask whether it has ended. Other
  // errors are logged as MapLibre does when nobody listens.
  map.on('error', (e) => {
    if (e.error && e.error.status === 401) checkSession();
    else console.error(e.error || e);
  });
  return map;
}

/** A latitude or longitude in degrees, minutes and seconds to a tenth. */
export function dms(value, positive, negative) {
  const tenths = Math.round(Math.abs(value) * 36000);
  const d = Math.floor(tenths / 36000);
  const m = Math.floor((tenths % 36000) / 600);
  const s = (tenths % 600) / 10;
  return `${d}°${String(m).padStart(2, '0')}′${s.toFixed(1).padStart(4, '0')}″${value < 0 ? negative : positive}`;
}

/** The position under the cursor, in DMS and MGRS (to the metre). */
function position(lngLat) {
  const { lng, lat } = lngLat;
  let grid = '';
  try { grid = toMgrs([lng, lat], 5); } catch (_) { /* polar: no MGRS */ }
  return `${dms(lat, 'N', 'S')} ${dms(lng, 'E', 'W')}${grid ? ' · ' + grid.replace(/^(\d+[A-Z])([A-Z]{2})(\d{5})(\d{5})$/, '$1 $2 $3 $4') : ''}`;
}

function legend() {
  const rows = (table, prefix, dot = false) =>
    Object.entries(table).map(([k, c]) => `<div>${swatch(c, '', dot)}${esc(t(prefix + k) === prefix + k ? k : t(prefix + k))}</div>`).join('');
  // Collapsible, so it never hides the ground under it; folded on a small screen.
  const open = window.innerWidth >= 900;
  return `<div class="legend" id="legend"><button type="button" id="legend-toggle" aria-expanded="${open}" aria-controls="legend-body">${esc(t('legend.title'))}</button>
    <div id="legend-body"${open ? '' : ' hidden'}>
    <h4>${esc(t('legend.hazards'))}</h4>${rows(STATUS, 'status.')}
    <h4>${esc(t('legend.released'))}</h4>${rows(OUTCOME, 'outcome.')}
    <h4>${esc(t('legend.finds'))}</h4>${rows(CATEGORY, 'category.', true)}
    <div>${swatch('#fff', `3px solid ${RESIDUAL}`, true)}${esc(t('legend.residual'))}</div>
    <div>${swatch('none', `2px solid ${PRIORITY}`, true)}${esc(t('legend.priority'))}</div>
    <h4>${esc(t('legend.places'))}</h4>
    <div>${swatch('#3d3d3d', '', true)}${esc(t('legend.settlement'))}</div>
    <div>${swatch('#fbfaf4', '1px solid #8a8f7a')}${esc(t('legend.district'))}</div>
    <div>${swatch('#fbfaf4', '2px solid #4b5320')}${esc(t('legend.country'))}</div>
    <h4>${esc(t('legend.kind'))}</h4>
    <div>${swatch('none', '2px solid #555')}${esc(t('kind.CHA'))}</div>
    <div>${swatch('none', '2px dashed #555')}${esc(t('kind.SHA'))}</div></div></div>`;
}

function row(label, value) { return `<tr><th>${esc(label)}</th><td>${value}</td></tr>`; }

/** An area in m² below a hectare, in km² above. */
const area = (m2) => (m2 < 1e4 ? `${num(m2)} ${t('unit.m2')}` : `${km2(m2)} ${t('unit.km2')}`);

/**
 * The hazard's life, newest first: each version with its report, every
 * report about it in any state, its tasks and its released ground.
 */
function timeline(history, reports, tasks, released) {
  const events = [];
  for (const v of history) {
    events.push({ day: v.valid_from, kind: 'version', text: t('timeline.version', { version: v.version, status: t('status.' + v.status) }) + (v.report_type ? ` — ${v.report_type}${v.actor ? ', ' + v.actor : ''}` : '') });
  }
  for (const r of reports) {
    events.push({ day: r.submitted_at, kind: 'report', id: r.id, text: t('timeline.report', { type: r.type, organisation: r.organisation, state: t('reports.state.' + r.state) }) + (r.reason ? ` — ${r.reason}` : '') });
  }
  for (const task of tasks) {
    events.push({ day: task.issued_on, kind: 'task', text: t('timeline.task', { code: task.code, organisation: task.organisation, activity: t('tasks.activity.' + task.activity), status: t('tasks.status.' + task.status) }) });
    if (task.cancelled_on) events.push({ day: task.cancelled_on, kind: 'task', text: t('tasks.cancelled', { day: day(task.cancelled_on) }) + ` — ${task.code}` });
  }
  for (const r of released) {
    events.push({ day: r.released_on, kind: 'released', text: t('timeline.released', { outcome: t('outcome.' + r.outcome), area: area(r.area_m2), organisation: r.organisation }) });
  }
  events.sort((a, b) => (a.day < b.day ? 1 : a.day > b.day ? -1 : 0));
  return `<ol id="hazard-timeline" class="timeline">${events.map((e) => `<li data-kind="${e.kind}"${e.id ? ` data-report="${esc(e.id)}"` : ''}><time datetime="${esc(e.day.slice(0, 10))}">${esc(day(e.day))}</time> ${esc(e.text)}</li>`).join('')}</ol>`;
}

/** Fills `panel` with the hazard's page; with `withMap`, a map of it on top. */
export async function showHazard(panel, id, withMap = false) {
  if (panel.hazardMap) { panel.hazardMap.remove(); panel.hazardMap = null; }
  panel.innerHTML = `<p>${esc(t('common.loading'))}</p>`;
  // The last hazard asked for is the one shown, whichever answer comes last.
  panel.dataset.want = id;
  const key = encodeURIComponent(id);
  // Reports and tasks as the account may read them: none when it may not.
  const [h, history, reports, tasks, files] = await Promise.all([get(`/api/hazards/${key}`), get(`/api/hazards/${key}/history`),
    get(`/api/reports?hazard=${key}&per_page=100`).then((p) => p.items, () => []),
    get(`/api/tasks?hazard=${key}&per_page=100`).then((p) => p.items, () => []),
    get(`/api/hazards/${key}/attachments`).catch(() => [])]);
  if (panel.dataset.want !== id) return;
  const a = h.area_m2;
  panel.innerHTML = `<h2 id="hazard-title">${esc(h.code)}</h2><p>${esc(h.name)}</p>
    <table>${row(t('hazard.kind'), esc(t('kind.' + h.kind)))}${row(t('hazard.status'), esc(t('status.' + h.status)))}
      ${row(t('hazard.district'), esc(h.district))}${row(t('hazard.contamination'), esc(h.contamination))}
      ${row(t('hazard.recorded'), esc(day(h.recorded_on)))}${row(t('hazard.recorded_by'), esc(h.recorded_by))}
      ${row(t('hazard.eo_finds'), num(h.eo_finds))}</table>
    ${['CLOSED', 'HANDED_OVER'].includes(h.status) ? `<p><a id="hazard-certificate" target="_blank" rel="noopener"
      href="/api/hazards/${encodeURIComponent(h.code)}/certificate/pdf?lang=${encodeURIComponent(language())}">${esc(t('hazard.certificate'))}</a></p>` : ''}
    <h3>km²</h3><table>${['recorded', 'cancelled', 'reduced', 'cleared', 'remaining'].map((k) => `<tr><th>${esc(t('area.' + k))}</th><td class="num">${km2(a[k])}</td></tr>`).join('')}</table>
    ${h.evidence.length ? `<h3>${esc(t('hazard.evidence'))}</h3><ul id="hazard-evidence">${h.evidence.map((e) => `<li>${esc(e.source)} (${esc(e.confidence)}): ${esc(e.description)}</li>`).join('')}</ul>` : ''}
    ${files.length ? `<h3>${esc(t('hazard.files'))}</h3><ul id="hazard-files" class="attachments">${files.map((f) => fileItem(f, (m) => t('hazard.taken_from', { m }))).join('')}</ul>` : ''}
    <h3>${esc(t('hazard.timeline'))}</h3>${timeline(history, reports, tasks, h.released.filter((r) => !r.revoked_at))}
    <h3>${esc(t('hazard.history'))}</h3>
    <table id="hazard-history"><tr><th>${esc(t('history.version'))}</th><th>${esc(t('history.from'))}</th><th>${esc(t('hazard.status'))}</th><th>${esc(t('history.report'))}</th><th>${esc(t('history.actor'))}</th></tr>
    ${history.map((v) => `<tr><td>${v.version}</td><td>${esc(day(v.valid_from))}</td><td>${esc(t('status.' + v.status))}</td><td>${esc(v.report_type || '')}</td><td>${esc(v.actor || '')}</td></tr>`).join('')}</table>`;
  // A view left meanwhile: no map for a page nobody sees.
  if (withMap && panel.isConnected) hazardMap(panel, h);
}

/** A map of the hazard at the head of its page, its outline over the register's layers. */
function hazardMap(panel, h) {
  // Two answers for the same hazard (a double click): one map, the last.
  if (panel.hazardMap) panel.hazardMap.remove();
  const box = document.createElement('div');
  box.className = 'map hazard-map';
  box.id = 'hazard-map';
  panel.prepend(box);
  const pts = h.geometry.coordinates.flat(2);
  const xs = pts.map((p) => p[0]); const ys = pts.map((p) => p[1]);
  const map = newMap(box, [[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]]);
  map.on('load', () => {
    map.addSource('hazard', { type: 'geojson', data: { type: 'Feature', properties: {}, geometry: h.geometry } });
    map.addLayer({ id: 'hazard-outline', type: 'line', source: 'hazard', paint: { 'line-color': '#23313f', 'line-width': 3 } });
  });
  panel.hazardMap = map;
}

export async function mountMap(view) {
  view.innerHTML = `<div class="map-view"><div class="map" id="map"></div><aside class="panel" id="panel" tabindex="0"><p>${esc(t('map.click'))}</p></aside>${legend()}<div class="cursor" id="cursor"></div></div>`;
  paint(view);
  const toggle = view.querySelector('#legend-toggle');
  toggle.onclick = () => {
    const body = view.querySelector('#legend-body');
    body.hidden = !body.hidden;
    toggle.setAttribute('aria-expanded', String(!body.hidden));
  };
  // It opens on the register's contaminated ground, not the whole country.
  const container = view.querySelector('#map');
  const extent = await get('/api/extent').then((e) => e.hazards).catch(() => null);
  // Another view (or this one again) took the page meanwhile: build nothing.
  if (!container.isConnected) return null;
  const map = newMap(container, extent ? [[extent[0], extent[1]], [extent[2], extent[3]]] : AZERBAIJAN);
  const cursor = view.querySelector('#cursor');
  map.on('mousemove', (e) => { cursor.textContent = position(e.lngLat.wrap()); });
  map.getCanvas().addEventListener('mouseleave', () => { cursor.textContent = ''; });
  const panel = document.getElementById('panel');
  const tools = document.createElement('div');
  tools.className = 'maplibregl-ctrl map-tools';
  tools.id = 'map-tools';
  map.addControl({ onAdd: () => tools, onRemove: () => tools.remove() }, 'top-right');
  findTool(map, tools, (code) => showHazard(panel, code).catch((err) => { panel.innerHTML = `<p class="message error">${esc(err.message)}</p>`; }));
  const measuring = measureTool(map, tools);
  printTool(map, tools);
  const clickable = ['residuals', 'eo-finds', 'released-fill', 'hazards-fill', 'settlements'];
  map.on('click', async (e) => {
    if (measuring.measuring()) return;
    const f = map.queryRenderedFeatures(e.point, { layers: clickable.filter((l) => map.getLayer(l)) })[0];
    if (!f) return;
    const p = f.properties;
    if (!['settlements', 'priorities'].includes(f.layer.id) && p.id === undefined && p.count === undefined) {
      // Low zoom tiles carry no details: zoom in to the feature.
      map.easeTo({ center: e.lngLat, zoom: Math.max(map.getZoom() + 3, 12.5) });
      return;
    }
    try {
      if (f.layer.id === 'hazards-fill') await showHazard(panel, p.id);
      else if (f.layer.id === 'released-fill') {
        panel.innerHTML = `<h2>${esc(t('hazard.released'))}</h2><table>${row(t('hazard.code'), esc(p.code))}${row(t('outcome.' + p.outcome), esc(day(p.released_on)))}${row('km²', km2(p.area_m2))}</table><p><button id="open-hazard">${esc(p.code)}</button></p>`;
        document.getElementById('open-hazard').onclick = () => showHazard(panel, p.code);
      } else if (f.layer.id === 'eo-finds') {
        panel.innerHTML = p.count > 1
          ? `<p>${esc(t('find.cluster', { count: p.count, quantity: p.quantity }))}</p>`
          : `<table>${row(t('find.category'), esc(p.category))}${row(t('find.type'), esc(p.eo_type))}${row(t('find.quantity'), num(p.quantity))}${row(t('find.found_on'), esc(day(p.found_on)))}</table>`;
      } else if (f.layer.id === 'priorities') {
        const why = JSON.parse(p.why).map(([c, pts]) => row(t('priority.criterion.' + c), pts.toFixed(1))).join('');
        panel.innerHTML = `<h2 id="priority-title">${esc(t('priority.rank_of', { rank: p.rank }))}: ${esc(p.code)}</h2><table>${row(t('priority.score'), p.score.toFixed(1))}${why}</table><p><button id="open-hazard">${esc(p.code)}</button></p>`;
        document.getElementById('open-hazard').onclick = () => showHazard(panel, p.code);
      } else if (f.layer.id === 'residuals') {
        panel.innerHTML = `<h2>${esc(t('residual.title'))}</h2><table>${row(t('residual.kind'), esc(t('residual.kind.' + p.kind)))}${row(t('residual.found_on'), esc(day(p.found_on)))}
          ${row(t('residual.hazard'), esc(p.code))}${row(t('residual.released_on'), esc(day(p.released_on)))}
          ${row(t('residual.task'), esc(p.task))}${row(t('residual.task_status'), esc(p.task_status))}</table><p><button id="open-hazard">${esc(p.code)}</button></p>`;
        document.getElementById('open-hazard').onclick = () => showHazard(panel, p.code);
      } else if (f.layer.id === 'settlements') {
        panel.innerHTML = `<h2>${esc(p.name)}</h2><table>${row(t('settlement.population'), p.population ? num(p.population) : '—')}</table>`;
      }
    } catch (err) {
      panel.innerHTML = `<p class="message error">${esc(err.message)}</p>`;
    }
  });
  for (const l of clickable) {
    map.on('mouseenter', l, () => { if (!measuring.measuring()) map.getCanvas().style.cursor = 'pointer'; });
    map.on('mouseleave', l, () => { if (!measuring.measuring()) map.getCanvas().style.cursor = ''; });
  }
  // The first hazards of the ranking, marked where they lie: a ring that
  // grows with the score; click it for the criteria that put it there.
  get('/api/priorities?top=20').then((p) => {
    const features = p.ranked.map((r) => ({ type: 'Feature', properties: { rank: r.rank, code: r.code, score: r.score,
      why: JSON.stringify(r.contributions.filter((c) => c.points > 0).map((c) => [c.criterion, c.points])) },
    geometry: { type: 'Point', coordinates: r.at } }));
    const add = () => {
      map.addSource('priorities', { type: 'geojson', data: { type: 'FeatureCollection', features } });
      map.addLayer({ id: 'priorities', type: 'circle', source: 'priorities', paint: {
        'circle-color': 'rgba(0,0,0,0)', 'circle-stroke-color': PRIORITY, 'circle-stroke-width': 2.5,
        'circle-radius': ['interpolate', ['linear'], ['get', 'score'], 0, 6, 100, 16] } });
      clickable.unshift('priorities');
      map.on('mouseenter', 'priorities', () => { if (!measuring.measuring()) map.getCanvas().style.cursor = 'pointer'; });
      map.on('mouseleave', 'priorities', () => { if (!measuring.measuring()) map.getCanvas().style.cursor = ''; });
    };
    if (map.isStyleLoaded()) add(); else map.once('load', add);
  }).catch(() => { /* the map works without the ranking */ });
  window.safegroundMap = map;
  return () => {
    map.remove();
    if (window.safegroundMap === map) window.safegroundMap = null;
  };
}
