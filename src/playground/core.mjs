/*
 * The pure half of the partnerdesk GraphQL IDE: the introspection query and
 * the schema model built from its result, a GraphQL tokenizer, a forgiving
 * parser that tells what may come at the cursor, the completion engine, and
 * the small helpers of the request panes (operation at the cursor, login
 * token, headers).
 *
 * An ES module without the DOM or the network, so that the page
 * (`app.js`) and the test suite (`node --test`) load the very same file,
 * with no build step.
 */

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

// The top-level definitions of a document, in order: { start, kind, name },
// kind being query, mutation, subscription or fragment.
function definitions(text) {
  const { tokens } = tokenize(text);
  const defs = [];
  let depth = 0;
  let header = false; // between a definition keyword and its body
  tokens.forEach((t, i) => {
    if (depth === 0 && t.k === 'name' && /^(query|mutation|subscription|fragment)$/.test(t.v)) {
      const next = tokens[i + 1];
      defs.push({ start: t.start, kind: t.v, name: next && next.k === 'name' ? next.v : null });
      header = true;
    } else if (t.k === 'punct' && (t.v === '{' || t.v === '(')) {
      if (depth === 0 && t.v === '{') {
        if (!header) defs.push({ start: t.start, kind: 'query', name: null }); // shorthand `{ … }`
        header = false;
      }
      depth++;
    } else if (t.k === 'punct' && (t.v === '}' || t.v === ')')) {
      depth = Math.max(0, depth - 1);
    }
  });
  return defs;
}

// The operation the cursor is in (the first one when it is in a fragment
// or before any), or null for a document without operations.
function operationAt(text, offset) {
  const defs = definitions(text);
  const ops = defs.filter((d) => d.kind !== 'fragment');
  const here = defs.filter((d) => d.start <= offset).pop();
  return (here && here.kind !== 'fragment' ? here : ops[0]) || null;
}

// The name of the operation the cursor is in, when the document holds
// several (the server needs it then); null lets the server pick the only one.
function operationNameAt(text, offset) {
  const ops = definitions(text).filter((d) => d.kind !== 'fragment');
  if (ops.length < 2) return null;
  return operationAt(text, offset).name;
}

// query, mutation or subscription: what running at the cursor would send.
function operationKindAt(text, offset) {
  const op = operationAt(text, offset);
  return op ? op.kind : 'query';
}

// ---------------------------------------------------------- subscriptions

// The subscription endpoint of the page's own origin (`location.href`),
// with the WebSocket scheme that matches the page's (ws: or wss:).
function subscriptionUrl(location) {
  const url = new URL('/graphql/ws', location.href);
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url.href;
}

// One operation over the graphql-transport-ws protocol (the server's
// `/graphql/ws`): connection_init with `payload` (the headers pane, whose
// Authorization the server reads), then subscribe; `next` payloads go to
// onNext, an `error` message's errors to onError, `complete` and a close of
// the socket to onEnd({ code, reason, complete }), once. `WebSocketImpl` is
// the browser's WebSocket (a stand-in in the tests). Returns { stop }.
function subscribe({ url, WebSocketImpl, payload, request, onNext, onError, onEnd }) {
  const id = '1';
  const socket = new WebSocketImpl(url, 'graphql-transport-ws');
  let ended = false;
  const send = (message) => socket.send(JSON.stringify(message));
  const end = (how) => {
    if (ended) return;
    ended = true;
    onEnd(how);
  };
  socket.onopen = () => send({ type: 'connection_init', payload: payload || {} });
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch (e) { return; }
    switch (message.type) {
      case 'connection_ack': send({ id, type: 'subscribe', payload: request }); break;
      case 'ping': send({ type: 'pong' }); break;
      case 'next': if (message.id === id) onNext(message.payload); break;
      case 'error': if (message.id === id) onError(message.payload); break;
      case 'complete':
        if (message.id === id) { end({ complete: true, code: 1000, reason: '' }); socket.close(1000, 'done'); }
        break;
      default: break;
    }
  };
  socket.onclose = (event) => end({ complete: false, code: event.code, reason: event.reason || '' });
  return {
    stop() {
      if (ended) return;
      if (socket.readyState === 1) send({ id, type: 'complete' });
      end({ complete: true, code: 1000, reason: 'stopped' });
      socket.close(1000, 'stopped');
    },
  };
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

export {
  INTROSPECTION_QUERY, buildSchema, typeToString, namedType, tokenize, analyze, candidates, complete,
  operationNameAt, operationKindAt, findLoginToken, withBearer, parseJsonObject, parseHeaders,
  subscriptionUrl, subscribe,
};
