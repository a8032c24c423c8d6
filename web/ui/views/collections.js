// The collections this node holds, and the ones partners offered to it.
import {api, apiPath, get} from '../api.js';
import {count, emptyNote, errorBox, h, table} from '../dom.js';
import {orgBadge} from '../orgs.js';
import {collectionHref, datasetHref} from './collection_nav.js';

export async function render(page, ctx) {
  const [collections, invites] = await Promise.all([get('/v1/collections'), get('/v1/invites')]);
  page.append(h('h1', {}, 'Collections'),
    h('p', {class: 'lead'}, 'A collection is a set of tables shared by a group of organisations. ' +
      'Open one to see its data, its changes and who may use it.'));
  if (!collections.length) {
    page.append(emptyNote('This node holds no collection yet. Create one with ' +
      '"kongsi collection create NAME", or accept an invitation below.'));
  } else {
    page.append(table('Collections on this node', ['Name', 'Tables', 'Changes so far', 'Description'],
      collections.map((c) => [
        h('a', {href: collectionHref(c.name)}, c.name),
        c.datasets.length ? h('span', {}, c.datasets.map((d, i) => [i ? ', ' : '',
          h('a', {href: datasetHref(c.name, d)}, d)])) : h('span', {class: 'muted'}, 'none yet'),
        count(c.version_total, 'change'),
        c.description || '',
      ]), {class: 'grid', id: 'collections'}));
  }
  const pending = invites.filter((i) => !i.joined);
  if (pending.length) {
    const status = h('div', {'aria-live': 'polite'});
    page.append(h('h2', {}, 'Invitations'),
      h('p', {}, 'Partners have given this node access to these collections. Joining copies them here.'),
      table(null, ['Collection', 'Offered by', ''], pending.map((i) => [
        i.name || i.id,
        i.from ? orgBadge(i.from) : '',
        ctx.admin ? h('button', {type: 'button', onClick: async (event) => {
          event.target.disabled = true;
          try {
            await api('POST', apiPath('invites', i.id, 'join'));
            ctx.setQuery({joined: i.id});
          } catch (e) {
            status.replaceChildren(errorBox(`Could not join ${i.name}.`, e));
            event.target.disabled = false;
          }
        }}, 'Join') : h('span', {class: 'muted'}, 'An administrator can join it'),
      ]), {class: 'grid'}), status);
  }
}
