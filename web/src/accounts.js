// Accounts, for administrators (a register with accounts): the list; an
// account added, its first password generated and shown once; on the one
// selected, enabled or disabled, its role and organisation, the
// personal-data permission, a new password, an API token for a script.
// The server checks and seals each change (PATCH /api/users/{name}, …).
import { t } from './i18n.js';
import { get, post, request, esc, selectable } from './api.js';

const ROLES = ['ADMINISTRATOR', 'IM_OFFICER', 'OPERATOR', 'QM_OFFICER', 'VIEWER'];
const COLUMNS = ['name', 'role', 'organisation', 'personal_data', 'disabled', 'tokens'];

function row(u) {
  const value = (c) => {
    if (c === 'role') return t('accounts.role.' + u.role);
    if (c === 'personal_data' || c === 'disabled') return u[c] ? t('accounts.yes') : '';
    return u[c] ?? '';
  };
  return `<tr data-name="${esc(u.name)}" tabindex="0"${u.disabled ? ' class="state-disabled"' : ''}>${COLUMNS.map((c) => `<td>${esc(value(c))}</td>`).join('')}</tr>`;
}

const roleOptions = (chosen) => ROLES.map((r) => `<option value="${r}"${r === chosen ? ' selected' : ''}>${esc(t('accounts.role.' + r))}</option>`).join('');
const orgOptions = (ref, chosen) => `<option value="">—</option>` + ref.organisations.map((o) => `<option value="${esc(o.acronym)}"${o.acronym === chosen ? ' selected' : ''}>${esc(o.acronym)}</option>`).join('');

function addForm(ref) {
  return `<form id="account-add" class="inline" autocomplete="off"><h3>${esc(t('accounts.add'))}</h3>
    <label>${esc(t('accounts.name'))} <input name="name" required></label>
    <label>${esc(t('accounts.col.role'))} <select name="role">${roleOptions('VIEWER')}</select></label>
    <label>${esc(t('accounts.col.organisation'))} <select name="organisation">${orgOptions(ref, '')}</select></label>
    <label class="choice"><input type="checkbox" name="personal_data"> ${esc(t('accounts.col.personal_data'))}</label>
    <button type="submit">${esc(t('accounts.add'))}</button></form>`;
}

function detail(u, ref) {
  return `<h3>${esc(u.name)}</h3>
    <form id="account-change" class="inline" autocomplete="off">
      <label>${esc(t('accounts.col.role'))} <select name="role">${roleOptions(u.role)}</select></label>
      <label>${esc(t('accounts.col.organisation'))} <select name="organisation">${orgOptions(ref, u.organisation)}</select></label>
      <label class="choice"><input type="checkbox" name="personal_data"${u.personal_data ? ' checked' : ''}> ${esc(t('accounts.col.personal_data'))}</label>
      <button type="submit">${esc(t('accounts.save'))}</button></form>
    <p><button type="button" id="account-toggle">${esc(t(u.disabled ? 'accounts.enable' : 'accounts.disable'))}</button>
      <button type="button" id="account-password">${esc(t('accounts.new_password'))}</button></p>
    <form id="account-token" class="inline" autocomplete="off"><h4>${esc(t('accounts.token'))}</h4>
      <label>${esc(t('accounts.token_label'))} <input name="label" required></label>
      <label>${esc(t('accounts.token_days'))} <input name="days" type="number" min="1" max="3650" value="365" class="narrow"></label>
      <button type="submit">${esc(t('accounts.token_issue'))}</button></form>`;
}

export async function mountAccounts(view, session) {
  view.innerHTML = `<div class="page" id="accounts"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#accounts');
  const [ref, first] = await Promise.all([get('/api/reference'), get('/api/users')]);
  let users = first;
  page.innerHTML = `<h2>${esc(t('accounts.title'))}</h2>${addForm(ref)}
    <p class="message" id="account-message" role="status"></p>
    <div class="split"><div class="list" id="account-table"></div>
    <div class="info" id="account-detail"><p>${esc(t('accounts.select'))}</p></div></div>`;
  const message = page.querySelector('#account-message');
  const info = page.querySelector('#account-detail');
  const list = page.querySelector('#account-table');
  let current = null;
  const table = () => {
    list.innerHTML = `<table id="account-list"><tr>${COLUMNS.map((c) => `<th>${esc(t('accounts.col.' + c))}</th>`).join('')}</tr>${users.map(row).join('')}</table>`;
    if (current) list.querySelector(`tr[data-name="${CSS.escape(current)}"]`)?.classList.add('selected');
  };
  // Sends a change with every button of the page held until it is answered;
  // says what came of it at once (a password or a token is shown once, and
  // must not be lost to a failed reload), then shows the accounts again.
  const act = async (send, said) => {
    const buttons = [...page.querySelectorAll('button')];
    if (buttons.some((b) => b.disabled)) return;
    buttons.forEach((b) => { b.disabled = true; });
    message.classList.remove('error');
    let answer;
    try {
      answer = await send();
      message.textContent = said(answer);
    } catch (err) {
      if (err.code !== 'unauthenticated') {
        message.textContent = err.message;
        message.classList.add('error');
      }
    }
    try {
      if (answer) {
        users = await get('/api/users');
        table();
        const shown = users.find((u) => u.name === current);
        if (shown) show(shown);
      }
    } catch (_) { /* the message above stays; the list is reloaded next time */ }
    page.querySelectorAll('button').forEach((b) => { b.disabled = false; });
  };
  // A change to one's own account ends one's own session: asked first.
  const mine = (u) => u.name === session.name;
  const sure = (u) => !mine(u) || window.confirm(t('accounts.own_change'));
  const show = (u) => {
    current = u.name;
    info.innerHTML = detail(u, ref);
    const path = `/api/users/${encodeURIComponent(u.name)}`;
    const change = info.querySelector('#account-change');
    // A viewer never holds personal data: the box follows the role.
    const follow = () => {
      const viewer = change.role.value === 'VIEWER';
      change.personal_data.disabled = viewer;
      if (viewer) change.personal_data.checked = false;
    };
    change.role.onchange = follow;
    follow();
    change.onsubmit = (e) => {
      e.preventDefault();
      // Only what changed: each change is an event and ends the account's sessions.
      const body = {};
      const organisation = change.organisation.value || null;
      if (change.role.value !== u.role || organisation !== (u.organisation || null)) {
        body.role = change.role.value;
        body.organisation = organisation;
      }
      if (change.personal_data.checked !== u.personal_data) body.personal_data = change.personal_data.checked;
      if (!Object.keys(body).length) { message.textContent = t('accounts.unchanged'); return; }
      if (!sure(u)) return;
      act(() => request('PATCH', path, body), () => t('accounts.changed', { name: u.name }));
    };
    info.querySelector('#account-toggle').onclick = () => {
      if (!sure(u)) return;
      act(() => request('PATCH', path, { disabled: !u.disabled }), () => t(u.disabled ? 'accounts.enabled' : 'accounts.disabled', { name: u.name }));
    };
    info.querySelector('#account-password').onclick = () => {
      if (!sure(u)) return;
      act(() => request('PATCH', path, { new_password: true }), (a) => t('accounts.password_once', { name: u.name, password: a.password }));
    };
    const token = info.querySelector('#account-token');
    token.onsubmit = (e) => {
      e.preventDefault();
      const body = { label: token.label.value, days: token.days.value ? Number(token.days.value) : null };
      act(() => post(`${path}/tokens`, body), (a) => t('accounts.token_once', { id: a.id, secret: a.secret }));
    };
  };
  table();
  selectable(list, 'name', (tr) => {
    list.querySelectorAll('tr').forEach((r) => r.classList.toggle('selected', r === tr));
    const u = users.find((x) => x.name === tr.dataset.name);
    if (u) show(u);
  });
  const add = page.querySelector('#account-add');
  add.onsubmit = (e) => {
    e.preventDefault();
    const body = { name: add.name.value.trim(), role: add.role.value, organisation: add.organisation.value || null, personal_data: add.personal_data.checked };
    act(() => post('/api/users', body), (a) => {
      add.reset();
      return t('accounts.added_once', { name: a.user.name, password: a.password });
    });
  };
}
