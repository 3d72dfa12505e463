// The QM officer's inspection form [IMAS 07.12, 09.20]: a QC sample of
// released ground or a QA visit to work in progress. The hazard's released
// ground is listed to choose from (a failed QC re-opens what is chosen); the
// sample lane is given by its corners in any notation, computed on the
// ellipsoid by the server (/api/traverse) and drawn over the ground;
// submitting makes a QM_INSPECTION report that waits for approval, where
// the rules (sample inside the ground, items found fail it, …) are decided.
import { t } from './i18n.js';
import { get, post, esc, num, day } from './api.js';
import { newMap } from './map.js';

function quote(s) { return `"${String(s ?? '').replaceAll('"', '""')}"`; }

// The corners as the traverse CSV reads them: one position per line.
function cornersCsv(text) {
  const lines = text.split('\n').map((l) => l.trim()).filter(Boolean);
  return ['point,bearing,unit,reference,distance_m,coordinates', ...lines.map((l, i) => `${quote('C' + (i + 1))},,,,,${quote(l)}`)].join('\n') + '\n';
}

function groundRow(r) {
  return `<tr><td><label class="choice"><input type="checkbox" name="ground" value="${esc(r.id)}"> ${esc(day(r.released_on))}</label></td>
    <td>${esc(t('outcome.' + r.outcome))}</td><td>${esc(r.organisation)}</td><td>${esc(num(r.area_m2))}</td></tr>`;
}

function formHtml(ref, session, today) {
  const orgs = ref.organisations.filter((o) => !session.organisation || o.acronym === session.organisation);
  const qm = orgs.find((o) => o.kind === 'QM_BODY');
  const option = (o) => `<option value="${esc(o.acronym)}"${o === qm ? ' selected' : ''}>${esc(o.acronym)} — ${esc(o.name)}</option>`;
  return `<form id="inspection-form" autocomplete="off"><h3>${esc(t('inspect.title'))}</h3>
    <fieldset><label>${esc(t('inspect.organisation'))} <select name="organisation">${orgs.map(option).join('')}</select></label>
      <label>${esc(t('inspect.kind'))} <select name="kind"><option value="QC">${esc(t('ncrs.inspection.kind.QC'))}</option><option value="QA">${esc(t('ncrs.inspection.kind.QA'))}</option></select></label>
      <label>${esc(t('inspect.start'))} <input type="date" name="start" value="${today}" required></label>
      <label>${esc(t('inspect.end'))} <input type="date" name="end" value="${today}" required></label></fieldset>
    <fieldset><label>${esc(t('inspect.hazard'))} <input name="hazard" size="16" required></label>
      <label class="qa-only">${esc(t('inspect.task'))} <input name="task" size="20"></label>
      <div id="inspection-ground" class="qc-only"></div></fieldset>
    <fieldset><label>${esc(t('inspect.result'))} <select name="result"><option value="PASS">${esc(t('ncrs.inspection.result.PASS'))}</option><option value="FAIL">${esc(t('ncrs.inspection.result.FAIL'))}</option></select></label>
      <label>${esc(t('inspect.items'))} <input type="number" name="items" min="0" step="1" value="0" class="narrow"></label>
      <label>${esc(t('inspect.findings'))} <input name="findings" size="50"></label></fieldset>
    <fieldset><label>${esc(t('inspect.sample'))}<br><textarea name="sample" rows="5" cols="40"></textarea></label>
      <p><small>${esc(t('inspect.sample_help'))}</small></p><div id="inspection-sample"></div></fieldset>
    <button class="primary" type="submit">${esc(t('inspect.submit'))}</button><div id="inspection-result" role="status"></div></form>
    <div class="map" id="inspection-map"></div>`;
}

// Draws the released ground and the sample on the form's map.
function drawer(map) {
  const empty = { type: 'FeatureCollection', features: [] };
  let data = { ground: empty, sample: empty };
  const apply = () => {
    for (const k of ['ground', 'sample']) map.getSource('inspect-' + k).setData(data[k]);
    const all = [...data.ground.features, ...data.sample.features].flatMap((f) => f.geometry.coordinates.flat(Infinity));
    const xs = []; const ys = [];
    for (let i = 0; i < all.length; i += 2) { xs.push(all[i]); ys.push(all[i + 1]); }
    if (xs.length) map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 40, maxZoom: 17, duration: 0 });
  };
  map.on('load', () => {
    map.addSource('inspect-ground', { type: 'geojson', data: empty });
    map.addSource('inspect-sample', { type: 'geojson', data: empty });
    map.addLayer({ id: 'inspect-ground', type: 'line', source: 'inspect-ground', paint: { 'line-color': '#d62728', 'line-width': 2 } });
    map.addLayer({ id: 'inspect-sample', type: 'line', source: 'inspect-sample', paint: { 'line-color': '#b35900', 'line-width': 2 } });
    apply();
  });
  return (k, features) => {
    data = { ...data, [k]: { type: 'FeatureCollection', features } };
    if (map.getSource('inspect-ground')) apply();
  };
}

// Mounts the form in `container`; `done(report)` is called after a submission.
export async function mountInspectionForm(container, session, done) {
  const ref = await get('/api/reference');
  container.innerHTML = formHtml(ref, session, new Date().toISOString().slice(0, 10));
  const form = container.querySelector('#inspection-form');
  const map = newMap('inspection-map');
  const draw = drawer(map);
  let sample = null;

  const kind = () => {
    const qa = form.kind.value === 'QA';
    container.querySelectorAll('.qa-only').forEach((e) => { e.hidden = !qa; });
    container.querySelectorAll('.qc-only').forEach((e) => { e.hidden = qa; });
  };
  form.kind.onchange = kind;
  kind();

  let asked = 0;
  form.hazard.onchange = async () => {
    const code = form.hazard.value.trim();
    const box = container.querySelector('#inspection-ground');
    const mine = ++asked;
    if (!code) { box.innerHTML = ''; draw('ground', []); return; }
    try {
      const h = await get(`/api/hazards/${encodeURIComponent(code)}`);
      if (mine !== asked) return;
      const standing = h.released.filter((r) => !r.revoked_at);
      box.innerHTML = standing.length
        ? `<table id="inspection-ground-list"><caption>${esc(t('inspect.ground'))}</caption>
            <tr><th>${esc(t('inspect.released_on'))}</th><th>${esc(t('inspect.outcome'))}</th><th>${esc(t('inspect.by'))}</th><th>${esc(t('inspect.area'))}</th></tr>
            ${standing.map(groundRow).join('')}</table>`
        : `<p class="message">${esc(t('inspect.no_ground'))}</p>`;
      draw('ground', [{ type: 'Feature', properties: {}, geometry: h.geometry }]);
    } catch (err) {
      if (mine !== asked) return;
      box.innerHTML = `<p class="message error">${esc(err.message)}</p>`;
      draw('ground', []);
    }
  };

  let pending = 0;
  form.sample.oninput = async () => {
    const text = form.sample.value.trim();
    const note = container.querySelector('#inspection-sample');
    const mine = ++pending;
    sample = null;
    if (!text) { note.textContent = ''; draw('sample', []); return; }
    try {
      const r = await post('/api/traverse', cornersCsv(text), 'text/csv');
      if (mine !== pending) return;
      if (!r.polygon) { note.innerHTML = `<p class="message error">${esc(r.problem)}</p>`; draw('sample', []); return; }
      sample = r.polygon;
      note.textContent = t('survey.area', { area: num(r.area_m2) });
      draw('sample', [{ type: 'Feature', properties: {}, geometry: r.polygon }]);
    } catch (err) {
      if (mine !== pending) return;
      note.innerHTML = `<p class="message error">${esc(err.message)}</p>`;
    }
  };

  const button = form.querySelector('button[type=submit]');
  form.onsubmit = async (e) => {
    e.preventDefault();
    // Disabled until the answer comes: a second click submits nothing.
    if (button.disabled) return;
    const result = container.querySelector('#inspection-result');
    if (form.sample.value.trim() && !sample) { result.innerHTML = `<p class="message error">${esc(t('inspect.need_sample'))}</p>`; return; }
    const qa = form.kind.value === 'QA';
    const chosen = [...form.querySelectorAll('[name=ground]:checked')].map((c) => c.value);
    const fail = form.result.value === 'FAIL';
    const report = {
      type: 'QM_INSPECTION',
      organisation: form.organisation.value,
      hazard: form.hazard.value.trim(),
      start_date: form.start.value,
      end_date: form.end.value,
      inspection: {
        kind: form.kind.value,
        result: form.result.value,
        reopen: !qa && fail ? chosen : [],
        inspected: !qa && !fail ? chosen : [],
        items_found: Number(form.items.value || 0),
        findings: form.findings.value.trim() || null,
      },
    };
    if (qa) report.task = form.task.value.trim() || undefined;
    if (sample) report.inspection.sample = sample;
    button.disabled = true;
    try {
      const r = await post('/api/reports', report);
      result.innerHTML = `<p class="message info" id="inspection-submitted">${esc(t('inspect.submitted', { id: r.id }))}</p>`;
      if (done) done(r);
    } catch (err) {
      result.innerHTML = `<div class="message error">${esc(err.message)}</div>`;
    } finally {
      button.disabled = false;
    }
  };
  return () => map.remove();
}
