// The non-technical survey form: a benchmark and turning points given as
// bearing and distance or as positions in any notation; the polygon is
// computed on the ellipsoid by the server and drawn as it is typed, with the
// closure error; submitting makes an NTS report that waits for approval.
import { t } from './i18n.js';
import { get, post, esc, num, fmt } from './api.js';
import { newMap } from './map.js';

const CATEGORIES = ['AP', 'AT', 'UXO', 'AXO', 'CMR', 'IED'];

function quote(s) { return `"${String(s ?? '').replaceAll('"', '""')}"`; }

export async function mountSurvey(view) {
  const ref = await get('/api/reference');
  const today = new Date().toISOString().slice(0, 10);
  view.innerHTML = `<div class="survey"><form id="survey" autocomplete="off"><h2>${esc(t('survey.title'))}</h2>
    <fieldset><label>${esc(t('survey.organisation'))} <select name="organisation">${ref.organisations.map((o) => `<option value="${esc(o.acronym)}">${esc(o.acronym)} — ${esc(o.name)}</option>`).join('')}</select></label>
      <label>${esc(t('survey.start'))} <input type="date" name="start" value="${today}" required></label>
      <label>${esc(t('survey.end'))} <input type="date" name="end" value="${today}" required></label></fieldset>
    <fieldset><label>${esc(t('survey.name'))} <input name="name" size="40" required></label>
      <label>${esc(t('survey.district'))} <select name="district">${ref.districts.map((d) => `<option value="${esc(d.name)}">${esc(d.name)}${d.alt_name ? ' (' + esc(d.alt_name) + ')' : ''}</option>`).join('')}</select></label>
      <label>${esc(t('survey.kind'))} <select name="kind"><option value="SHA">${esc(t('kind.SHA'))}</option><option value="CHA">${esc(t('kind.CHA'))}</option></select></label>
      <div>${esc(t('survey.contamination'))}: ${CATEGORIES.map((c) => `<label class="choice"><input type="checkbox" name="contamination" value="${c}"> ${c}</label>`).join(' ')}</div></fieldset>
    <fieldset><label>${esc(t('survey.benchmark'))}<br><input name="benchmark" id="benchmark" size="44"></label>
      <label>${esc(t('survey.declination'))} <input name="declination" type="number" step="0.1" value="0" class="declination"></label>
      <h4>${esc(t('survey.points'))}</h4>
      <div class="legs-wrap"><table class="legs" id="legs"><tr><th>${esc(t('survey.point'))}</th><th>${esc(t('survey.how'))}</th><th>${esc(t('survey.bearing'))}</th><th>${esc(t('survey.unit'))}</th><th>${esc(t('survey.north'))}</th><th>${esc(t('survey.distance'))}</th><th>${esc(t('survey.position'))}</th></tr></table></div>
      <button type="button" id="add-leg">${esc(t('survey.add'))}</button>
      <p><small>${esc(t('survey.close'))}</small></p>
      <div class="closure" id="closure"></div><div id="traverse-problem"></div></fieldset>
    <fieldset><label>${esc(t('survey.files'))}<br><input type="file" name="files" id="survey-files" multiple accept=".jpg,.jpeg,.png,.pdf,.gpx,.kml"></label>
      <p><small>${esc(t('survey.files_hint'))}</small></p></fieldset>
    <button class="primary" type="submit" id="submit-survey">${esc(t('survey.submit'))}</button><div id="survey-result"></div></form>
    <div class="map" id="survey-map"></div></div>`;
  const form = view.querySelector('#survey');
  const legs = view.querySelector('#legs');
  const map = newMap('survey-map');
  let polygon = null;
  map.on('load', () => {
    map.addSource('traverse', { type: 'geojson', data: { type: 'FeatureCollection', features: [] } });
    map.addLayer({ id: 'traverse-fill', type: 'fill', source: 'traverse', filter: ['==', ['geometry-type'], 'Polygon'], paint: { 'fill-color': '#ff8c00', 'fill-opacity': 0.4 } });
    map.addLayer({ id: 'traverse-line', type: 'line', source: 'traverse', paint: { 'line-color': '#b35900', 'line-width': 2 } });
    map.addLayer({ id: 'traverse-points', type: 'circle', source: 'traverse', filter: ['==', ['geometry-type'], 'Point'], paint: { 'circle-radius': 4, 'circle-color': ['match', ['get', 'name'], 'BM', '#1f77b4', '#23313f'] } });
  });

  function addLeg(name, values = {}) {
    const tr = document.createElement('tr');
    tr.className = 'leg';
    // Each control named by its column, for screen readers (axe-core checks it).
    const label = (key) => `aria-label="${esc(t(key))}"`;
    tr.innerHTML = `<td><input name="point" value="${esc(name)}" size="4" ${label('survey.point')}></td>
      <td><select name="how" ${label('survey.how')}><option value="bearing">${esc(t('survey.by_bearing'))}</option><option value="position">${esc(t('survey.by_position'))}</option></select></td>
      <td><input name="bearing" type="number" step="any" class="narrow" value="${values.bearing ?? ''}" ${label('survey.bearing')}></td>
      <td><select name="unit" ${label('survey.unit')}><option value="deg">${esc(t('survey.degrees'))}</option><option value="mil">${esc(t('survey.mils'))}</option></select></td>
      <td><select name="north" ${label('survey.north')}><option value="magnetic">${esc(t('survey.magnetic'))}</option><option value="true">${esc(t('survey.true'))}</option><option value="grid">${esc(t('survey.grid'))}</option></select></td>
      <td><input name="distance" type="number" step="any" min="0" class="narrow" value="${values.distance ?? ''}" ${label('survey.distance')}></td>
      <td><input name="position" size="18" value="${esc(values.position ?? '')}" ${label('survey.position')}></td>`;
    if (values.how) tr.querySelector('[name=how]').value = values.how;
    if (values.north) tr.querySelector('[name=north]').value = values.north;
    legs.appendChild(tr);
  }
  addLeg('SP');
  for (let i = 1; i <= 3; i++) addLeg('TP' + i);
  view.querySelector('#add-leg').onclick = () => { addLeg('TP' + legs.querySelectorAll('tr.leg').length); update(); };

  function csv() {
    const lines = ['point,bearing,unit,reference,distance_m,coordinates'];
    const bm = form.benchmark.value.trim();
    if (bm) lines.push(`BM,,,,,${quote(bm)}`);
    const rows = [...legs.querySelectorAll('tr.leg')].map((tr) => Object.fromEntries([...tr.querySelectorAll('input,select')].map((i) => [i.name, i.value.trim()])));
    for (const r of rows) {
      if (r.how === 'position') { if (r.position) lines.push(`${quote(r.point)},,,,,${quote(r.position)}`); }
      else if (r.bearing !== '' && r.distance !== '') lines.push(`${quote(r.point)},${r.bearing},${r.unit},${r.north},${r.distance},`);
    }
    return { text: lines.join('\n') + '\n' };
  }

  let pending = 0;
  async function update() {
    const { text } = csv();
    const closure = view.querySelector('#closure');
    const problem = view.querySelector('#traverse-problem');
    const mine = ++pending;
    const body = text;
    try {
      const r = await post(`/api/traverse?declination=${encodeURIComponent(form.declination.value || 0)}`, body, 'text/csv');
      if (mine !== pending) return;
      if (!r.polygon) {
        polygon = null;
        closure.textContent = '';
        problem.innerHTML = `<p class="message error">${esc(r.problem)}</p>`;
        return;
      }
      polygon = r.polygon;
      const features = [{ type: 'Feature', properties: {}, geometry: r.polygon }];
      if (r.benchmark) features.push({ type: 'Feature', properties: { name: 'BM' }, geometry: { type: 'Point', coordinates: r.benchmark } });
      for (const [name, lon, lat] of r.points) features.push({ type: 'Feature', properties: { name }, geometry: { type: 'Point', coordinates: [lon, lat] } });
      const apply = () => {
        map.getSource('traverse').setData({ type: 'FeatureCollection', features });
        const xs = r.points.map((p) => p[1]); const ys = r.points.map((p) => p[2]);
        if (xs.length) map.fitBounds([[Math.min(...xs), Math.min(...ys)], [Math.max(...xs), Math.max(...ys)]], { padding: 60, maxZoom: 17, duration: 0 });
      };
      if (map.getSource('traverse')) apply(); else map.once('load', apply);
      closure.textContent = (r.closure_m == null ? t('survey.closure_none') : t('survey.closure', { m: r.closure_m.toFixed(2), pct: r.closure_percent.toFixed(2), perimeter: r.perimeter_m.toFixed(1) })) + ' · ' + t('survey.area', { area: num(r.area_m2) });
      problem.innerHTML = r.problem ? `<p class="message error">${esc(r.problem)}</p>` : '';
    } catch (err) {
      if (mine !== pending) return;
      polygon = null;
      closure.textContent = '';
      problem.innerHTML = `<p class="message error">${esc(err.message)}</p>`;
    }
  }
  form.addEventListener('input', () => update());
  form.addEventListener('change', () => update());

  form.onsubmit = async (e) => {
    e.preventDefault();
    const result = view.querySelector('#survey-result');
    if (!polygon) { result.innerHTML = `<p class="message error">${esc(t('survey.need_polygon'))}</p>`; return; }
    const report = {
      type: 'NTS',
      organisation: form.organisation.value,
      start_date: form.start.value,
      end_date: form.end.value,
      new_hazard: {
        name: form.name.value,
        kind: form.kind.value,
        district: form.district.value,
        contamination: [...form.querySelectorAll('[name=contamination]:checked')].map((c) => c.value),
        geometry: polygon,
        benchmark: form.benchmark.value.trim() || undefined,
      },
    };
    let r;
    try {
      r = await post('/api/reports', report);
      result.innerHTML = `<p class="message info" id="survey-submitted">${esc(t('survey.submitted', { id: r.id }))}</p>`;
    } catch (err) {
      result.innerHTML = `<div class="message error">${esc(err.message)}</div>`;
      return;
    }
    // The report waits in the queue; its files follow it, each on its own,
    // and each refusal is named (the report stands without that file).
    let sent = 0;
    for (const file of form.files.files) {
      try {
        await post(`/api/reports/${r.id}/attachments?name=${encodeURIComponent(file.name)}`, file, 'application/octet-stream');
        sent += 1;
      } catch (err) {
        result.innerHTML += `<div class="message error">${esc(t('survey.file_refused', { name: file.name }))} ${esc(err.message)}</div>`;
      }
    }
    if (sent) result.innerHTML += `<p class="message info" id="survey-files-sent">${esc(t('survey.files_sent', { n: fmt(sent) }))}</p>`;
  };
  return () => map.remove();
}
