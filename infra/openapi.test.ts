import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { openApiDocument } from '../src/contract/openapi/index.ts';
import { testApp } from '../test/helpers/test-app.ts';

type Resources = Record<string, { Properties: Record<string, unknown> }>;

/** The path of an API Gateway resource, from its chain of `PathPart`s up to the API's root. */
function pathOf(resourceId: unknown, resources: Resources): string {
  // Methods and resources on the root point at it with Fn::GetAtt RootResourceId, never Ref.
  const logicalId = (resourceId as { Ref?: string }).Ref;
  if (logicalId === undefined) return '';
  const { ParentId, PathPart } = resources[logicalId]!.Properties;
  return `${pathOf(ParentId, resources)}/${PathPart}`;
}

let deployed: string[];
let deployedOnHttpApi: string[];

beforeAll(() => {
  const template = Template.fromStack(testApp().stack);
  deployedOnHttpApi = Object.values(
    Template.fromStack(testApp({ apiKind: 'http' }).stack).findResources('AWS::ApiGatewayV2::Route') as Resources,
  ).map(({ Properties }) => String(Properties.RouteKey));
  const resources = template.findResources('AWS::ApiGateway::Resource') as Resources;
  deployed = Object.values(template.findResources('AWS::ApiGateway::Method') as Resources).map(
    ({ Properties }) => `${Properties.HttpMethod} ${pathOf(Properties.ResourceId, resources)}`,
  );
});

/** `ANY /path` routes answer the methods a path does not take (405); the others are the API's operations. */
const isAny = (route: string) => route.startsWith('ANY ');

describe('the OpenAPI document (docs/openapi.json, GET /openapi.json)', () => {
  it('describes exactly the routes the stack deploys, methods included', () => {
    // Act
    const documented = Object.entries(openApiDocument().paths).flatMap(([path, operations]) =>
      Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`),
    );
    // Assess: a route missing from either side shows up by name.
    expect(documented.sort()).toEqual(deployed.filter((route) => !isAny(route)).sort());
    expect(deployed).toContain('POST /jobs/batch');
    // The HTTP API (api.kind 'http') serves the very same routes.
    expect(deployedOnHttpApi.filter((route) => !isAny(route)).sort()).toEqual(documented.sort());
  });

  it('answers the methods a documented path does not take on both API kinds, as its description says (405)', () => {
    // Act
    const paths = Object.keys(openApiDocument().paths).map((path) => `ANY ${path}`);
    // Assess
    expect(deployed.filter(isAny).sort()).toEqual([...paths].sort());
    expect(deployedOnHttpApi.filter(isAny).sort()).toEqual([...paths].sort());
    expect(openApiDocument().info.description).toContain('405');
  });
});
