/**
 * cvm-mini-reader: turns the registers a Modbus node read from a Circutor CVM-MINI into `meter`
 * messages (R-MTR-1), optionally drives a Modbus-Flex-Getter itself, and reports the analyser
 * offline when no valid reading came within the watchdog time (R-MTR-4, R-ERR-3).
 * Thin shell: decoding and validation live in lib/cvm-mini/cvm-mini.ts.
 */
import {
  buildRequest,
  checkModbusRequest,
  decodeRegisters,
  extractRegisters,
  modbusErrorText,
  offlineMeter,
  parseReaderConfig,
  type ReaderConfig,
} from '../../lib/cvm-mini/cvm-mini';
import { makeInert, onGuardedInput } from '../common/input';
import type { NodeConfig, NodeRED, RedNode } from '../common/red';

export = function (RED: NodeRED) {
  function CvmMiniReaderNode(this: RedNode, def: NodeConfig) {
    RED.nodes.createNode(this, def);
    const node = this;
    const parsed = parseReaderConfig({
      unitId: def.unitId,
      fc: def.fc,
      pollS: def.pollS,
      watchdogS: def.watchdogS,
      poll: def.poll,
      board: def.board,
    });
    if (!parsed.ok) {
      // R-ERR-1: a bad configuration is visible and the node stays inert (no requests, no readings).
      const text = parsed.errors.join('; ');
      return makeInert(node, 'cvm-mini-reader configuration: ' + text, 'config: ' + text);
    }
    const cfg: ReaderConfig = parsed.config;
    const request = buildRequest(cfg.unitId, cfg.fc);

    let online: boolean | null = null; // null = no reading yet since start
    let lastProblem: string | null = null; // last Modbus error or rejected reading, for the offline reason
    let watchdog: NodeJS.Timeout | null = null;
    let poller: NodeJS.Timeout | null = null;

    node.status({ fill: 'grey', shape: 'ring', text: 'waiting for first reading' });

    function goOffline() {
      const reason = `no valid reading for ${cfg.watchdogS} s` + (lastProblem ? ` (last error: ${lastProblem})` : '');
      const transition = online !== false;
      online = false;
      node.send([{ topic: 'meter', payload: offlineMeter(Date.now(), reason, cfg.board) }, null]);
      node.status({ fill: 'red', shape: 'dot', text: 'offline: ' + (lastProblem ?? 'no reading') });
      if (transition) node.warn('CVM-MINI offline: ' + reason);
      // Repeat every watchdog period while still offline, so a balancer started later learns it too.
      armWatchdog();
    }

    function armWatchdog() {
      if (watchdog) clearTimeout(watchdog);
      watchdog = setTimeout(goOffline, cfg.watchdogS * 1000);
    }

    armWatchdog();
    if (cfg.poll) {
      poller = setInterval(() => {
        node.send([null, { topic: 'cvm-mini', payload: { ...request } }]);
      }, cfg.pollS * 1000);
    }

    // R-SEC-3: the guard checks the fields a Modbus node fills before any decoding.
    onGuardedInput(
      node,
      (msg, send, done) => {
        const modbusError = modbusErrorText(msg);
        if (modbusError !== null) {
          // A Modbus node's failure (emptyMsgOnFail): already reported by that node; here it only
          // counts as no reading, and names the cause if the watchdog fires.
          lastProblem = modbusError;
          if (online !== false) node.status({ fill: 'yellow', shape: 'ring', text: 'Modbus error: ' + modbusError });
          done();
          return;
        }
        const reject = (text: string) => {
          lastProblem = text;
          if (online !== false) node.status({ fill: 'yellow', shape: 'ring', text: 'rejected: ' + text });
          done(new Error('CVM-MINI reading rejected: ' + text));
        };
        const wrongRequest = checkModbusRequest(msg.modbusRequest);
        if (wrongRequest) return reject(wrongRequest);
        const found = extractRegisters(msg);
        if (!found.ok) return reject(found.error);
        const result = decodeRegisters(found.regs, Date.now());
        if (!result.ok) return reject(result.error);

        online = true;
        lastProblem = null;
        armWatchdog();
        const m = result.meter;
        if (cfg.board !== undefined) m.board = cfg.board; // R-CIRC-1: a sub-board's meter
        const a = m.currentA!.map((x) => (Math.round(x * 10) / 10).toString());
        node.status({ fill: 'green', shape: 'dot', text: `${cfg.board !== undefined ? cfg.board + ': ' : ''}${a.join(' / ')} A` });
        send([{ topic: 'meter', payload: m }, null]);
        done();
      },
      { fields: ['payload', 'responseBuffer', 'modbusRequest', 'error'] },
    );

    node.on('close', (_removed: boolean, done: () => void) => {
      if (watchdog) clearTimeout(watchdog);
      if (poller) clearInterval(poller);
      watchdog = null;
      poller = null;
      done();
    });
  }

  RED.nodes.registerType('cvm-mini-reader', CvmMiniReaderNode);
};
