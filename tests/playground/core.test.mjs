// The IDE's pure half (src/playground/core.mjs) as code: completion at the
// cursor, the tokenizer and the request helpers. Run with
// `node --test tests/playground/`; no packages needed.
//
// The schema below is a small introspection result in the shape the server
// returns, with the kinds of types the real one has: objects, an interface,
// enums, an input object, lists and non-null wrappers, arguments,
// directives, a deprecated field.

import { test, describe } from 'node:test';
import assert from 'node:assert/strict';

import {
  INTROSPECTION_QUERY, buildSchema, typeToString, namedType, tokenize, analyze, complete,
  operationNameAt, operationKindAt, findLoginToken, withBearer, parseJsonObject, parseHeaders,
  subscriptionUrl, subscribe,
} from '../../src/playground/core.mjs';

// ------------------------------------------------------------ the schema

const named = (kind, name) => ({ kind, name, ofType: null });
const nonNull = (ofType) => ({ kind: 'NON_NULL', name: null, ofType });
const list = (ofType) => ({ kind: 'LIST', name: null, ofType });
const scalar = (name) => named('SCALAR', name);
const object = (name) => named('OBJECT', name);
const ID = nonNull(scalar('ID'));
const STRING = scalar('String');
const INT = scalar('Int');
const BOOLEAN = scalar('Boolean');

const arg = (name, type, description = '') => ({ name, description, type, defaultValue: null });
const field = (name, type, args = [], extra = {}) =>
  ({ name, description: 'The ' + name + '.', args, type, isDeprecated: false, deprecationReason: null, ...extra });
const type = (kind, name, parts = {}) => ({
  kind, name, description: name + ' type.', fields: null, inputFields: null, interfaces: null,
  enumValues: null, possibleTypes: null, ...parts,
});
const enumType = (name, values) => type('ENUM', name, {
  enumValues: values.map((v) => ({ name: v, description: '', isDeprecated: false, deprecationReason: null })),
});

const SCHEMA = buildSchema({
  __schema: {
    queryType: { name: 'Query' },
    mutationType: { name: 'Mutation' },
    subscriptionType: null,
    types: [
      type('OBJECT', 'Query', {
        fields: [
          field('viewer', object('User')),
          field('ticket', object('Ticket'), [arg('id', ID)]),
          field('tickets', nonNull(object('TicketConnection')), [
            arg('filter', named('INPUT_OBJECT', 'TicketFilter')),
            arg('orderBy', named('ENUM', 'TicketOrder')),
            arg('first', INT),
            arg('after', STRING),
          ]),
          field('node', named('INTERFACE', 'Node'), [arg('id', ID)]),
        ],
        interfaces: [],
      }),
      type('OBJECT', 'Mutation', {
        fields: [
          field('login', nonNull(object('LoginPayload')), [
            arg('email', nonNull(STRING)), arg('password', nonNull(STRING)),
          ]),
        ],
        interfaces: [],
      }),
      type('OBJECT', 'LoginPayload', {
        fields: [field('token', nonNull(STRING)), field('user', nonNull(object('User')))],
        interfaces: [],
      }),
      type('INTERFACE', 'Node', {
        fields: [field('id', ID)],
        possibleTypes: [object('Ticket'), object('User')],
      }),
      type('OBJECT', 'Ticket', {
        fields: [
          field('id', ID),
          field('reference', nonNull(STRING)),
          field('status', nonNull(named('ENUM', 'TicketStatus'))),
          field('createdBy', object('User')),
          field('comments', nonNull(list(nonNull(object('Comment')))), [arg('first', INT)]),
          field('legacyNumber', INT, [], { isDeprecated: true, deprecationReason: 'Use reference.' }),
        ],
        interfaces: [named('INTERFACE', 'Node')],
      }),
      type('OBJECT', 'User', {
        fields: [field('id', ID), field('displayName', nonNull(STRING)), field('organisation', object('Organisation'))],
        interfaces: [named('INTERFACE', 'Node')],
      }),
      type('OBJECT', 'Organisation', {
        fields: [field('id', ID), field('name', nonNull(STRING))],
        interfaces: [],
      }),
      type('OBJECT', 'Comment', {
        fields: [field('body', nonNull(STRING)), field('author', object('User'))],
        interfaces: [],
      }),
      type('OBJECT', 'TicketConnection', {
        fields: [field('edges', nonNull(list(nonNull(object('TicketEdge'))))), field('totalCount', nonNull(INT))],
        interfaces: [],
      }),
      type('OBJECT', 'TicketEdge', {
        fields: [field('node', nonNull(object('Ticket'))), field('cursor', nonNull(STRING))],
        interfaces: [],
      }),
      type('INPUT_OBJECT', 'TicketFilter', {
        inputFields: [
          arg('status', list(nonNull(named('ENUM', 'TicketStatus')))),
          arg('search', STRING),
          arg('openOnly', BOOLEAN),
        ],
      }),
      enumType('TicketStatus', ['REVIEW', 'QUEUED', 'READY_TO_SHIP']),
      enumType('TicketOrder', ['CREATED_AT_ASC', 'CREATED_AT_DESC']),
      type('SCALAR', 'ID'), type('SCALAR', 'String'), type('SCALAR', 'Int'), type('SCALAR', 'Boolean'),
      type('OBJECT', '__Type', { fields: [field('name', STRING)], interfaces: [] }),
    ],
    directives: [
      { name: 'include', description: 'Include when true.', locations: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
        args: [arg('if', nonNull(BOOLEAN))] },
      { name: 'skip', description: 'Skip when true.', locations: ['FIELD', 'FRAGMENT_SPREAD', 'INLINE_FRAGMENT'],
        args: [arg('if', nonNull(BOOLEAN))] },
      { name: 'deprecated', description: '', locations: ['FIELD_DEFINITION', 'ENUM_VALUE'],
        args: [arg('reason', STRING)] },
    ],
  },
});

// ------------------------------------------------------------ helpers

// Completion with the cursor at `|` (only the text before it matters).
function at(textWithCursor) {
  const cursor = textWithCursor.indexOf('|');
  assert.notEqual(cursor, -1, 'the text marks the cursor with |');
  return complete(SCHEMA, textWithCursor.slice(0, cursor));
}

const labels = (result) => result.items.map((item) => item.label);

// The labels offered at `|`, exactly, in order.
function offers(textWithCursor, expected) {
  assert.deepEqual(labels(at(textWithCursor)), expected, textWithCursor);
}

const TICKET_FIELDS = ['id', 'reference', 'status', 'createdBy', 'comments', 'legacyNumber', '__typename'];
const USER_FIELDS = ['id', 'displayName', 'organisation', '__typename'];
const QUERY_FIELDS = ['viewer', 'ticket', 'tickets', 'node', '__typename'];

// ------------------------------------------------------------ completion

describe('completion at the top level', () => {
  test('offers the operation keywords the schema has', () => {
    offers('|', ['query', 'mutation', 'fragment']);
    assert.equal(at('|').kind, 'keyword');
    assert.equal(at('|').items[0].insert, 'query ');
  });

  test('filters by the prefix being typed', () => {
    const result = at('mu|');
    assert.equal(result.prefix, 'mu');
    assert.deepEqual(labels(result), ['mutation']);
  });

  test('offers keywords again after a complete operation', () => {
    offers('query { viewer { id } }\n|', ['query', 'mutation', 'fragment']);
  });

  test('offers nothing without a schema but the keywords', () => {
    assert.deepEqual(complete(null, '{ ').items, []);
    assert.deepEqual(complete(null, '').items.map((i) => i.label), ['query', 'mutation', 'subscription', 'fragment']);
  });
});

describe('completion of fields', () => {
  test('at the root of a shorthand query, a named query and a mutation', () => {
    offers('{ |', QUERY_FIELDS);
    offers('query Mine { |', QUERY_FIELDS);
    offers('mutation { |', ['login', '__typename']);
  });

  test('of nested selections, through lists and non-null wrappers', () => {
    offers('{ viewer { |', USER_FIELDS);
    offers('{ viewer { organisation { |', ['id', 'name', '__typename']);
    offers('{ tickets { edges { node { |', TICKET_FIELDS);
    offers('{ tickets { edges { node { comments { author { |', USER_FIELDS);
  });

  test('back in the parent once a selection is closed', () => {
    offers('{ viewer { organisation { name } |', USER_FIELDS);
    offers('{ viewer { id }\n  |', QUERY_FIELDS);
  });

  test('under an alias and after arguments', () => {
    offers('{ me: viewer { |', USER_FIELDS);
    offers('{ ticket(id: "VGlja2V0OjE=") { |', TICKET_FIELDS);
    offers('{ t: ticket(id: "x") { createdBy { |', USER_FIELDS);
  });

  test('by prefix: prefix matches first, then substrings, schema order within', () => {
    const result = at('{ ticket(id: "x") { re|');
    assert.equal(result.prefix, 're');
    // `reference` starts with it; `createdBy` only holds it.
    assert.deepEqual(labels(result), ['reference', 'createdBy']);
    // `ti` starts `ticket` and `tickets`, and is inside nothing else.
    offers('{ ti|', ['ticket', 'tickets']);
    // Case-insensitive after the exact-case matches.
    offers('{ viewer { DISP|', ['displayName']);
    // Substring matches come after prefix matches, whatever the schema order.
    offers('{ viewer { i|', ['id', 'displayName', 'organisation']);
    offers('{ ticket(id: "x") { c|', ['createdBy', 'comments', 'reference', 'legacyNumber']);
  });

  test('with their type, documentation, arguments and deprecation', () => {
    const items = at('{ ticket(id: "x") { |').items;
    const comments = items.find((i) => i.label === 'comments');
    assert.equal(comments.detail, '[Comment!]!');
    assert.equal(comments.doc, 'The comments.');
    assert.deepEqual(comments.args.map((a) => a.name), ['first']);
    assert.deepEqual(comments.ref, { type: 'Ticket', field: 'comments' });
    const legacy = items.find((i) => i.label === 'legacyNumber');
    assert.equal(legacy.deprecated, true);
    assert.equal(legacy.reason, 'Use reference.');
  });

  test('of an interface, with inline fragments on its implementations', () => {
    offers('{ node(id: "x") { |', ['id', '__typename', '... on Ticket', '... on User']);
    offers('{ node(id: "x") { ... on Ticket { |', TICKET_FIELDS);
    offers('{ node(id: "x") { ... on User { id } |', ['id', '__typename', '... on Ticket', '... on User']);
  });

  test('in fragments', () => {
    offers('fragment T on Ticket { |', TICKET_FIELDS);
    offers('fragment T on Ticket { createdBy { |', USER_FIELDS);
    offers('{ viewer { ...UserParts } |', QUERY_FIELDS);
  });

  test('in a document of several operations, in the one at the cursor', () => {
    offers('query A { viewer { id } }\nmutation B { login(email: "a", password: "b") { |', ['token', 'user', '__typename']);
  });

  test('of an unknown field: nothing rather than a guess', () => {
    offers('{ nope { |', []);
  });
});

describe('completion of type conditions', () => {
  test('after `on` in a fragment definition: every composite type', () => {
    const result = at('fragment T on |');
    assert.equal(result.kind, 'type');
    assert.ok(labels(result).includes('Ticket'));
    assert.ok(labels(result).includes('Node'));
    assert.ok(!labels(result).includes('TicketFilter'), 'no input types');
    assert.ok(!labels(result).includes('__Type'), 'no introspection types');
  });

  test('after `... on` under an interface: its implementations', () => {
    offers('{ node(id: "x") { ... on |', ['Node', 'Ticket', 'User']);
    offers('{ node(id: "x") { ...|', ['on']);
  });
});

describe('completion of arguments', () => {
  test('of a field', () => {
    offers('{ tickets(|', ['filter', 'orderBy', 'first', 'after']);
    const first = at('{ tickets(|').items.find((i) => i.label === 'first');
    assert.equal(first.insert, 'first: ');
    assert.equal(first.detail, 'Int');
    assert.deepEqual(first.ref, { type: 'Query', field: 'tickets' });
  });

  test('without those already given', () => {
    offers('{ tickets(first: 10, |', ['filter', 'orderBy', 'after']);
    offers('{ tickets(first: 10, after: "abc", or|', ['orderBy']);
  });

  test('of a mutation and of a nested field', () => {
    offers('mutation { login(|', ['email', 'password']);
    offers('{ ticket(id: "x") { comments(|', ['first']);
  });

  test('of a directive', () => {
    offers('{ viewer @include(|', ['if']);
  });

  test('none once the argument list is closed', () => {
    offers('{ tickets(first: 1) |', QUERY_FIELDS);
  });
});

describe('completion of argument values', () => {
  test('enum values', () => {
    offers('{ tickets(orderBy: |', ['CREATED_AT_ASC', 'CREATED_AT_DESC']);
    offers('{ tickets(orderBy: CREATED_AT_D|', ['CREATED_AT_DESC']);
  });

  test('fields of an input object, without those given', () => {
    offers('{ tickets(filter: { |', ['status', 'search', 'openOnly']);
    offers('{ tickets(filter: { search: "GEM", |', ['status', 'openOnly']);
  });

  test('inside lists and nested input objects', () => {
    offers('{ tickets(filter: { status: [|', ['REVIEW', 'QUEUED', 'READY_TO_SHIP']);
    offers('{ tickets(filter: { status: [REVIEW, Q|', ['QUEUED']);
    // A single value is a one-element list.
    offers('{ tickets(filter: { status: |', ['REVIEW', 'QUEUED', 'READY_TO_SHIP']);
  });

  test('booleans', () => {
    offers('{ tickets(filter: { openOnly: |', ['true', 'false']);
    offers('{ viewer @skip(if: |', ['true', 'false']);
  });

  test('back to the arguments after a closed value', () => {
    offers('{ tickets(filter: { search: "x" }, |', ['orderBy', 'first', 'after']);
    offers('{ tickets(filter: { status: [REVIEW] }, first: 5) { |', ['edges', 'totalCount', '__typename']);
  });

  test('nothing inside a string or a number', () => {
    assert.equal(at('{ ticket(id: "VGl|').kind, 'none');
    assert.equal(at('{ tickets(first: 1|').kind, 'none');
  });
});

describe('completion with variables', () => {
  test('of variable types: input types only', () => {
    const result = at('query Q($filter: |');
    assert.equal(result.kind, 'type');
    const offered = labels(result);
    for (const name of ['TicketFilter', 'TicketStatus', 'ID', 'String', 'Boolean']) assert.ok(offered.includes(name), name);
    for (const name of ['Ticket', 'User', 'Node']) assert.ok(!offered.includes(name), name);
    offers('query Q($first: Int, $filter: TicketF|', ['TicketFilter']);
  });

  test('nothing for the variable name itself', () => {
    assert.equal(at('query Q($fi|').kind, 'none');
    assert.equal(at('{ ticket(id: $i|').kind, 'none');
  });

  test('fields after the variable definitions, with default values', () => {
    offers('query Q($id: ID!, $n: Int = 10) { |', QUERY_FIELDS);
    offers('query Q($s: [TicketStatus!] = [REVIEW]) { tickets(filter: { status: $s }) { |', ['edges', 'totalCount', '__typename']);
  });

  test('arguments and fields around variables used as values', () => {
    offers('query Q($id: ID!) { ticket(id: $id) { |', TICKET_FIELDS);
    offers('query Q($n: Int) { tickets(first: $n, |', ['filter', 'orderBy', 'after']);
  });
});

describe('completion of directives', () => {
  test('right after `@`, those valid on a field', () => {
    const result = at('{ viewer @|');
    assert.equal(result.kind, 'directive');
    assert.deepEqual(labels(result), ['include', 'skip']);
    offers('{ viewer @sk|', ['skip']);
  });

  test('fields again after a directive', () => {
    offers('{ viewer @include(if: true) { |', USER_FIELDS);
    offers('{ a: viewer @skip(if: false) { id } |', QUERY_FIELDS);
  });
});

describe('completion is not fooled by text that is not code', () => {
  test('nothing inside a comment or a string', () => {
    assert.equal(at('{ # a comment |').kind, 'none');
    assert.equal(at('{ ticket(id: "{ |').kind, 'none');
    assert.equal(at('{ ticket(id: """ block |').kind, 'none');
  });

  test('brackets inside strings and comments do not count', () => {
    offers('{ ticket(id: "}{)(") { |', TICKET_FIELDS);
    offers('{ viewer { # } closes nothing\n  |', USER_FIELDS);
    offers('{ ticket(id: """ } """) { |', TICKET_FIELDS);
  });

  test('stray closers and half-typed documents keep it working', () => {
    offers('} ) ] { |', QUERY_FIELDS);
    offers('{ viewer { id ) |', USER_FIELDS);
    offers('{ tickets(first: ) { |', ['edges', 'totalCount', '__typename']);
  });
});

// ------------------------------------------------------------ the tokenizer

describe('tokenize', () => {
  test('names, variables, numbers, strings and punctuation, without commas or comments', () => {
    const { tokens, open } = tokenize('query Q($n: Int = -1.5e3) { a(b: "x, y", c: """z"""), ...F } # end\n');
    assert.equal(open, null);
    assert.deepEqual(tokens.map((t) => t.k + ':' + t.v), [
      'name:query', 'name:Q', 'punct:(', 'var:$n', 'punct::', 'name:Int', 'punct:=', 'num:-1.5e3', 'punct:)',
      'punct:{', 'name:a', 'punct:(', 'name:b', 'punct::', 'str:"x, y"', 'name:c', 'punct::', 'str:"""z"""',
      'punct:)', 'punct:...', 'name:F', 'punct:}',
    ]);
  });

  test('positions point into the text', () => {
    const text = '{ viewer }';
    for (const t of tokenize(text).tokens) assert.equal(text.slice(t.start, t.end), t.v);
  });

  test('escapes in strings', () => {
    const { tokens } = tokenize('"a \\" b" """c \\""" d"""');
    assert.deepEqual(tokens.map((t) => t.v), ['"a \\" b"', '"""c \\""" d"""']);
  });

  test('tells when the text ends inside a string or a comment', () => {
    assert.equal(tokenize('{ a(b: "open').open, 'string');
    assert.equal(tokenize('{ a(b: """open\nstill').open, 'string');
    assert.equal(tokenize('{ # open').open, 'comment');
    // A plain string cut by a newline ends there.
    assert.equal(tokenize('{ a(b: "cut\n) }').open, null);
  });

  test('analyze reports the partial name being typed', () => {
    assert.deepEqual(analyze(SCHEMA, '{ vie'), { kind: 'field', prefix: 'vie', type: 'Query' });
  });
});

// ------------------------------------------------------------ types and the query

describe('the schema model', () => {
  test('prints and unwraps type references', () => {
    const ref = nonNull(list(nonNull(list(nonNull(scalar('Int'))))));
    assert.equal(typeToString(ref), '[[Int!]!]!');
    assert.equal(namedType(ref), 'Int');
    assert.equal(typeToString(null), '?');
  });

  test('buildSchema indexes types and directives and names the roots', () => {
    assert.equal(SCHEMA.queryType, 'Query');
    assert.equal(SCHEMA.mutationType, 'Mutation');
    assert.equal(SCHEMA.subscriptionType, null);
    assert.equal(SCHEMA.types.get('Ticket').kind, 'OBJECT');
    assert.ok(SCHEMA.directives.has('include'));
  });

  test('the introspection query asks for what the docs and completion use', () => {
    const { tokens, open } = tokenize(INTROSPECTION_QUERY);
    assert.equal(open, null);
    const names = new Set(tokens.filter((t) => t.k === 'name').map((t) => t.v));
    for (const name of ['__schema', 'queryType', 'mutationType', 'types', 'directives', 'fields', 'args',
      'inputFields', 'interfaces', 'possibleTypes', 'enumValues', 'isDeprecated', 'deprecationReason', 'defaultValue']) {
      assert.ok(names.has(name), name);
    }
    // Type references unwrap at least [[T!]!]!: five wrappers below `type`.
    const ofTypes = tokens.filter((t) => t.v === 'ofType').length;
    assert.ok(ofTypes >= 5, 'ofType nests ' + ofTypes + ' levels');
    // Balanced braces and the operation name the page sends.
    const depth = tokens.reduce((d, t) => d + (t.v === '{') - (t.v === '}'), 0);
    assert.equal(depth, 0);
    assert.match(INTROSPECTION_QUERY, /^query IntrospectionQuery \{/);
  });
});

// ------------------------------------------------------------ request helpers

describe('operationNameAt', () => {
  const doc = 'query A { viewer { id } }\n\nmutation B { login(email: "a", password: "b") { token } }\n'
    + 'fragment F on User { id }\n';

  test('names the operation the cursor is in', () => {
    assert.equal(operationNameAt(doc, 3), 'A');
    assert.equal(operationNameAt(doc, doc.indexOf('login')), 'B');
  });

  test('in a fragment, or between definitions, picks the nearest operation before or the first', () => {
    assert.equal(operationNameAt(doc, doc.indexOf('fragment') + 5), 'A');
    assert.equal(operationNameAt(doc, doc.indexOf('\n\n') + 1), 'A');
  });

  test('null when one operation is enough for the server', () => {
    assert.equal(operationNameAt('{ viewer { id } }', 2), null);
    assert.equal(operationNameAt('query Only { viewer { id } } fragment F on User { id }', 5), null);
  });

  test('braces in strings and comments do not open definitions', () => {
    const text = 'query A { ticket(id: "{ query X {") { id } }\n# query Y {\nquery B { viewer { id } }';
    assert.equal(operationNameAt(text, text.indexOf('viewer')), 'B');
  });
});

describe('headers and the login token', () => {
  test('findLoginToken reads data.login.token only', () => {
    assert.equal(findLoginToken({ data: { login: { token: 'abc' } } }), 'abc');
    assert.equal(findLoginToken({ data: { login: { token: '' } } }), null);
    assert.equal(findLoginToken({ data: { login: null }, errors: [{}] }), null);
    assert.equal(findLoginToken(null), null);
  });

  test('withBearer replaces any Authorization header and keeps the others', () => {
    const text = withBearer('{"authorization": "Bearer old", "X-Trace": "1"}', 'new');
    assert.deepEqual(JSON.parse(text), { 'X-Trace': '1', Authorization: 'Bearer new' });
    assert.deepEqual(JSON.parse(withBearer('', 't')), { Authorization: 'Bearer t' });
  });

  test('withBearer refuses to overwrite headers it cannot read', () => {
    assert.throws(() => withBearer('{"Authorization": ', 't'), /Headers: invalid JSON/);
    assert.throws(() => withBearer('[1]', 't'), /Headers must be a JSON object/);
  });

  test('parseJsonObject and parseHeaders', () => {
    assert.equal(parseJsonObject('  ', 'Variables'), null);
    assert.deepEqual(parseJsonObject('{"id": "x"}', 'Variables'), { id: 'x' });
    assert.throws(() => parseJsonObject('"x"', 'Variables'), /Variables must be a JSON object/);
    assert.throws(() => parseHeaders('{"X-N": 1}'), /the value of "X-N" must be a string/);
    assert.deepEqual(parseHeaders('{"X-N": "1"}'), { 'X-N': '1' });
  });
});

describe('subscriptions', () => {
  test('operationKindAt names what running at the cursor sends', () => {
    const doc = 'query A { viewer { id } }\n\nsubscription S { ticketEvents { kind } }\nmutation M { logout }';
    assert.equal(operationKindAt(doc, 3), 'query');
    assert.equal(operationKindAt(doc, doc.indexOf('ticketEvents')), 'subscription');
    assert.equal(operationKindAt(doc, doc.indexOf('logout')), 'mutation');
    assert.equal(operationKindAt('{ viewer { id } }', 1), 'query');
    assert.equal(operationKindAt('subscription { ticketEvents { kind } }', 0), 'subscription');
    assert.equal(operationKindAt('# nothing yet', 0), 'query');
    // A string that mentions a keyword is no definition.
    assert.equal(operationKindAt('query { a(s: "subscription {") }', 20), 'query');
  });

  test('subscriptionUrl is the page origin\'s /graphql/ws', () => {
    assert.equal(subscriptionUrl({ href: 'http://127.0.0.1:8080/' }), 'ws://127.0.0.1:8080/graphql/ws');
    assert.equal(subscriptionUrl({ href: 'https://desk.example/?x=1#y' }), 'wss://desk.example/graphql/ws');
  });

  // A WebSocket stand-in: records what the client sends; the test plays
  // the server.
  class FakeSocket {
    constructor(url, protocol) {
      FakeSocket.last = this;
      this.url = url;
      this.protocol = protocol;
      this.sent = [];
      this.readyState = 0;
      this.closed = null;
    }
    send(text) { this.sent.push(JSON.parse(text)); }
    close(code, reason) { this.closed = { code, reason }; this.readyState = 3; }
    open() { this.readyState = 1; this.onopen(); }
    receive(message) { this.onmessage({ data: JSON.stringify(message) }); }
    drop(code, reason) { this.readyState = 3; this.onclose({ code, reason }); }
  }

  function start() {
    const seen = { next: [], errors: [], ends: [] };
    const handle = subscribe({
      url: 'ws://h/graphql/ws',
      WebSocketImpl: FakeSocket,
      payload: { Authorization: 'Bearer t' },
      request: { query: 'subscription { ticketEvents { kind } }' },
      onNext: (p) => seen.next.push(p),
      onError: (e) => seen.errors.push(e),
      onEnd: (how) => seen.ends.push(how),
    });
    return { handle, seen, socket: FakeSocket.last };
  }

  test('speaks graphql-transport-ws: init, ack, subscribe, next, complete', () => {
    const { seen, socket } = start();
    assert.equal(socket.protocol, 'graphql-transport-ws');
    assert.equal(socket.url, 'ws://h/graphql/ws');
    socket.open();
    assert.deepEqual(socket.sent, [{ type: 'connection_init', payload: { Authorization: 'Bearer t' } }]);
    socket.receive({ type: 'connection_ack' });
    assert.deepEqual(socket.sent[1], {
      id: '1', type: 'subscribe', payload: { query: 'subscription { ticketEvents { kind } }' },
    });
    socket.receive({ type: 'ping' });
    assert.deepEqual(socket.sent[2], { type: 'pong' });
    socket.receive({ id: '1', type: 'next', payload: { data: { ticketEvents: { kind: 'COMMENT_ADDED' } } } });
    socket.receive({ id: '2', type: 'next', payload: { data: 'not ours' } });
    assert.deepEqual(seen.next, [{ data: { ticketEvents: { kind: 'COMMENT_ADDED' } } }]);
    socket.receive({ id: '1', type: 'complete' });
    socket.drop(1000, 'done');
    assert.deepEqual(seen.ends, [{ complete: true, code: 1000, reason: '' }], 'ends once');
    assert.equal(socket.closed.code, 1000);
  });

  test('a refused connection ends with its close code', () => {
    const { seen, socket } = start();
    socket.open();
    socket.drop(4403, 'Forbidden');
    assert.deepEqual(seen.ends, [{ complete: false, code: 4403, reason: 'Forbidden' }]);
    assert.equal(socket.sent.length, 1, 'nothing subscribed without an ack');
  });

  test('an error message goes to onError; stop completes the operation', () => {
    const { handle, seen, socket } = start();
    socket.open();
    socket.receive({ type: 'connection_ack' });
    socket.receive({ id: '1', type: 'error', payload: [{ message: 'bad' }] });
    assert.deepEqual(seen.errors, [[{ message: 'bad' }]]);
    handle.stop();
    assert.deepEqual(socket.sent.at(-1), { id: '1', type: 'complete' });
    assert.equal(socket.closed.code, 1000);
    assert.equal(seen.ends.length, 1);
    handle.stop();
    socket.drop(1000, 'stopped');
    assert.equal(seen.ends.length, 1, 'ends once');
  });

  test('garbage from the server is ignored', () => {
    const { seen, socket } = start();
    socket.open();
    socket.onmessage({ data: 'not json' });
    assert.deepEqual(seen, { next: [], errors: [], ends: [] });
  });
});
