/**
 * priority-schedule: the ON/OFF switch and 24 one-hour priority slots in the site's time zone
 * (R-PRIO-1/2). Emits `schedule` at start, at every local-hour boundary (DST-correct, via
 * lib/schedule nextSlotBoundary) and on every accepted change. Run-time changes are kept in node
 * context (R-ERR-2) unless the editor configuration changed since they were made.
 */
import { createHash } from 'crypto';
import type { Schedule, ScheduleMessage } from '../../lib/shared/types';
import { DEFAULT_PARAMS, DEFAULT_SCHEDULE, isValidTimeZone } from '../../lib/shared/params';
import {
  applyScheduleChange,
  isPriorityActive,
  nextSlotBoundary,
  ScheduleConfig,
  slotsToText,
  validateSchedule,
} from '../../lib/shared/schedule';
import { FlowsStartedQueue } from '../common/flows-started';
import { makeInert, onGuardedInput, type Send } from '../common/input';
import { attachHttpApi, joinSchedule } from '../common/http-api';
import type { NodeConfig, NodeRED, RedNode } from '../common/red';

/** Context key of the persisted run-time state. */
const STATE_KEY = 'dlmSchedule';

interface Persisted {
  /** Hash of the editor configuration the run-time state was derived from. */
  configHash: string;
  schedule: Schedule;
  timeZone: string;
}

function editorConfig(n: NodeConfig): { ok: true; config: ScheduleConfig } | { ok: false; errors: string[] } {
  const schedule = {
    enabled: n.enabled === undefined ? DEFAULT_SCHEDULE.enabled : n.enabled === true || n.enabled === 'true',
    slots: Array.isArray(n.slots) ? n.slots.map((v: unknown) => v === true || v === 'true') : DEFAULT_SCHEDULE.slots.slice(),
  };
  const timeZone = typeof n.timeZone === 'string' && n.timeZone.trim() !== '' ? n.timeZone.trim() : DEFAULT_PARAMS.timeZone;
  const errors = validateSchedule(schedule);
  if (!isValidTimeZone(timeZone)) errors.push(`time zone "${timeZone}" is not an IANA time zone such as Europe/Madrid`);
  return errors.length ? { ok: false, errors } : { ok: true, config: { schedule, timeZone } };
}

function hashOf(c: ScheduleConfig): string {
  return createHash('sha256')
    .update(JSON.stringify([c.schedule.enabled, c.schedule.slots, c.timeZone]))
    .digest('hex');
}

/** Start messages wait for 'flows:started' (see nodes/common/flows-started); one listener per node type. */
const awaitingStart = new FlowsStartedQueue();

export = function (RED: NodeRED) {
  awaitingStart.attach(RED);
  attachHttpApi(RED);
  function PriorityScheduleNode(this: RedNode, n: NodeConfig) {
    RED.nodes.createNode(this, n);
    const node = this;
    let timer: NodeJS.Timeout | null = null;
    let closed = false;
    let current: ScheduleConfig | null = null;

    const built = editorConfig(n);
    if (!built.ok) {
      makeInert(node, `invalid configuration: ${built.errors.join('; ')}`);
      const leave = joinSchedule({
        id: node.id,
        name: node.name || '',
        change: async () => 'the priority-schedule node has an invalid configuration',
      });
      node.on('close', (_removed: boolean, done: () => void) => {
        leave();
        done();
      });
      return;
    }
    const editor = built.config;
    const configHash = hashOf(editor);

    function message(now: number): ScheduleMessage {
      const c = current!;
      return {
        enabled: c.schedule.enabled,
        slots: c.schedule.slots.slice(),
        timeZone: c.timeZone,
        active: isPriorityActive(c.schedule, c.timeZone, now),
        timestamp: now,
      };
    }

    function showStatus(m: ScheduleMessage) {
      if (!m.enabled) {
        node.status({ fill: 'grey', shape: 'ring', text: 'OFF' });
        return;
      }
      const text = slotsToText(m.slots) || 'no slots';
      node.status({ fill: 'green', shape: m.active ? 'dot' : 'ring', text: `ON · ${text}${m.active ? ' · priority now' : ''}` });
    }

    function emit(send: Send) {
      const m = message(Date.now());
      showStatus(m);
      send({ topic: 'schedule', payload: m });
    }

    /** Arms the timer for the next local-hour boundary (re-armed after each one). */
    function arm() {
      if (timer) clearTimeout(timer);
      if (closed) return;
      const now = Date.now();
      const at = nextSlotBoundary(current!.timeZone, now);
      timer = setTimeout(
        () => {
          timer = null;
          // A timer never fires early in Node.js, but the wall clock may have been set back: then
          // the hour has not changed yet and we only re-arm.
          if (Date.now() >= at) emit((m) => node.send(m));
          arm();
        },
        Math.max(0, at - now),
      );
    }

    function persist() {
      const value: Persisted = { configHash, schedule: current!.schedule, timeZone: current!.timeZone };
      node.context().set(STATE_KEY, value, (err: unknown) => {
        if (err) node.warn(`could not store the schedule in context: ${String(err)}`);
      });
    }

    // Restore the run-time state (R-ERR-2). The editor configuration wins when it changed since
    // the state was stored: the last deploy is the newer intent.
    const ready = new Promise<void>((resolve) => {
      node.context().get(STATE_KEY, (err: unknown, stored: unknown) => {
        const saved = stored as Persisted | undefined;
        current = editor;
        if (err) node.warn(`could not read the stored schedule: ${String(err)}`);
        else if (
          saved &&
          saved.configHash === configHash &&
          validateSchedule(saved.schedule).length === 0 &&
          isValidTimeZone(saved.timeZone)
        ) {
          current = { schedule: { enabled: saved.schedule.enabled, slots: saved.schedule.slots.slice() }, timeZone: saved.timeZone };
        }
        resolve();
      });
    });
    const announce = () => {
      ready.then(() => {
        if (closed) return;
        persist();
        emit((m) => node.send(m));
        arm();
      });
    };
    awaitingStart.add(announce);

    /**
     * One change, from a message or the HTTP API (nodes/common/http-api): the same checks for both
     * (R-ERR-1, R-SEC-1). Returns the refusal, or null when applied and announced.
     */
    function handleChange(payload: unknown, send: Send): string | null {
      const r = applyScheduleChange(current!, payload);
      if (!r.ok) return `schedule change refused: ${r.errors.join('; ')}`;
      current = r.config;
      persist();
      emit(send);
      arm();
      return null;
    }

    // R-SEC-3: the guard checks every change before it is parsed.
    onGuardedInput(
      node,
      (msg, send, done) => {
        const refused = handleChange(msg.payload, send);
        if (refused) done(new Error(refused));
        else done();
      },
      { ready },
    );

    const leaveApi = joinSchedule({
      id: node.id,
      name: node.name || '',
      change: (payload) =>
        ready.then(() => (closed ? 'the priority-schedule node is stopping' : handleChange(payload, (m) => node.send(m)))),
    });

    node.on('close', (_removed: boolean, done: () => void) => {
      closed = true;
      leaveApi();
      awaitingStart.delete(announce);
      if (timer) clearTimeout(timer);
      timer = null;
      done();
    });
  }
  RED.nodes.registerType('priority-schedule', PriorityScheduleNode);
};
