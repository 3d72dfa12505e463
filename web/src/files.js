// A file attached to a report, as the queue and a hazard's page list it:
// a picture's thumbnail, its kind, type and size, when and where it was
// taken and how far from what it belongs to (`far`: the text saying so).
import { t } from './i18n.js';
import { esc, fmt } from './api.js';

export function fileItem(a, far) {
  const href = `/api/attachments/${encodeURIComponent(a.id)}`;
  const thumb = a.thumbnail ? `<img src="${href}/thumbnail" alt="${esc(a.file_name)}" width="96">` : '';
  const when = a.taken_at ? ' · ' + esc(t('queue.taken_at', { when: a.taken_at })) : '';
  const distance = a.distance_m != null ? ' · ' + esc(far(fmt(a.distance_m))) : '';
  return `<li class="attachment">${thumb}<div><a href="${href}" target="_blank" rel="noopener">${esc(a.file_name)}</a><br>
      <small>${esc(t('attachment.kind.' + a.kind))} · ${esc(a.media)} · ${esc(fmt(a.size / 1024))} KB${a.personal ? ' · ' + esc(t('queue.personal')) : ''}${when}${distance}</small></div></li>`;
}
