/**
 * Copy-on-write draft of the balancer state: a step writes only to its own copies, so the input
 * state is never modified (determinism; a refused event changes nothing, R-ERR-1).
 */
import { cpPosition, plugIndex, type BalancerState, type ChargePointState, type PlugState } from './state';
import type { TransactionRecord } from '../shared/types';

export class Draft {
  state: BalancerState;
  /** Which array positions already hold this step's own copy (null = the array itself is shared). */
  private plugOwn: Uint8Array | null = null;
  private cpOwn: Uint8Array | null = null;
  closed: TransactionRecord[] = [];

  constructor(base: BalancerState) {
    this.state = { ...base };
  }

  private plugFlags(): Uint8Array {
    if (!this.plugOwn) {
      this.state.plugs = this.state.plugs.slice();
      this.plugOwn = new Uint8Array(this.state.plugs.length);
    }
    return this.plugOwn;
  }

  private cpFlags(): Uint8Array {
    if (!this.cpOwn) {
      this.state.chargePoints = this.state.chargePoints.slice();
      this.cpOwn = new Uint8Array(this.state.chargePoints.length);
    }
    return this.cpOwn;
  }

  /** A writable copy of the plug at array position i. */
  plug(i: number): PlugState {
    const own = this.plugFlags();
    if (!own[i]) {
      this.state.plugs[i] = { ...this.state.plugs[i] };
      own[i] = 1;
    }
    return this.state.plugs[i];
  }

  /** Inserts a new plug keeping the order by id. */
  insertPlug(p: PlugState): void {
    const own = this.plugFlags();
    const at = -plugIndex(this.state.plugs, p.id) - 1;
    this.state.plugs.splice(at, 0, p);
    this.plugOwn = spliceFlags(own, at, 1);
  }

  /** Removes the plug at position i. */
  removePlug(i: number): void {
    const own = this.plugFlags();
    this.state.plugs.splice(i, 1);
    this.plugOwn = spliceFlags(own, i, -1);
  }

  /** A writable copy of the charge point at array position i. */
  cp(i: number): ChargePointState {
    const own = this.cpFlags();
    if (!own[i]) {
      this.state.chargePoints[i] = { ...this.state.chargePoints[i] };
      own[i] = 1;
    }
    return this.state.chargePoints[i];
  }

  /** Inserts a new charge point keeping the order by index; returns its position. */
  insertCp(cp: ChargePointState): number {
    const own = this.cpFlags();
    const at = -cpPosition(this.state.chargePoints, cp.index) - 1;
    this.state.chargePoints.splice(at, 0, cp);
    this.cpOwn = spliceFlags(own, at, 1);
    return at;
  }

  /** Removes the charge point at position i. */
  removeCp(i: number): void {
    const own = this.cpFlags();
    this.state.chargePoints.splice(i, 1);
    this.cpOwn = spliceFlags(own, i, -1);
  }
}

/** The ownership flags after inserting (delta 1, the new entry is owned) or removing (−1) at `at`. */
function spliceFlags(flags: Uint8Array, at: number, delta: 1 | -1): Uint8Array {
  const out = new Uint8Array(flags.length + delta);
  out.set(flags.subarray(0, at), 0);
  if (delta === 1) {
    out[at] = 1;
    out.set(flags.subarray(at), at + 1);
  } else {
    out.set(flags.subarray(at + 1), at);
  }
  return out;
}
