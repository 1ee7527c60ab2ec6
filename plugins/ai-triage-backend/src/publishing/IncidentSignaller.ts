import { LoggerService } from '@backstage/backend-plugin-api';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  AI_TRIAGE_SIGNAL_CHANNEL,
  IncidentChangedSignal,
} from '@ai-triage/plugin-ai-triage-common';

/**
 * Announces incident changes on the `ai-triage:incidents` signals channel, so open portal pages
 * reload them at once (they poll otherwise). Delivered where the signals plugin is installed; a
 * failure to publish is logged and never fails the change itself.
 */
export class IncidentSignaller {
  static create(options: {
    signals: SignalsService;
    logger: LoggerService;
  }): IncidentSignaller {
    return new IncidentSignaller(options.signals, options.logger);
  }

  private constructor(
    private readonly signals: SignalsService,
    private readonly logger: LoggerService,
  ) {}

  async incidentChanged(
    incidentId: string,
    change: IncidentChangedSignal['change'],
  ): Promise<void> {
    const message: IncidentChangedSignal = { incidentId, change };
    try {
      await this.signals.publish({
        recipients: { type: 'broadcast' },
        channel: AI_TRIAGE_SIGNAL_CHANNEL,
        message,
      });
    } catch (error) {
      this.logger.warn(`Could not signal the incident change`, {
        incidentId,
        change,
        error: String(error),
      });
    }
  }
}
