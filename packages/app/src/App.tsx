import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
import aiTriagePlugin from '@ai-triage/plugin-ai-triage';
import { navModule } from './modules/nav';

// Sign-in uses the app plugin's default page (`sign-in-page:app`), which offers the guest
// provider; the backend enables it under `auth.providers.guest`.
export default createApp({
  features: [
    catalogPlugin,
    orgPlugin,
    userSettingsPlugin,
    aiTriagePlugin,
    navModule,
  ],
});
