import { Entity } from '@backstage/catalog-model';

/** A catalog Component whose annotations tests may change in place. */
export type TestComponent = Entity & {
  metadata: { annotations: Record<string, string> };
};

/**
 * A service Component in the default namespace: annotated with `opentelemetry.io/service-name`
 * when `serviceName` is given, owned by `owner` (default team-a) and, when `system` is given,
 * part of it, with the `ownedBy` and `partOf` relations the catalog would add.
 */
export function serviceComponent(
  name: string,
  options: { serviceName?: string; owner?: string; system?: string } = {},
): TestComponent {
  const owner = options.owner ?? 'team-a';
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: options.serviceName
        ? { 'opentelemetry.io/service-name': options.serviceName }
        : {},
    },
    spec: {
      type: 'service',
      lifecycle: 'production',
      owner,
      ...(options.system ? { system: options.system } : {}),
    },
    relations: [
      { type: 'ownedBy', targetRef: `group:default/${owner}` },
      ...(options.system
        ? [{ type: 'partOf', targetRef: `system:default/${options.system}` }]
        : []),
    ],
  };
}
