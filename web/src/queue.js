// The approval queue: submitted reports, each drawn over its hazard with the
// result of approval's checks, approved or rejected with a reason. The
// reports in any other state are listed the same way, read only.
import maplibregl from 'maplibre-gl';
import { t } from './i18n.js';
import { get, post, esc, day, fmt } from './api.js';
import { newMap } from './map.js';
import { fileItem } from './files.js';

function geometries(body) {
  const features = [];
  if (body.new_hazard) features.push({ type: 'Feature', properties: { role: 'new' }, geometry: body.new_hazard.geometry });
  if (body.hazard_geometry) features.push({ type: 'Feature', properties: { role: 'new' }, geometry: body.hazard_geometry });
  for (const r of body.released || []) features.push({ type: 'Feature', properties: { role: 'released' }, geometry: r.geometry });
  for (const f of body.eo_finds || []) if (Array.isArray(f.location)) features.push({ type: 'Feature', properties: { role: 'find' }, geometry: { type: 'Point', coordinates: f.location } });
  return { type: 'FeatureCollection', features };
}

function extent(fc) {
  const b = new maplibregl.LngLatBounds();
  const walk = (c) => (typeof c[0] === 'number' ? b.extend(c) : c.forEach(walk));
  fc.features.forEach((f) => f.geometry && walk(f.geometry.coordinates));
  return b.isEmpty() ? null : b;
}

// A report's files: each picture's thumbnail, where and when it was taken
// and how far from what the report describes; personal ones only for an
// account with the permission (the server leaves them out otherwise).
async function showFiles(info, id) {
  // The table of the report asked for: if another is shown by the time the
  // files arrive, they are not this one's and are dropped.
  const table = info.querySelector('table');
  const files = await get(`/api/reports/${id}/attachments`);
  if (!table || !table.isConnected) return;
  info.querySelectorAll('#attachments').forEach((s) => s.remove());
  const section = document.createElement('div');
  section.id = 'attachments';
  const item = (a) => fileItem(a, (m) => t('queue.taken_from', { m }));
  section.innerHTML = `<h3>${esc(t('queue.files'))}</h3>${files.length
    ? `<ul class="attachments">${files.map(item).join('')}</ul>`
    : `<p>${esc(t('queue.no_files'))}</p>`}`;
  table.after(section);
}

// A report a field copy sent home on ground the register changed since the
// copy was made: what changed, from its SYNC_FLAGGED events, for the officer.
function syncFlags(events) {
  const flags = (events || []).filter((e) => e.kind === 'SYNC_FLAGGED');
  if (!flags.length) return '';
  return `<div class="message error" id="sync-flags"><p>${esc(t('queue.sync_flagged'))}</p>
    <ul>${flags.map((e) => `<li>${esc(e.reason || '')}</li>`).join('')}</ul></div>`;
}

export async function mountQueue(view) {
  const states = ['SUBMITTED', 'DRAFT', 'APPROVED', 'REJECTED', 'UNAPPROVED'];
  view.innerHTML = `<div class="queue"><div class="list"><h2 class="padded">${esc(t('queue.title'))}</h2>
    <p class="padded"><label>${esc(t('queue.state'))} <select id="queue-state">${states.map((s) => `<option value="${s}">${esc(t('reports.state.' + s))}</option>`).join('')}</select></label></p>
    <div id="queue-list"></div></div>
    <div class="detail"><div class="map" id="queue-map"></div><div class="info" id="queue-info"><p>${esc(t('queue.select'))}</p></div></div></div>`;
  const map = newMap('queue-map');
  map.on('load', () => {
    map.addSource('report', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addSource('hazard', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'hazard-outline', type: 'line', source: 'hazard', paint: { 'line-color': '#d62728', 'line-width': 2.5, 'line-dasharray': [2, 1] } });
    map.addLayer({ id: 'report-fill', type: 'fill', source: 'report', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': ['match', ['get', 'role'], 'released', '#00a651', '#ff8c00'], 'fill-opacity': 0.45 } });
    map.addLayer({ id: 'report-line', type: 'line', source: 'report', paint: { 'line-color': '#23313f', 'line-width': 1.5 } });
    map.addLayer({ id: 'report-points', type: 'circle', source: 'report', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-color': '#5a3d7a', 'circle-radius': 5 } });
  });
  const list = view.querySelector('#queue-list');
  const info = view.querySelector('#queue-info');
  const stateSelect = view.querySelector('#queue-state');
  let asked = 0;
  const load = async () => {
    const question = ++asked;
    const state = stateSelect.value;
    const page = await get(`/api/reports?state=${state}&per_page=1000`);
    if (question !== asked) return;
    list.innerHTML = page.items.length
      ? (page.total > page.items.length ? `<p class="padded" id="queue-count">${esc(t('queue.newest', { shown: fmt(page.items.length), total: fmt(page.total) }))}</p>` : '')
      : `<p class="padded" id="queue-empty">${esc(t(state === 'SUBMITTED' ? 'queue.empty' : 'queue.none'))}</p>`;
    info.innerHTML = `<p>${esc(t('queue.select'))}</p>`;
    for (const r of page.items) {
      const item = document.createElement('div');
      item.className = 'item';
      item.dataset.id = r.id;
      item.innerHTML = `<strong>${esc(r.type)}</strong> · ${esc(r.organisation)}<br><small>${esc(day(r.start_date))} – ${esc(day(r.end_date))}${r.hazard ? ' · ' + esc(r.hazard) : ''}</small>`;
      item.onclick = () => select(r.id, item).catch((err) => {
        // A session that ended shows the login form in the view's place.
        if (err.code !== 'unauthenticated') info.innerHTML = `<p class="message error">${esc(err.message)}</p>`;
      });
      list.appendChild(item);
    }
  };
  stateSelect.onchange = () => load().catch((err) => { list.innerHTML = `<p class="message error">${esc(err.message)}</p>`; });
  await load();

  async function select(id, item) {
    list.querySelectorAll('.item').forEach((i) => i.classList.toggle('selected', i === item));
    info.innerHTML = `<p>${esc(t('common.loading'))}</p>`;
    // A role that may read reports but not decide them (a QM officer) is
    // refused the checks: it sees the report, read only.
    // Only a submitted report is decided here.
    const decidable = stateSelect.value === 'SUBMITTED';
    const [shown, checks] = await Promise.all([get(`/api/reports/${id}`),
      decidable ? post(`/api/reports/${id}/check`, {}).catch((err) => { if (err.code === 'forbidden') return null; throw err; }) : null]);
    const body = shown.body;
    const fc = geometries(body);
    let hazard = { type: 'FeatureCollection', features: [] };
    const hazardKey = body.hazard || shown.report.hazard;
    if (hazardKey) {
      try {
        const h = await get(`/api/hazards/${encodeURIComponent(hazardKey)}`);
        hazard = { type: 'FeatureCollection', features: [{ type: 'Feature', properties: {}, geometry: h.geometry }] };
      } catch (_) { /* a hazard the report names but the register lacks: the checks say so */ }
    }
    const draw = () => {
      map.getSource('report').setData(fc);
      map.getSource('hazard').setData(hazard);
      const b = extent({ features: [...fc.features, ...hazard.features] });
      if (b) map.fitBounds(b, { padding: 40, maxZoom: 16, duration: 0 });
    };
    if (map.isStyleLoaded() && map.getSource('report')) draw(); else map.once('load', draw);
    info.innerHTML = `<table>
        <tr><th>${esc(t('report.type'))}</th><td>${esc(shown.report.type)}</td></tr>
        <tr><th>${esc(t('report.organisation'))}</th><td>${esc(shown.report.organisation)}</td></tr>
        <tr><th>${esc(t('report.dates'))}</th><td>${esc(day(shown.report.start_date))} – ${esc(day(shown.report.end_date))}</td></tr>
        <tr><th>${esc(t('queue.submitted'))}</th><td>${esc(day(shown.report.submitted_at))} ${esc(t('queue.by'))} ${esc(shown.report.submitted_by)}</td></tr>
        <tr><th>${esc(t('queue.state'))}</th><td id="report-state">${esc(t('reports.state.' + shown.report.state))}</td></tr>
        ${shown.report.decided_at ? `<tr><th>${esc(t('queue.decided'))}</th><td>${esc(day(shown.report.decided_at))} ${esc(t('queue.by'))} ${esc(shown.report.decided_by || '')}</td></tr>` : ''}
        ${shown.report.reason ? `<tr><th>${esc(t('queue.reason_given'))}</th><td>${esc(shown.report.reason)}</td></tr>` : ''}</table>
      ${syncFlags(shown.events)}
      ${checks ? `<h3>${esc(t('queue.checks'))}</h3>
      <div id="checks">${checks.approvable ? `<p class="ok">${esc(t('queue.approvable'))}</p>` : `<p class="problems">${esc(t('queue.refused'))}</p><ul class="problems">${checks.problems.map((p) => `<li>${esc(p)}</li>`).join('')}</ul>`}</div>
      <p><button class="primary" id="approve" ${checks.approvable ? '' : 'disabled'}>${esc(t('queue.approve'))}</button></p>
      <p><label>${esc(t('queue.reason'))}<br><textarea id="reason" rows="2" cols="50"></textarea></label><br>
      <button class="danger" id="reject">${esc(t('queue.reject'))}</button></p><div id="decision"></div>`
      : decidable ? `<p class="message info" id="read-only">${esc(t('queue.read_only'))}</p>` : ''}`;
    showFiles(info, id).catch(() => {});
    if (!checks) return;
    const decision = info.querySelector('#decision');
    const done = (msg) => { decision.innerHTML = `<p class="message info">${esc(msg)}</p>`; item.remove(); };
    const fail = (err) => { decision.innerHTML = `<div class="message error">${esc(err.message)}${err.problems.length ? '<ul>' + err.problems.map((p) => `<li>${esc(p)}</li>`).join('') + '</ul>' : ''}</div>`; };
    // Approved and flagged (residual contamination): the flags stay in view.
    const approved = (d) => {
      done(t('queue.approved'));
      if (d && d.flags && d.flags.length) decision.innerHTML += `<div class="message error" id="flags"><p>${esc(t('queue.flagged'))}</p><ul>${d.flags.map((f) => `<li>${esc(f)}</li>`).join('')}</ul></div>`;
    };
    // The version read: a file attached since then makes the server refuse,
    // so nothing is approved that the officer did not see.
    info.querySelector('#approve').onclick = () => post(`/api/reports/${id}/approve`, { expect_version: shown.report.version }).then(approved, fail);
    info.querySelector('#reject').onclick = () => {
      const reason = info.querySelector('#reason').value.trim();
      if (!reason) { decision.innerHTML = `<p class="message error">${esc(t('queue.reason_needed'))}</p>`; return; }
      post(`/api/reports/${id}/reject`, { reason }).then(() => done(t('queue.rejected')), fail);
    };
  }
  return () => map.remove();
}
