// Message catalogues: every user-facing text goes through t(). Every
// catalogue holds every key (src/catalogue.rs's test); a key missing all the
// same would fall back to English.
import en from './i18n/en.json';
import az from './i18n/az.json';
import uk from './i18n/uk.json';
import ru from './i18n/ru.json';

const catalogues = { en, az, uk, ru };
let lang = localStorage.getItem('safeground.lang') || 'en';
if (!catalogues[lang]) lang = 'en';

export function language() { return lang; }

export function setLanguage(l) {
  lang = catalogues[l] ? l : 'en';
  localStorage.setItem('safeground.lang', lang);
  document.documentElement.lang = lang;
}

export function t(key, vars) {
  let s = (catalogues[lang] && catalogues[lang][key]) || en[key] || key;
  if (vars) for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/// Fills every element with data-i18n="key" under root.
export function translate(root = document) {
  root.querySelectorAll('[data-i18n]').forEach((el) => { el.textContent = t(el.dataset.i18n); });
}
