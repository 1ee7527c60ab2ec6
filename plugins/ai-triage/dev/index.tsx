import { createDevApp } from '@backstage/frontend-dev-utils';
import aiTriagePlugin from '../src';

// `npm start` in this folder: the plugin alone in an app (new frontend system), against the
// backend at backend.baseUrl of the repository's app-config.yaml (`npm start` at the root, or
// `npm start` in plugins/ai-triage-backend).
createDevApp({ features: [aiTriagePlugin] });
