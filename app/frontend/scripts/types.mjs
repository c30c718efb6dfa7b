// Generate src/api/schema.gen.ts from the API's OpenAPI schema (scripts/openapi.py + openapi-typescript):
//
//   npm run types         write it
//   npm run types:check   fail if regenerating would change it (./dev.sh test runs this)
//
// Uses the project's Python: SSL_ATTENTION_PYTHON, else the repository's .venv, else python3.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';

const FRONTEND = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const REPO = resolve(FRONTEND, '..', '..');
const TARGET = join(FRONTEND, 'src', 'api', 'schema.gen.ts');
const NAME = relative(FRONTEND, TARGET);
const HEADER = `/**
 * The API's response bodies and routes, generated from its OpenAPI schema (app/backend/schemas.py):
 * do not edit; run \`npm run types\` after changing the API. Friendly names: src/api/types.ts.
 */

`;

function python() {
  if (process.env.SSL_ATTENTION_PYTHON) return process.env.SSL_ATTENTION_PYTHON;
  const venv = join(REPO, '.venv', 'bin', 'python');
  return existsSync(venv) ? venv : 'python3';
}

const dumped = spawnSync(python(), [join(FRONTEND, 'scripts', 'openapi.py')], {
  cwd: REPO,
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
});
if (dumped.status !== 0) {
  console.error(`scripts/openapi.py failed (${dumped.error?.message ?? dumped.status ?? dumped.signal}):\n${dumped.stderr}`);
  process.exit(1);
}
const schema = JSON.parse(dumped.stdout);
const generated = HEADER + astToString(await openapiTS(schema));

const current = existsSync(TARGET) ? readFileSync(TARGET, 'utf8') : null;
if (process.argv.includes('--check')) {
  if (current !== generated) {
    console.error(`${NAME} is stale: run \`npm run types\``);
    process.exit(1);
  }
  console.log(`${NAME} is up to date`);
} else if (current === generated) {
  console.log(`${NAME} is up to date`);
} else {
  writeFileSync(TARGET, generated);
  console.log(`wrote ${NAME}`);
}
