// The history of one row: every change to it, newest first, who made it
// and when. Changes a revocation later invalidated are shown struck out.
import {apiPath, get} from '../api.js';
import {h, table, when} from '../dom.js';
import {orgBadge} from '../orgs.js';
import {collectionNav, datasetHref, loadCollection} from './collection_nav.js';

function change(entry) {
  if (entry.op === 'delete') return h('span', {}, 'Removed the row');
  const cells = Object.entries(entry.cells);
  return h('ul', {class: 'cells'}, cells.map(([name, value]) =>
    h('li', {}, h('span', {class: 'field-name'}, name), ' = ',
      h('span', {class: 'value'}, value === null ? '(empty)' : String(value)))));
}

export async function render(view, ctx) {
  const {coll, dataset, key} = ctx.params;
  const [collection, entries] = await Promise.all([
    loadCollection(coll),
    get(apiPath('collections', coll, 'datasets', dataset, 'records', key, 'history')),
  ]);
  view.append(collectionNav(collection, ''),
    h('p', {}, h('a', {href: datasetHref(coll, dataset)}, `‹ Back to ${dataset}`)),
    h('h1', {}, `History of row ${key}`),
    h('p', {class: 'lead'}, `In table ${dataset}. Newest change first.`),
    table(null, ['When', 'By', 'Change', 'Note'], entries.map((e) => {
      const tr = h('tr', {class: e.valid ? '' : 'invalid'},
        h('td', {}, when(e.time)),
        h('td', {}, orgBadge(e.author)),
        h('td', {}, change(e), e.valid ? null : h('p', {class: 'warn'},
          'Not counted: the author\'s access was revoked before this change was accepted.')),
        h('td', {}, e.note || ''));
      return tr;
    }), {class: 'grid', id: 'history'}));
}
