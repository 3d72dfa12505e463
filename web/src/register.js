// The register: every hazard in force, searched (code or name), filtered
// (district, status, kind, contamination) and sorted in the database, a page
// at a time (GET /api/hazards); the one selected opens beside the table with
// its figures and history, as on the map.
import { t } from './i18n.js';
import { get, esc, km2, day, fmt, selectable } from './api.js';
import { showHazard } from './map.js';
import { mountRecords } from './records.js';

const SHOW = ['hazards', 'eo_finds', 'accidents', 'eore_sessions'];

const PER_PAGE = 50;
const STATUSES = ['OPEN', 'WORKED_ON', 'CLOSED', 'HANDED_OVER'];
const KINDS = ['SHA', 'CHA'];
const CONTAMINATION = ['AP', 'AT', 'UXO', 'AXO', 'CMR', 'IED'];
const SORTS = ['code', 'remaining', 'recorded', 'district'];
const COLUMNS = ['code', 'name', 'kind', 'status', 'district', 'contamination', 'recorded_on', 'remaining'];

const options = (values, label, all = true) =>
  (all ? `<option value="">${esc(t('register.all'))}</option>` : '') + values.map((v) => `<option value="${esc(v)}">${esc(label(v))}</option>`).join('');

function row(h) {
  const value = (c) => {
    if (c === 'kind') return t('kind.' + h.kind);
    if (c === 'status') return t('status.' + h.status);
    if (c === 'remaining') return km2(h.area_m2.remaining);
    if (c === 'recorded_on') return day(h.recorded_on);
    return h[c] ?? '';
  };
  return `<tr data-code="${esc(h.code)}" tabindex="0">${COLUMNS.map((c) => `<td${c === 'remaining' ? ' class="num"' : ''}>${esc(value(c))}</td>`).join('')}</tr>`;
}

export async function mountRegister(view) {
  view.innerHTML = `<div class="page" id="register"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#register');
  const reference = await get('/api/reference');
  page.innerHTML = `<h2 id="register-title">${esc(t('register.title'))}</h2>
    <p><label>${esc(t('register.show'))} <select id="register-show">${SHOW.map((s) => `<option value="${s}">${esc(t('register.show.' + s))}</option>`).join('')}</select></label></p>
    <div class="split" id="records" hidden><div class="list" id="records-host"></div><aside class="info" id="records-detail" tabindex="0"><p>${esc(t('register.select_record'))}</p></aside></div>
    <div id="hazards-part">
    <form id="register-filter" class="inline" role="search">
      <label>${esc(t('register.search'))} <input name="q" type="search" autocomplete="off"></label>
      <label>${esc(t('hazard.district'))} <select name="district">${options(reference.districts.map((d) => d.name), (d) => d)}</select></label>
      <label>${esc(t('hazard.status'))} <select name="status">${options(STATUSES, (s) => t('status.' + s))}</select></label>
      <label>${esc(t('hazard.kind'))} <select name="kind">${options(KINDS, (k) => t('kind.' + k))}</select></label>
      <label>${esc(t('hazard.contamination'))} <select name="contamination">${options(CONTAMINATION, (c) => c)}</select></label>
      <label>${esc(t('register.sort'))} <select name="sort">${options(SORTS, (s) => t('register.sort.' + s), false)}</select></label>
    </form>
    <div class="split"><div class="list"><p id="register-count" role="status"></p><div id="register-table"></div>
      <p class="pager"><button type="button" id="register-prev">${esc(t('register.previous'))}</button>
      <button type="button" id="register-next">${esc(t('register.next'))}</button></p></div>
    <aside class="info" id="register-detail" tabindex="0"><p>${esc(t('register.select'))}</p></aside></div></div>`;
  const form = page.querySelector('#register-filter');
  const detail = page.querySelector('#register-detail');
  let number = 1;
  // Answers that come back after a newer question are dropped.
  let asked = 0;
  const load = async () => {
    const question = ++asked;
    const f = new FormData(form);
    const params = new URLSearchParams({ page: String(number), per_page: String(PER_PAGE) });
    for (const k of ['q', 'district', 'status', 'kind', 'contamination', 'sort']) {
      const v = (f.get(k) || '').trim();
      if (v) params.set(k, v);
    }
    let answer;
    try {
      answer = await get('/api/hazards?' + params);
    } catch (err) {
      if (question === asked) page.querySelector('#register-count').textContent = err.message;
      return;
    }
    if (question !== asked) return;
    const first = answer.total ? (answer.page - 1) * answer.per_page + 1 : 0;
    const last = Math.min(answer.total, answer.page * answer.per_page);
    page.querySelector('#register-count').textContent = t('register.count', { first: fmt(first), last: fmt(last), total: fmt(answer.total) });
    // The question this page answers, for whoever reads the table (a test).
    page.querySelector('#register-table').innerHTML = `<table id="register-list" data-sort="${esc(params.get('sort') || 'code')}" data-q="${esc(params.get('q') || '')}"><tr>${COLUMNS.map((c) => `<th${c === 'remaining' ? ' class="num"' : ''}>${esc(t('register.col.' + c))}</th>`).join('')}</tr>
      ${answer.items.map(row).join('')}</table>`;
    page.querySelector('#register-prev').disabled = answer.page <= 1;
    page.querySelector('#register-next').disabled = last >= answer.total;
  };
  let typing = null;
  form.addEventListener('input', (e) => {
    number = 1;
    clearTimeout(typing);
    // Each key would be a question: wait for a pause in the typing.
    typing = setTimeout(load, e.target.name === 'q' ? 250 : 0);
  });
  form.addEventListener('submit', (e) => { e.preventDefault(); number = 1; load(); });
  page.querySelector('#register-prev').onclick = () => { number = Math.max(1, number - 1); load(); };
  page.querySelector('#register-next').onclick = () => { number += 1; load(); };
  const open = (tr) => {
    page.querySelectorAll('#register-list tr').forEach((r) => r.classList.toggle('selected', r === tr));
    showHazard(detail, tr.dataset.code, true).catch((err) => { detail.innerHTML = `<p class="message error">${esc(err.message)}</p>`; });
  };
  selectable(page.querySelector('#register-table'), 'code', open);
  // The other records: the same page, a table of their own.
  const show = page.querySelector('#register-show');
  show.onchange = () => {
    const layer = show.value;
    page.querySelector('#register-title').textContent = layer === 'hazards' ? t('register.title') : t('register.show.' + layer);
    page.querySelector('#hazards-part').hidden = layer !== 'hazards';
    page.querySelector('#records').hidden = layer === 'hazards';
    if (layer !== 'hazards') {
      page.querySelector('#records-detail').innerHTML = `<p>${esc(t('register.select_record'))}</p>`;
      mountRecords(page.querySelector('#records-host'), page.querySelector('#records-detail'), layer, reference.districts.map((d) => d.name));
    }
  };
  await load();
  return () => { if (detail.hazardMap) detail.hazardMap.remove(); };
}
