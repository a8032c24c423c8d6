// A table of a collection, a page at a time: search, sort by any column,
// page, look at a past version; every cell marked with the organisation
// that contributed it, and a legend. A row opens its history.
import {apiPath, download, get, withQuery} from '../api.js';
import {clear, count, emptyNote, errorBox, field, h, select} from '../dom.js';
import {legend, orgIndex, orgMark, orgName} from '../orgs.js';
import {collectionNav, datasetHref, loadCollection} from './collection_nav.js';

const PAGE_SIZES = [25, 50, 100, 250];

function pageOf(query) {
  const limit = Number(query.get('limit')) || 50;
  return {
    q: query.get('q') ?? '',
    sort: query.get('sort') ?? '',
    offset: Math.max(0, Number(query.get('offset')) || 0),
    limit: PAGE_SIZES.includes(limit) ? limit : 50,
    as_of: query.get('as_of') ?? '',
  };
}

function searchForm(page, tags, ctx) {
  const input = h('input', {type: 'search', name: 'q', value: page.q, placeholder: 'Any text in any column'});
  const version = select('as_of', [['', 'Now (latest)'], ...tags.map((t) => [t.name, `Tagged "${t.name}"`])], page.as_of);
  const size = select('limit', PAGE_SIZES.map((n) => [String(n), `${n} rows`]), String(page.limit));
  version.addEventListener('change', () => ctx.setQuery({as_of: version.value, offset: ''}));
  size.addEventListener('change', () => ctx.setQuery({limit: size.value, offset: ''}));
  return h('form', {class: 'toolbar', role: 'search', onSubmit: (event) => {
    event.preventDefault();
    ctx.setQuery({q: input.value.trim(), offset: ''});
  }},
  field('Search', input), h('button', {type: 'submit'}, 'Search'),
  page.q ? h('button', {type: 'button', class: 'quiet', onClick: () => ctx.setQuery({q: '', offset: ''})}, 'Clear search') : null,
  field('Version', version), field('Show', size));
}

// Column header: a button that sorts ascending, then descending.
function header(name, page, ctx) {
  const state = page.sort === name ? 'ascending' : page.sort === `-${name}` ? 'descending' : 'none';
  const next = state === 'ascending' ? `-${name}` : name;
  const arrow = state === 'ascending' ? ' ▲' : state === 'descending' ? ' ▼' : '';
  return h('th', {scope: 'col', 'aria-sort': state},
    h('button', {type: 'button', class: 'sort', title: `Sort by ${name}`,
      onClick: () => ctx.setQuery({sort: next, offset: ''})}, name, h('span', {'aria-hidden': 'true'}, arrow)));
}

function cell(row, name) {
  const by = row.by[name];
  const conflicted = row.conflicted.includes(name);
  const text = row.text[name];
  if (!by) return h('td', {class: 'cell empty-cell'}, text);
  return h('td', {class: `cell org-${orgIndex(by)}${conflicted ? ' conflicted' : ''}`,
    'data-org': orgIndex(by), 'data-node-id': by,
    title: `From ${orgName(by)}${conflicted ? ' — partners disagree on this value, see Conflicts' : ''}`},
  orgMark(by), h('span', {class: 'value'}, text),
  conflicted ? h('span', {class: 'warn', 'aria-label': 'conflicting values'}, ' ⚠') : null);
}

function rowsTable(result, page, ctx, historyHref) {
  const names = result.fields.map((f) => f.name);
  return h('div', {class: 'scroll'}, h('table', {class: 'grid data', id: 'rows'},
    h('caption', {class: 'visually-hidden'}, `${result.dataset}, sorted by ${page.sort || 'key'}`),
    h('thead', {}, h('tr', {}, names.map((n) => header(n, page, ctx)), h('th', {scope: 'col'}, 'History'))),
    h('tbody', {}, result.rows.map((row) => {
      const href = historyHref(row.key_text);
      return h('tr', {'data-key': row.key_text, onClick: (event) => {
        if (event.target.closest('a, button')) return;
        location.hash = href;
      }},
      names.map((n) => cell(row, n)),
      h('td', {}, h('a', {href, 'aria-label': `History of row ${row.key_text}`}, 'History')));
    }))));
}

function pager(result, page, ctx) {
  const first = result.total ? page.offset + 1 : 0;
  const last = page.offset + result.rows.length;
  const pages = Math.max(1, Math.ceil(result.total / page.limit));
  const current = Math.floor(page.offset / page.limit) + 1;
  return h('nav', {class: 'pager', 'aria-label': 'Pages'},
    h('button', {type: 'button', disabled: page.offset === 0,
      onClick: () => ctx.setQuery({offset: Math.max(0, page.offset - page.limit) || ''})}, '‹ Previous'),
    h('span', {}, `Page ${current} of ${pages} · rows ${first.toLocaleString()}–${last.toLocaleString()}`),
    h('button', {type: 'button', disabled: last >= result.total,
      onClick: () => ctx.setQuery({offset: page.offset + page.limit})}, 'Next ›'));
}

export async function render(view, ctx) {
  const {coll, dataset} = ctx.params;
  const page = pageOf(ctx.query);
  const path = apiPath('collections', coll, 'datasets', dataset);
  const [collection, tags, result] = await Promise.all([
    loadCollection(coll),
    get(apiPath('collections', coll, 'tags')),
    get(withQuery(`${path}/rows`, page)),
  ]);
  const status = h('div', {'aria-live': 'polite'});
  const exportButton = h('button', {type: 'button', class: 'quiet', onClick: async () => {
    clear(status);
    try {
      await download(withQuery(`${path}/export`, {format: 'csv', as_of: page.as_of}), `${dataset}.csv`);
    } catch (e) {
      status.append(errorBox('The download failed.', e));
    }
  }}, 'Download as CSV');
  view.append(collectionNav(collection, ''),
    h('div', {class: 'title-row'}, h('h1', {}, dataset), exportButton),
    searchForm(page, tags, ctx), status,
    h('p', {class: 'summary', role: 'status', id: 'summary'},
      page.q ? `${count(result.total, 'row')} contain "${page.q}".` : `${count(result.total, 'row')} in this table.`,
      page.as_of ? ` As tagged "${page.as_of}".` : ''));
  if (!result.rows.length) {
    view.append(emptyNote(page.q ? 'No row matches this search. Try fewer or other words.'
      : 'There are no rows here.'));
    return;
  }
  view.append(legend(result.contributors),
    rowsTable(result, page, ctx, (key) => datasetHref(coll, dataset, `/r/${encodeURIComponent(key)}`)),
    pager(result, page, ctx));
}
