import { aiTriagePlugin } from './plugin';

describe('aiTriagePlugin', () => {
  it('provides the client, the tab, the card and the feed page under stable extension ids', () => {
    for (const id of [
      'api:ai-triage',
      'entity-content:ai-triage/incidents',
      'entity-card:ai-triage/incidents',
      'page:ai-triage',
    ] as const) {
      expect(aiTriagePlugin.getExtension(id)).toBeDefined();
    }
  });
});
