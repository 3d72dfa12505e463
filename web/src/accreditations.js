// Accreditations [IMAS 07.30]: who is accredited for which capability, for
// which period, and whether it is in force, ending within 30 days, expired or
// suspended; for IM officers and administrators, the forms that record one
// and suspend the one selected. The server refuses what a role may not do.
import { t } from './i18n.js';
import { get, post, esc, selectable, day as dayText } from './api.js';

const CAPABILITIES = ['MANUAL', 'MECHANICAL', 'DOGS', 'EOD', 'NTS', 'TS'];
const COLUMNS = ['reference', 'organisation', 'team', 'capability', 'valid_from', 'valid_to', 'state'];

const today = () => new Date().toISOString().slice(0, 10);
const inDays = (days) => new Date(Date.now() + days * 86400000).toISOString().slice(0, 10);

/** IN_FORCE, ENDING (within 30 days), EXPIRED, SUSPENDED or FUTURE, as of today. */
function state(a) {
  const day = today();
  if (a.suspended_on && a.suspended_on <= day) return 'SUSPENDED';
  if (a.valid_to < day) return 'EXPIRED';
  if (a.valid_from > day) return 'FUTURE';
  return a.valid_to <= inDays(30) ? 'ENDING' : 'IN_FORCE';
}

function row(a) {
  const value = (c) => {
    if (c === 'state') return t('accreditations.state.' + state(a));
    if (c === 'capability') return t('accreditations.capability.' + a.capability);
    return a[c] ?? '';
  };
  return `<tr data-reference="${esc(a.reference)}" tabindex="0" class="state-${esc(state(a).toLowerCase())}">${COLUMNS.map((c) => `<td>${esc(value(c))}</td>`).join('')}</tr>`;
}

function addForm() {
  return `<form id="accreditation-add" class="inline"><h4>${esc(t('accreditations.add'))}</h4>
    <label>${esc(t('accreditation.reference'))} <input name="reference" required></label>
    <label>${esc(t('accreditations.organisation'))} <input name="organisation" required></label>
    <label>${esc(t('accreditations.team'))} <input name="team"></label>
    <label>${esc(t('accreditation.capability'))} <select name="capability">${CAPABILITIES.map((c) => `<option value="${esc(c)}">${esc(t('accreditations.capability.' + c))}</option>`).join('')}</select></label>
    <label>${esc(t('accreditations.valid_from'))} <input name="valid_from" type="date" required></label>
    <label>${esc(t('accreditation.valid_to'))} <input name="valid_to" type="date" required></label>
    <button type="submit">${esc(t('accreditations.add'))}</button></form>`;
}

function detail(a, canDecide) {
  const suspended = a.suspended_on ? `<p>${esc(t('accreditations.suspended', { day: a.suspended_on, reason: a.suspension_reason || '' }))}</p>` : '';
  const suspend = canDecide && !a.suspended_on ? `
    <form id="accreditation-suspend" class="inline"><h4>${esc(t('accreditations.suspend'))}</h4>
      <label>${esc(t('accreditations.suspend_on'))} <input name="on" type="date" value="${esc(today())}" required></label>
      <label>${esc(t('accreditations.reason'))} <input name="reason" required></label>
      <button type="submit">${esc(t('accreditations.suspend'))}</button></form>` : '';
  return `<h3>${esc(a.reference)} · ${esc(a.organisation)}${a.team ? ' · ' + esc(a.team) : ''}</h3>
    <p>${esc(t('accreditations.capability.' + a.capability))}: ${esc(dayText(a.valid_from))} – ${esc(dayText(a.valid_to))} (${esc(t('accreditations.state.' + state(a)))})</p>
    ${suspended}${suspend}`;
}

export async function mountAccreditations(view, session) {
  view.innerHTML = `<div class="page" id="accreditations"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#accreditations');
  const canDecide = ['administrator', 'im_officer'].includes(session.role);
  const rows = await get('/api/accreditations');
  const table = () => `<table id="accreditation-list"><tr>${COLUMNS.map((c) => `<th>${esc(t('accreditations.col.' + c))}</th>`).join('')}</tr>
    ${rows.map(row).join('')}</table>${rows.length ? '' : `<p>${esc(t('accreditations.none'))}</p>`}`;
  page.innerHTML = `<h2>${esc(t('accreditations.title'))}</h2><p>${esc(t('accreditations.intro'))}</p>
    ${canDecide ? addForm() : ''}<p class="message" id="accreditation-message" role="status"></p>
    <div class="split"><div class="list" id="accreditation-table">${table()}</div>
    <div class="info" id="accreditation-detail"><p>${esc(t('accreditations.select'))}</p></div></div>`;
  const info = page.querySelector('#accreditation-detail');
  const message = page.querySelector('#accreditation-message');
  const say = (text, error) => { message.textContent = text; message.classList.toggle('error', !!error); };
  const redraw = (selected) => {
    page.querySelector('#accreditation-table').innerHTML = table();
    if (selected) page.querySelector(`tr[data-reference="${CSS.escape(selected)}"]`)?.classList.add('selected');
  };
  // The reference shown: an answer that comes back after another row was
  // chosen updates the list, not the panel.
  let current = null;
  const show = (a) => {
    current = a.reference;
    info.innerHTML = detail(a, canDecide);
    const form = info.querySelector('#accreditation-suspend');
    if (form) form.onsubmit = async (e) => {
      e.preventDefault();
      const f = new FormData(form);
      form.querySelector('button').disabled = true;
      try {
        const updated = await post(`/api/accreditations/${encodeURIComponent(a.reference)}/suspension`, { on: f.get('on'), reason: f.get('reason') });
        rows[rows.findIndex((x) => x.reference === updated.reference)] = updated;
        redraw(current);
        if (current === updated.reference) show(updated);
        say(t('accreditations.recorded'));
      } catch (err) {
        if (err.code === 'unauthenticated') return;
        form.querySelector('button').disabled = false;
        say(err.message, true);
      }
    };
  };
  const add = page.querySelector('#accreditation-add');
  if (add) add.onsubmit = async (e) => {
    e.preventDefault();
    const f = new FormData(add);
    const text = (k) => (f.get(k) || '').trim() || null;
    add.querySelector('button').disabled = true;
    try {
      const created = await post('/api/accreditations', { reference: text('reference'), organisation: text('organisation'), team: text('team'),
        capability: f.get('capability'), valid_from: f.get('valid_from'), valid_to: f.get('valid_to') });
      rows.unshift(created);
      redraw(current);
      add.reset();
      say(t('accreditations.recorded'));
    } catch (err) {
      if (err.code !== 'unauthenticated') say(err.message, true);
    } finally {
      add.querySelector('button').disabled = false;
    }
  };
  const open = (tr) => {
    page.querySelectorAll('#accreditation-list tr').forEach((r) => r.classList.toggle('selected', r === tr));
    const a = rows.find((x) => x.reference === tr.dataset.reference);
    if (a) show(a);
  };
  selectable(page.querySelector('#accreditation-table'), 'reference', open);
}
