// Data out: any layer (or every layer, as a workbook) in any export format,
// as of a day, in a district, at the full or the public level — the file
// `safeground export` writes, served by GET /api/exports/{layer} as an
// attachment. The public level is for everyone who reads the register; the
// full level for the roles that may export (the server decides).
import { t } from './i18n.js';
import { get, esc } from './api.js';

const LAYERS = ['hazards', 'released_areas', 'eo_finds', 'accidents', 'eore_sessions', 'tasks', 'settlements', 'districts', 'organisations', 'all'];
const FORMATS = ['gpkg', 'geojson', 'csv', 'kml', 'xlsx'];
const FULL = ['administrator', 'im_officer', 'qm_officer', 'operator', 'viewer'];

// The download's address for the form as it stands, or the reason there is none.
function address(f) {
  const layer = f.layer.value;
  const format = f.format.value;
  if (layer === 'all' && format !== 'xlsx') return { problem: t('data.all_needs_xlsx') };
  if (f.hxl.checked && format !== 'csv') return { problem: t('data.hxl_needs_csv') };
  const q = new URLSearchParams({ format, level: f.level.value });
  if (f.as_of.value) q.set('as_of', f.as_of.value);
  if (f.district.value) q.set('district', f.district.value);
  if (f.level.value === 'public') q.set('dangerous', f.dangerous.value);
  if (f.hxl.checked) q.set('hxl', 'true');
  return { href: `/api/exports/${encodeURIComponent(layer)}?${q}` };
}

export async function mountData(view, session) {
  view.innerHTML = `<div class="page" id="data"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#data');
  const ref = await get('/api/reference');
  const full = FULL.includes(session.role);
  const today = new Date().toISOString().slice(0, 10);
  const option = (v, label) => `<option value="${esc(v)}">${esc(label)}</option>`;
  page.innerHTML = `<h2>${esc(t('data.title'))}</h2>
    <form id="export-form" class="inline" autocomplete="off"><h3>${esc(t('data.export'))}</h3>
      <label>${esc(t('data.layer'))} <select name="layer">${LAYERS.map((l) => option(l, t('data.layer.' + l))).join('')}</select></label>
      <label>${esc(t('data.format'))} <select name="format">${FORMATS.map((f) => option(f, t('data.format.' + f))).join('')}</select></label>
      <label>${esc(t('data.as_of'))} <input type="date" name="as_of" max="${today}"></label>
      <label>${esc(t('data.district'))} <select name="district"><option value="">${esc(t('register.all'))}</option>${ref.districts.map((d) => option(d.name, d.name)).join('')}</select></label>
      <label>${esc(t('data.level'))} <select name="level">${full ? option('full', t('data.level.full')) : ''}${option('public', t('data.level.public'))}</select></label>
      <label class="public-only">${esc(t('data.dangerous'))} <select name="dangerous">${option('coarsen', t('data.dangerous.coarsen'))}${option('drop', t('data.dangerous.drop'))}</select></label>
      <label class="choice"><input type="checkbox" name="hxl"> ${esc(t('data.hxl'))}</label>
      <p><a class="button primary" id="export-download" download>${esc(t('data.download'))}</a></p>
      <p class="message" id="export-problem" role="status"></p>
      <p><small>${esc(t('data.levels_help'))}</small></p></form>`;
  const form = page.querySelector('#export-form');
  const link = page.querySelector('#export-download');
  const problem = page.querySelector('#export-problem');
  const update = () => {
    page.querySelector('.public-only').hidden = form.level.value !== 'public';
    const a = address(form);
    problem.textContent = a.problem || '';
    problem.classList.toggle('error', Boolean(a.problem));
    if (a.href) link.setAttribute('href', a.href); else link.removeAttribute('href');
    link.setAttribute('aria-disabled', a.href ? 'false' : 'true');
  };
  form.addEventListener('change', update);
  form.addEventListener('input', update);
  update();
}
