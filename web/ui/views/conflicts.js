// Cells where partners wrote different values at the same time. Kongsi
// keeps the value with the latest stamp and lists the others here until
// someone writes the cell again, having seen them.
import {apiPath, get} from '../api.js';
import {emptyNote, h, table} from '../dom.js';
import {orgBadge} from '../orgs.js';
import {collectionNav, datasetHref, loadCollection} from './collection_nav.js';

export async function render(view, ctx) {
  const {coll} = ctx.params;
  const [collection, conflicts] = await Promise.all([
    loadCollection(coll),
    get(apiPath('collections', coll, 'conflicts')),
  ]);
  view.append(collectionNav(collection, '/conflicts'), h('h1', {}, 'Conflicts'),
    h('p', {class: 'lead'}, 'When two organisations change the same cell at the same time, ' +
      'the table shows one value and the others are listed here. Publishing the cell again settles it.'));
  if (!conflicts.length) {
    view.append(emptyNote('No conflicts: every partner agrees on every cell.'));
    return;
  }
  view.append(table(null, ['Table', 'Row', 'Column', 'Shown value', 'Other values'],
    conflicts.map((c) => [
      c.dataset,
      h('a', {href: datasetHref(coll, c.dataset, `/r/${encodeURIComponent(c.key_text)}`)}, c.key_text),
      c.field,
      h('span', {}, h('span', {class: 'value'}, c.value_text), ' from ', orgBadge(c.author)),
      h('ul', {class: 'cells'}, c.losers.map((l) =>
        h('li', {}, h('span', {class: 'value'}, l.value_text), ' from ', orgBadge(l.author)))),
    ]), {class: 'grid', id: 'conflicts'}));
}
