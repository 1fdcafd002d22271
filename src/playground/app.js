/*
 * partnerdesk GraphQL IDE: query editor with schema-aware completion,
 * variables and headers editors, result pane and a docs pane.
 *
 * Self-contained on purpose: the page must work without internet access and
 * under a CSP that allows no inline code, so there is no framework and no
 * build step. The first half is pure (schema model, tokenizer, completion)
 * and is exported for tests when loaded outside a browser; the second half
 * wires it to the page.
 */
'use strict';

(function () {
  const ENDPOINT = '/graphql';

  // Standard introspection, trimmed to what the docs and the completion use.
  // TypeRef nests deep enough for wrappers like [[Int!]!]!.
  const INTROSPECTION_QUERY = `query IntrospectionQuery {
  __schema {
    queryType { name } mutationType { name } subscriptionType { name }
    types { ...FullType }
    directives { name description locations args { ...InputValue } }
  }
}
fragment FullType on __Type {
  kind name description
  fields(includeDeprecated: true) { name description args { ...InputValue } type { ...TypeRef } isDeprecated deprecationReason }
  inputFields { ...InputValue } interfaces { ...TypeRef } possibleTypes { ...TypeRef }
  enumValues(includeDeprecated: true) { name description isDeprecated deprecationReason }
}
fragment InputValue on __InputValue { name description type { ...TypeRef } defaultValue }
fragment TypeRef on __Type { kind name ofType { kind name ofType { kind name ofType { kind name ofType {
  kind name ofType { kind name ofType { kind name ofType { kind name } } } } } } } }`;

  // ---------------------------------------------------------------- schema

  function typeToString(ref) {
    if (!ref) return '?';
    if (ref.kind === 'NON_NULL') return typeToString(ref.ofType) + '!';
    if (ref.kind === 'LIST') return '[' + typeToString(ref.ofType) + ']';
    return ref.name;
  }

  function namedType(ref) {
    while (ref && ref.ofType) ref = ref.ofType;
    return ref ? ref.name : null;
  }

  // Type expected for an element of a list value; a non-list stays itself
  // because GraphQL coerces a single value into a one-element list.
  function listItem(ref) {
    if (ref && ref.kind === 'NON_NULL') ref = ref.ofType;
    return ref && ref.kind === 'LIST' ? ref.ofType : ref;
  }

  // Introspection result (`data`) to lookup tables.
  function buildSchema(data) {
    const s = data.__schema;
    const root = (r) => (r ? r.name : null);
    return {
      types: new Map(s.types.map((t) => [t.name, t])),
      directives: new Map((s.directives || []).map((d) => [d.name, d])),
      queryType: root(s.queryType), mutationType: root(s.mutationType), subscriptionType: root(s.subscriptionType),
    };
  }

  function fieldDef(schema, typeName, name) {
    const t = schema && schema.types.get(typeName);
    return (t && t.fields && t.fields.find((f) => f.name === name)) || null;
  }

  function inputFields(schema, ref) {
    const t = schema && schema.types.get(namedType(ref));
    return (t && t.inputFields) || [];
  }

  // -------------------------------------------------------------- tokenizer

  const NAME_START = /[_A-Za-z]/;
  const NAME_CHAR = /[_0-9A-Za-z]/;
  const NUMBER_CHAR = /[-+0-9.eE]/;

  // Splits GraphQL text into tokens, dropping whitespace, commas and
  // comments. `open` tells whether the text ends inside a string or a
  // comment, where completing would be wrong.
  function tokenize(text) {
    const tokens = [];
    const n = text.length;
    let i = 0;
    const push = (k, end) => { tokens.push({ k, v: text.slice(i, end), start: i, end }); i = end; };
    const scan = (re, j) => { while (j < n && re.test(text[j])) j++; return j; };
    while (i < n) {
      const c = text[i];
      if (c === '#') {
        const nl = text.indexOf('\n', i);
        if (nl < 0) return { tokens, open: 'comment' };
        i = nl + 1;
      } else if (c === '"') {
        const block = text.startsWith('"""', i);
        let j = i + (block ? 3 : 1);
        let closed = false;
        while (j < n && !closed) {
          if (block) {
            if (text.startsWith('\\"""', j)) j += 4;
            else if (text.startsWith('"""', j)) { j += 3; closed = true; } else j++;
          } else if (text[j] === '\\') j += 2;
          else if (text[j] === '"') { j++; closed = true; } else if (text[j] === '\n') break;
          else j++;
        }
        // A plain string cut by a newline is invalid; ending it there keeps
        // one typo from swallowing the rest of the document.
        if (!closed && j >= n) return { tokens, open: 'string' };
        push('str', j);
      } else if (NAME_START.test(c)) {
        push('name', scan(NAME_CHAR, i + 1));
      } else if (c === '$') {
        push('var', scan(NAME_CHAR, i + 1));
      } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(text[i + 1] || ''))) {
        push('num', scan(NUMBER_CHAR, i + 1));
      } else if (text.startsWith('...', i)) {
        push('punct', i + 3);
      } else if ('{}()[]:=!@|&'.includes(c)) {
        push('punct', i + 1);
      } else {
        i++; // whitespace, commas, stray characters
      }
    }
    return { tokens, open: null };
  }

  // ----------------------------------------------------------- the parser

  // Where the cursor is, from the text before it, with a stack of frames:
  //   doc  - top level (s: def | opName | head | fragName | fragOn | fragType)
  //   sel  - a selection set on `type` (s: field | after | alias | spread | on | inline)
  //   args - arguments of a field/directive, or fields of an input object
  //          value (s: name | colon | value); `defs` are the allowed names
  //   list - a list value whose elements have type `type`
  //   vars - variable definitions of an operation (s: var | colon | type | after | default)
  // It never fails: unexpected tokens reset the frame to its neutral state,
  // so completion keeps working in half-typed documents.

  const isP = (t, v) => t.k === 'punct' && t.v === v;
  const selFrame = (type) => ({ k: 'sel', type, s: 'field', field: null, inline: null, close: '}' });
  const argsFrame = (defs, close, owner) => ({ k: 'args', defs, close, owner, s: 'name', cur: null, used: [] });

  function startValue(schema, stack, ref, t) {
    if (isP(t, '{')) stack.push(argsFrame(inputFields(schema, ref), '}', { type: namedType(ref) }));
    else if (isP(t, '[')) stack.push({ k: 'list', type: listItem(ref), close: ']' });
  }

  function stepDoc(schema, stack, f, t) {
    const name = t.k === 'name' ? t.v : null;
    switch (f.s) {
      case 'opName':
        if (name) { f.s = 'head'; return; }
      // falls through: the name is optional
      case 'head':
        if (isP(t, '(')) { stack.push({ k: 'vars', s: 'var', close: ')' }); return; }
        if (isP(t, '{')) { f.s = 'def'; stack.push(selFrame(f.root)); return; }
        f.s = 'def';
        break;
      case 'fragName': f.s = name ? 'fragOn' : 'def'; return;
      case 'fragOn': f.s = name === 'on' ? 'fragType' : 'def'; return;
      case 'fragType':
        if (name) { f.root = name; f.s = 'head'; return; }
        f.s = 'def';
        break;
    }
    if (name === 'query' || name === 'mutation' || name === 'subscription') {
      f.root = schema ? schema[name + 'Type'] : null;
      f.s = 'opName';
    } else if (name === 'fragment') {
      f.s = 'fragName';
    } else if (isP(t, '{')) {
      stack.push(selFrame(schema ? schema.queryType : null)); // shorthand query
    }
  }

  function stepSel(schema, stack, f, t) {
    const name = t.k === 'name' ? t.v : null;
    if (f.s === 'alias') {
      f.s = 'field';
    } else if (f.s === 'after') {
      if (isP(t, ':')) { f.s = 'alias'; return; } // what came before was an alias
      const def = fieldDef(schema, f.type, f.field);
      if (isP(t, '(')) { stack.push(argsFrame(def ? def.args : [], ')', { type: f.type, field: f.field })); return; }
      f.s = 'field';
      if (isP(t, '{')) { stack.push(selFrame(def ? namedType(def.type) : null)); return; }
    } else if (f.s === 'spread') {
      f.s = 'field';
      if (name === 'on') { f.s = 'on'; return; }
      if (name) return; // named fragment spread
      if (isP(t, '{')) { stack.push(selFrame(f.type)); return; } // `... @include(…) {`
    } else if (f.s === 'on') {
      f.s = 'field';
      if (name) { f.inline = name; f.s = 'inline'; return; }
    } else if (f.s === 'inline') {
      f.s = 'field';
      if (isP(t, '{')) { stack.push(selFrame(f.inline)); return; }
    }
    if (name) { f.field = name; f.s = 'after'; } else if (isP(t, '...')) f.s = 'spread';
  }

  function stepArgs(schema, stack, f, t) {
    if (f.s === 'colon') {
      if (isP(t, ':')) { f.s = 'value'; return; }
      f.s = 'name';
    } else if (f.s === 'value') {
      f.s = 'name'; // set first: a nested object or list returns here when closed
      startValue(schema, stack, f.cur && f.cur.type, t);
      return;
    }
    if (t.k === 'name') {
      f.cur = f.defs.find((d) => d.name === t.v) || null;
      f.used.push(t.v);
      f.s = 'colon';
    }
  }

  function stepVars(schema, stack, f, t) {
    if (t.k === 'var') f.s = 'colon';
    else if (f.s === 'colon' && isP(t, ':')) f.s = 'type';
    else if (f.s === 'type' && t.k === 'name') f.s = 'after';
    else if (f.s === 'after' && isP(t, '=')) f.s = 'default';
    else if (f.s === 'default') { f.s = 'after'; startValue(schema, stack, null, t); }
  }

  const STEP = { doc: stepDoc, sel: stepSel, args: stepArgs, vars: stepVars,
    list: (schema, stack, f, t) => startValue(schema, stack, f.type, t) };

  function step(schema, stack, t) {
    const f = stack[stack.length - 1];
    if (t.k === 'punct' && (t.v === '}' || t.v === ')' || t.v === ']')) {
      // Close the innermost frame this closes; unbalanced closers are ignored.
      for (let i = stack.length - 1; i > 0; i--) {
        if (stack[i].close === t.v) { stack.length = i; return; }
      }
      return;
    }
    // Directives (`@name(args)`) may follow operations, fields and fragments
    // without changing what comes next, so they are handled aside.
    if (f.k === 'doc' || f.k === 'sel') {
      if (isP(t, '@')) { f.dirName = true; return; }
      if (f.dirName) {
        f.dirName = false;
        if (t.k === 'name') {
          f.dir = (schema && schema.directives.get(t.v)) || { name: t.v, args: [] };
          return;
        }
      } else if (f.dir) {
        const dir = f.dir;
        f.dir = null;
        if (isP(t, '(')) { stack.push(argsFrame(dir.args, ')', { directive: dir.name })); return; }
      }
    }
    STEP[f.k](schema, stack, f, t);
  }

  // What may come at the end of `text`: { kind, prefix, … } where prefix is
  // the partial name being typed (to be replaced by the completion).
  function analyze(schema, text) {
    const lex = tokenize(text);
    const none = { kind: 'none', prefix: '' };
    if (lex.open) return none;
    let tokens = lex.tokens;
    let prefix = '';
    const last = tokens[tokens.length - 1];
    if (last && last.end === text.length && last.k !== 'punct') {
      if (last.k !== 'name') return none; // numbers, strings, variables
      prefix = last.v;
      tokens = tokens.slice(0, -1);
    }
    const stack = [{ k: 'doc', s: 'def', root: null }];
    for (const t of tokens) step(schema, stack, t);
    const f = stack[stack.length - 1];
    const ctx = (kind, extra) => Object.assign({ kind, prefix }, extra);
    if (f.dirName) return ctx('directive', { on: f.k });
    switch (f.k) {
      case 'doc':
        if (f.s === 'def') return ctx('keyword');
        return f.s === 'fragType' ? ctx('type', { want: 'composite' }) : none;
      case 'sel':
        if (f.s === 'spread') return ctx('spread');
        if (f.s === 'on') return ctx('type', { want: 'composite', parent: f.type });
        return f.s === 'inline' ? none : ctx('field', { type: f.type });
      case 'args':
        if (f.s === 'name') return ctx('arg', { defs: f.defs, used: f.used, owner: f.owner });
        return f.s === 'value' ? ctx('value', { ref: f.cur && f.cur.type }) : none;
      case 'list':
        return ctx('value', { ref: f.type });
      case 'vars':
        return f.s === 'type' ? ctx('type', { want: 'input' }) : none;
    }
    return none;
  }

  // ------------------------------------------------------------- completion

  const EXECUTABLE_LOCATIONS = {
    doc: ['QUERY', 'MUTATION', 'SUBSCRIPTION', 'FRAGMENT_DEFINITION'],
    sel: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
  };

  // Items: { label, insert, detail (a type), doc, kind, deprecated, ref }
  // where ref = { type, field } points the docs pane at the definition.
  function candidates(schema, ctx) {
    const types = schema ? schema.types : new Map();
    const item = (kind, label, detail, doc, extra) =>
      Object.assign({ kind, label, insert: label, detail: detail || '', doc: doc || '' }, extra);
    switch (ctx.kind) {
      case 'keyword':
        return ['query', 'mutation', 'subscription', 'fragment']
          .filter((k) => !schema || k === 'fragment' || schema[k + 'Type'])
          .map((k) => item('keyword', k, schema && schema[k + 'Type'], '', { insert: k + ' ' }));
      case 'spread':
        return [item('keyword', 'on', '', 'Inline fragment on a type', { insert: 'on ' })];
      case 'field': {
        const t = types.get(ctx.type);
        if (!t) return [];
        const out = (t.fields || []).map((f) => item('field', f.name, typeToString(f.type), f.description, {
          args: f.args, deprecated: f.isDeprecated, reason: f.deprecationReason, ref: { type: t.name, field: f.name },
        }));
        out.push(item('field', '__typename', 'String!', 'Name of the object type here.'));
        // Abstract types select most of their fields through fragments.
        for (const p of t.possibleTypes || []) {
          out.push(item('type', '... on ' + p.name, p.name, (types.get(p.name) || {}).description,
            { match: p.name, ref: { type: p.name } }));
        }
        return out;
      }
      case 'arg':
        // Field arguments point at their field, input fields at themselves.
        return ctx.defs.filter((d) => !ctx.used.includes(d.name)).map((d) => item('arg', d.name,
          typeToString(d.type), d.description, { insert: d.name + ': ', ref: ctx.owner.directive ? null
            : { type: ctx.owner.type, field: ctx.owner.field || d.name } }));
      case 'value': {
        const name = namedType(ctx.ref);
        const t = types.get(name);
        if (t && t.kind === 'ENUM') {
          return t.enumValues.map((v) => item('enum', v.name, name, v.description,
            { deprecated: v.isDeprecated, reason: v.deprecationReason, ref: { type: name, field: v.name } }));
        }
        if (name === 'Boolean') return ['true', 'false'].map((b) => item('keyword', b, 'Boolean'));
        return [];
      }
      case 'type': {
        const parent = types.get(ctx.parent);
        const wanted = ctx.want === 'input' ? ['SCALAR', 'ENUM', 'INPUT_OBJECT'] : ['OBJECT', 'INTERFACE', 'UNION'];
        let list = [...types.values()].filter((t) => wanted.includes(t.kind) && !t.name.startsWith('__'));
        if (parent && parent.possibleTypes) {
          const possible = parent.possibleTypes.map((p) => p.name);
          list = list.filter((t) => t.name === parent.name || possible.includes(t.name));
        }
        return list.map((t) => item('type', t.name, t.kind.toLowerCase().replace('_', ' '), t.description, { ref: { type: t.name } }));
      }
      case 'directive':
        return schema ? [...schema.directives.values()]
          .filter((d) => d.locations.some((l) => EXECUTABLE_LOCATIONS[ctx.on].includes(l)))
          .map((d) => item('directive', d.name, '@', d.description)) : [];
    }
    return [];
  }

  // Prefix matches first (exact case before any case), then substrings;
  // schema order is kept within a group because it is meaningful.
  function filterItems(items, prefix) {
    if (!prefix) return items;
    const lower = prefix.toLowerCase();
    const score = (it) => {
      const text = it.match || it.label;
      if (text.startsWith(prefix)) return 0;
      const l = text.toLowerCase();
      return l.startsWith(lower) ? 1 : l.includes(lower) ? 2 : -1;
    };
    return items.map((it, i) => ({ it, i, s: score(it) })).filter((x) => x.s >= 0)
      .sort((a, b) => a.s - b.s || a.i - b.i).map((x) => x.it);
  }

  function complete(schema, textBeforeCursor) {
    const ctx = analyze(schema, textBeforeCursor);
    return { kind: ctx.kind, prefix: ctx.prefix, items: filterItems(candidates(schema, ctx), ctx.prefix) };
  }

  // ---------------------------------------------------------------- helpers

  // The name of the operation the cursor is in, when the document holds
  // several (the server needs it then); null lets the server pick the only one.
  function operationNameAt(text, offset) {
    const { tokens } = tokenize(text);
    const defs = []; // top-level definitions, in order: { start, op, name }
    let depth = 0;
    let header = false; // between a definition keyword and its body
    tokens.forEach((t, i) => {
      if (depth === 0 && t.k === 'name' && /^(query|mutation|subscription|fragment)$/.test(t.v)) {
        const next = tokens[i + 1];
        defs.push({ start: t.start, op: t.v !== 'fragment', name: next && next.k === 'name' ? next.v : null });
        header = true;
      } else if (t.k === 'punct' && (t.v === '{' || t.v === '(')) {
        if (depth === 0 && t.v === '{') {
          if (!header) defs.push({ start: t.start, op: true, name: null }); // shorthand `{ … }`
          header = false;
        }
        depth++;
      } else if (t.k === 'punct' && (t.v === '}' || t.v === ')')) {
        depth = Math.max(0, depth - 1);
      }
    });
    const ops = defs.filter((d) => d.op);
    if (ops.length < 2) return null;
    const here = defs.filter((d) => d.start <= offset).pop();
    return (here && here.op ? here : ops[0]).name;
  }

  function findLoginToken(result) {
    const login = result && result.data && result.data.login;
    return login && typeof login.token === 'string' && login.token ? login.token : null;
  }

  // Headers editor text with Authorization replaced; throws when the text is
  // not a JSON object, so that the user's edits are never overwritten.
  function withBearer(headersText, token) {
    const headers = parseJsonObject(headersText, 'Headers') || {};
    for (const k of Object.keys(headers)) if (k.toLowerCase() === 'authorization') delete headers[k];
    headers.Authorization = 'Bearer ' + token;
    return JSON.stringify(headers, null, 2);
  }

  function parseJsonObject(text, label) {
    if (!text.trim()) return null;
    let value;
    try { value = JSON.parse(text); } catch (e) { throw new Error(label + ': invalid JSON (' + e.message + ')'); }
    if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Error(label + ' must be a JSON object');
    return value;
  }

  function parseHeaders(text) {
    const headers = parseJsonObject(text, 'Headers') || {};
    for (const [k, v] of Object.entries(headers)) {
      if (typeof v !== 'string') throw new Error('Headers: the value of "' + k + '" must be a string');
    }
    return headers;
  }

  const api = {
    INTROSPECTION_QUERY, buildSchema, tokenize, analyze, complete, typeToString, namedType,
    operationNameAt, findLoginToken, withBearer, parseJsonObject, parseHeaders,
  };
  if (typeof module === 'object' && module.exports) module.exports = api; // tests
  if (typeof document === 'undefined') return;
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', startUi);
  else startUi();

  // =================================================================== page

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

    async function run() {
      closeCompletion();
      if (running) running.abort(); // a new run supersedes a slow one
      const controller = new AbortController();
      running = controller;
      const body = { query: query.value };
      try {
        const vars = parseJsonObject(variables.value, 'Variables');
        if (vars) body.variables = vars;
        const op = operationNameAt(query.value, query.selectionStart);
        if (op) body.operationName = op;
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
})();
