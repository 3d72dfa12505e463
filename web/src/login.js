// The login form, shown in place of the views while there is no session.
// Logging in keeps the hash route, so the user returns to where they were.
import { t } from './i18n.js';
import { login, esc, ApiError } from './api.js';

/// Draws the form in view; loggedIn(me) is called with the server's answer
/// (the same body as GET /api/me).
export function mountLogin(view, loggedIn) {
  view.innerHTML = `<div class="page login-page"><form id="login" class="login" autocomplete="on">
    <h1>${esc(t('login.title'))}</h1>
    <label for="login-name">${esc(t('login.name'))}</label>
    <input id="login-name" name="username" autocomplete="username" autocapitalize="none" spellcheck="false" required>
    <label for="login-password">${esc(t('login.password'))}</label>
    <input id="login-password" name="password" type="password" autocomplete="current-password" required>
    <button class="primary" type="submit" id="login-submit">${esc(t('login.submit'))}</button>
    <p class="message error" id="login-error" role="alert" hidden></p>
  </form></div>`;
  const form = view.querySelector('#login');
  const name = view.querySelector('#login-name');
  const password = view.querySelector('#login-password');
  const submit = view.querySelector('#login-submit');
  const error = view.querySelector('#login-error');
  let waitUntil = 0;
  const show = (text) => { error.textContent = text; error.hidden = !text; };
  form.onsubmit = async (e) => {
    e.preventDefault();
    if (Date.now() < waitUntil) return;
    show('');
    submit.disabled = true;
    let me;
    try {
      me = await login(name.value.trim(), password.value);
    } catch (err) {
      submit.disabled = false;
      password.value = '';
      if (!(err instanceof ApiError)) show(t('login.unreachable'));
      else if (err.code === 'bad_login') show(t('login.bad'));
      else if (err.code === 'too_many_attempts') {
        show(err.retryAfter ? t('login.too_many', { seconds: err.retryAfter }) : t('login.too_many_later'));
        if (err.retryAfter) {
          // Trying again before then only fails again.
          waitUntil = Date.now() + err.retryAfter * 1000;
          submit.disabled = true;
          setTimeout(() => { submit.disabled = false; }, err.retryAfter * 1000);
        }
      } else show(err.message);
      (name.value ? password : name).focus();
      return;
    }
    loggedIn(me);
  };
  name.focus();
}
