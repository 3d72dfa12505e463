// Tasks: the board — a column per status, the soonest due first, each
// column a page from the database (GET /api/tasks) with the count of all —
// filtered by organisation and to those overdue; an operator's account
// sees its own organisation's. The authority issues a task with the form
// (POST /api/tasks), and calls one off (POST /api/tasks/{code}/cancellation:
// a card chosen on the board, or its code typed), where core::task's
// refusals come back as they are.
import { t } from './i18n.js';
import { get, post, esc, held, day } from './api.js';

const STATUSES = ['ISSUED', 'IN_PROGRESS', 'COMPLETED', 'CANCELLED'];
const ACTIVITIES = ['NTS', 'TS', 'CLEARANCE', 'BAC', 'EOD_SPOT_TASK'];
const PRIORITIES = ['HIGH', 'MEDIUM', 'LOW'];
const PER_COLUMN = 25;

// An open card can be chosen for cancelling (`choosable`), by its button.
function card(task, choosable) {
  const due = task.due_on ? t('tasks.due', { day: day(task.due_on) }) : t('tasks.no_due');
  return `<li class="task priority-${esc(task.priority.toLowerCase())}${task.overdue ? ' overdue' : ''}" data-code="${esc(task.code)}" data-organisation="${esc(task.organisation)}">
    <strong>${esc(task.code)}</strong>
    <span>${esc(task.hazard)} · ${esc(task.district)}</span>
    <span>${esc(task.organisation)} · ${esc(t('tasks.activity.' + task.activity))} · ${esc(t('tasks.priority.' + task.priority))}</span>
    <span>${esc(t('tasks.issued', { day: day(task.issued_on) }))} · ${esc(due)}${task.overdue ? ` · <em>${esc(t('tasks.overdue'))}</em>` : ''}</span>
    ${task.cancelled_on ? `<span>${esc(t('tasks.cancelled', { day: day(task.cancelled_on) }))}</span>` : ''}
    ${choosable ? `<button type="button" class="choose" aria-label="${esc(t('tasks.choose', { code: task.code }))}">${esc(t('tasks.choose', { code: task.code }))}</button>` : ''}</li>`;
}

function column(status, page, canCancel) {
  const shown = page.items.length;
  const count = shown < page.total ? t('tasks.count_of', { shown, total: page.total }) : String(page.total);
  return `<section class="column" id="tasks-${esc(status)}" aria-labelledby="tasks-${esc(status)}-title">
    <h3 id="tasks-${esc(status)}-title">${esc(t('tasks.status.' + status))} <small>(${esc(count)})</small></h3>
    <ul>${page.items.map((task) => card(task, canCancel && ['ISSUED', 'IN_PROGRESS'].includes(status))).join('')}</ul></section>`;
}

function issueForm(ref, today) {
  const options = (values, key) => values.map((v) => `<option value="${esc(v)}">${esc(t(key + v))}</option>`).join('');
  return `<form id="task-issue" class="inline" autocomplete="off"><h3>${esc(t('tasks.issue'))}</h3>
    <label>${esc(t('tasks.hazard'))} <input name="hazard" size="16" required></label>
    <label>${esc(t('tasks.organisation'))} <select name="organisation">${ref.organisations.map((o) => `<option value="${esc(o.acronym)}">${esc(o.acronym)}</option>`).join('')}</select></label>
    <label>${esc(t('tasks.activity'))} <select name="activity">${options(ACTIVITIES, 'tasks.activity.')}</select></label>
    <label>${esc(t('tasks.priority'))} <select name="priority">${options(PRIORITIES, 'tasks.priority.')}</select></label>
    <label>${esc(t('tasks.issued_on'))} <input type="date" name="issued_on" value="${today}" max="${today}" required></label>
    <label>${esc(t('tasks.due_on'))} <input type="date" name="due_on"></label>
    <button type="submit">${esc(t('tasks.issue_button'))}</button>
    <p class="message" id="task-message" role="status"></p></form>`;
}

function cancelForm(today) {
  return `<form id="task-cancel" class="inline" autocomplete="off"><h3>${esc(t('tasks.cancel'))}</h3>
    <label>${esc(t('tasks.cancel_code'))} <input name="code" size="22" required></label>
    <label>${esc(t('tasks.cancel_on'))} <input type="date" name="on" value="${today}" max="${today}" required></label>
    <label>${esc(t('tasks.cancel_reason'))} <input name="reason" size="40" required></label>
    <button type="submit">${esc(t('tasks.cancel_button'))}</button>
    <p class="message" id="task-cancel-message" role="status"></p></form>`;
}

// Sends a form's request, says what came of it, and reloads the board.
// Its button is disabled until the answer comes: a second click sends nothing.
async function send(button, message, request, said, reload) {
  await held(button, async () => {
    message.classList.remove('error');
    try {
      const task = await request();
      message.textContent = said(task);
      await reload();
    } catch (err) {
      if (err.code === 'unauthenticated') return;
      message.textContent = err.message;
      message.classList.add('error');
    }
  });
}

export async function mountTasks(view, session) {
  view.innerHTML = `<div class="page" id="tasks"><p>${esc(t('common.loading'))}</p></div>`;
  const page = view.querySelector('#tasks');
  const ref = await get('/api/reference');
  const issues = ['administrator', 'im_officer'].includes(session.role);
  const own = session.role === 'operator';
  const today = new Date().toISOString().slice(0, 10);
  const orgs = ref.organisations.map((o) => `<option value="${esc(o.acronym)}">${esc(o.acronym)} — ${esc(o.name)}</option>`).join('');
  page.innerHTML = `<h2>${esc(t('tasks.title'))}</h2>
    <form id="tasks-filter" class="inline">
      ${own ? `<p>${esc(t('tasks.own', { organisation: session.organisation || '' }))}</p>` : `<label>${esc(t('tasks.organisation'))} <select name="organisation"><option value="">${esc(t('register.all'))}</option>${orgs}</select></label>`}
      <label class="choice"><input type="checkbox" name="overdue"> ${esc(t('tasks.only_overdue'))}</label></form>
    ${issues ? issueForm(ref, today) + cancelForm(today) : ''}
    <div class="board" id="task-board"></div>`;
  const filter = page.querySelector('#tasks-filter');
  const board = page.querySelector('#task-board');
  let asked = 0;
  const load = async () => {
    const mine = ++asked;
    const q = new URLSearchParams({ per_page: String(PER_COLUMN) });
    if (filter.organisation && filter.organisation.value) q.set('organisation', filter.organisation.value);
    if (filter.overdue.checked) q.set('overdue', 'true');
    // An overdue task is open: the closed columns would be empty.
    const statuses = filter.overdue.checked ? STATUSES.slice(0, 2) : STATUSES;
    const pages = await Promise.all(statuses.map((s) => get(`/api/tasks?${q}&status=${s}`)));
    if (mine !== asked) return;
    board.innerHTML = statuses.map((s, i) => column(s, pages[i], issues)).join('');
  };
  filter.addEventListener('change', () => { load().catch((err) => { board.innerHTML = `<p class="message error">${esc(err.message)}</p>`; }); });
  const form = page.querySelector('#task-issue');
  if (form) form.onsubmit = (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const body = {
      hazard: String(f.get('hazard')).trim(),
      organisation: f.get('organisation'),
      activity: f.get('activity'),
      priority: f.get('priority'),
      issued_on: f.get('issued_on') || undefined,
      due_on: f.get('due_on') || undefined,
    };
    send(form.querySelector('button[type=submit]'), form.querySelector('#task-message'), () => post('/api/tasks', body), (task) => t('tasks.issued_as', { code: task.code }), load);
  };
  const cancel = page.querySelector('#task-cancel');
  if (cancel) {
    // An open card chosen on the board fills the code.
    board.addEventListener('click', (e) => {
      const li = e.target.closest('button.choose') && e.target.closest('li.task');
      if (li) { cancel.code.value = li.dataset.code; cancel.reason.focus(); }
    });
    cancel.onsubmit = (e) => {
      e.preventDefault();
      const code = cancel.code.value.trim();
      const body = { on: cancel.on.value || undefined, reason: cancel.reason.value };
      send(cancel.querySelector('button[type=submit]'), cancel.querySelector('#task-cancel-message'), () => post(`/api/tasks/${encodeURIComponent(code)}/cancellation`, body),
        (task) => t('tasks.cancelled_as', { code: task.code, day: day(task.cancelled_on) }), load);
    };
  }
  await load();
}
