/**
 * Vendors' credential formats, a subset of the gitleaks rules
 * (https://github.com/gitleaks/gitleaks, config/gitleaks.toml, MIT License, Copyright (c) 2019
 * Zachary Rice), translated from RE2 to JavaScript: the rule ids are gitleaks' own, the
 * patterns are its regexes without the keyword context and the entropy thresholds, which the
 * Redactor replaces with its own `secret-value` and `high-entropy` rules. No npm package ships
 * the gitleaks rules as data (secretlint's preset covers a dozen vendors); when the set here
 * misses a format, add it from gitleaks.toml with its id.
 *
 * Each entry is matched as a whole word; all are counted under the kind `api-token`, with the
 * rule id in `gitleaksRuleIds` for documentation and tests.
 */
export const GITLEAKS_PATTERNS: Array<{ id: string; pattern: string }> = [
  { id: 'github-pat', pattern: 'ghp_[0-9a-zA-Z]{36}' },
  { id: 'github-oauth', pattern: 'gho_[0-9a-zA-Z]{36}' },
  { id: 'github-app-token', pattern: '(?:ghu|ghs)_[0-9a-zA-Z]{36}' },
  { id: 'github-refresh-token', pattern: 'ghr_[0-9a-zA-Z]{36}' },
  { id: 'github-fine-grained-pat', pattern: 'github_pat_\\w{82}' },
  { id: 'gitlab-pat', pattern: 'glpat-[\\w-]{20}' },
  { id: 'gitlab-ptt', pattern: 'glptt-[0-9a-f]{40}' },
  { id: 'gitlab-rrt', pattern: 'GR1348941[\\w-]{20}' },
  {
    id: 'slack-bot-token',
    pattern: 'xoxb-[0-9]{10,13}-[0-9]{10,13}[a-zA-Z0-9-]*',
  },
  {
    id: 'slack-user-token',
    pattern: 'xox[pe](?:-[0-9]{10,13}){3}-[a-zA-Z0-9-]{28,34}',
  },
  { id: 'slack-app-token', pattern: 'xapp-\\d-[A-Z0-9]+-\\d+-[a-z0-9]+' },
  { id: 'slack-legacy-token', pattern: 'xox[os]-\\d+-\\d+-\\d+-[a-fA-F\\d]+' },
  {
    id: 'slack-webhook-url',
    pattern:
      '(?:https?://)?hooks\\.slack\\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/]{43,56}',
  },
  {
    id: 'stripe-access-token',
    pattern: '(?:sk|rk)_(?:test|live|prod)_[a-zA-Z0-9]{10,99}',
  },
  { id: 'npm-access-token', pattern: 'npm_[a-zA-Z0-9]{36}' },
  { id: 'pypi-upload-token', pattern: 'pypi-AgEIcHlwaS5vcmc[\\w-]{50,1000}' },
  { id: 'gcp-api-key', pattern: 'AIza[\\w-]{35}' },
  { id: 'sendgrid-api-token', pattern: 'SG\\.[a-zA-Z0-9=_\\-.]{66}' },
  { id: 'twilio-api-key', pattern: 'SK[0-9a-fA-F]{32}' },
  { id: 'huggingface-access-token', pattern: 'hf_[a-zA-Z]{34}' },
  {
    id: 'openai-api-key',
    pattern: 'sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,}',
  },
  {
    id: 'anthropic-api-key',
    pattern: 'sk-ant-(?:api|admin)0\\d-[a-zA-Z0-9_\\-]{80,100}',
  },
  { id: 'digitalocean-pat', pattern: 'do[por]_v1_[a-f0-9]{64}' },
  { id: 'shopify-access-token', pattern: 'shp(?:at|ca|pa|ss)_[a-fA-F0-9]{32}' },
  { id: 'mailgun-private-api-token', pattern: 'key-[a-f0-9]{32}' },
  { id: 'databricks-api-token', pattern: 'dapi[a-f0-9]{32}(?:-\\d)?' },
  { id: 'doppler-api-token', pattern: 'dp\\.pt\\.[a-zA-Z0-9]{43}' },
  {
    id: 'dynatrace-api-token',
    pattern: 'dt0c01\\.[a-zA-Z0-9]{24}\\.[a-zA-Z0-9]{64}',
  },
  { id: 'grafana-cloud-api-token', pattern: 'glc_[A-Za-z0-9+/]{32,400}={0,3}' },
  {
    id: 'grafana-service-account-token',
    pattern: 'glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}',
  },
  {
    id: 'hashicorp-tf-api-token',
    pattern: '[a-zA-Z0-9]{14}\\.atlasv1\\.[a-zA-Z0-9\\-_=]{60,70}',
  },
  { id: 'vault-service-token', pattern: 'hvs\\.[\\w-]{90,120}' },
  { id: 'new-relic-user-api-key', pattern: 'NRAK-[a-zA-Z0-9]{27}' },
  { id: 'pulumi-api-token', pattern: 'pul-[a-f0-9]{40}' },
  { id: 'postman-api-token', pattern: 'PMAK-[a-fA-F0-9]{24}-[a-fA-F0-9]{34}' },
  { id: 'atlassian-api-token', pattern: 'ATATT3[A-Za-z0-9_\\-=]{186}' },
  { id: 'linear-api-key', pattern: 'lin_api_[a-zA-Z0-9]{40}' },
  { id: 'planetscale-api-token', pattern: 'pscale_tkn_[\\w=.-]{32,64}' },
  {
    id: 'age-secret-key',
    pattern: 'AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58}',
  },
  { id: 'flyio-access-token', pattern: 'fo1_[\\w-]{43}' },
  { id: 'square-access-token', pattern: '(?:EAAA|sq0atp-)[\\w-]{22,60}' },
  { id: 'sentry-user-token', pattern: 'sntryu_[a-f0-9]{64}' },
  { id: 'heroku-api-key-v2', pattern: 'HRKU-AA[0-9a-zA-Z_-]{58}' },
  {
    id: 'azure-ad-client-secret',
    pattern: '[a-zA-Z0-9_~.]{3}\\dQ~[a-zA-Z0-9_~.-]{31,34}',
  },
];
