module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // protobuf-es output of `npm run proto:generate`, checked in CI against the vendored .proto files.
  ignorePatterns: ['src/telemetry/otlp/generated/'],
  testRules: {
    // Tests that need third-party data run through `fixtures.it` of @internal/fixtures.
    'jest/no-standalone-expect': [
      'error',
      { additionalTestBlockFunctions: ['fixtures.it', 'fixtures.it.each'] },
    ],
  },
});
