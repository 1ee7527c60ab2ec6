import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import ReactDOM from 'react-dom/client';
import aiTriagePlugin from '../src';

// `npm start` in this folder: the plugin in an app of its own (new frontend system) with the
// catalog, against backend.baseUrl of the repository's app-config.yaml (`npm start` at the root,
// or `npm start` in plugins/ai-triage-backend).
const app = createApp({ features: [catalogPlugin, aiTriagePlugin] });
ReactDOM.createRoot(document.getElementById('root')!).render(app.createRoot());
