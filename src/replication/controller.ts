/**
 * Pure decisions the controller (the Raft leader of the metadata group) makes about one shard's
 * replica set. The controller commits each returned view as a Raft entry; only then may anyone
 * act on it. Nothing here does I/O or reads a clock.
 */

import type { InSyncRequest, NodeId, ShardView } from './types.js';

/** What a replica reports of its durable log when the controller looks for a new primary. */
export interface ReplicaReport {
  readonly node: NodeId;
  readonly durableSeq: number;
  /** Epoch of the entry at durableSeq. */
  readonly epoch: number;
}

/** A controller decision: the new view to commit, or why nothing changes. */
export type ViewDecision =
  | { readonly ok: true; readonly view: ShardView }
  | { readonly ok: false; readonly code: 'stale_epoch' | 'stale_view' | 'not_primary' | 'not_a_replica' | 'no_change'; readonly message: string };

/** What the controller does about a dead node. */
export type DeadNodeAction =
  | { readonly type: 'promote'; readonly view: ShardView; readonly newPrimary: NodeId }
  | { readonly type: 'remove_from_in_sync'; readonly view: ShardView }
  | { readonly type: 'unavailable'; readonly reason: string }
  | { readonly type: 'none' };

/** Deliberate bugs for the simulator's can-it-fail tests; never set outside tests. */
export interface ControllerTestHooks {
  /** Considers every replica, in sync or not, for promotion. */
  readonly promoteOutOfSync?: boolean;
}

/**
 * Picks the replica to promote: only in-sync replicas that reported; the highest (epoch, durable
 * seq) wins, then the higher priority, then the lower node id. Comparing the last entry's epoch
 * first (Raft's up-to-date rule) keeps a long log from an older epoch from beating a shorter
 * log that holds a newer primary's acknowledged writes.
 */
export function chooseNewPrimary(
  view: ShardView, reports: readonly ReplicaReport[], priority: (node: NodeId) => number = () => 0,
  hooks: ControllerTestHooks = {},
): NodeId | null {
  const candidates = reports.filter((r) => r.node !== view.primary && view.replicas.includes(r.node)
    && (hooks.promoteOutOfSync === true || view.inSync.includes(r.node)));
  candidates.sort((a, b) => b.epoch - a.epoch || b.durableSeq - a.durableSeq || priority(b.node) - priority(a.node)
    || (a.node < b.node ? -1 : a.node > b.node ? 1 : 0));
  return candidates[0]?.node ?? null;
}

/** Removes a follower from the in-sync set at the primary's request. */
export function applyShrink(view: ShardView, request: InSyncRequest): ViewDecision {
  const refusal = checkRequest(view, request);
  if (refusal !== null) return refusal;
  if (!view.inSync.includes(request.follower)) return noChange(`${request.follower} is not in sync`);
  return { ok: true, view: { ...view, version: view.version + 1, inSync: view.inSync.filter((n) => n !== request.follower) } };
}

/**
 * Adds a caught-up follower back to the in-sync set at the primary's request. Only a request made
 * against the current view version commits: while it is outstanding the primary already waits for
 * the follower's acks, and once the version moves on the primary knows the request is dead.
 */
export function applyExpand(view: ShardView, request: InSyncRequest): ViewDecision {
  const refusal = checkRequest(view, request);
  if (refusal !== null) return refusal;
  if (request.viewVersion !== view.version) {
    return { ok: false, code: 'stale_view', message: `expand made against view ${request.viewVersion}, view is at ${view.version}` };
  }
  if (view.inSync.includes(request.follower)) return noChange(`${request.follower} is already in sync`);
  return { ok: true, view: { ...view, version: view.version + 1, inSync: [...view.inSync, request.follower].sort() } };
}

/**
 * Reacts to a node declared dead (no heartbeat for the failure timeout, which must exceed the
 * primary lease). A dead primary is replaced by the best in-sync replica among `reports` under a
 * raised epoch; the dead primary leaves the in-sync set, other members stay (a follower that does
 * not follow the new primary is shrunk by it). A dead in-sync follower is removed directly.
 */
export function onNodeDead(
  view: ShardView, node: NodeId, reports: readonly ReplicaReport[], priority?: (node: NodeId) => number,
  hooks: ControllerTestHooks = {},
): DeadNodeAction {
  if (node === view.primary) {
    const chosen = chooseNewPrimary(view, reports.filter((r) => r.node !== node), priority, hooks);
    if (chosen === null) return { type: 'unavailable', reason: `no reachable in-sync replica of ${view.shard} to promote` };
    const inSync = [...new Set([chosen, ...view.inSync.filter((n) => n !== node)])].sort();
    return { type: 'promote', newPrimary: chosen, view: { ...view, epoch: view.epoch + 1, version: view.version + 1, primary: chosen, inSync } };
  }
  if (view.inSync.includes(node)) {
    return { type: 'remove_from_in_sync', view: { ...view, version: view.version + 1, inSync: view.inSync.filter((n) => n !== node) } };
  }
  return { type: 'none' };
}

function checkRequest(view: ShardView, request: InSyncRequest): ViewDecision | null {
  if (request.epoch !== view.epoch) return { ok: false, code: 'stale_epoch', message: `request from epoch ${request.epoch}, view is at ${view.epoch}` };
  if (request.from !== view.primary) return { ok: false, code: 'not_primary', message: `${request.from} is not the primary of ${view.shard}` };
  if (!view.replicas.includes(request.follower) || request.follower === view.primary) {
    return { ok: false, code: 'not_a_replica', message: `${request.follower} is not a follower of ${view.shard}` };
  }
  return null;
}

function noChange(message: string): ViewDecision {
  return { ok: false, code: 'no_change', message };
}
