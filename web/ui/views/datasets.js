// One collection: its tables, with their columns and keys.
import {apiPath, get} from '../api.js';
import {count, emptyNote, h, table} from '../dom.js';
import {collectionNav, datasetHref, loadCollection} from './collection_nav.js';

export async function render(page, ctx) {
  const collection = await loadCollection(ctx.params.coll);
  const datasets = await get(apiPath('collections', collection.id, 'datasets'));
  page.append(collectionNav(collection, ''), h('h1', {}, collection.name),
    collection.description ? h('p', {class: 'lead'}, collection.description) : null,
    h('p', {class: 'muted'}, `${count(collection.version_total, 'change')} so far. ID ${collection.id}.`));
  if (!datasets.length) {
    page.append(emptyNote('No table has been published in this collection yet.'));
    return;
  }
  page.append(table('Tables', ['Table', 'Columns', 'Identified by'], datasets.map((d) => [
    h('a', {href: datasetHref(collection.name, d.name)}, d.name),
    d.fields.map((f) => f.name).join(', '),
    d.synthetic_key ? h('span', {class: 'muted'}, 'row number') : d.primary_key.join(', '),
  ]), {class: 'grid', id: 'datasets'}));
}
