export { type DocumentOptions, OPENAPI_FILE, type OpenApiDocument, openApiDocument, openApiJson } from './document.ts';
