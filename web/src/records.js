// The register's other records, a page at a time from the database
// (GET /api/records/{layer}): EO finds, accidents and risk-education
// sessions, in a district or all; the one selected opens beside the table
// with every value its layer has.
import { t } from './i18n.js';
import { get, esc, fmt, day, selectable } from './api.js';

const PER_PAGE = 50;
/** The columns a table shows, of each layer's export columns. */
export const SHOWN = {
  eo_finds: ['found_on', 'category', 'eo_type', 'quantity', 'condition', 'disposal', 'hazard', 'district', 'organisation'],
  accidents: ['occurred_on', 'kind', 'district', 'device_category', 'activity_at_time', 'killed', 'injured', 'hazard'],
  eore_sessions: ['held_on', 'organisation', 'kind', 'audience', 'settlement', 'district', 'participants'],
};
const PEOPLE = ['girls', 'boys', 'women', 'men'];

/** A column's name in the language; the layer's own name where the catalogue has none. */
const label = (c) => { const k = 'records.col.' + c; const s = t(k); return s === k ? c : s; };

function value(columns, item, c) {
  if (c === 'participants') return fmt(PEOPLE.reduce((n, p) => n + (Number(item.values[columns.indexOf(p)]) || 0), 0));
  const v = item.values[columns.indexOf(c)];
  if (c.endsWith('_on')) return day(v);
  return typeof v === 'number' ? fmt(v, 2) : v ?? '';
}

/** Mounts the table of `layer` in `host`, its detail in `detail`, with `districts` to choose from. */
export function mountRecords(host, detail, layer, districts) {
  host.innerHTML = `<form id="records-filter" class="inline"><label>${esc(t('hazard.district'))} <select name="district">
      <option value="">${esc(t('register.all'))}</option>${districts.map((d) => `<option value="${esc(d)}">${esc(d)}</option>`).join('')}</select></label></form>
    <p id="records-count" role="status"></p><div id="records-table"></div>
    <p class="pager"><button type="button" id="records-prev">${esc(t('register.previous'))}</button>
    <button type="button" id="records-next">${esc(t('register.next'))}</button></p>`;
  const form = host.querySelector('#records-filter');
  const count = host.querySelector('#records-count');
  const table = host.querySelector('#records-table');
  // The host is mounted again for another layer: this mount's answers are dropped then.
  const mount = String(Number(host.dataset.mount || 0) + 1);
  host.dataset.mount = mount;
  let number = 1;
  let asked = 0;
  let shown = { columns: [], items: [] };
  const load = async () => {
    const question = ++asked;
    const params = new URLSearchParams({ page: String(number), per_page: String(PER_PAGE) });
    const district = form.elements.district.value;
    if (district) params.set('district', district);
    let answer;
    try {
      answer = await get(`/api/records/${layer}?${params}`);
    } catch (err) {
      if (question === asked && host.dataset.mount === mount) count.textContent = err.message;
      return;
    }
    if (question !== asked || host.dataset.mount !== mount) return;
    shown = answer;
    const first = answer.total ? (answer.page - 1) * answer.per_page + 1 : 0;
    const last = Math.min(answer.total, answer.page * answer.per_page);
    count.textContent = t('register.count_of.' + layer, { first: fmt(first), last: fmt(last), total: fmt(answer.total) });
    table.innerHTML = `<table id="records-list" data-layer="${esc(layer)}"><tr>${SHOWN[layer].map((c) => `<th>${esc(label(c))}</th>`).join('')}</tr>
      ${answer.items.map((item, i) => `<tr data-i="${i}" tabindex="0">${SHOWN[layer].map((c) => `<td>${esc(value(answer.columns, item, c))}</td>`).join('')}</tr>`).join('')}</table>`;
    host.querySelector('#records-prev').disabled = answer.page <= 1;
    host.querySelector('#records-next').disabled = last >= answer.total;
  };
  form.addEventListener('change', () => { number = 1; load(); });
  host.querySelector('#records-prev').onclick = () => { number = Math.max(1, number - 1); load(); };
  host.querySelector('#records-next').onclick = () => { number += 1; load(); };
  selectable(host.querySelector('#records-table'), 'i', (tr) => {
    host.querySelectorAll('#records-list tr').forEach((r) => r.classList.toggle('selected', r === tr));
    const item = shown.items[Number(tr.dataset.i)];
    detail.innerHTML = `<h2 id="record-title">${esc(t('register.show.' + layer))}</h2><table id="record-detail">${shown.columns.map((c, i) => `<tr><th>${esc(label(c))}</th><td>${esc(item.values[i] ?? '')}</td></tr>`).join('')}
      ${item.at ? `<tr><th>WGS 84</th><td>${esc(item.at[1].toFixed(6))}, ${esc(item.at[0].toFixed(6))}</td></tr>` : ''}</table>`;
  });
  return load();
}
