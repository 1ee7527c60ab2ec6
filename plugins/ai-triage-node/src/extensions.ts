import { createExtensionPoint } from '@backstage/backend-plugin-api';
import type { Reasoner, TelemetryProvider } from './types';

/** @public */
export interface AiTriageTelemetryProvidersExtensionPoint {
  addTelemetryProvider(provider: TelemetryProvider): void;
}

/**
 * Lets backend modules add telemetry providers next to the embedded OTLP store.
 *
 * @public
 */
export const aiTriageTelemetryProvidersExtensionPoint =
  createExtensionPoint<AiTriageTelemetryProvidersExtensionPoint>({
    id: 'ai-triage.telemetry-providers',
  });

/** @public */
export interface AiTriageReasonerExtensionPoint {
  setReasoner(reasoner: Reasoner): void;
}

/**
 * Lets a backend module replace the reasoner (the heuristic reasoner stays the fallback).
 *
 * @public
 */
export const aiTriageReasonerExtensionPoint =
  createExtensionPoint<AiTriageReasonerExtensionPoint>({
    id: 'ai-triage.reasoner',
  });
