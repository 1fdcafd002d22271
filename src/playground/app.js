/*
 * partnerdesk GraphQL IDE: query editor with schema-aware completion,
 * variables and headers editors, result pane and a docs pane. Queries and
 * mutations go to POST /graphql; subscriptions to /graphql/ws
 * (graphql-transport-ws), their events listed in the result pane as they
 * arrive.
 *
 * Self-contained on purpose: the page must work without internet access and
 * under a CSP that allows no inline code, so there is no framework and no
 * build step. This module wires the page; what can be tested without a
 * browser (schema model, tokenizer, completion, request helpers) lives in
 * `core.mjs`, which the tests load too.
 */
import {
  INTROSPECTION_QUERY, buildSchema, typeToString, namedType, complete,
  operationNameAt, operationKindAt, findLoginToken, withBearer, parseJsonObject, parseHeaders,
  subscriptionUrl, subscribe,
} from './core.mjs';

const ENDPOINT = '/graphql';

// A module runs once the document is parsed, so the elements are there.
startUi();

function startUi() {
  const $ = (id) => document.getElementById(id);
  const [query, gutter, variables, headers, result, popup, list, popupDoc, docsBody, search] = ['query', 'gutter',
    'variables', 'headers', 'result', 'completions', 'completion-list', 'completion-doc', 'docs-body', 'docs-search'].map($);
  let schema = null;
  let lastResult = null;
  let running = null; // AbortController of the request in flight

  // localStorage may be unavailable (privacy modes); the page works without.
  const KEY = 'partnerdesk.playground.';
  const store = {
    get(k, d) { try { const v = localStorage.getItem(KEY + k); return v === null ? d : v; } catch (e) { return d; } },
    set(k, v) { try { localStorage.setItem(KEY + k, v); } catch (e) { /* not persisted */ } },
  };

  // Text always goes through textContent: schema descriptions are data.
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text != null) e.textContent = text;
    return e;
  }

  function setStatus(id, text, cls) {
    $(id).textContent = text;
    $(id).className = 'status' + (cls ? ' ' + cls : '');
  }

  // execCommand keeps the browser's undo history; setRangeText is the fallback.
  function insertText(ta, text, from, to) {
    ta.focus();
    if (from !== undefined) ta.setSelectionRange(from, to);
    if (!document.execCommand('insertText', false, text)) {
      ta.setRangeText(text, ta.selectionStart, ta.selectionEnd, 'end');
      ta.dispatchEvent(new Event('input'));
    }
  }

  // ---- editors and persistence

  query.value = store.get('query', '# Ctrl+Enter: run the operation at the cursor\n# Ctrl+Space: completions\n'
    + 'query {\n  __typename\n}\n');
  variables.value = store.get('variables', '');
  headers.value = store.get('headers', '');

  function updateGutter() {
    const lines = query.value.split('\n').length;
    if (gutter.dataset.lines === String(lines)) return;
    gutter.dataset.lines = String(lines);
    // The spare line leaves room for the horizontal scrollbar.
    gutter.textContent = Array.from({ length: lines }, (_, i) => i + 1).join('\n') + '\n\n';
    gutter.scrollTop = query.scrollTop;
  }

  function checkJson(ta) {
    let bad = false;
    try { parseJsonObject(ta.value, ''); } catch (e) { bad = true; }
    ta.classList.toggle('invalid', bad);
    $('tab-' + ta.id).classList.toggle('invalid', bad);
  }

  query.addEventListener('input', (e) => {
    store.set('query', query.value);
    updateGutter();
    if (accepting) return;
    const typed = e.inputType === 'insertText' && /^[_A-Za-z0-9@]$/.test(e.data || '');
    if (typed || !popup.hidden) openCompletion(forced);
  });
  query.addEventListener('scroll', () => { gutter.scrollTop = query.scrollTop; closeCompletion(); });
  for (const ta of [variables, headers]) {
    ta.addEventListener('input', () => { store.set(ta.id, ta.value); checkJson(ta); });
    checkJson(ta);
  }
  updateGutter();

  function selectTab(name) {
    for (const b of document.querySelectorAll('[data-tab]')) {
      b.setAttribute('aria-selected', String(b.dataset.tab === name));
      $(b.dataset.tab).hidden = b.dataset.tab !== name;
    }
    store.set('tab', name);
  }
  for (const b of document.querySelectorAll('[data-tab]')) b.addEventListener('click', () => selectTab(b.dataset.tab));
  selectTab(store.get('tab', 'variables') === 'headers' ? 'headers' : 'variables');

  function showDocsPane(on) {
    $('docs').hidden = !on;
    $('layout').classList.toggle('no-docs', !on);
    $('toggle-docs').setAttribute('aria-pressed', String(on));
    store.set('docs', on ? '1' : '0');
  }
  $('toggle-docs').addEventListener('click', () => showDocsPane($('docs').hidden));
  showDocsPane(store.get('docs', '1') === '1');

  // ---- requests

  // The one place that talks to the server: same origin, JSON over POST.
  async function post(body, signal) {
    const started = performance.now();
    const response = await fetch(ENDPOINT, { method: 'POST', credentials: 'same-origin', signal, body: JSON.stringify(body),
      headers: Object.assign({ Accept: 'application/graphql-response+json, application/json' },
        parseHeaders(headers.value), { 'Content-Type': 'application/json' }) });
    const text = await response.text();
    let json = null;
    try { json = JSON.parse(text); } catch (e) { /* not JSON: shown as text */ }
    return { response, text, json, ms: Math.round(performance.now() - started) };
  }

  // The live subscription, if any: { stop }.
  let live = null;

  function stopLive() {
    if (live) live.stop();
    live = null;
    $('stop').hidden = true;
  }

  // Runs a subscription: each event is appended to the result pane.
  function runSubscription(body) {
    const events = [];
    let failed = false;
    const show = () => {
      result.textContent = JSON.stringify(events, null, 2);
      result.classList.toggle('error', failed);
    };
    setStatus('http-status', 'Subscribing…');
    result.textContent = '';
    result.classList.remove('error');
    $('stop').hidden = false;
    const handle = subscribe({
      url: subscriptionUrl(window.location),
      WebSocketImpl: WebSocket,
      payload: parseHeaders(headers.value),
      request: body,
      onNext(payload) {
        events.push(payload);
        failed = failed || Boolean(payload.errors && payload.errors.length);
        setStatus('http-status', 'Live · ' + events.length + (events.length === 1 ? ' event' : ' events'),
          failed ? 'error' : 'ok');
        show();
      },
      onError(errors) {
        events.push({ errors });
        failed = true;
        show();
      },
      onEnd(how) {
        if (live === handle) { live = null; $('stop').hidden = true; }
        const why = how.complete ? 'completed' : 'closed (' + how.code + (how.reason ? ' ' + how.reason : '') + ')';
        failed = failed || !how.complete;
        setStatus('http-status', 'Subscription ' + why + ' · ' + events.length
          + (events.length === 1 ? ' event' : ' events'), failed ? 'error' : 'ok');
        show();
      },
    });
    live = handle;
  }
  $('stop').addEventListener('click', stopLive);

  async function run() {
    closeCompletion();
    if (running) running.abort(); // a new run supersedes a slow one
    stopLive(); // and a live subscription
    const controller = new AbortController();
    running = controller;
    const body = { query: query.value };
    try {
      const vars = parseJsonObject(variables.value, 'Variables');
      if (vars) body.variables = vars;
      const op = operationNameAt(query.value, query.selectionStart);
      if (op) body.operationName = op;
      if (operationKindAt(query.value, query.selectionStart) === 'subscription') {
        running = null;
        runSubscription(body);
        return;
      }
      setStatus('http-status', 'Running…');
      result.classList.add('busy');
      const r = await post(body, controller.signal);
      lastResult = r.json;
      const failed = !r.response.ok || !r.json || Boolean(r.json.errors && r.json.errors.length);
      setStatus('http-status', 'HTTP ' + r.response.status + ' ' + r.response.statusText + ' · ' + r.ms + ' ms',
        failed ? 'error' : 'ok');
      result.textContent = r.json ? JSON.stringify(r.json, null, 2) : r.text;
      result.classList.toggle('error', failed);
    } catch (e) {
      if (e.name === 'AbortError') return;
      setStatus('http-status', 'Not sent', 'error');
      result.textContent = e.message;
      result.classList.add('error');
    } finally {
      if (running === controller) { running = null; result.classList.remove('busy'); }
      $('use-token').disabled = !findLoginToken(lastResult);
    }
  }
  $('run').addEventListener('click', run);
  document.addEventListener('keydown', (e) => {
    if ((e.ctrlKey || e.metaKey) && e.key === 'Enter') { e.preventDefault(); run(); }
  });

  $('use-token').addEventListener('click', () => {
    const token = findLoginToken(lastResult);
    if (!token) return;
    selectTab('headers');
    try { headers.value = withBearer(headers.value, token); } catch (e) {
      return setStatus('http-status', e.message + ': fix the headers first', 'error');
    }
    store.set('headers', headers.value);
    checkJson(headers);
  });

  async function loadSchema() {
    setStatus('schema-status', 'Loading schema…');
    try {
      const r = await post({ query: INTROSPECTION_QUERY, operationName: 'IntrospectionQuery' });
      if (!r.json || !r.json.data || !r.json.data.__schema) {
        const errors = r.json && r.json.errors;
        throw new Error(errors ? errors.map((x) => x.message).join('; ') : 'HTTP ' + r.response.status);
      }
      schema = buildSchema(r.json.data);
      const count = [...schema.types.keys()].filter((n) => !n.startsWith('__')).length;
      setStatus('schema-status', 'Schema: ' + count + ' types', 'ok');
    } catch (e) {
      schema = null;
      setStatus('schema-status', 'No schema: ' + e.message, 'error');
    }
    back.length = 0;
    renderDocs(null);
  }
  $('reload-schema').addEventListener('click', loadSchema);

  // ---- completion popup

  let items = [];
  let active = 0;
  let replaceFrom = 0;
  let forced = false; // opened with Ctrl+Space: stays open on an empty prefix
  let accepting = false;
  let charWidth = 0;

  // Pixel position of a text offset: the editor does not wrap and uses a monospace
  // font with a fixed line height, so line and column are enough.
  function caretPoint(offset) {
    const before = query.value.slice(0, offset);
    const lineStart = before.lastIndexOf('\n') + 1;
    const line = before.length - before.replace(/\n/g, '').length;
    let col = 0;
    for (const c of before.slice(lineStart)) col = c === '\t' ? col + 2 - (col % 2) : col + 1;
    const cs = getComputedStyle(query);
    if (!charWidth) {
      const ctx = document.createElement('canvas').getContext('2d');
      ctx.font = cs.fontSize + ' ' + cs.fontFamily;
      charWidth = ctx.measureText('0').width;
    }
    const lh = parseFloat(cs.lineHeight) || 20;
    return {
      x: query.offsetLeft + parseFloat(cs.paddingLeft) + col * charWidth - query.scrollLeft,
      y: query.offsetTop + parseFloat(cs.paddingTop) + line * lh - query.scrollTop,
      lh,
    };
  }

  function openCompletion(explicit) {
    const caret = query.selectionStart;
    if (caret !== query.selectionEnd) return closeCompletion();
    const before = query.value.slice(0, caret);
    const res = complete(schema, before);
    // Unasked, show nothing for an empty prefix (except right after `@`) or
    // when the only choice is what is already typed.
    const pointless = res.items.length === 0 || (!explicit && (
      (!res.prefix && !before.endsWith('@'))
      || (res.items.length === 1 && res.items[0].insert.trim() === res.prefix)));
    if (pointless) return closeCompletion();
    items = res.items.slice(0, 200);
    replaceFrom = caret - res.prefix.length;
    forced = explicit;
    list.textContent = '';
    items.forEach((it, i) => {
      const li = el('li', 'item kind-' + it.kind + (it.deprecated ? ' deprecated' : ''));
      li.id = 'completion-' + i;
      li.setAttribute('role', 'option');
      li.append(el('span', 'label', it.label), el('span', 'detail', it.detail));
      li.addEventListener('mousedown', (e) => { e.preventDefault(); accept(i); }); // keep the focus
      list.append(li);
    });
    popup.hidden = false;
    query.setAttribute('aria-expanded', 'true');
    highlight(0);
    const p = caretPoint(replaceFrom); // under the start of the word
    const box = query.parentElement;
    popup.style.left = Math.max(0, Math.min(p.x, box.clientWidth - popup.offsetWidth - 4)) + 'px';
    const below = p.y + p.lh + popup.offsetHeight <= box.clientHeight;
    popup.style.top = (below ? p.y + p.lh : Math.max(0, p.y - popup.offsetHeight)) + 'px';
  }

  function closeCompletion() {
    popup.hidden = true;
    forced = false;
    query.setAttribute('aria-expanded', 'false');
    query.removeAttribute('aria-activedescendant');
  }

  function highlight(i) {
    active = (i + items.length) % items.length;
    [...list.children].forEach((li, n) => li.classList.toggle('active', n === active));
    const li = list.children[active];
    li.scrollIntoView({ block: 'nearest' });
    query.setAttribute('aria-activedescendant', li.id);
    const it = items[active];
    popupDoc.textContent = '';
    if (it.doc) popupDoc.append(el('p', null, it.doc));
    for (const a of it.args || []) popupDoc.append(el('p', 'arg', a.name + ': ' + typeToString(a.type)));
    if (it.deprecated) popupDoc.append(el('p', 'warn', 'Deprecated' + (it.reason ? ': ' + it.reason : '')));
    popupDoc.hidden = !popupDoc.childNodes.length;
  }

  function accept(i) {
    const it = items[i];
    closeCompletion();
    accepting = true;
    insertText(query, it.insert, replaceFrom, query.selectionStart);
    accepting = false;
    if (it.ref) showInDocs(it.ref.type, it.ref.field);
  }

  let escaped = false; // Esc with no popup: the next Tab leaves the editor
  query.addEventListener('keydown', (e) => {
    const plain = !e.ctrlKey && !e.metaKey && !e.altKey;
    const wasEscaped = escaped;
    escaped = e.key === 'Escape' && popup.hidden;
    if (!popup.hidden) {
      if (e.key === 'ArrowDown' || e.key === 'ArrowUp') {
        e.preventDefault();
        return highlight(active + (e.key === 'ArrowDown' ? 1 : -1));
      }
      if ((e.key === 'Enter' || e.key === 'Tab') && plain && !e.shiftKey) { e.preventDefault(); return accept(active); }
      if (e.key === 'Escape') { e.preventDefault(); return closeCompletion(); }
      if (/^(Arrow(Left|Right)|Home|End|Page(Up|Down))$/.test(e.key)) closeCompletion();
    }
    if (e.key === ' ' && e.ctrlKey) { e.preventDefault(); return openCompletion(true); }
    if (!plain || e.shiftKey && e.key !== '}' || query.selectionStart !== query.selectionEnd) return;
    const at = query.selectionStart;
    const lineBefore = query.value.slice(query.value.lastIndexOf('\n', at - 1) + 1, at);
    if (e.key === 'Tab' && !wasEscaped) {
      e.preventDefault();
      insertText(query, '  ');
    } else if (e.key === 'Enter') {
      // Keep the indentation, one level deeper after an opening bracket.
      e.preventDefault();
      insertText(query, '\n' + lineBefore.match(/^\s*/)[0] + (/[{(]\s*$/.test(lineBefore) ? '  ' : ''));
    } else if (e.key === '}' && /^ {2,}$/.test(lineBefore)) {
      e.preventDefault(); // a closing brace goes back one level
      insertText(query, '}', at - 2, at);
    }
  });
  query.addEventListener('blur', closeCompletion);
  query.addEventListener('click', closeCompletion);

  // ---- docs pane

  const back = []; // previously shown type names (null: the overview)
  let shown = null;

  function typeLink(name, field) {
    const b = el('button', 'tlink', field ? name + '.' + field : name);
    b.type = 'button';
    b.addEventListener('click', () => (field ? showInDocs(name, field) : navigate(name)));
    return b;
  }

  // `[User!]!` with `User` clickable.
  function typeRef(ref) {
    const s = typeToString(ref);
    const name = namedType(ref);
    const at = s.indexOf(name);
    const frag = document.createDocumentFragment();
    frag.append(s.slice(0, at), typeLink(name), s.slice(at + name.length));
    return frag;
  }

  function navigate(name) {
    if (shown !== name || search.value) back.push(shown);
    search.value = '';
    renderDocs(name);
  }

  function entry(key, head, def) {
    const li = el('li', 'entry' + (def.isDeprecated ? ' deprecated' : ''));
    li.dataset.name = key;
    const sig = el('div', 'sig');
    sig.append(...head);
    li.append(sig);
    if (def.description) li.append(el('p', 'desc', def.description));
    if (def.isDeprecated) li.append(el('p', 'warn', 'Deprecated' + (def.deprecationReason ? ': ' + def.deprecationReason : '')));
    return li;
  }

  function inputRow(a) {
    const head = [el('code', 'name', a.name), ': ', typeRef(a.type)];
    if (a.defaultValue !== null && a.defaultValue !== undefined) head.push(' = ' + a.defaultValue);
    return entry(a.name, head, a);
  }

  function fieldRow(f) {
    const args = f.args.length ? '(' + f.args.map((a) => a.name).join(', ') + ')' : '';
    const li = entry(f.name, [el('code', 'name', f.name), args + ': ', typeRef(f.type)], f);
    if (f.args.length) li.append(section(null, f.args, inputRow, 'args'));
    return li;
  }

  function section(title, rows, render, cls) {
    if (title) docsBody.append(el('h3', null, title));
    const ul = el('ul', cls || 'entries');
    for (const r of rows) ul.append(render(r));
    return title ? docsBody.appendChild(ul) : ul;
  }

  function renderDocs(name) {
    shown = name;
    $('docs-back').disabled = back.length === 0;
    docsBody.textContent = '';
    docsBody.scrollTop = 0;
    if (!schema) return docsBody.append(el('p', 'muted', 'No schema loaded: see the status at the top.'));
    const needle = search.value.trim().toLowerCase();
    if (needle) return renderSearch(needle);
    const t = name && schema.types.get(name);
    if (!t) return renderOverview();
    docsBody.append(el('h2', null, t.name), el('p', 'kind', t.kind.toLowerCase().replace('_', ' ')));
    if (t.description) docsBody.append(el('p', 'desc', t.description));
    if (t.interfaces && t.interfaces.length) {
      const p = el('p', 'muted', 'Implements ');
      t.interfaces.forEach((i) => p.append(typeLink(i.name), ' '));
      docsBody.append(p);
    }
    if (t.fields) section('Fields', t.fields, fieldRow);
    if (t.inputFields) section('Input fields', t.inputFields, inputRow);
    if (t.enumValues) section('Values', t.enumValues, (v) => entry(v.name, [el('code', 'name', v.name)], v));
    if (t.possibleTypes) {
      section(t.kind === 'UNION' ? 'Members' : 'Implementations', t.possibleTypes,
        (p) => entry(p.name, [typeLink(p.name)], {}));
    }
  }

  function renderOverview() {
    docsBody.append(el('h2', null, 'Schema'));
    section('Root types', ['query', 'mutation', 'subscription'].filter((k) => schema[k + 'Type']),
      (k) => entry(k, [k + ': ', typeLink(schema[k + 'Type'])], {}));
    const groups = { OBJECT: 'Objects', INTERFACE: 'Interfaces', UNION: 'Unions',
      INPUT_OBJECT: 'Inputs', ENUM: 'Enums', SCALAR: 'Scalars' };
    for (const [kind, title] of Object.entries(groups)) {
      const names = [...schema.types.values()].filter((t) => t.kind === kind && !t.name.startsWith('__'))
        .map((t) => t.name).sort();
      if (!names.length) continue;
      docsBody.append(el('h3', null, title));
      const p = el('p', 'type-list');
      names.forEach((n) => p.append(typeLink(n), ' '));
      docsBody.append(p);
    }
  }

  function renderSearch(needle) {
    const hits = [];
    for (const t of schema.types.values()) {
      if (t.name.startsWith('__')) continue;
      if (t.name.toLowerCase().includes(needle)) hits.push(entry(t.name, [typeLink(t.name)], t));
      for (const f of t.fields || t.inputFields || t.enumValues || []) {
        if (f.name.toLowerCase().includes(needle)) hits.push(entry(f.name, [typeLink(t.name, f.name)], f));
      }
    }
    docsBody.append(el('h2', null, 'Search'));
    if (!hits.length) return docsBody.append(el('p', 'muted', 'Nothing matches.'));
    section(hits.length > 100 ? 'First 100 matches' : hits.length + ' matches', hits.slice(0, 100), (h) => h);
  }

  // Shows a type and flashes one of its entries (e.g. after a completion).
  function showInDocs(typeName, name) {
    if (!schema || !schema.types.has(typeName)) return;
    if (shown !== typeName || search.value) navigate(typeName);
    const li = name && [...docsBody.querySelectorAll('.entries > .entry')].find((x) => x.dataset.name === name);
    if (!li) return;
    li.scrollIntoView({ block: 'nearest' });
    li.classList.remove('flash');
    void li.offsetWidth; // restarts the animation
    li.classList.add('flash');
  }

  $('docs-back').addEventListener('click', () => { search.value = ''; renderDocs(back.length ? back.pop() : null); });
  $('docs-home').addEventListener('click', () => navigate(null));
  search.addEventListener('input', () => renderDocs(shown));

  renderDocs(null);
  loadSchema();
}
