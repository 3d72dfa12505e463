// Non-conformities [IMAS 07.12]: the list (an operator sees its own
// organisation's), and on the one selected the organisation's answer (root
// cause, corrective and preventive actions) and the QM officer's verified
// closure; below, the inspections (QA visits, QC samples of released ground)
// that raise them. The server decides who may do which.
import { t } from './i18n.js';
import { get, post, esc, selectable, fmt } from './api.js';
import { mountInspectionForm } from './inspect.js';

const COLUMNS = ['code', 'organisation', 'grade', 'status', 'raised_on', 'due_on', 'finding'];

function row(n) {
  const cell = (c) => `<td>${esc(c === 'status' ? t('ncrs.status.' + n.status) : c === 'grade' ? t('ncrs.grade.' + n.grade) : n[c] ?? '')}</td>`;
  return `<tr data-code="${esc(n.code)}" tabindex="0">${COLUMNS.map(cell).join('')}</tr>`;
}

function detail(n, can) {
  const field = (k) => n[k] ? `<p><strong>${esc(t('ncrs.' + k))}:</strong> ${esc(n[k])}</p>` : '';
  const answer = can.answer && n.status !== 'CLOSED' ? `
    <form id="ncr-answer" class="inline"><h4>${esc(t('ncrs.answer'))}</h4>
      <label>${esc(t('ncrs.root_cause'))} <input name="root_cause" value="${esc(n.root_cause || '')}"></label>
      <label>${esc(t('ncrs.corrective'))} <input name="corrective" value="${esc(n.corrective || '')}"></label>
      <label>${esc(t('ncrs.preventive'))} <input name="preventive" value="${esc(n.preventive || '')}"></label>
      <button type="submit">${esc(t('ncrs.answer'))}</button></form>` : '';
  const close = can.close && n.status !== 'CLOSED' ? `
    <form id="ncr-close" class="inline"><h4>${esc(t('ncrs.close'))}</h4>
      <label>${esc(t('ncrs.verification'))} <input name="verification" required></label>
      <button type="submit">${esc(t('ncrs.close'))}</button></form>` : '';
  return `<h3>${esc(n.code)} · ${esc(n.organisation)}</h3><p>${esc(n.finding)}</p>
    ${field('root_cause')}${field('corrective')}${field('preventive')}${field('verification')}
    ${answer}${close}<p class="message" id="ncr-message" role="status"></p>`;
}

const INSPECTION_COLUMNS = ['inspected_on', 'kind', 'result', 'hazard', 'organisation', 'share', 'items_found'];

// One inspection: the share of the ground its sample covers, as a percentage.
function inspectionRow(i) {
  const value = (c) => {
    if (c === 'kind') return t('ncrs.inspection.kind.' + i.kind);
    if (c === 'result') return t('ncrs.inspection.result.' + i.result);
    if (c === 'share') return i.share == null ? '' : fmt(i.share, 1, { style: 'percent' });
    return i[c] ?? '';
  };
  return `<tr>${INSPECTION_COLUMNS.map((c) => `<td>${esc(value(c))}</td>`).join('')}</tr>`;
}

function inspectionTable(list) {
  if (!list.length) return `<p>${esc(t('ncrs.inspection.none'))}</p>`;
  return `<table id="inspection-list"><caption>${esc(t('ncrs.inspection.title'))}</caption>
    <tr>${INSPECTION_COLUMNS.map((c) => `<th>${esc(t('ncrs.inspection.col.' + c))}</th>`).join('')}</tr>
    ${list.map(inspectionRow).join('')}</table>`;
}

export async function mountNcrs(view, session) {
  view.innerHTML = `<div class="page" id="ncrs"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#ncrs');
  const can = {
    answer: ['administrator', 'im_officer', 'operator'].includes(session.role),
    close: ['administrator', 'qm_officer'].includes(session.role),
    inspect: ['administrator', 'im_officer', 'qm_officer'].includes(session.role),
  };
  const [rows, inspections] = await Promise.all([get('/api/ncrs'), get('/api/inspections')]);
  page.innerHTML = `<h2>${esc(t('ncrs.title'))}</h2>
    <div class="split"><div class="list"><table id="ncr-list"><tr>${COLUMNS.map((c) => `<th>${esc(t('ncrs.col.' + c))}</th>`).join('')}</tr>
      ${rows.map(row).join('')}</table>${rows.length ? '' : `<p>${esc(t('ncrs.none'))}</p>`}</div>
    <div class="info" id="ncr-detail"><p>${esc(t('ncrs.select'))}</p></div></div>
    <h3>${esc(t('ncrs.inspection.title'))}</h3>${inspectionTable(inspections)}
    ${can.inspect ? '<div class="inspect" id="inspect"></div>' : ''}`;
  const unmountForm = can.inspect ? await mountInspectionForm(page.querySelector('#inspect'), session) : null;
  const info = page.querySelector('#ncr-detail');
  // The code shown: an answer that comes back after another row was chosen
  // updates the list, not the panel.
  let current = null;
  const show = (n) => {
    current = n.code;
    info.innerHTML = detail(n, can);
    const send = async (path, body) => {
      const message = info.querySelector('#ncr-message');
      try {
        info.querySelectorAll('button').forEach((b) => { b.disabled = true; });
        const updated = await post(path, body);
        rows[rows.findIndex((x) => x.code === updated.code)] = updated;
        const tr = page.querySelector(`tr[data-code="${CSS.escape(updated.code)}"]`);
        tr.outerHTML = row(updated);
        if (current !== n.code) return;
        page.querySelector(`tr[data-code="${CSS.escape(updated.code)}"]`).classList.add('selected');
        show(updated);
        info.querySelector('#ncr-message').textContent = t('ncrs.recorded');
      } catch (err) {
        if (err.code === 'unauthenticated' || current !== n.code) return;
        info.querySelectorAll('button').forEach((b) => { b.disabled = false; });
        message.textContent = err.message;
        message.classList.add('error');
      }
    };
    const answer = info.querySelector('#ncr-answer');
    if (answer) answer.onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(answer);
      const text = (k) => (f.get(k) || '').trim() || null;
      send(`/api/ncrs/${encodeURIComponent(n.code)}/answer`, { root_cause: text('root_cause'), corrective: text('corrective'), preventive: text('preventive') });
    };
    const close = info.querySelector('#ncr-close');
    if (close) close.onsubmit = (e) => {
      e.preventDefault();
      send(`/api/ncrs/${encodeURIComponent(n.code)}/close`, { verification: new FormData(close).get('verification') });
    };
  };
  const open = (tr) => {
    page.querySelectorAll('#ncr-list tr').forEach((r) => r.classList.toggle('selected', r === tr));
    const n = rows.find((x) => x.code === tr.dataset.code);
    if (n) show(n);
  };
  selectable(page.querySelector('#ncr-list'), 'code', open);
  return unmountForm;
}
