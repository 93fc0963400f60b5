/**
 * dlm-balancer: the site (SPEC §1–§9). The Node-RED shell around lib/balancer: it parses the
 * input, calls `step`, keeps and persists the state it returns, sends what the core decided and
 * sets a short status. Every rule lives in lib/.
 *
 * Inputs (msg.topic): meter, plug, schedule, params, plate, status (query), transactions (query).
 * Outputs: 1 setpoint (one msg per charge point), 2 status, 3 transaction.
 */
import { initialState, restoreProblem, step, type BalancerState, type DlmEvent, type StepResult } from '../../lib/balancer';
import { meterOnline } from '../../lib/meter';
import { BALANCER_TICK_S, paramsFromConfig, validateParams } from '../../lib/params';
import { statusOf } from '../../lib/status';
import { appendHistory, transactionsCsv } from '../../lib/transactions';
import { worstStates } from '../../lib/loadstate';
import type { TransactionRecord } from '../../lib/types';
import { attachHttpApi, joinBalancer } from '../common/http-api';

type Send = (msgs: any) => void;
type Done = (err?: Error) => void;

/** Context keys (R-ERR-2). */
const STATE_KEY = 'dlmBalancerState';
const HISTORY_KEY = 'dlmTransactions';
/** Persist at most this often, ms (and on close). */
const PERSIST_EVERY_MS = 2000;

interface Persisted {
  version: 1;
  /** The editor configuration the stored state was made under. */
  configHash: string;
  state: BalancerState;
}

/** The event a message carries, or an error text (R-ERR-1). Queries are handled by the node. */
function eventOf(msg: any): DlmEvent | string {
  const p = msg.payload;
  switch (msg.topic) {
    case 'meter': return { type: 'meter', meter: p };
    case 'plug': return { type: 'plug', plug: p };
    case 'schedule': {
      if (p === null || typeof p !== 'object' || Array.isArray(p)) return 'schedule payload must be an object {enabled, slots, timeZone?}';
      return { type: 'schedule', schedule: { enabled: p.enabled, slots: p.slots }, ...(p.timeZone !== undefined ? { timeZone: p.timeZone } : {}) };
    }
    case 'params': return { type: 'params', params: p };
    case 'plate': {
      if (p === null || typeof p !== 'object' || Array.isArray(p)) return 'plate payload must be an object {plugId, plate}';
      return { type: 'plate', plugId: p.plugId, plate: p.plate };
    }
    default:
      return `unknown topic ${JSON.stringify(msg.topic) ?? 'undefined'}: expected meter, plug, schedule, params, plate, status or transactions`;
  }
}

export = function (RED: any) {
  attachHttpApi(RED);
  function DlmBalancerNode(this: any, n: any) {
    RED.nodes.createNode(this, n);
    const node = this;
    const { params: editorParams, errors: configErrors } = paramsFromConfig(n);
    const configHash = JSON.stringify({ params: editorParams, errors: configErrors });

    let state: BalancerState = initialState(editorParams, Date.now());
    if (configErrors.length) state = { ...state, errors: configErrors };
    let history: TransactionRecord[] = [];
    let statusDirty = true;
    let persistDirty = false;
    let lastPersist = 0;
    let closed = false;

    function showStatus(now: number) {
      if (state.errors.length) {
        node.status({ fill: 'red', shape: 'ring', text: `invalid configuration: ${state.errors[0]}` });
        return;
      }
      const meterLost = state.params.analyserEnabled && !meterOnline(state.meter, state.params, now);
      const worst = worstStates(state.view.table);
      const text = Object.entries(worst).map(([ph, st]) => `${ph} ${st}`).join(' · ') || 'no plugs';
      const worstAll = Math.max(0, ...Object.values(worst).map(Number));
      if (meterLost) node.status({ fill: 'red', shape: 'ring', text: `meter lost: ${state.params.meterOfflineCurrentA} A assumed · ${text}` });
      else node.status({ fill: worstAll >= 4 ? 'yellow' : 'green', shape: 'dot', text });
    }

    function persist(force = false) {
      const now = Date.now();
      if (!persistDirty || (!force && now - lastPersist < PERSIST_EVERY_MS)) return;
      persistDirty = false;
      lastPersist = now;
      const value: Persisted = { version: 1, configHash, state };
      node.context().set(STATE_KEY, value, (err: unknown) => {
        if (err) node.warn(`could not store the balancer state: ${String(err)}`);
      });
    }

    function persistHistory() {
      node.context().set(HISTORY_KEY, history, (err: unknown) => {
        if (err) node.warn(`could not store the transaction history: ${String(err)}`);
      });
    }

    /** Sends what one step decided. */
    function deliver(r: StepResult, send: Send) {
      state = r.state;
      persistDirty = true;
      statusDirty = true;
      const setpoints = r.setpoints.map((sp) => ({ topic: 'setpoint', payload: sp }));
      const closedMsgs = r.closedTransactions.map((t) => ({ topic: 'transaction', payload: t }));
      if (r.closedTransactions.length) {
        history = appendHistory(history, r.closedTransactions);
        persistHistory();
      }
      if (setpoints.length || closedMsgs.length) send([setpoints.length ? setpoints : null, null, closedMsgs.length ? closedMsgs : null]);
    }

    function emitStatus(send: Send, now: number) {
      if (!statusDirty) return;
      statusDirty = false;
      send([null, { topic: 'status', payload: statusOf(state, now) }, null]);
    }

    // Restore (R-ERR-2): the stored state wins unless the editor configuration changed since.
    const ready = new Promise<void>((resolve) => {
      node.context().get(STATE_KEY, (err: unknown, saved: Persisted | undefined) => {
        if (err) node.warn(`could not read the stored balancer state: ${String(err)}`);
        const problem = !err && saved ? (saved.version !== 1 ? 'unknown format' : restoreProblem(saved.state)) : null;
        if (problem) node.warn(`the stored balancer state is not used (${problem}): starting afresh, every charge point and the meter unknown until they report`);
        if (!err && saved && !problem) {
          if (saved.configHash === configHash) {
            state = saved.state;
          } else if (!configErrors.length) {
            // Editor changed: its parameters win; queue, counters, plates and sessions are kept.
            state = { ...saved.state, params: { ...editorParams }, errors: validateParams(editorParams) };
          }
        }
        node.context().get(HISTORY_KEY, (err2: unknown, savedHistory: unknown) => {
          if (!err2 && Array.isArray(savedHistory)) history = savedHistory as TransactionRecord[];
          resolve();
        });
      });
    });

    const tick = setInterval(() => {
      ready.then(() => {
        if (closed) return;
        const now = Date.now();
        const r = step(state, { type: 'tick' }, now);
        deliver(r, (msgs) => node.send(msgs));
        emitStatus((msgs) => node.send(msgs), now);
        showStatus(now);
        persist();
      });
    }, BALANCER_TICK_S * 1000);

    /** Closed sessions and the open ones, oldest first (the `transactions` query, GET /dlm/transactions). */
    function allTransactions(): TransactionRecord[] {
      const open = state.plugs.filter((p) => p.session).map((p) => p.session as TransactionRecord);
      return history.concat(open);
    }

    /**
     * One change (meter, plug, schedule, params, plate), from a message or the HTTP API
     * (nodes/common/http-api): the same checks and step for both (R-ERR-1, R-SEC-1). Returns the
     * refusal, or null when it was applied and its results sent.
     */
    function handleEvent(msg: { topic: unknown; payload: unknown }, send: Send, now: number): string | null {
      const ev = eventOf(msg);
      if (typeof ev === 'string') return ev;
      if (ev.type === 'params' && configErrors.length) return 'the node configuration is invalid; fix it in the editor first';
      const r = step(state, ev, now);
      if (r.error) return `${String(msg.topic)} rejected: ${r.error}`;
      if (ev.type === 'params') node.log(`parameters changed at run time: ${JSON.stringify(ev.params)}`);
      deliver(r, send);
      showStatus(now);
      return null;
    }

    node.on('input', (msg: any, send: Send, done: Done) => {
      ready.then(() => {
        const now = Date.now();
        if (msg.topic === 'status') {
          msg.payload = statusOf(state, now);
          send([null, msg, null]);
          return done();
        }
        if (msg.topic === 'transactions') {
          const all = allTransactions();
          if (msg.format === 'csv') {
            msg.payload = transactionsCsv(all);
            msg.headers = { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': 'attachment; filename="transactions.csv"' };
          } else {
            msg.payload = all;
          }
          send([null, null, msg]);
          return done();
        }
        const refused = handleEvent(msg, send, now);
        if (refused) return fail(refused, done);
        done();
      });
    });

    // The package's HTTP API reaches this node through the same handleEvent (R-SEC-1).
    const leaveApi = joinBalancer({
      id: node.id,
      name: node.name || '',
      status: () => ready.then(() => statusOf(state, Date.now())),
      transactions: () => ready.then(allTransactions),
      transactionsCsv: () => ready.then(() => transactionsCsv(allTransactions())),
      change: (topic, payload) => ready.then(() => (closed ? 'the balancer is stopping' : handleEvent({ topic, payload }, (m) => node.send(m), Date.now()))),
    });

    /** A rejected message: the state is unchanged; a Catch node sees the error (R-ERR-1). */
    function fail(text: string, done: Done) {
      done(new Error(text));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      leaveApi();
      clearInterval(tick);
      persist(true);
      done();
    });

    showStatus(Date.now());
  }
  RED.nodes.registerType('dlm-balancer', DlmBalancerNode);
};

