/**
 * Issue 13, shared by the property drivers (scenario.ts, tree-scenario.ts): a plug report of new
 * measurements only does not allocate; one with any plug change does.
 */
import { strict as assert } from 'assert';
import type { BalancerState, StepResult } from '../../lib/core/state';
import type { PlugMessage } from '../../lib/shared/types';
import { decisionKey } from './site';

/**
 * A step that did not allocate returns no setpoints and keeps the last allocation's view and
 * decisions (the drivers then check the invariants at the time of that allocation: what happens with
 * time is the next tick's, as between any two events). Counts such steps in `stats.quiet`.
 */
export function checkQuiet(before: BalancerState, after: BalancerState, r: StepResult, stats: { quiet: number }): void {
  if (r.allocated) return;
  stats.quiet++;
  assert.deepEqual(r.setpoints, [], 'a step that did not allocate sent setpoints');
  assert.equal(after.view, before.view, 'a step that did not allocate changed the view');
  assert.equal(after.plugs.length, before.plugs.length);
  for (let i = 0; i < after.plugs.length; i++) {
    const a = after.plugs[i];
    const b = before.plugs[i];
    for (const k of ['id', 'setpointA', 'holdA', 'holdUntil', 'pausedAt', 'queued', 'pilot', 'drawLines'] as const)
      assert.deepEqual(a[k], b[k], `plug ${a.id}: ${k} changed by a step that did not allocate`);
  }
}

/** Wraps a driver's `apply` for plug reports: a report whose decision key changed must allocate at once. */
export function reportChecker(apply: (msg: PlugMessage) => StepResult): (msg: PlugMessage) => StepResult {
  const lastKey = new Map<string, string>();
  return (msg) => {
    const key = decisionKey(msg);
    const r = apply(msg);
    if (r.error === null) {
      if (lastKey.get(msg.chargePoint) !== key) assert.ok(r.allocated, `${msg.chargePoint}: a report with a plug change did not allocate`);
      lastKey.set(msg.chargePoint, key);
    }
    return r;
  };
}
