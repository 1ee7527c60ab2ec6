import { createFrontendModule } from '@backstage/frontend-plugin-api';
import { SignInPageBlueprint } from '@backstage/plugin-app-react';

/**
 * Local development (`npm start`) signs in as guest without a click: this replaces the app's
 * sign-in page with a proxied sign-in through the backend's guest provider
 * (`auth.providers.guest`). Built apps keep the default page, where a person picks a provider.
 */
export const guestSignInModule = createFrontendModule({
  pluginId: 'app',
  extensions: [
    SignInPageBlueprint.make({
      params: {
        loader: async () => {
          const { ProxiedSignInPage } = await import(
            '@backstage/core-components'
          );
          return props => <ProxiedSignInPage {...props} provider="guest" />;
        },
      },
    }),
  ],
});
