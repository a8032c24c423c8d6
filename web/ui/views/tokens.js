// Access tokens of this node (administrators only): who may use the
// console and the API, and with what role. A new token is shown once.
import {api, apiPath, get} from '../api.js';
import {clear, errorBox, field, h, select, table, when} from '../dom.js';

const ROLES = [
  ['viewer', 'Viewer — reads everything'],
  ['publisher', 'Publisher — also publishes data and names versions'],
  ['admin', 'Administrator — also manages access, partners and tokens'],
];

function created(token) {
  const box = h('input', {readonly: true, value: token.token, size: 60, id: 'new-token', spellcheck: 'false'});
  return h('div', {class: 'card ok', role: 'status'},
    h('p', {}, h('strong', {}, `Token "${token.name || token.id}" created. `),
      'Copy it now: it is shown only this once.'),
    field('Token', box),
    h('button', {type: 'button', onClick: async (event) => {
      box.select();
      try {
        await navigator.clipboard.writeText(token.token);
        event.target.textContent = 'Copied';
      } catch {
        event.target.textContent = 'Press Ctrl+C to copy';
      }
    }}, 'Copy'));
}

export async function render(view, ctx) {
  view.append(h('h1', {}, 'Access tokens'));
  if (!ctx.admin) {
    view.append(h('p', {}, 'Only an administrator token can see and manage tokens.'));
    return;
  }
  const status = h('div', {'aria-live': 'polite'});
  const list = h('div', {});
  const reload = async () => {
    const tokens = await get('/v1/tokens');
    clear(list).append(table(null, ['Name', 'Role', 'Created', ''], tokens.map((t) => h('tr', {'data-token-id': t.id},
      h('td', {}, t.name || t.id), h('td', {}, t.role), h('td', {}, when(t.created_ms)),
      h('td', {}, h('button', {type: 'button', class: 'danger', onClick: async () => {
        if (!confirm(`Revoke token "${t.name || t.id}"? Whoever uses it is signed out at once.`)) return;
        clear(status);
        try {
          await api('DELETE', apiPath('tokens', t.id));
          await reload();
        } catch (e) {
          status.append(errorBox('Could not revoke the token.', e));
        }
      }}, 'Revoke')))), {class: 'grid', id: 'tokens'}));
  };
  await reload();
  const name = h('input', {name: 'name', maxlength: 100});
  const role = select('role', ROLES, 'viewer');
  const form = h('form', {class: 'toolbar', id: 'token-form', onSubmit: async (event) => {
    event.preventDefault();
    clear(status);
    try {
      const token = await api('POST', '/v1/tokens', {role: role.value, name: name.value.trim()});
      status.append(created(token));
      name.value = '';
      await reload();
    } catch (e) {
      status.append(errorBox('Could not create the token.', e));
    }
  }}, field('Name (who is it for?)', name), field('Role', role), h('button', {type: 'submit'}, 'Create token'));
  view.append(h('p', {class: 'lead'}, 'Give each person or program its own token, with the least role it needs.'),
    list, h('h2', {}, 'New token'), form, status);
}
