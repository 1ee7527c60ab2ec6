module.exports = require('@backstage/cli/config/eslint-factory')(__dirname, {
  // protobuf-es output of `npm run proto:generate`, checked in CI against the vendored .proto files.
  ignorePatterns: ['src/telemetry/otlp/generated/'],
});
