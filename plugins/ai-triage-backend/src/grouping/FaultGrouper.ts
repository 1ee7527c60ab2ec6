import { randomUUID } from 'node:crypto';
import { LoggerService } from '@backstage/backend-plugin-api';
import {
  ContextDocument,
  Localization,
} from '@ai-triage/plugin-ai-triage-common';
import {
  CallEdge,
  FaultGroupStore,
  FaultGroupTransaction,
  GroupingIncident,
  StoredFaultGroup,
} from '../database/FaultGroupStore';
import { callersOf, traceEdgeComponent } from './traceEdgeComponent';

/** Triages an incident again (a new `enrich` job) unless one of its jobs is still active. */
type RetriageRequester = {
  requestRetriage(
    incidentId: string,
    options?: { alsoWhenActive?: boolean },
  ): Promise<unknown>;
};

/** Queues a delayed, bounded automatic re-triage (see RetriageStore). */
export type AutoRetriageRequester = {
  requestAutoRetriage(incidentId: string, trigger: 'group'): Promise<unknown>;
};

/**
 * One fault, one triage: puts incidents whose fault lies at the same origin in overlapping
 * windows into one fault group, whose lead alone is enriched and reasoned over; the other
 * members show the lead's context and hypotheses. Every decision runs in
 * `FaultGroupStore.decide`, serialized across workers and replicas. The rules
 * (docs/architecture.md, "Fault groups"):
 *
 * - Before enrichment, an incident joins an open group (one member at least open) seen within
 *   the window whose fault graph (its localization's path, suspects and edges, and its members'
 *   services) contains the incident's service, and whose fault can have raised it (for a group
 *   placed by localization: the origin or a service calling it): it is not enriched. If its
 *   service is the group's origin and the lead's is not, it becomes the lead and is enriched;
 *   the group shows its triage from then on.
 * - Else, calls between the services of the window's incidents still waiting for their first
 *   triage (client spans of the embedded store) connect them; this places storms whose
 *   incidents arrive together before any of them is enriched: the connected ones form a group
 *   whose origin is the sink most of them call into ({@link traceEdgeComponent}), led by that
 *   service's incident, else the first one. A group placed by localization takes the incident
 *   only when its service calls the group's origin. A group placed by calls whose lead finds no
 *   changed service is dissolved, its members triaged on their own.
 * - After enrichment, the context's `localization.origin` places the group: the incident joins a
 *   group with that origin seen within the window, or forms one; ungrouped incidents of the
 *   window of the origin, or of services calling it that are on the fault graph or whose alerts
 *   still fired at the onset, join it (a callee the walk looked at is not raised by this fault).
 *   Groups of the same fault merge (see mergesInto), the deepest origin winning across views as
 *   within one, but for a group whose incidents all ended before the onset; a member the fault
 *   cannot have raised (it joined a guess by calls) is released to its own triage. The origin's
 *   own incident leads, else the current lead while it is open, else the first open one (see
 *   chooseLead). Only the lead is reasoned over. A group grows (its graph is the union of its
 *   localizations' and its members' services).
 */
export class FaultGrouper {
  static create(options: {
    store: FaultGroupStore;
    incidents: RetriageRequester;
    /**
     * When given, a lead whose group changed after its triage (another lead's group merged in,
     * services added to the fault's graph) is triaged again, delayed and bounded.
     */
    retriage?: AutoRetriageRequester;
    /** How far apart incidents may be seen and still share a group. */
    windowMs: number;
    logger: LoggerService;
  }): FaultGrouper {
    return new FaultGrouper(options);
  }

  private constructor(
    private readonly options: Parameters<typeof FaultGrouper.create>[0],
  ) {}

  /** Groups the incident before it is enriched; true when it is to be enriched (it leads or is alone). */
  async beforeEnrichment(incidentId: string): Promise<boolean> {
    const { store, windowMs, logger } = this.options;
    // Leads whose fault graph this decision grows after their triage.
    const changed: string[] = [];
    const enrich = await store.decide(async tx => {
      const incident = await tx.incident(incidentId);
      if (!incident) {
        return true;
      }
      if (incident.faultGroupId) {
        const group = await tx.group(incident.faultGroupId);
        if (group?.leadIncidentId === incident.id) {
          return true;
        }
        if (group) {
          // A member triaged again (its alert fired again): still the group's fault while the
          // lead's alerts, the view that placed the group, fired when the member's started;
          // else that fault had ended, and the incident is grouped afresh (its alert may be
          // another fault's: the groups of now place it).
          const lead = await tx.incident(group.leadIncidentId);
          if (lead && startedBy(incident, alertsEndMs(lead))) {
            return false;
          }
          await tx.setGroupOf([incident.id], null);
        }
      }
      if (incident.status === 'resolved') {
        // Its alerts ended (triaged again after they did): the groups and calls of now, perhaps
        // of a later fault, are no evidence of what raised it. Its own localization, read up
        // to its alerts' end, may still place it.
        return true;
      }
      const sinceMs = Date.parse(incident.firstSeenAt) - windowMs;
      const groups = await tx.recentGroups(sinceMs);
      const joined = await this.groupOnGraph(tx, incident, groups, sinceMs);
      if (joined) {
        const lead = await tx.incident(joined.leadIncidentId);
        const leads =
          incident.serviceName === joined.origin &&
          lead?.serviceName !== joined.origin;
        await tx.setGroupOf([incident.id], joined.id);
        if (leads) {
          await tx.saveGroup({ ...joined, leadIncidentId: incident.id });
        }
        logger.info(
          `Incident ${incident.id} (${
            incident.serviceName
          }) joins fault group ${joined.id} (origin ${joined.origin})${
            leads ? ' as its lead' : ''
          }`,
        );
        return leads;
      }
      return this.groupByCallEdges(tx, incident, sinceMs, groups, changed);
    });
    for (const id of changed) {
      await this.options.retriage?.requestAutoRetriage(id, 'group');
    }
    return enrich;
  }

  /**
   * Groups the incident by its context's localization; true when it is to be reasoned over (it
   * leads its group or is in none). A new lead that has no triage of its own yet is re-triaged.
   */
  async afterEnrichment(
    incidentId: string,
    document: ContextDocument,
  ): Promise<boolean> {
    const { store, incidents } = this.options;
    const origin = document.localization?.origin;
    if (!origin) {
      const group = await store.groupOf(incidentId);
      if (
        group?.leadIncidentId === incidentId &&
        group.method === 'trace-edges'
      ) {
        const released = await store.decide(tx =>
          this.releaseGuess(tx, incidentId),
        );
        for (const id of released) {
          // Also while its own enrich job runs: that job may already have decided to follow
          // the lead (reason over nothing), and would leave it untriaged.
          await incidents.requestRetriage(id, { alsoWhenActive: true });
        }
      }
      return !group || group.leadIncidentId === incidentId;
    }
    const { reason, retriage, changed, released } = await store.decide(tx =>
      this.groupByOrigin(tx, incidentId, origin, document),
    );
    for (const id of retriage) {
      await incidents.requestRetriage(id);
    }
    for (const id of released) {
      await incidents.requestRetriage(id, { alsoWhenActive: true });
    }
    for (const id of changed) {
      await this.options.retriage?.requestAutoRetriage(id, 'group');
    }
    return reason;
  }

  /** The incident's group, if any. */
  async groupOf(incidentId: string): Promise<StoredFaultGroup | undefined> {
    return this.options.store.groupOf(incidentId);
  }

  /** Whether the incident reuses another incident's triage (it is a member, not the lead). */
  async followsLead(incidentId: string): Promise<boolean> {
    const group = await this.options.store.groupOf(incidentId);
    return group !== undefined && group.leadIncidentId !== incidentId;
  }

  /** The incident whose triage this one shows: its group's lead, else itself. */
  async triageIncidentOf(incidentId: string): Promise<string> {
    const group = await this.options.store.groupOf(incidentId);
    return group?.leadIncidentId ?? incidentId;
  }

  /**
   * A group placed by calls between alerted services is a guess that its lead's service is
   * where the calls lead down to the fault. When the lead's localization finds no service whose
   * own behaviour changed, the guess failed: the group is dissolved and its other members are
   * triaged on their own (each may still find the fault, and join its group by origin).
   * Returns the released members.
   */
  private async releaseGuess(
    tx: FaultGroupTransaction,
    leadId: string,
  ): Promise<string[]> {
    const lead = await tx.incident(leadId);
    const group = lead?.faultGroupId
      ? await tx.group(lead.faultGroupId)
      : undefined;
    if (
      !group ||
      group.leadIncidentId !== leadId ||
      group.method !== 'trace-edges'
    ) {
      return [];
    }
    await tx.setGroupOf(group.memberIncidentIds, null);
    await tx.deleteGroup(group.id);
    const released = group.memberIncidentIds.filter(id => id !== leadId);
    this.options.logger.info(
      `Fault group ${group.id} (by calls, origin ${
        group.origin
      }) dissolved: its lead ${leadId} (${
        lead!.serviceName
      }) found no service whose own behaviour changed; ${
        released.length
      } member(s) triaged on their own`,
    );
    return released;
  }

  /**
   * The group of the window whose fault graph holds the incident's service, and whose fault can
   * have raised it: any service of a group placed by calls (its fault is not known yet); for a
   * group placed by localization, its origin or a service that calls it, directly or not (a
   * fault travels up to the callers, never down to the callees its walk also looked at).
   */
  private async groupOnGraph(
    tx: FaultGroupTransaction,
    incident: GroupingIncident,
    groups: StoredFaultGroup[],
    sinceMs: number,
  ): Promise<StoredFaultGroup | undefined> {
    const service = incident.serviceName;
    for (const group of groups) {
      if (!group.services.includes(service)) continue;
      if (group.method !== 'localization' || group.origin === service) {
        return group;
      }
      const edges = await tx.callEdges(
        [...group.services, service],
        sinceMs,
        Date.now() + 60_000,
      );
      if (
        callersOf(group.origin, [...edges, ...pathEdges(group.path)]).has(
          service,
        )
      ) {
        return group;
      }
    }
    return undefined;
  }

  /**
   * The fallback while contexts carry no localization: calls between the services of the
   * window's incidents (ungrouped ones and groups' members) connect the incident to others. It
   * joins the group it connects to (the most recently seen), or forms one with the ungrouped
   * incidents it connects to. A group placed by calls takes the origin of the connected services;
   * one placed by localization keeps its origin.
   */
  private async groupByCallEdges(
    tx: FaultGroupTransaction,
    incident: GroupingIncident,
    sinceMs: number,
    groups: StoredFaultGroup[],
    changed: string[],
  ): Promise<boolean> {
    // Only incidents waiting for their first triage: one triaged and still ungrouped was looked
    // at and no fault found (or its group's guess failed), and is no evidence of where calls
    // lead now.
    const ungrouped = (await tx.ungroupedIncidents(sinceMs)).filter(
      i => i.id !== incident.id && i.triageState === 'pending',
    );
    if (ungrouped.length === 0 && groups.length === 0) {
      return true;
    }
    const edges = await tx.callEdges(
      [
        incident.serviceName,
        ...ungrouped.map(i => i.serviceName),
        ...groups.flatMap(g => g.services),
      ],
      sinceMs,
      Date.now() + 60_000,
    );
    const component = traceEdgeComponent(incident.serviceName, edges);
    if (!component) {
      return true;
    }
    // A group whose origin localization placed takes only incidents its fault can explain:
    // services that call its origin, directly or not (a fault travels up to the callers).
    const target = groups.find(
      g =>
        g.services.some(s => component.services.includes(s)) &&
        (g.method !== 'localization' ||
          callersOf(g.origin, edges).has(incident.serviceName)),
    );
    const existing: GroupingIncident[] = [];
    for (const id of target?.memberIncidentIds ?? []) {
      const member = await tx.incident(id);
      if (member) existing.push(member);
    }
    const members = earliestFirst([
      ...existing,
      incident,
      ...ungrouped.filter(i => component.services.includes(i.serviceName)),
    ]);
    if (members.length < 2) {
      // Connected only to groups that do not take it: a group of one is no group.
      return true;
    }
    const origin =
      target?.method === 'localization' ? target.origin : component.origin;
    const lead = chooseLead(
      members,
      origin,
      target?.leadIncidentId,
      incident.id,
    );
    const group = {
      id: target?.id ?? randomUUID(),
      origin,
      originEntityRef:
        members.find(m => m.serviceName === origin)?.entityRef ??
        target?.originEntityRef ??
        null,
      leadIncidentId: lead.id,
      method: target?.method ?? ('trace-edges' as const),
      services: [
        ...new Set([...(target?.services ?? []), ...component.services]),
      ].sort(),
      path: target?.method === 'localization' ? target.path : component.path,
      clearedCallees: target?.clearedCallees ?? [],
      firstSeenAt: members[0].firstSeenAt,
    };
    await tx.saveGroup(group);
    await tx.setGroupOf(
      members.map(m => m.id),
      group.id,
    );
    if (
      target &&
      lead.id === target.leadIncidentId &&
      lead.id !== incident.id &&
      group.services.length > target.services.length
    ) {
      // The lead's triage was made before these services were known to be part of its fault.
      changed.push(lead.id);
    }
    this.options.logger.info(
      `Incident ${incident.id} (${incident.serviceName}) in fault group ${
        group.id
      } by calls between ${component.services.join(', ')}: origin ${
        group.origin
      }, lead ${lead.id} (${lead.serviceName})`,
    );
    return lead.id === incident.id;
  }

  private async groupByOrigin(
    tx: FaultGroupTransaction,
    incidentId: string,
    origin: string,
    document: ContextDocument,
  ): Promise<{
    reason: boolean;
    retriage: string[];
    changed: string[];
    released: string[];
  }> {
    const { windowMs, logger } = this.options;
    const localization = document.localization!;
    const incident = await tx.incident(incidentId);
    if (!incident) {
      return { reason: true, retriage: [], changed: [], released: [] };
    }
    const sinceMs = Date.parse(incident.firstSeenAt) - windowMs;
    const current = incident.faultGroupId
      ? await tx.group(incident.faultGroupId)
      : undefined;
    if (current && current.leadIncidentId !== incident.id) {
      // A member enriched anyway (it joined meanwhile): the lead's localization places the
      // group, so this one only adds its services to the fault graph.
      const services = [
        ...new Set([...current.services, ...graphOf(incident, localization)]),
      ].sort();
      await tx.saveGroup({ ...current, services });
      return {
        reason: false,
        retriage: [],
        // The lead's triage did not know these services were part of its fault.
        changed:
          services.length > current.services.length
            ? [current.leadIncidentId]
            : [],
        released: [],
      };
    }
    const graph = graphOf(incident, localization);
    const onsetMs = Date.parse(document.window.from);
    // Groups of the window, but for one whose incidents all resolved with their alerts ended
    // before this view's onset: a fault that ended before this one was seen (as for the
    // ungrouped incidents gathered below).
    const windowGroups: StoredFaultGroup[] = [];
    for (const g of await tx.groupsSeenSince(sinceMs)) {
      if (g.id !== current?.id && !(await endedBefore(tx, g, onsetMs))) {
        windowGroups.push(g);
      }
    }
    const ungrouped = await tx.ungroupedIncidents(sinceMs);
    const known = [...(current ? [current] : []), ...windowGroups];
    // Calls between the services of the window's incidents, its groups (their members' among
    // them) and the fault graph (a caller reached only through a service without an incident of
    // its own is not seen), and those the localizations saw (catalog relations among them).
    const edges = [
      ...(await tx.callEdges(
        [
          ...new Set([
            ...graph,
            ...known.flatMap(g => [g.origin, ...g.services]),
            ...ungrouped.map(u => u.serviceName),
          ]),
        ],
        sinceMs,
        Date.now() + 60_000,
      )),
      ...localization.edges,
      ...pathEdges(localization.path),
      ...known.flatMap(g => pathEdges(g.path)),
    ];
    // A group whose fault lies deeper, behind this origin: its localization walked through this
    // origin to it, or this origin calls its origin, directly or not. Across views as within one
    // (localize), the deepest changed service is the origin: this one only passes that fault on
    // (or shows a knock-on of it), and the fault is that group's; unless this view found its
    // origin's calls towards that fault unchanged (see ruledOut).
    const cleared = clearedCallees(origin, localization);
    const deeper = windowGroups.find(g => {
      if (g.method !== 'localization' || g.origin === origin) return false;
      if (g.path.slice(0, -1).includes(origin)) return true;
      const callers = callersOf(g.origin, edges);
      return (
        callers.has(origin) &&
        !ruledOut(
          { origin: g.origin, callers },
          { origin, clearedCallees: cleared },
          edges,
        )
      );
    });
    const faultOrigin = deeper?.origin ?? origin;
    const upstream = callersOf(faultOrigin, edges);
    const passesOn = new Set([
      ...localization.path.slice(0, -1),
      ...(deeper?.path.slice(0, -1) ?? []),
    ]);
    // Groups of the window that are this fault (see mergesInto).
    const merged = windowGroups.filter(g =>
      mergesInto(g, { origin: faultOrigin, passesOn, graph, upstream, edges }),
    );
    const group =
      current ??
      deeper ??
      merged.find(g => g.origin === faultOrigin) ??
      merged[0];
    const others = merged.filter(g => g.id !== group?.id);
    const leads = !group || group.leadIncidentId === incident.id;

    // Members so far and those of the groups merged in that the fault can have raised (of its
    // origin or a caller of it: one that joined a guess placed by calls may be neither, and is
    // released to be triaged on its own), the incident, and ungrouped incidents of the window.
    const raised = (service: string) =>
      service === faultOrigin || upstream.has(service);
    const candidates = new Map<string, GroupingIncident>();
    const released: string[] = [];
    for (const id of [group, ...others].flatMap(
      g => g?.memberIncidentIds ?? [],
    )) {
      const member = await tx.incident(id);
      if (!member) continue;
      if (raised(member.serviceName) || member.id === incident.id) {
        candidates.set(id, member);
      } else {
        released.push(id);
      }
    }
    candidates.set(incident.id, incident);
    // Ungrouped incidents of the window that the fault can have raised: of the origin, or of
    // services that call it (directly or not) in the window's spans, the fault travelling up to
    // them. Those on the fault graph join; so do those of callers the lead's walk did not pass
    // whose alerts still fired at this view's onset (alerts of callers that fired before it, or
    // whose own triage found nothing). A caller's incident whose alerts all ended before the
    // onset, off the graph, ended before this fault was seen and may have been noise of its
    // own. A callee the walk looked at is no caller: its incident is not this fault's. Nor is one
    // whose alerts started after this view's window, or after the incident's own alerts all
    // ended (perhaps while it was enriched): that view did not see it.
    const viewEndMs = Math.min(
      Date.parse(document.window.to),
      alertsEndMs(incident),
    );
    for (const other of ungrouped) {
      if (!startedBy(other, viewEndMs)) continue;
      if (
        other.serviceName === faultOrigin ||
        (upstream.has(other.serviceName) &&
          (graph.has(other.serviceName) || alertsEndMs(other) >= onsetMs))
      ) {
        candidates.set(other.id, other);
      }
    }
    const members = earliestFirst([...candidates.values()]);
    // Else the lead of the view that reached the fault's origin: the deeper group's, the
    // group's of this origin, or this incident (a merged group at a shallower origin saw less).
    const lead = chooseLead(
      members,
      faultOrigin,
      deeper?.leadIncidentId ??
        (group && (group === current || group.origin === faultOrigin)
          ? group.leadIncidentId
          : incident.id),
      incident.id,
    );
    const suspect = localization.suspects.find(s => s.service === faultOrigin);
    let path = localization.path;
    if (deeper) {
      path = deeper.path;
    } else if (
      group &&
      group.path.at(-1) === origin &&
      (!leads || group.path.length > localization.path.length)
    ) {
      // The longest known path to this origin: the origin's own view is just [origin].
      path = group.path;
    }
    const saved = {
      id: group?.id ?? randomUUID(),
      origin: faultOrigin,
      originEntityRef:
        suspect?.entityRef ??
        members.find(m => m.serviceName === faultOrigin)?.entityRef ??
        (group?.origin === faultOrigin ? group.originEntityRef : null) ??
        deeper?.originEntityRef ??
        null,
      leadIncidentId: lead.id,
      method: 'localization' as const,
      services: [
        ...new Set([
          ...(group?.services ?? []),
          ...others.flatMap(g => g.services),
          ...graph,
          ...members.map(m => m.serviceName),
        ]),
      ].sort(),
      path,
      // What the view that placed the fault's origin ruled out.
      clearedCallees: deeper ? deeper.clearedCallees : cleared,
      firstSeenAt: members[0].firstSeenAt,
    };
    await tx.saveGroup(saved);
    await tx.setGroupOf(released, null);
    await tx.setGroupOf(
      members.map(m => m.id),
      saved.id,
    );
    for (const other of others) {
      await tx.deleteGroup(other.id);
    }
    const retriage = [];
    const changed = [];
    if (lead.id !== incident.id) {
      if (!(await tx.hasTriageRun(lead.id))) {
        retriage.push(lead.id);
      } else if (lead.id !== group?.leadIncidentId) {
        // A lead of its own earlier triage: that triage did not know this group.
        changed.push(lead.id);
      }
    }
    logger.info(
      `Incident ${incident.id} localized to ${origin}: fault group ${
        saved.id
      } (origin ${faultOrigin}${
        others.length ? `, ${others.length} group(s) merged in` : ''
      }), lead ${lead.id} (${lead.serviceName}), ${members.length} members${
        released.length
          ? `, ${released.length} released (not callers of ${faultOrigin})`
          : ''
      }`,
    );
    return { reason: lead.id === incident.id, retriage, changed, released };
  }
}

/**
 * Whether a group of the window is the fault being placed, and merges into its group:
 * - it has the same origin;
 * - its origin lies on the path to the fault's origin (before it): the walk went through that
 *   service and found the change deeper, so it only passes the fault on;
 * - it was placed by localization at a service that calls the fault's origin, directly or not:
 *   the deepest changed service is the origin, across views as within one (its walk did not
 *   reach the fault, or saw it change less than its own noise), unless its view ruled that
 *   fault out (see ruledOut);
 * - it was placed by calls between alerted services only (no localization of its own) and its
 *   origin is on this localization's fault graph.
 * A group at another origin on a sibling branch of the graph stays apart: two services that
 * changed on their own in the same minutes may be two faults.
 */
function mergesInto(
  other: StoredFaultGroup,
  fault: {
    origin: string;
    passesOn: Set<string>;
    graph: Set<string>;
    upstream: Set<string>;
    edges: CallEdge[];
  },
): boolean {
  return (
    other.origin === fault.origin ||
    fault.passesOn.has(other.origin) ||
    (other.method === 'localization' &&
      fault.upstream.has(other.origin) &&
      !ruledOut(
        { origin: fault.origin, callers: fault.upstream },
        other,
        fault.edges,
      )) ||
    (other.method === 'trace-edges' && fault.graph.has(other.origin))
  );
}

/**
 * The callees of the origin whose calls this view compared with a known baseline and found
 * unchanged, in latency and in errors, and whose own behaviour did not change. A fault reaches a
 * caller only through its calls: one behind these callees did not reach the origin through them.
 */
function clearedCallees(origin: string, localization: Localization): string[] {
  const changed = new Set(
    localization.suspects.filter(s => s.changed).map(s => s.service),
  );
  return localization.edges
    .filter(
      e =>
        e.from === origin &&
        e.callCount > 0 &&
        e.baselineP95Ms !== null &&
        e.baselineErrorRate !== null &&
        e.changed.length === 0 &&
        !changed.has(e.to),
    )
    .map(e => e.to);
}

/**
 * Whether a view placed at `view.origin`, a caller of `fault.origin` (`fault.callers`: every
 * service calling it, directly or not), ruled that fault out: each of its origin's callees
 * through which the fault could have reached it (the fault's origin, or a caller of it) is one
 * whose calls it found unchanged. A view that saw none of those calls ruled
 * nothing out (an unknown is no evidence), and the deepest origin wins.
 */
function ruledOut(
  fault: { origin: string; callers: Set<string> },
  view: { origin: string; clearedCallees: string[] },
  edges: CallEdge[],
): boolean {
  const routes = new Set(
    edges
      .filter(
        e =>
          e.from === view.origin &&
          (e.to === fault.origin || fault.callers.has(e.to)),
      )
      .map(e => e.to),
  );
  return (
    routes.size > 0 && [...routes].every(to => view.clearedCallees.includes(to))
  );
}

/** The services a localization looked at: its path, suspects and edge ends, and the incident's. */
function graphOf(
  incident: GroupingIncident,
  localization: Localization,
): Set<string> {
  return new Set([
    incident.serviceName,
    ...localization.path,
    ...localization.suspects.map(s => s.service),
    ...localization.edges.flatMap(e => [e.from, e.to]),
  ]);
}

/** The calls a localization's path walked: each service calls the next. */
function pathEdges(path: string[]): CallEdge[] {
  return path.slice(1).map((to, i) => ({ from: path[i], to }));
}

/** Whether every incident of the group resolved, its alerts all ended before `ms`. */
async function endedBefore(
  tx: FaultGroupTransaction,
  group: StoredFaultGroup,
  ms: number,
): Promise<boolean> {
  for (const id of group.memberIncidentIds) {
    const member = await tx.incident(id);
    if (member && (member.status !== 'resolved' || alertsEndMs(member) >= ms)) {
      return false;
    }
  }
  return true;
}

/** When the incident's alerts all ended; Infinity while one fires. */
function alertsEndMs(incident: GroupingIncident): number {
  return incident.alertsEndedAt ? Date.parse(incident.alertsEndedAt) : Infinity;
}

/** Whether the incident's alerts started at or before `ms` (one without alerts always did). */
function startedBy(incident: GroupingIncident, ms: number): boolean {
  return (
    incident.alertsStartedAt === null ||
    Date.parse(incident.alertsStartedAt) <= ms
  );
}

function earliestFirst(incidents: GroupingIncident[]): GroupingIncident[] {
  return [...incidents].sort(
    (a, b) =>
      Date.parse(a.firstSeenAt) - Date.parse(b.firstSeenAt) ||
      a.id.localeCompare(b.id),
  );
}

/**
 * The origin's own incident (the earliest), else the current lead while it is open or triaged
 * now (`triagedNowId`), else the first such member, else the current lead, else the first
 * member. A resolved lead triaged earlier is never triaged again automatically: a group it led
 * would keep showing the triage of a window that ended to the incidents of now (a new fault's
 * incidents joining the group of an earlier one, resolved by a responder minutes before).
 */
function chooseLead(
  members: GroupingIncident[],
  origin: string,
  currentLeadId: string | undefined,
  triagedNowId: string,
): GroupingIncident {
  const current = members.find(m => m.id === currentLeadId);
  const live = (m: GroupingIncident | undefined) =>
    m !== undefined && (m.status !== 'resolved' || m.id === triagedNowId);
  return (
    (current?.serviceName === origin ? current : undefined) ??
    members.find(m => m.serviceName === origin) ??
    (live(current) ? current : undefined) ??
    members.find(live) ??
    current ??
    members[0]
  );
}
