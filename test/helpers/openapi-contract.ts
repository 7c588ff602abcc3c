import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import formats from 'ajv-formats';
import { parseBody } from '../../src/client/tailguard-client.ts';
import { type OpenApiDocument, openApiDocument } from '../../src/contract/openapi/index.ts';

/** One answer of the API, as a test received it: the path is relative to the API's base (`/jobs/…`). */
export interface Exchange {
  method: string;
  path: string;
  status: number;
  /** The parsed JSON body; undefined when there was none, the text when it was not JSON. */
  body: unknown;
}

/** A JSON pointer segment, escaped (RFC 6901) and fit for a URI fragment. */
const pointerSegment = (segment: string) => encodeURIComponent(segment.replaceAll('~', '~0').replaceAll('/', '~1'));

/**
 * The HTTP API's answers checked against its OpenAPI document by Ajv, a JSON Schema validator of
 * its own: the document is generated from zod schemas, so zod reading it back would share any
 * mistake of the conversion. An answer passes when its route declares its method and status and
 * its body validates against that response's schema; a method the route does not declare must
 * be answered 405 with the `Error` shape, as the document's description promises.
 */
export class OpenApiContract {
  private readonly ajv = new Ajv2020({ allErrors: true });
  /** Path templates with the matcher of each, literal paths first (`/jobs/batch` before `/jobs/{id}`), as API Gateway picks. */
  private readonly routes: { template: string; pattern: RegExp }[];

  constructor(private readonly document: OpenApiDocument = openApiDocument()) {
    formats.default(this.ajv);
    // The document's own fields are not schema keywords: declared so that Ajv's strict mode passes them.
    this.ajv.addVocabulary(['openapi', 'info', 'servers', 'paths', 'components']);
    // OpenAPI's schema object keeps `example` (the tenant id's); JSON Schema has only `examples`.
    this.ajv.addKeyword('example');
    this.ajv.addSchema(document, 'openapi.json');
    this.routes = Object.keys(document.paths)
      .map((template) => ({
        template,
        pattern: new RegExp(`^${template.replace(/\{[^/]+\}/g, '[^/]+')}$`),
        params: template.split('{').length,
      }))
      .sort((a, b) => a.params - b.params)
      .map(({ template, pattern }) => ({ template, pattern }));
  }

  /** What is wrong with the answer, or undefined when the document describes it. */
  violation({ method, path, status, body }: Exchange): string | undefined {
    const what = `${method} ${path} → ${status}`;
    const route = this.routes.find(({ pattern }) => pattern.test(path));
    if (!route) return `${what}: no path of the document matches`;
    const verb = method.toLowerCase();
    const declared = verb in (this.document.paths[route.template] ?? {});
    if (!declared && status !== 405) return `${what}: ${route.template} declares no ${method}, so 405 is due`;
    const pointer = declared
      ? ['paths', route.template, verb, 'responses', String(status), 'content', 'application/json', 'schema']
      : ['components', 'schemas', 'Error'];
    const validate = this.ajv.getSchema(`openapi.json#/${pointer.map(pointerSegment).join('/')}`);
    if (!validate) return `${what}: the document does not describe this status`;
    if (body === undefined) return `${what}: no body, where the document describes a JSON one`;
    if (validate(body)) return undefined;
    return `${what}: ${describeErrors(validate.errors ?? [])} in ${JSON.stringify(body)?.slice(0, 2000)}`;
  }

  /**
   * `fetch` that checks every answer to a request under `baseUrl` and throws on one the document
   * does not describe, so whichever test met it fails, naming the route, the status and the field.
   */
  checkedFetch(baseUrl: string, inner: typeof fetch = globalThis.fetch): typeof fetch {
    const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
    return async (input, init) => {
      const response = await inner(input, init);
      const url = new URL(input instanceof Request ? input.url : input);
      if (!url.href.startsWith(base.href)) return response;
      const violation = this.violation({
        method: init?.method ?? (input instanceof Request ? input.method : 'GET'),
        path: `/${url.pathname.slice(base.pathname.length)}`,
        status: response.status,
        body: parseBody(await response.clone().text()),
      });
      if (violation) throw new ContractViolation(violation);
      return response;
    };
  }
}

/** An answer the OpenAPI document does not describe. */
export class ContractViolation extends Error {
  override name = 'ContractViolation';
}

function describeErrors(errors: ErrorObject[]): string {
  return errors.map((e) => `${e.instancePath || '(body)'} ${e.message}${paramsOf(e)}`).join('; ');
}

/** The detail Ajv keeps out of its message: which field was extra or missing. */
function paramsOf({ params }: ErrorObject): string {
  const field = (params as { additionalProperty?: string }).additionalProperty;
  return field === undefined ? '' : ` (${field})`;
}
