import { Alert, AlertSource } from '@ai-triage/plugin-ai-triage-common';
import { Knex } from 'knex';
import { IncidentStore } from '../database/IncidentStore';

/** Alerts already stored, looked up by the id their sender gave them. */
export interface KnownAlerts {
  /** The latest stored alert of the source with this fingerprint, if any. */
  find(source: AlertSource, fingerprint: string): Promise<Alert | undefined>;
}

/**
 * Finds the incident that holds the alert (indexed on source and fingerprint by the intake
 * migration) and reads the alert through the incident store.
 */
export class DatabaseKnownAlerts implements KnownAlerts {
  static create(options: {
    knex: Knex;
    incidents: IncidentStore;
  }): DatabaseKnownAlerts {
    return new DatabaseKnownAlerts(options.knex, options.incidents);
  }

  private constructor(
    private readonly knex: Knex,
    private readonly incidents: IncidentStore,
  ) {}

  async find(
    source: AlertSource,
    fingerprint: string,
  ): Promise<Alert | undefined> {
    const row: { incident_id: string } | undefined = await this.knex('alerts')
      .where({ source, fingerprint })
      .orderBy('received_at', 'desc')
      .first('incident_id');
    if (!row) {
      return undefined;
    }
    const stored = (await this.incidents.listAlerts(row.incident_id)).find(
      alert => alert.source === source && alert.fingerprint === fingerprint,
    );
    if (!stored) {
      return undefined;
    }
    const { id: _id, receivedAt: _receivedAt, ...alert } = stored;
    return alert;
  }
}
