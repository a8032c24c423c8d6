// Who may read, publish and manage a collection. Administrators grant and
// revoke here; every change is signed by this node and reaches partners.
import {api, apiPath, get} from '../api.js';
import {clear, errorBox, field, h, select, table, when} from '../dom.js';
import {isSelf, knownOrgs, orgBadge, shortId} from '../orgs.js';
import {collectionNav, loadCollection} from './collection_nav.js';

const ROLES = [
  ['reader', 'Reader — receives the data'],
  ['writer', 'Writer — also publishes data and names versions'],
  ['admin', 'Administrator — also grants and revokes access'],
];
const ROLE_WORD = {reader: 'Reader', writer: 'Writer', admin: 'Administrator'};

function grantForm(coll, members, status, reload) {
  const others = knownOrgs().filter((o) => !o.self);
  const who = select('org', [...others.map((o) => [o.id, `${o.name} (${shortId(o.id)})`]), ['', 'Another node (paste its ID)']],
    others[0]?.id ?? '');
  const otherId = h('input', {name: 'node_id', spellcheck: 'false', size: 56, placeholder: 'Node ID, 52 characters'});
  const otherField = field('Node ID', otherId);
  const role = select('role', ROLES, 'reader');
  const sync = () => { otherField.hidden = who.value !== ''; };
  who.addEventListener('change', sync);
  sync();
  return h('form', {class: 'toolbar', id: 'grant-form', onSubmit: async (event) => {
    event.preventDefault();
    const nodeId = who.value || otherId.value.trim();
    clear(status);
    try {
      await api('POST', apiPath('collections', coll, 'acl'), {node_id: nodeId, role: role.value});
      await reload(`Granted ${ROLE_WORD[role.value].toLowerCase()} access.`);
    } catch (e) {
      status.append(errorBox('Could not grant access.', e));
    }
  }}, field('Organisation', who), otherField, field('Role', role), h('button', {type: 'submit'}, 'Grant'));
}

function membersTable(coll, members, admin, status, reload) {
  return table(null, ['Organisation', 'Role', 'Granted by', 'Since', admin ? 'Change' : null].filter(Boolean),
    members.map((m) => h('tr', {'data-node-id': m.node_id},
      h('td', {}, orgBadge(m.node_id)),
      h('td', {class: 'role', 'data-role': m.role}, ROLE_WORD[m.role] ?? m.role),
      h('td', {}, m.granted_by ? orgBadge(m.granted_by) : 'founded the collection'),
      h('td', {}, when(m.time)),
      admin ? h('td', {}, h('button', {type: 'button', class: 'danger', onClick: async () => {
        const self = isSelf(m.node_id) ? ' This is your own node: it will lose access.' : '';
        if (!confirm(`Revoke all access of this organisation?${self} What it already received stays with it.`)) return;
        clear(status);
        try {
          await api('DELETE', apiPath('collections', coll, 'acl', m.node_id));
          await reload('Access revoked.');
        } catch (e) {
          status.append(errorBox('Could not revoke access.', e));
        }
      }}, 'Revoke')) : null)),
    {class: 'grid', id: 'acl'});
}

export async function render(view, ctx) {
  const {coll} = ctx.params;
  const collection = await loadCollection(coll);
  const status = h('div', {'aria-live': 'polite', id: 'acl-status'});
  const list = h('div', {});
  const reload = async (done) => {
    const members = await get(apiPath('collections', coll, 'acl'));
    clear(list).append(membersTable(coll, members, ctx.admin, status, reload));
    if (done) clear(status).append(h('p', {class: 'ok', role: 'status'}, done));
    return members;
  };
  const members = await reload();
  view.append(collectionNav(collection, '/access'), h('h1', {}, 'Who has access'),
    h('p', {class: 'lead'}, 'Every organisation listed here receives this collection. ' +
      'Revoking stops future updates; data already shared cannot be taken back.'),
    list, status);
  if (ctx.admin) {
    view.append(h('h2', {}, 'Grant access'), grantForm(coll, members, status, reload));
  } else {
    view.append(h('p', {class: 'muted'}, 'Only an administrator token can change who has access.'));
  }
}
