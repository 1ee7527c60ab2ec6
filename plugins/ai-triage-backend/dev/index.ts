import { AI_TRIAGE_SERVICE_NAME_ANNOTATION } from '@ai-triage/plugin-ai-triage-common';
import { createBackend } from '@backstage/backend-defaults';
import { mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';

// `npm start` in this folder: the plugin alone in a backend, with the repository's
// app-config.yaml (SQLite in .data/, the webhook token), every request taken as a signed-in user,
// and a catalog of the example shop's checkout and payments components.
const backend = createBackend();
backend.add(mockServices.auth.factory());
backend.add(mockServices.httpAuth.factory());
backend.add(
  catalogServiceMock.factory({
    entities: ['checkout', 'payments'].map(name => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name,
        namespace: 'default',
        annotations: { [AI_TRIAGE_SERVICE_NAME_ANNOTATION]: name },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'team-shop' },
    })),
  }),
);
backend.add(import('../src'));
backend.start();
