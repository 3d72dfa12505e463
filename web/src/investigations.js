// Investigations of accidents [IMAS 10.60]: each with where it stands, its
// board of inquiry, findings and recommendations, and the non-conformities
// raised from them; for the roles that investigate (IM and QM officers,
// administrators), the form of the next step — convene the board, record
// the conclusion, raise a recommendation as a non-conformity — and open one
// into an accident that has none (a demining accident's approval opens its
// own). The server
// refuses what a role may not do and hides the findings from the others.
import { t } from './i18n.js';
import { get, post, esc, selectable } from './api.js';

const COLUMNS = ['code', 'stage', 'accident_on', 'accident_kind', 'district', 'opened_on'];
const GRADES = ['CRITICAL', 'MAJOR', 'MINOR'];
const lines = (text) => (text || '').split('\n').map((l) => l.trim()).filter(Boolean);

function row(i) {
  const value = (c) => {
    if (c === 'stage') return t('investigation.stage.' + i.stage);
    if (c === 'accident_kind') return t('investigations.kind.' + i.accident_kind);
    return i[c] ?? '';
  };
  return `<tr data-code="${esc(i.code)}" tabindex="0">${COLUMNS.map((c) => `<td>${esc(value(c))}</td>`).join('')}</tr>`;
}

function recommendations(i, canAct) {
  if (!i.recommendations.length) return '';
  const raised = new Map(i.non_conformities.map((n) => [n.recommendation, n.code]));
  const items = i.recommendations.map((text, k) => {
    const n = k + 1;
    const code = raised.get(n);
    const action = code ? ` <strong>${esc(t('investigations.raised_as', { code }))}</strong>`
      : canAct ? ` <form class="inline raise" data-n="${n}">
          <label>${esc(t('investigations.organisation'))} <input name="organisation" required></label>
          <label>${esc(t('investigations.grade'))} <select name="grade">${GRADES.map((g) => `<option value="${g}"${g === 'MAJOR' ? ' selected' : ''}>${esc(t('ncrs.grade.' + g))}</option>`).join('')}</select></label>
          <button type="submit">${esc(t('investigations.raise'))}</button></form>` : '';
    return `<li>${esc(text)}${action}</li>`;
  }).join('');
  return `<h4>${esc(t('investigations.recommendations'))}</h4><ol id="recommendations">${items}</ol>`;
}

function nextStep(i) {
  if (i.stage === 'AWAITING_BOARD') {
    return `<form id="investigation-board" class="inline"><h4>${esc(t('investigations.convene'))}</h4>
      <label>${esc(t('investigations.members'))} <textarea name="members" rows="3" required></textarea></label>
      <button type="submit">${esc(t('investigations.convene'))}</button></form>`;
  }
  if (i.stage === 'SITTING') {
    return `<form id="investigation-conclusion" class="inline"><h4>${esc(t('investigations.conclude'))}</h4>
      <label>${esc(t('investigations.findings'))} <textarea name="findings" rows="3" required></textarea></label>
      <label>${esc(t('investigations.recommendations_one_per_line'))} <textarea name="recommendations" rows="3"></textarea></label>
      <button type="submit">${esc(t('investigations.conclude'))}</button></form>`;
  }
  return '';
}

function detail(i, canAct) {
  const board = i.board.length ? `<h4>${esc(t('investigations.board', { day: i.convened_on }))}</h4><ul>${i.board.map((m) => `<li>${esc(m)}</li>`).join('')}</ul>` : '';
  const findings = i.findings ? `<h4>${esc(t('investigations.findings_on', { day: i.concluded_on }))}</h4><p>${esc(i.findings)}</p>` : '';
  return `<h3>${esc(i.code)} · ${esc(t('investigation.stage.' + i.stage))}</h3>
    <p>${esc(t('investigations.about', { kind: t('investigations.kind.' + i.accident_kind), day: i.accident_on, district: i.district || '–', opened: i.opened_on }))}</p>
    ${board}${findings}${recommendations(i, canAct)}${canAct ? nextStep(i) : ''}
    <p class="message" id="investigation-message" role="status"></p>`;
}

/** The form that opens an investigation into an accident without one, the latest first. */
function openForm(accidents, rows) {
  const taken = new Set(rows.map((i) => i.accident));
  const free = accidents.filter((a) => !taken.has(a.id)).sort((a, b) => (b.occurred_on || '').localeCompare(a.occurred_on || ''));
  if (!free.length) return '';
  const option = (a) => `<option value="${esc(a.id)}">${esc(`${a.occurred_on} · ${a.district || '–'} · ${t('investigations.kind.' + a.kind)} · ${t('investigations.casualties', { killed: a.killed, injured: a.injured })}`)}</option>`;
  return `<form id="investigation-open" class="inline"><h4>${esc(t('investigations.open'))}</h4>
    <label>${esc(t('investigations.accident'))} <select name="accident">${free.map(option).join('')}</select></label>
    <button type="submit">${esc(t('investigations.open'))}</button></form>`;
}

export async function mountInvestigations(view, session) {
  view.innerHTML = `<div class="page" id="investigations-page"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#investigations-page');
  const canAct = ['administrator', 'im_officer', 'qm_officer'].includes(session.role);
  const [rows, layer] = await Promise.all([get('/api/investigations'), canAct ? get('/api/layers/accidents') : { features: [] }]);
  const accidents = layer.features.map((f) => f.properties);
  page.innerHTML = `<h2>${esc(t('investigations.title'))}</h2>${canAct ? openForm(accidents, rows) : ''}
    <p class="message" id="investigation-opened" role="status"></p>
    <div class="split"><div class="list"><table id="investigation-list"><tr>${COLUMNS.map((c) => `<th>${esc(t('investigations.col.' + c))}</th>`).join('')}</tr>
      ${rows.map(row).join('')}</table>${rows.length ? '' : `<p>${esc(t('investigations.none'))}</p>`}</div>
    <div class="info" id="investigation-detail"><p>${esc(t('investigations.select'))}</p></div></div>`;
  const info = page.querySelector('#investigation-detail');
  // The code shown: an answer that comes back after another row was chosen
  // updates the list, not the panel.
  let current = null;
  const show = (i) => {
    current = i.code;
    info.innerHTML = detail(i, canAct);
    const send = async (form, path, body, raised) => {
      const message = info.querySelector('#investigation-message');
      form.querySelector('button').disabled = true;
      try {
        const answer = await post(path, body);
        // Raising a recommendation answers with the non-conformity; the rest with the investigation.
        const updated = raised ? await get('/api/investigations').then((all) => all.find((x) => x.code === i.code) || i)
          : answer;
        rows[rows.findIndex((x) => x.code === updated.code)] = updated;
        page.querySelector(`tr[data-code="${CSS.escape(updated.code)}"]`).outerHTML = row(updated);
        if (current !== i.code) return;
        page.querySelector(`tr[data-code="${CSS.escape(updated.code)}"]`).classList.add('selected');
        show(updated);
        info.querySelector('#investigation-message').textContent = raised ? t('investigations.ncr_raised', { code: answer.code }) : t('investigations.recorded');
      } catch (err) {
        if (err.code === 'unauthenticated' || current !== i.code) return;
        form.querySelector('button').disabled = false;
        message.textContent = err.message;
        message.classList.add('error');
      }
    };
    const path = (step) => `/api/investigations/${encodeURIComponent(i.code)}/${step}`;
    const board = info.querySelector('#investigation-board');
    if (board) board.onsubmit = (e) => {
      e.preventDefault();
      send(board, path('board'), { members: lines(new FormData(board).get('members')) });
    };
    const conclusion = info.querySelector('#investigation-conclusion');
    if (conclusion) conclusion.onsubmit = (e) => {
      e.preventDefault();
      const f = new FormData(conclusion);
      send(conclusion, path('conclusion'), { findings: (f.get('findings') || '').trim(), recommendations: lines(f.get('recommendations')) });
    };
    info.querySelectorAll('form.raise').forEach((form) => {
      form.onsubmit = (e) => {
        e.preventDefault();
        const f = new FormData(form);
        send(form, path('ncrs'), { recommendation: Number(form.dataset.n), organisation: (f.get('organisation') || '').trim(), grade: f.get('grade') }, true);
      };
    });
  };
  const opening = page.querySelector('#investigation-open');
  if (opening) opening.onsubmit = async (e) => {
    e.preventDefault();
    const message = page.querySelector('#investigation-opened');
    opening.querySelector('button').disabled = true;
    try {
      const created = await post('/api/investigations', { accident: new FormData(opening).get('accident') });
      rows.unshift(created);
      page.querySelector('#investigation-list tr').insertAdjacentHTML('afterend', row(created));
      opening.querySelector(`option[value="${CSS.escape(created.accident)}"]`)?.remove();
      message.textContent = t('investigations.opened', { code: created.code });
      open(page.querySelector(`tr[data-code="${CSS.escape(created.code)}"]`));
    } catch (err) {
      if (err.code !== 'unauthenticated') { message.textContent = err.message; message.classList.add('error'); }
    } finally {
      opening.querySelector('button').disabled = !opening.querySelector('option');
    }
  };
  const open = (tr) => {
    page.querySelectorAll('#investigation-list tr').forEach((r) => r.classList.toggle('selected', r === tr));
    const i = rows.find((x) => x.code === tr.dataset.code);
    if (i) show(i);
  };
  selectable(page.querySelector('#investigation-list'), 'code', open);
}
