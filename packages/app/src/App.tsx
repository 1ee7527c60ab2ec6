import { createApp } from '@backstage/frontend-defaults';
import catalogPlugin from '@backstage/plugin-catalog/alpha';
import orgPlugin from '@backstage/plugin-org/alpha';
import userSettingsPlugin from '@backstage/plugin-user-settings/alpha';
// Owner notifications of triage results, and live updates of open incident pages (signals).
import notificationsPlugin from '@backstage/plugin-notifications/alpha';
import signalsPlugin from '@backstage/plugin-signals/alpha';
import aiTriagePlugin from '@ai-triage/plugin-ai-triage';
import { guestSignInModule } from './modules/guestSignIn';
import { navModule } from './modules/nav';

// Sign-in uses the app plugin's default page (`sign-in-page:app`), which offers the guest
// provider; the backend enables it under `auth.providers.guest`. Under `npm start`
// (NODE_ENV=development) the guest is signed in without a click.
export default createApp({
  features: [
    catalogPlugin,
    orgPlugin,
    userSettingsPlugin,
    notificationsPlugin,
    signalsPlugin,
    aiTriagePlugin,
    navModule,
    ...(process.env.NODE_ENV === 'development' ? [guestSignInModule] : []),
  ],
});
