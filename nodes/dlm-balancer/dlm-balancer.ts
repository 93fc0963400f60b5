/**
 * dlm-balancer: the site (SPEC §1–§9). The Node-RED shell around lib/balancer: it parses the
 * input, calls `step`, keeps and persists the state it returns, sends what the core decided and
 * sets a short status. Every rule lives in lib/.
 *
 * Inputs (msg.topic): meter, plug, schedule, params, plate, status (query), transactions (query).
 * Outputs: 1 setpoint (one msg per charge point), 2 status, 3 transaction.
 */
import { initialState, step, withDeployedBoards } from '../../lib/core/balancer';
import { sitePhases, type BalancerState, type DlmEvent, type StepResult } from '../../lib/core/state';
import { boundedText, describeValue } from '../../lib/shared/guard';
import { LOG_COMPACT_AT, mergeHistory, parseRecordLog, reconcileWithLog } from '../../lib/records/history';
import { meterOnline } from '../../lib/core/meter';
import { BALANCER_TICK_S, boardsFromConfig, paramsFromConfig, validateParams } from '../../lib/shared/params';
import { readableHistory, storedProblem, type StoredBalancer } from '../../lib/core/restore';
import { fallbackOf, statusOf } from '../../lib/core/status';
import { appendHistory, transactionsCsv } from '../../lib/records/transactions';
import { TRANSACTION_HISTORY } from '../../lib/shared/params';
import { worstStates } from '../../lib/core/loadstate';
import type { MeterMessage, PlugMessage, Schedule, SetpointMessage, SiteParams, TransactionRecord } from '../../lib/shared/types';
import { appendRecords, readRecordLog, recordLogPath, rewriteRecords } from '../common/record-log';
import { onGuardedInput, type Done, type Send } from '../common/input';
import { attachHttpApi, joinBalancer } from '../common/http-api';
import { setpointHandlerOf, type SetpointHandler } from '../common/setpoint-bus';
import { forgetStatus, publishStatus, statusMembers } from '../common/status-bus';
import type { NodeConfig, NodeRED, RedNode } from '../common/red';

/** Context keys (R-ERR-2). */
const STATE_KEY = 'dlmBalancerState';
const HISTORY_KEY = 'dlmTransactions';
/** Persist at most this often, ms (and on close). */
const PERSIST_EVERY_MS = 2000;
/**
 * Joined charge points handed their setpoints per event-loop turn (issue 13): a step that changes
 * every share at 1 000 plugs has 500 setpoints, each a charge-point handler and a device message;
 * in turns of this many, a meter reading or tick waits for one turn, not for all of them.
 */
const DIRECT_PER_TURN = 100;

/** What an I/O error is, without its message (which may hold paths): its code. */
const ioCode = (e: unknown): string => {
  const c = e && typeof e === 'object' ? (e as { code?: unknown }).code : undefined;
  return typeof c === 'string' && /^[A-Z0-9_]{1,32}$/.test(c) ? c : 'error';
};

/** The event a message carries, or an error text (R-ERR-1). Queries are handled by the node. */
function eventOf(msg: { topic?: unknown; payload?: unknown }): DlmEvent | string {
  // The casts name what the event claims to carry; step() checks every field before use (R-ERR-1).
  const p = msg.payload;
  const obj = p !== null && typeof p === 'object' && !Array.isArray(p) ? (p as Record<string, unknown>) : null;
  switch (msg.topic) {
    case 'meter':
      return { type: 'meter', meter: p as MeterMessage };
    case 'plug':
      return { type: 'plug', plug: p as PlugMessage };
    case 'schedule': {
      if (!obj) return 'schedule payload must be an object {enabled, slots, timeZone?}';
      const schedule = { enabled: obj.enabled, slots: obj.slots } as Schedule;
      return { type: 'schedule', schedule, ...(obj.timeZone !== undefined ? { timeZone: obj.timeZone as string } : {}) };
    }
    case 'params':
      return { type: 'params', params: p as Partial<SiteParams> };
    case 'plate': {
      if (!obj) return 'plate payload must be an object {plugId, plate}';
      return { type: 'plate', plugId: obj.plugId as number, plate: obj.plate as string };
    }
    default:
      return `unknown topic ${describeValue(msg.topic)}: expected meter, plug, schedule, params, plate, status or transactions`;
  }
}

export = function (RED: NodeRED) {
  attachHttpApi(RED);
  function DlmBalancerNode(this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    const node = this;
    const { params: editorParams, errors: paramErrors } = paramsFromConfig(n);
    // R-CIRC-1, R-ERR-1: the sub-boards deployed in the editor (JSON text); a cycle, an unknown parent, a
    // duplicate name… is a configuration error: every plug at 0 A with the reason on the status.
    const { boards: editorBoards, errors: boardErrors } = boardsFromConfig(n.boards);
    const configErrors = paramErrors.concat(boardErrors);
    const configHash = JSON.stringify(
      boardErrors.length || editorBoards.length
        ? { params: editorParams, errors: configErrors, boards: editorBoards }
        : { params: editorParams, errors: configErrors }, // as before issue 11: a stored state of a board-less site stays usable
    );
    if (configErrors.length) node.error(boundedText(`invalid configuration: ${configErrors.join('; ')}`));

    /** A fresh start: the editor's parameters and boards, nothing known yet (R-ERR-2, R-ERR-3). */
    const freshState = (): BalancerState => {
      const s = initialState(editorParams, Date.now(), editorBoards);
      return configErrors.length ? { ...s, errors: configErrors } : s;
    };

    let state: BalancerState = freshState();
    let history: TransactionRecord[] = [];
    /** The durable session log (issue 9 item 5); null without a user directory. */
    const logFile = recordLogPath(RED.settings && RED.settings.userDir, String(node.id));
    let logLines = 0;
    const warn = (text: string) => node.warn(boundedText(text));
    let statusDirty = true;
    let persistDirty = false;
    let lastPersist = 0;
    let closed = false;

    /**
     * The node status, from the whole state (O(plugs): the worst load state per phase, the
     * fallback budget): drawn on every tick (once per second, so a Status node keeps seeing it),
     * not after every event (issue 13).
     */
    function showStatus(now: number) {
      if (state.errors.length) {
        node.status({ fill: 'red', shape: 'ring', text: `invalid configuration: ${state.errors[0]}` });
        return;
      }
      const meterLost = state.params.analyserEnabled && !meterOnline(state.meter, state.params, now);
      const worst = worstStates(state.view.table);
      const text =
        Object.entries(worst)
          .map(([ph, st]) => `${ph} ${st}`)
          .join(' · ') || 'no plugs';
      const worstAll = Math.max(0, ...Object.values(worst).map(Number));
      // R-SEC-4: what the chargers' offline modes could draw without us, when over the limit.
      const fallback = fallbackOf(state);
      const over = Object.entries(fallback.phases)
        .filter(([, f]) => f!.overA > 0)
        .map(([ph, f]) => `${ph} +${Math.round(f!.overA * 10) / 10} A`);
      if (meterLost) {
        // R-MTR-4 amended: what is assumed per phase (offline current or the recent peak).
        const used = sitePhases(state.params)
          .map((ph, k) => `${ph} ${Math.round(state.view.buildingA[k] * 10) / 10}`)
          .join(' · ');
        node.status({ fill: 'red', shape: 'ring', text: `meter lost: ${used} A assumed · ${text}` });
      } else if (over.length) node.status({ fill: 'yellow', shape: 'ring', text: `fallback over on ${over.join(', ')} · ${text}` });
      else node.status({ fill: worstAll >= 4 ? 'yellow' : 'green', shape: 'dot', text });
    }

    function persist(force = false) {
      const now = Date.now();
      if (!persistDirty || (!force && now - lastPersist < PERSIST_EVERY_MS)) return;
      persistDirty = false;
      lastPersist = now;
      node.context().set(STATE_KEY, storable({ version: 1, configHash, state }), (err: unknown) => {
        if (err) node.warn(`could not store the balancer state: ${String(err)}`);
      });
    }

    /**
     * The stored state as one compact JSON text when a store serialises it (issue 13). Node-RED's
     * localfilesystem store writes a node's whole context on every flush with json-stringify-safe,
     * indented by 4, a JavaScript callback per value: at 1 000 plugs 1.7 MB and 45–75 ms of blocked
     * event loop per flush. A `toJSON` giving the text natively (≈ 0.65 MB, a few ms) is what it
     * writes instead; a store that keeps the value itself (memory) keeps this object and never
     * calls it. Restore takes both forms. The state is immutable, so the text is of this state.
     * The session history (≤ 10 000 records) is stored the same way: the state changes every second,
     * so every flush writes the history too.
     */
    function storable<T extends object>(value: T): T {
      const plain = () => (Array.isArray(value) ? [...value] : { ...value }); // without this toJSON
      Object.defineProperty(value, 'toJSON', { value: () => JSON.stringify(plain()), enumerable: false });
      return value;
    }

    /** The session history as compact JSON text too (`storable`; restore reads both forms, readableHistory). */
    function persistHistory() {
      node.context().set(HISTORY_KEY, storable(history.slice()), (err: unknown) => {
        if (err) node.warn(`could not store the transaction history: ${String(err)}`);
      });
    }

    /** Sends what one step decided. */
    function deliver(r: StepResult, send: Send) {
      state = r.state;
      persistDirty = true;
      statusDirty = true;
      // Issue 13: a setpoint goes straight to its own charge point when that one joined this
      // balancer (nodes/common/setpoint-bus); the others leave on output 1 for wired flows.
      const setpoints: { topic: string; payload: SetpointMessage }[] = [];
      const direct: [SetpointHandler, SetpointMessage][] = [];
      for (const sp of r.setpoints) {
        const h = setpointHandlerOf(node.id, sp.chargePoint);
        if (h) direct.push([h, sp]);
        else setpoints.push({ topic: 'setpoint', payload: sp });
      }
      handOver(direct);
      const closedMsgs = r.closedTransactions.map((t) => ({ topic: 'transaction', payload: t }));
      if (r.closedTransactions.length) {
        history = appendHistory(history, r.closedTransactions);
        logClosed(r.closedTransactions);
        persistHistory();
      }
      if (setpoints.length || closedMsgs.length) send([setpoints.length ? setpoints : null, null, closedMsgs.length ? closedMsgs : null]);
    }

    /**
     * The status message on output 2, at most once per tick and only when something changed and
     * output 2 is wired: at 1 000 plugs it is ≈ 0.5 MB, so it is not built for nobody (issue 13).
     * Queries (`status` topic, HTTP API, dashboards) build their own.
     */
    /** Setpoints waiting for their turn, oldest first (so each charge point gets them in step order). */
    const queued: [SetpointHandler, SetpointMessage][] = [];
    let draining = false;

    /**
     * Hands setpoints to joined charge points: at once when they fit in one turn and none wait,
     * otherwise through the queue, DIRECT_PER_TURN per event-loop turn. Decided setpoints are
     * always handed over, also after close (like messages already sent on a wire).
     */
    function handOver(items: [SetpointHandler, SetpointMessage][]) {
      if (!draining && items.length <= DIRECT_PER_TURN) return callHandlers(items);
      for (const it of items) queued.push(it);
      if (!draining) {
        draining = true;
        drainQueued();
      }
    }

    function drainQueued() {
      callHandlers(queued.splice(0, DIRECT_PER_TURN));
      if (queued.length) setImmediate(drainQueued);
      else draining = false;
    }

    function callHandlers(items: [SetpointHandler, SetpointMessage][]) {
      for (const [h, sp] of items) {
        try {
          h(sp);
        } catch (e) {
          node.error(boundedText(`setpoint to ${sp.chargePoint} failed: ${(e as Error)?.message ?? 'unknown'}`));
        }
      }
    }

    function emitStatus(send: Send, now: number) {
      if (!statusDirty) return;
      const wires = (node as { wires?: unknown }).wires;
      const out2 = Array.isArray(wires) ? wires[1] : undefined;
      const wired = !(Array.isArray(out2) && out2.length === 0);
      const joined = statusMembers(node.id) > 0;
      if (!wired && !joined) return; // stays dirty: built once wired or joined again
      statusDirty = false;
      const status = statusOf(state, now);
      // Issue 13: widgets joined to this balancer get this object itself (read-only), not a copy each.
      if (joined) publishStatus(node.id, status, (e) => node.error(boundedText(`a dashboard widget failed on the status: ${String(e)}`)));
      if (wired) send([null, { topic: 'status', payload: status }, null]);
    }

    /**
     * Closed sessions to the durable log, on disk before their `transaction` message leaves
     * (issue 9 item 5). The log is compacted to the kept history once it has grown to twice it.
     */
    function logClosed(records: TransactionRecord[]) {
      if (!logFile) return;
      try {
        appendRecords(logFile, records);
        logLines += records.length;
        if (logLines >= LOG_COMPACT_AT) {
          rewriteRecords(logFile, history);
          logLines = history.length;
        }
      } catch (e) {
        warn(`could not write the session log (${ioCode(e)}): the record is kept in node context only`);
      }
    }

    const contextGet = (key: string) =>
      new Promise<unknown>((resolve, reject) => {
        node.context().get(key, (err: unknown, v: unknown) => (err ? reject(err) : resolve(v)));
      });

    /** The durable log's records; schedules a rewrite when it is torn, damaged or long. */
    function readLog(): { records: TransactionRecord[]; rewrite: boolean } {
      if (!logFile) return { records: [], rewrite: false };
      try {
        const text = readRecordLog(logFile);
        if (text === null) return { records: [], rewrite: false };
        const parsed = parseRecordLog(text);
        logLines = parsed.lines;
        if (parsed.bad) warn(`${parsed.bad} line(s) of the session log could not be read and were dropped`);
        return { records: parsed.records, rewrite: parsed.torn || parsed.bad > 0 || parsed.lines > TRANSACTION_HISTORY };
      } catch (e) {
        warn(`could not read the session log (${ioCode(e)}): history from node context only`);
        return { records: [], rewrite: false };
      }
    }

    /**
     * Restore (R-ERR-2, R-SEC-3): the history from the durable log and node context, record by
     * record; the stored state only when every field checks out (lib/core/restore.ts), and made
     * consistent with the log. Anything wrong: a warning naming the field and a fresh start.
     */
    async function restore(): Promise<void> {
      const log = readLog();
      let savedHistory: unknown;
      try {
        savedHistory = await contextGet(HISTORY_KEY);
      } catch (e) {
        warn(`could not read the stored transaction history (${ioCode(e)})`);
      }
      const readable = readableHistory(savedHistory);
      if (readable.dropped) warn(`${readable.dropped} stored transaction record(s) could not be read and were dropped`);
      const merged = mergeHistory(readable.records, log.records);
      history = merged.history;
      if (logFile && (log.rewrite || merged.fromContext > 0)) {
        try {
          rewriteRecords(logFile, history);
          logLines = history.length;
        } catch (e) {
          warn(`could not rewrite the session log (${ioCode(e)})`);
        }
      }
      let saved: unknown;
      try {
        saved = await contextGet(STATE_KEY);
      } catch (e) {
        warn(
          `could not read the stored balancer state (${ioCode(e)}): starting afresh, every charge point and the meter unknown until they report`,
        );
        return;
      }
      if (saved === undefined || saved === null) {
        if (history.length)
          warn(
            `no stored state: starting afresh (${history.length} session record(s) kept); every charge point and the meter unknown until they report`,
          );
        return;
      }
      if (typeof saved === 'string') {
        // The compact text `storable` gives a serialising store (issue 13); checked like the object.
        try {
          saved = JSON.parse(saved);
        } catch {
          warn(
            'the stored balancer state is not used (it is not valid JSON): starting afresh, every charge point and the meter unknown until they report',
          );
          return;
        }
      }
      const problem = storedProblem(saved, Date.now());
      if (problem) {
        warn(
          `the stored balancer state is not used (${problem}): starting afresh, every charge point and the meter unknown until they report`,
        );
        return;
      }
      const stored = saved as StoredBalancer;
      // The deployed configuration is always the ceiling, never a stored one (R-SEC-2).
      // Boards are deployed configuration too (R-CIRC-1): the editor's, a board keeping its meter readings only when unchanged.
      let restored: BalancerState = withDeployedBoards({ ...stored.state, deployed: { ...editorParams } }, editorBoards);
      if (stored.configHash !== configHash) {
        if (configErrors.length) return;
        // Editor changed: its parameters win; queue, counters, plates and sessions are kept.
        restored = { ...restored, params: { ...editorParams }, errors: validateParams(editorParams) };
      }
      const r = reconcileWithLog(restored, history);
      if (r.closed) node.log(`${r.closed} session(s) stored as open were closed before the restart (session log)`);
      state = r.state;
      persistDirty = r.closed > 0;
      // The restored state with the deployed parameters and boards is allocated at once (R-SEC-2,
      // R-CIRC-1), not at the first event: a report of measurements only does not allocate (issue 13).
      const now = Date.now();
      deliver(step(state, { type: 'tick' }, now), (msgs) => node.send(msgs));
    }

    // The restore never rejects: even an unexpected error ends in a warning and a fresh start.
    const ready: Promise<void> = restore().catch(() => {
      state = freshState();
      warn('the stored balancer state could not be restored: starting afresh, every charge point and the meter unknown until they report');
    });

    const tick = setInterval(() => {
      ready
        .then(() => {
          if (closed) return;
          const now = Date.now();
          const r = step(state, { type: 'tick' }, now);
          deliver(r, (msgs) => node.send(msgs));
          emitStatus((msgs) => node.send(msgs), now);
          showStatus(now);
          persist();
        })
        .catch((e: unknown) => node.error(boundedText(`tick failed: ${(e as Error)?.message ?? 'unknown'}`)));
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
    function handleEvent(msg: { topic?: unknown; payload?: unknown }, send: Send, now: number): string | null {
      const ev = eventOf(msg);
      if (typeof ev === 'string') return ev;
      if (ev.type === 'params' && configErrors.length) return 'the node configuration is invalid; fix it in the editor first';
      const r = step(state, ev, now);
      if (r.error) return `${String(msg.topic)} rejected: ${r.error}`; // the topic: checked short text (guard) or the API's own
      if (ev.type === 'params') node.log(boundedText(`parameters changed at run time: ${JSON.stringify(ev.params)}`));
      deliver(r, send);
      return null;
    }

    // R-SEC-3: the guard checks every message before anything reads, copies or stringifies it.
    onGuardedInput(
      node,
      (msg, send, done) => {
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
      },
      { ready },
    );

    // The package's HTTP API reaches this node through the same handleEvent (R-SEC-1).
    const leaveApi = joinBalancer({
      id: node.id,
      name: node.name || '',
      status: () => ready.then(() => statusOf(state, Date.now())),
      transactions: () => ready.then(allTransactions),
      transactionsCsv: () => ready.then(() => transactionsCsv(allTransactions())),
      change: (topic, payload) =>
        ready.then(() => (closed ? 'the balancer is stopping' : handleEvent({ topic, payload }, (m) => node.send(m), Date.now()))),
    });

    /** A rejected message: the state is unchanged; a Catch node sees the error (R-ERR-1). */
    function fail(text: string, done: Done) {
      done(new Error(boundedText(text)));
    }

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      leaveApi();
      forgetStatus(node.id);
      clearInterval(tick);
      persist(true);
      done();
    });

    showStatus(Date.now());
  }
  RED.nodes.registerType('dlm-balancer', DlmBalancerNode);
};
