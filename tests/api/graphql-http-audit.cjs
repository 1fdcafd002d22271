// The server audits of the `graphql-http` package (GraphQL over HTTP
// conformance) against the server at process.argv[2]. Prints one line per
// audit and a summary; exits non-zero on any failure or warning.
'use strict';
const { auditServer } = require('graphql-http');

async function main() {
  const url = process.argv[2];
  const results = await auditServer({ url });
  const count = { ok: 0, warn: 0, error: 0 };
  for (const result of results) {
    count[result.status] += 1;
    const reason = result.status === 'ok' ? '' : ` (${result.reason})`;
    console.log(`${result.status.padEnd(5)} ${result.id} ${result.name}${reason}`);
  }
  console.log(`graphql-http audits: ${count.ok} ok, ${count.warn} warn, ${count.error} error`);
  process.exit(count.warn + count.error === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
