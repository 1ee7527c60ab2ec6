module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  testRules: {
    // Tests that need third-party data run through `fixtures.it` of @internal/fixtures.
    'jest/no-standalone-expect': [
      'error',
      { additionalTestBlockFunctions: ['fixtures.it', 'fixtures.it.each'] },
    ],
  },
});
