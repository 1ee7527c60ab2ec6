export interface Config {
  /** AI triage: alert intake, enrichment, reasoning and review. */
  aiTriage?: {
    workers?: {
      /**
       * Whether this replica claims jobs from the queue. Switch off on web-only replicas so web
       * and worker pods scale apart. Default true.
       */
      enabled?: boolean;
      /**
       * The pipeline stages this process runs, so each can be its own workload: `intake` (the
       * webhook, OTLP and review routes), `enrich` and `reason` (queue workers, each with its
       * own loops), `deliver` (outbound webhooks and ticket comments). Default all four.
       * `enabled: false` leaves `intake` only.
       */
      stages?: Array<'intake' | 'enrich' | 'reason' | 'deliver'>;
      /** Jobs of each queue stage one replica runs at once. Default 2. */
      concurrency?: number;
      /** Enrich jobs one replica runs at once. Default `concurrency`. */
      enrich?: { concurrency?: number };
      /** Reason jobs one replica runs at once. Default `concurrency`. */
      reason?: { concurrency?: number };
      /** Deliver jobs one replica runs at once. Default `concurrency`. */
      deliver?: { concurrency?: number };
      /** How long a claimed job stays leased before another worker may take it. Default 5 minutes. */
      leaseSeconds?: number;
      /** Attempts before a job is dead. Default 5. */
      maxAttempts?: number;
    };
    /**
     * Service level objectives (docs/operations.md). Their defaults are those of the recording
     * and alert rules in k8s/base/prometheus-rules.yaml; the thresholds are added to the
     * buckets of `ai_triage.triage.duration` so the rules count good events exactly.
     */
    slo?: {
      /** Share of incidents triaged (hypotheses or explicit abstention) within the threshold. Default 0.99. */
      triageObjective?: number;
      /** Alert → hypotheses threshold when the heuristic reasoner answers, seconds. Default 30. */
      heuristicTriageSeconds?: number;
      /** Alert → hypotheses threshold when an LLM answers, seconds. Default 120. */
      llmTriageSeconds?: number;
      /** Share of webhook deliveries answered without a server error. Default 0.999. */
      intakeAvailability?: number;
    };
    correlation?: {
      /**
       * A firing alert whose incident was resolved less than this long ago reopens it; later it
       * opens a new incident. Default 60 minutes.
       */
      reopenWindowMinutes?: number;
    };
    /**
     * One triage per fault: incidents localized to the same origin in overlapping windows form a
     * fault group whose lead alone is enriched and reasoned over (docs/architecture.md, "Fault
     * groups").
     */
    grouping?: {
      /** Whether incidents are grouped by fault. Default true. */
      enabled?: boolean;
      /** How far apart (by when they were seen) incidents may be and still share a group. Default 15 minutes. */
      windowMinutes?: number;
      /**
       * How long the `enrich` job of a newly opened incident waits before it may run, so the
       * other alerts of a storm arrive first and are grouped with it (like Alertmanager's
       * `group_wait`); it adds this much to the time to the first hypotheses. Default 0.
       */
      waitSeconds?: number;
    };
    /**
     * Automatic re-triage (docs/reasoning.md, "Re-triage when the evidence arrives"): an
     * incident whose context lacked telemetry in its window (a service's spans, the alerted
     * service's metrics or logs) is enriched and reasoned over again when that telemetry reaches
     * the embedded OTLP receiver; so is a fault group's lead when its group changes. Reviewed and
     * resolved incidents are never re-triaged automatically (the re-triage action still works).
     */
    retriage?: {
      /** Default true. */
      enabled?: boolean;
      /**
       * How long the re-triage job waits after the first arrival, so evidence arriving together
       * counts once. Default 10 (two export rounds of the SDKs' batch span processor).
       */
      debounceSeconds?: number;
      /** Automatic re-triages per incident, each one reasoner call. Default 3. */
      maxPerIncident?: number;
      /**
       * A triage whose window after the onset is shorter than this waits for the alerted
       * service's telemetry from this long after the onset, and triages again when it arrives
       * (the fault's first seconds show its start only). 0 switches it off. Default 60 (one
       * export interval of the SDKs' metric reader).
       */
      settleSeconds?: number;
    };
    /** Alert intake: hard limits per delivery (a delivery over one gets a 4xx naming it, and nothing is stored) and the catalog cache. */
    intake?: {
      /** Largest webhook body, in bytes; larger gets 413. Default 1048576 (1 MiB). */
      maxBodyBytes?: number;
      /** Alerts (or PagerDuty events) in one delivery. Default 1000. */
      maxAlertsPerDelivery?: number;
      /** Labels, and separately annotations, of one alert (with Alertmanager's common ones). Default 100. */
      maxLabelsPerAlert?: number;
      /** Characters in a label or annotation name. Default 256. */
      maxLabelNameLength?: number;
      /** Characters in a label value. Default 2048. */
      maxLabelValueLength?: number;
      /** Characters in an annotation value. Default 16384. */
      maxAnnotationValueLength?: number;
      /**
       * How far after the time of receipt an alert's timestamp may lie (the sender's clock
       * ahead); a later one is clamped to this bound and counted in the intake log
       * (`clampedTimestamps`). Default 300 seconds.
       */
      maxClockSkewSeconds?: number;
      /** How far before the time of receipt an alert's timestamp may lie; an earlier one is clamped. Default 3650 days. */
      maxTimestampAgeDays?: number;
      /** How long a service's catalog entity is cached before it is looked up again. Default 60 seconds. */
      catalogCacheSeconds?: number;
      /** How long "no entity for this service" is cached; a service annotated later links after this. Default 10 seconds. */
      catalogMissCacheSeconds?: number;
    };
    enrichment?: {
      /** How far before the first alert enrichment looks. Default 15 minutes. */
      lookbackMinutes?: number;
      /** Per-provider timeout. Default 10 seconds. */
      providerTimeoutSeconds?: number;
      /** Records per signal read from a provider. Default 5000. */
      maxRecordsPerSignal?: number;
      /** Hard size budget of a context document, in bytes (at least 8192). Default 32768. */
      maxContextBytes?: number;
      /**
       * Hard budget of a context document in estimated tokens (UTF-8 bytes / 3; at least 2731).
       * Default 12000.
       */
      maxContextTokens?: number;
      /** What is masked in a context document besides secrets (keys, tokens, passwords). */
      redaction?: {
        /** Mask e-mail addresses. Default true. */
        emails?: boolean;
        /** Mask IPv4 and IPv6 addresses. Default false. */
        ipAddresses?: boolean;
        /** More values to mask: JavaScript regular expressions, counted as `custom:<name>`. */
        patterns?: Array<{ name: string; pattern: string }>;
      };
      /** Cross-service localization (docs/reasoning.md, "Localization"). */
      localization?: {
        /**
         * How many hops downstream of the alerted service the walk along changed call edges
         * may go. Default 4; 0 keeps to the alerted service.
         */
        maxDepth?: number;
      };
    };
    /** The ownership permission policy of the production backend (aiTriageOwnershipPolicyModule). */
    permissions?: {
      /** User or group refs that may read, review and re-triage every incident. Default none. */
      admins?: string[];
    };
    /**
     * How long rows are kept in the tables that grow with use (telemetry has
     * `telemetry.retentionHours`). A scheduled task deletes what is past its time every hour,
     * in batches of `batchSize` rows, each its own short statement.
     */
    retention?: {
      /** Jobs done or dead, after their last change. Default 7 days. */
      jobsDays?: number;
      /** Deliveries (used to answer re-deliveries as duplicates), after receipt. Default 30 days. */
      deliveriesDays?: number;
      /** LLM call audit records. Default 90 days. */
      llmCallsDays?: number;
      /** Context documents of resolved incidents, after the incident resolved. Default 30 days. */
      contextDocumentsDays?: number;
      /** Resolved incidents nobody reviewed, with all their rows. Default 180 days. */
      incidentsDays?: number;
      /** Resolved incidents with a review, with all their rows. Default 730 days. */
      reviewedIncidentsDays?: number;
      /** Rows per delete statement. Default 500. */
      batchSize?: number;
    };
    /**
     * Limits of the embedded OTLP receiver, per record (span, log record, metric, resource). A
     * record over one is left out and counted in the export's partial success, with the
     * exporter's other records stored.
     */
    otlp?: {
      /** Deepest JSON nesting of one record (one AnyValue level is up to four). Default 32. */
      maxDepth?: number;
      /** Attributes of one record, resource or data point. Default 256. */
      maxAttributes?: number;
      /** Entries of any other list in one record (array values, key-value lists, data points). Default 10000. */
      maxEntries?: number;
      /** Longest string in a record (attribute value, body, name), in characters. Default 65536. */
      maxStringLength?: number;
      /** How far after the time of receipt a record's time may lie. Default 300 seconds. */
      maxClockSkewSeconds?: number;
      /** How far before the time of receipt a record's time may lie. Default 3650 days. */
      maxTimestampAgeDays?: number;
    };
    telemetry?: {
      /** How long the embedded OTLP store keeps telemetry. Default 24 hours. */
      retentionHours?: number;
      /**
       * Telemetry back-ends read during enrichment besides the embedded store (docs/telemetry.md).
       * An entity annotated `ai-triage.io/telemetry-providers: name1,name2` gets exactly those
       * (`embedded` is the embedded store); other entities get every provider with `default`.
       */
      providers?: Array<{
        /** prometheus (PromQL), loki (LogQL), tempo (TraceQL) or jaeger (query API). */
        type: 'prometheus' | 'loki' | 'tempo' | 'jaeger';
        /** Unique name, used by the annotation and in the context's `missing`. Default: the type. */
        name?: string;
        /** Base URL of the HTTP API, e.g. http://prometheus:9090 or http://loki:3100. */
        baseUrl: string;
        /**
         * Headers sent with every request (Authorization, X-Scope-OrgID, ...).
         * @visibility secret
         */
        headers?: { [name: string]: string };
        /** Per-provider timeout; default aiTriage.enrichment.providerTimeoutSeconds. */
        timeoutSeconds?: number;
        /** Whether it serves entities that name no providers. Default true. */
        default?: boolean;
        /** prometheus, loki: the label holding service.name in the default selector. Default service_name. */
        serviceLabel?: string;
        /** prometheus: the rate() window. Default 60. */
        rateWindowSeconds?: number;
        /**
         * prometheus: PromQL by reported metric name, replacing or adding to the defaults
         * ($selector and $window are filled in; an empty string drops a default query).
         */
        queries?: { [metricName: string]: string };
        /** tempo, jaeger: traces read per window. Default 20. */
        maxTraces?: number;
      }>;
    };
    reasoning?: {
      /**
       * Calibration learned from reviews (docs/reasoning.md, "Calibration"): a scheduled task
       * counts, per reasoner and rule family, the accepted share of reviewed hypotheses per
       * probability bin; reasoners' probabilities are mapped through it once a family has
       * `minReviews` reviews.
       */
      calibration?: {
        /** Set false to keep the built-in probabilities. Default true. */
        enabled?: boolean;
        /** Reviews a reasoner's rule family needs before its probabilities are mapped. Default 50. */
        minReviews?: number;
        /** Reviews of runs from the last this many days count. Default 90. */
        windowDays?: number;
        /** How often the task recomputes, in minutes. Default 60. */
        frequencyMinutes?: number;
      };
      /**
       * An OpenAI-compatible chat-completions endpoint (OpenAI, Azure OpenAI, Ollama, vLLM, ...)
       * that reasons over the context documents. Without it the deterministic heuristic
       * reasoner answers alone; with it the heuristic answers only when the LLM fails (the run
       * is then marked degraded). See docs/reasoning.md.
       */
      llm?: {
        /** Set false to keep the block but use the heuristic reasoner. Default true. */
        enabled?: boolean;
        /**
         * Base URL of the API, e.g. https://api.openai.com/v1, http://ollama:11434/v1,
         * http://vllm:8000/v1; for Azure OpenAI the resource endpoint
         * (https://<resource>.openai.azure.com).
         */
        baseUrl: string;
        /** Model name (for Azure OpenAI the deployment name unless azure.deployment is set). */
        model: string;
        /**
         * API key, sent as a bearer token (as `api-key` to Azure OpenAI). Ollama and vLLM
         * need none unless configured to.
         * @visibility secret
         */
        apiKey?: string;
        /** Timeout of one request. Default 60 seconds. */
        timeoutSeconds?: number;
        /** Retries of 429 (after its Retry-After), 408, 409, 5xx and connection errors. Default 2. */
        maxRetries?: number;
        /** Upper bound on one call with all its retries. Default 180 seconds. */
        budgetSeconds?: number;
        /** Token budget of the answer. Default 2048. */
        maxTokens?: number;
        /** How the token budget is sent: `max_tokens` (default) or `max_completion_tokens` (OpenAI reasoning models). */
        maxTokensParameter?: 'max_tokens' | 'max_completion_tokens';
        /** Sampling temperature. Default 0. */
        temperature?: number;
        /** Sampling seed, for reproducible answers where the endpoint supports it. Default 20261124. */
        seed?: number;
        /**
         * `json_schema` (structured output from the hypothesis schema, default) or
         * `json_object` for endpoints without JSON-schema support (the shape goes in the prompt).
         */
        responseFormat?: 'json_schema' | 'json_object';
        circuitBreaker?: {
          /** Consecutive failed calls that open the circuit. Default 5. */
          failureThreshold?: number;
          /** How long the circuit stays open before a trial call. Default 60 seconds. */
          halfOpenAfterSeconds?: number;
        };
        /** Azure OpenAI: set to use its URL scheme and `api-key` header. */
        azure?: {
          /** e.g. 2024-10-21. */
          apiVersion: string;
          /** The deployment; defaults to `model`. */
          deployment?: string;
        };
      };
    };
    /** Read by `npm run replay` (docs/reasoning.md, "Replay"), not by the backend. */
    evaluation?: {
      /** Token prices for the cost per case; `--price-in` / `--price-out` override them. Default none. */
      price?: {
        /** US dollars per million input tokens. */
        inputPerMillion?: number;
        /** US dollars per million output tokens. */
        outputPerMillion?: number;
      };
    };
    /** Where workflow events go outside the portal (README "Workflow and integrations"). */
    outbound?: {
      /**
       * Attempts per delivery before it is dead-lettered (visible in GET /jobs). Default 8. Retried:
       * 5xx, 408, 429, timeouts; any other 4xx is permanent and dead-lettered at once.
       */
      maxAttempts?: number;
      /** How long a receiver may take to answer one attempt. Default 10 seconds. */
      timeoutSeconds?: number;
      /** Webhooks that receive workflow events. */
      webhooks?: Array<{
        /** Names the target in jobs and audit records; must be unique. Default webhook-<n>. */
        name?: string;
        /** http(s) URL the event is POSTed to. */
        url: string;
        /** `json` (default): the signed event body; `slack`: a Slack incoming-webhook message. */
        format?: 'json' | 'slack';
        /**
         * HMAC-SHA256 key: the x-ai-triage-signature header is
         * `t=<unix seconds>,v1=<hex HMAC of "<t>.<raw body>">`. Unsigned when absent.
         * @visibility secret
         */
        secret?: string;
        /** Event types to send (e.g. hypothesis.accepted, incident.acknowledged). Default all. */
        events?: string[];
        /** Send only events of incidents that match every given filter. */
        filter?: {
          entityRefs?: string[];
          /** Owners of the incident's entity (group or user refs). */
          owners?: string[];
          severities?: Array<'critical' | 'high' | 'warning' | 'info'>;
        };
      }>;
      /** Credentials for commenting on an incident's ticket when a hypothesis is accepted. */
      tickets?: {
        pagerduty?: {
          /** Default https://api.pagerduty.com. */
          baseUrl?: string;
          /**
           * REST API key.
           * @visibility secret
           */
          token: string;
          /** Email of the PagerDuty user the notes are posted as (the From header). */
          fromEmail: string;
        };
        jira?: {
          /** e.g. https://acme.atlassian.net */
          baseUrl: string;
          /** With email: Basic auth (Jira Cloud API token); without: Bearer (Data Center PAT). */
          email?: string;
          /**
           * @visibility secret
           */
          token: string;
        };
        github?: {
          /** Default https://api.github.com (GitHub Enterprise: https://host/api/v3). */
          baseUrl?: string;
          /**
           * Token with issues:write.
           * @visibility secret
           */
          token: string;
        };
      };
    };
  };
}
