// What changed in a collection: recent changes, named versions (tags), and
// the rows added, removed and changed between two versions.
import {api, apiPath, get, withQuery} from '../api.js';
import {count, emptyNote, errorBox, field, h, select, table, when} from '../dom.js';
import {orgBadge} from '../orgs.js';
import {collectionNav, datasetHref, loadCollection} from './collection_nav.js';

const KIND = {added: 'Added', removed: 'Removed', changed: 'Changed'};

function diffForm(tags, query, ctx) {
  const options = tags.map((t) => [t.name, `"${t.name}" (${when(t.time)})`]);
  const from = select('from', options, query.get('from') ?? tags[0]?.name);
  const to = select('to', [['', 'Now (latest)'], ...options], query.get('to') ?? '');
  return h('form', {class: 'toolbar', id: 'diff-form', onSubmit: (event) => {
    event.preventDefault();
    ctx.setQuery({from: from.value, to: to.value});
  }}, field('From', from), field('To', to), h('button', {type: 'submit'}, 'Compare'));
}

function diffResult(coll, diff) {
  if (!diff.records.length) return emptyNote('No row differs between these versions.');
  const added = diff.records.filter((r) => r.kind === 'added').length;
  const removed = diff.records.filter((r) => r.kind === 'removed').length;
  return h('div', {},
    h('p', {class: 'summary', role: 'status'}, `${count(added, 'row')} added, ${count(removed, 'row')} removed, ` +
      `${count(diff.records.length - added - removed, 'row')} changed.`),
    table(null, ['Table', 'Row', 'What happened', 'Cells'], diff.records.map((r) => [
      r.dataset,
      h('a', {href: datasetHref(coll, r.dataset, `/r/${encodeURIComponent(r.key_text)}`)}, r.key_text),
      h('span', {class: `kind kind-${r.kind}`}, KIND[r.kind] ?? r.kind),
      h('ul', {class: 'cells'}, r.changes.map((c) => h('li', {},
        h('span', {class: 'field-name'}, c.field), ': ',
        r.kind === 'changed' ? [h('del', {}, c.before_text), ' → '] : null,
        h('ins', {}, c.after_text)))),
    ]), {class: 'grid', id: 'diff'}));
}

function tagForm(coll, ctx) {
  const name = h('input', {name: 'name', required: true, maxlength: 200});
  const note = h('input', {name: 'message', maxlength: 1000});
  const status = h('div', {'aria-live': 'polite'});
  return h('form', {class: 'toolbar', onSubmit: async (event) => {
    event.preventDefault();
    try {
      await api('POST', apiPath('collections', coll, 'tags'), {name: name.value.trim(), message: note.value});
      ctx.setQuery({tagged: name.value.trim()});
    } catch (e) {
      status.replaceChildren(errorBox('Could not name this version.', e));
    }
  }}, field('Name', name), field('Note (optional)', note), h('button', {type: 'submit'}, 'Name this version'), status);
}

export async function render(view, ctx) {
  const {coll} = ctx.params;
  const [collection, tags, log] = await Promise.all([
    loadCollection(coll),
    get(apiPath('collections', coll, 'tags')),
    get(withQuery(apiPath('collections', coll, 'log'), {limit: 20})),
  ]);
  view.append(collectionNav(collection, '/changes'), h('h1', {}, 'Changes'));

  view.append(h('h2', {}, 'Compare two versions'));
  if (!tags.length) {
    view.append(emptyNote('Name a version first (below); then you can compare it with later ones.'));
  } else {
    view.append(diffForm(tags, ctx.query, ctx));
    const from = ctx.query.get('from');
    if (from) {
      try {
        const diff = await get(withQuery(apiPath('collections', coll, 'diff'), {from, to: ctx.query.get('to')}));
        view.append(diffResult(coll, diff));
      } catch (e) {
        view.append(errorBox('Could not compare these versions.', e));
      }
    }
  }

  view.append(h('h2', {}, 'Named versions'),
    tags.length ? table(null, ['Name', 'Named by', 'When', 'Note'], tags.map((t) => [
      t.name, orgBadge(t.author), when(t.time), t.note || '',
    ]), {class: 'grid', id: 'tags'}) : emptyNote('No version has a name yet.'),
    tagForm(coll, ctx));

  view.append(h('h2', {}, 'Recent changes'),
    table(null, ['When', 'By', 'What', 'Note'], log.map((e) => h('tr', {class: e.valid ? '' : 'invalid'},
      h('td', {}, when(e.time)), h('td', {}, orgBadge(e.author)),
      h('td', {}, e.summary.join(', '), e.valid ? null : h('p', {class: 'warn'}, `Not counted: ${e.invalid_reason}`)),
      h('td', {}, e.note || ''))), {class: 'grid', id: 'log'}));
}
