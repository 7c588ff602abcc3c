/**
 * `npm run openapi`: writes docs/openapi.json, the OpenAPI document `GET /openapi.json` serves
 * (src/contract/openapi). src/contract/openapi/openapi.test.ts fails while the committed file is stale.
 */
import { writeFileSync } from 'node:fs';
import { OPENAPI_FILE, openApiJson } from '../src/contract/openapi/index.ts';
import { packageRoot } from '../src/package-root.ts';

writeFileSync(`${packageRoot(import.meta.url)}${OPENAPI_FILE}`, openApiJson());
console.error(`wrote ${OPENAPI_FILE}`);
