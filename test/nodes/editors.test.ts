/**
 * Issue 10 ("every limit and default in one place"): the built editor scripts (dist/nodes/<n>/<n>.html,
 * with lib/shared/params.ts injected by tools/copy-assets.js) accept and refuse exactly at the
 * limits of lib/shared/params.ts. Each editor script runs against a stand-in for the editor's RED
 * API that records the node definitions; the validators are then called as the editor calls them.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import fc from 'fast-check';
import {
  checkParam,
  configValue,
  DEFAULT_OFFLINE,
  DEFAULT_PARAMS,
  DEFAULT_PLUG_COUNT,
  DEFAULT_PLUG_MAX_A,
  DEFAULT_SCHEDULE,
  EV_SIM_DEFAULT_SEED,
  EV_SIM_LIMITS,
  EV_SIM_SEED_MAX,
  INDEX_MAX,
  isMultipleOf,
  isValidTimeZone,
  METER_DEFAULTS,
  METER_LIMITS,
  NAME_MAX_LENGTH,
  OFFLINE_LIMITS,
  PARAM_SPECS,
  PLUG_MAX_LIMITS,
  TIME_ZONE_MAX_LENGTH,
  BOARD_LIMITS,
  boardsFromConfig,
  validateBoards,
  validateOffline,
  validateParams,
  type ParamSpec,
} from '../../lib/shared/params';
import { configFromEditor as evSimConfig } from '../../lib/sim/ev-sim-config';
import { parseReaderConfig } from '../../lib/cvm-mini/cvm-mini';
import { configFromEditor as chargePointConfig } from '../../lib/chargepoint/config';
import { ROTATIONS } from '../../lib/shared/types';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const NODES = ['charge-point', 'cvm-mini-reader', 'dlm-balancer', 'ev-sim', 'offline-mode-config', 'priority-schedule'];

type Validate = (this: unknown, v: unknown) => boolean;
interface Definition {
  defaults: Record<string, { value: unknown; validate?: Validate }>;
}

const builtHtml = (node: string) => fs.readFileSync(path.join(ROOT, 'dist', 'nodes', node, `${node}.html`), 'utf8');

/** The editor script of `node`, run against a stand-in RED: the definitions it registers. */
function definitionsOf(node: string): Record<string, Definition> {
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(builtHtml(node))![1];
  const types: Record<string, Definition> = {};
  const RED = {
    nodes: {
      registerType: (type: string, def: Definition) => {
        types[type] = def;
      },
      eachNode: () => undefined,
    },
    validators: { number: () => () => true },
  };
  const $ = () => ({ length: 0, val: () => '' }); // no form open: validators read the node's own fields
  vm.runInNewContext(script, { RED, $, Intl });
  return types;
}

/** The validator of `field` of `type`, called as the editor calls it (on the node). */
function validator(node: string, field: string, type = node): (v: unknown) => boolean {
  const d = definitionsOf(node)[type].defaults[field];
  assert.ok(d && d.validate, `${type}.${field} has a validator`);
  return (v) => d.validate!.call({}, v);
}

describe('editors: every limit injected from lib/shared/params.ts (issue 10)', () => {
  it('every build-time marker is replaced in every built editor file', () => {
    for (const node of NODES) assert.ok(!/\/\*@DLM_[A-Z]+@\*\//.test(builtHtml(node)), node);
  });

  it('the injected checkParam / isValidTimeZone / configValue / isMultipleOf run alone (self-contained) and are the compiled runtime functions', () => {
    const html = builtHtml('dlm-balancer');
    for (const fn of [checkParam, isValidTimeZone, configValue, isMultipleOf])
      assert.ok(html.includes(fn.toString()), `${fn.name} shipped as compiled`);
    const script = /const CHECK = (\(function \(\) \{[\s\S]*?\}\)\(\));/.exec(html)![1];
    const CHECK = vm.runInNewContext(script, { Intl });
    for (const spec of PARAM_SPECS) {
      for (const v of [spec.min, spec.max, (spec.min ?? 0) - 0.5, (spec.max ?? 0) + 0.5, 'x', true, 'Europe/Madrid', 'Mars/Base']) {
        assert.equal(CHECK.checkParam(spec, v), checkParam(spec, v), `${spec.key} ${String(v)}`);
      }
    }
    assert.equal(CHECK.isValidTimeZone('x'.repeat(TIME_ZONE_MAX_LENGTH + 1)), false);
  });

  it('dlm-balancer: each parameter field accepts exactly what the runtime checkParam accepts (property, form text)', () => {
    const defs = definitionsOf('dlm-balancer')['dlm-balancer'].defaults;
    const runtime = (spec: ParamSpec, v: unknown) => v === '' || checkParam(spec, configValue(spec, v)) === null;
    const text = fc.oneof(
      fc.double({ noNaN: false }).map(String),
      fc.integer({ min: -100, max: 100_000 }).map(String),
      fc.constantFrom('true', 'false', 'building', 'grid', '0.5', '3', 'Europe/Madrid', 'UTC', 'Mars/Base', ' 12 ', 'abc'),
    );
    for (const spec of PARAM_SPECS.filter((s) => s.key !== 'minCurrentA')) {
      // minCurrentA adds the resolution rule, below
      const edges = [spec.min, spec.max]
        .filter((x): x is number => x !== undefined)
        .flatMap((x) => [x, x - 0.01, x + 0.01])
        .map(String);
      for (const v of edges) assert.equal(defs[spec.key].validate!.call({}, v), runtime(spec, v), `${spec.key} = ${v}`);
      fc.assert(
        fc.property(text, (v) => defs[spec.key].validate!.call({}, v) === runtime(spec, v)),
        { numRuns: 200 },
      );
    }
    const minSpec = PARAM_SPECS.find((s) => s.key === 'minCurrentA')!;
    const minCurrent = (v: string) => defs.minCurrentA.validate!.call({ resolutionA: 1 }, v);
    assert.equal(minCurrent(String(minSpec.min)), true);
    assert.equal(minCurrent(String(minSpec.min! - 1)), false);
    assert.equal(minCurrent(String(minSpec.max)), true);
    assert.equal(minCurrent(String(minSpec.max! + 1)), false);
    // With a 0.5 A resolution: I_min must be a multiple of it, as validateParams says (R-ALLOC-3).
    const onHalf = (v: string) => defs.minCurrentA.validate!.call({ resolutionA: 0.5 }, v);
    for (const v of ['6.5', '6.3', '7', '6.25'])
      assert.equal(onHalf(v), validateParams({ ...DEFAULT_PARAMS, resolutionA: 0.5, minCurrentA: Number(v) }).length === 0, v);
  });

  it('charge-point: name up to NAME_MAX_LENGTH, index up to INDEX_MAX, plug maximum within PLUG_MAX_LIMITS', () => {
    const name = validator('charge-point', 'name');
    assert.equal(name('C'.repeat(NAME_MAX_LENGTH)), true);
    assert.equal(name('C'.repeat(NAME_MAX_LENGTH + 1)), false);
    const index = validator('charge-point', 'index');
    assert.equal(index(String(INDEX_MAX)), true);
    assert.equal(index(String(INDEX_MAX + 1)), false);
    for (const f of ['maxCurrentA', 'maxCurrentB']) {
      const max = validator('charge-point', f);
      assert.deepEqual(
        [PLUG_MAX_LIMITS.min - 1, PLUG_MAX_LIMITS.min, PLUG_MAX_LIMITS.max, PLUG_MAX_LIMITS.max + 1].map((v) => max(String(v))),
        [false, true, true, false],
      );
    }
  });

  it('offline-mode-config: heartbeat, mode and current as validateOffline', () => {
    for (const [field, lim] of [
      ['heartbeatS', OFFLINE_LIMITS.heartbeatS],
      ['currentA', OFFLINE_LIMITS.currentA],
    ] as const) {
      const ok = validator('offline-mode-config', field);
      for (const v of [lim.min - 1, lim.min, lim.max, lim.max + 1])
        assert.equal(ok(String(v)), validateOffline({ ...DEFAULT_OFFLINE, [field]: v }).length === 0, `${field} ${v}`);
    }
    const mode = validator('offline-mode-config', 'mode');
    for (const v of [-1, 0, 3, 4])
      assert.equal(mode(String(v)), validateOffline({ ...DEFAULT_OFFLINE, mode: v }).length === 0, `mode ${v}`);
  });

  it('cvm-mini-reader: unit id, function, poll and watchdog as parseReaderConfig (METER_LIMITS)', () => {
    for (const field of ['unitId', 'pollS', 'watchdogS'] as const) {
      const ok = validator('cvm-mini-reader', field);
      const lim = METER_LIMITS[field];
      for (const v of [lim.min - 0.05, lim.min, lim.max, lim.max + 0.05, lim.max + 1])
        assert.equal(ok(String(v)), parseReaderConfig({ [field]: v }).ok, `${field} ${v}`);
    }
    const fcOk = validator('cvm-mini-reader', 'fc');
    for (const v of [2, 3, 4, 5]) assert.equal(fcOk(String(v)), parseReaderConfig({ fc: v }).ok, `fc ${v}`);
  });

  it('ev-sim: report interval, time scale, arrivals and seed as the runtime configFromEditor; defaults from EV_SIM_LIMITS', () => {
    const defs = definitionsOf('ev-sim')['ev-sim'].defaults;
    for (const field of ['reportS', 'timeScale', 'arrivals', 'singlePhasePct'] as const) {
      const lim = EV_SIM_LIMITS[field];
      assert.equal(defs[field].value, lim.default, `${field} default`);
      for (const v of [lim.min - 0.05, lim.min, lim.max, lim.max + 0.05])
        assert.equal(defs[field].validate!.call({}, String(v)), evSimConfig({ [field]: String(v) }).ok, `${field} ${v}`);
    }
    for (const v of [EV_SIM_SEED_MAX, EV_SIM_SEED_MAX + 1])
      assert.equal(defs.seed.validate!.call({}, String(v)), evSimConfig({ seed: String(v) }).ok, `seed ${v}`);
    // Issue 11: plug phases 1 or 3, as the runtime reads them.
    for (const field of ['phasesA', 'phasesB'] as const)
      for (const v of ['1', '3', '2', '0'])
        assert.equal(defs[field].validate!.call({}, v), evSimConfig({ plugCount: '2', [field]: v }).ok, `${field} ${v}`);
  });

  it('every editor default is the default of lib/shared/params.ts', () => {
    const value = (node: string, field: string, type = node) => JSON.parse(JSON.stringify(definitionsOf(node)[type].defaults[field].value)); // out of the editor's realm
    for (const spec of PARAM_SPECS) assert.deepEqual(value('dlm-balancer', spec.key), DEFAULT_PARAMS[spec.key], spec.key);
    assert.deepEqual(
      ['plugCount', 'maxCurrentA', 'maxCurrentB'].map((f) => value('charge-point', f)),
      [DEFAULT_PLUG_COUNT, DEFAULT_PLUG_MAX_A, DEFAULT_PLUG_MAX_A],
    );
    assert.deepEqual(
      ['heartbeatS', 'mode', 'currentA'].map((f) => value('offline-mode-config', f)),
      [DEFAULT_OFFLINE.heartbeatS, DEFAULT_OFFLINE.mode, DEFAULT_OFFLINE.currentA],
    );
    assert.deepEqual(
      ['unitId', 'fc', 'pollS', 'watchdogS'].map((f) => value('cvm-mini-reader', f)),
      [METER_DEFAULTS.unitId, METER_DEFAULTS.fc, METER_DEFAULTS.pollS, METER_DEFAULTS.watchdogS],
    );
    assert.deepEqual(
      ['plugCount', 'seed'].map((f) => value('ev-sim', f)),
      [DEFAULT_PLUG_COUNT, EV_SIM_DEFAULT_SEED],
    );
    assert.deepEqual(
      ['enabled', 'slots', 'timeZone'].map((f) => value('priority-schedule', f)),
      [DEFAULT_SCHEDULE.enabled, DEFAULT_SCHEDULE.slots, DEFAULT_PARAMS.timeZone],
    );
  });

  it('priority-schedule: the time zone check is the runtime isValidTimeZone (length bound included)', () => {
    const tz = validator('priority-schedule', 'timeZone');
    for (const v of ['Europe/Madrid', 'UTC', 'Mars/Base', '', 'x'.repeat(TIME_ZONE_MAX_LENGTH + 1), 42])
      assert.equal(tz(v), isValidTimeZone(v), String(v));
  });

  describe('issue 11: rotation, phases, boards in the editors (R-3PH-1, R-CIRC-1, R-ERR-1)', () => {
    const cp07 = { name: 'CP07', plugCount: 2, phaseA: 'L1', phaseB: 'L2', maxCurrentA: 32, maxCurrentB: 32, enabled: true };
    const runtimeCp = (field: string, v: unknown) =>
      chargePointConfig({ ...cp07, [field]: v }, { heartbeatS: 120, mode: 3, currentA: 8 }).ok;

    it('charge-point: rotation, phasesA/B and board accept exactly what the runtime configFromEditor accepts; defaults RST, 1, site', () => {
      const defs = definitionsOf('charge-point')['charge-point'].defaults;
      assert.deepEqual(
        ['rotation', 'phasesA', 'phasesB', 'board'].map((f) => defs[f].value),
        [ROTATIONS[0], 1, 1, ''],
      );
      const cases: Record<string, unknown[]> = {
        rotation: [...ROTATIONS, '', 'XYZ', 'RRS', 'L1L2L3', 'RSTR', 'R'],
        phasesA: [1, 3, '1', '3', '', 2, '2', 0, 'three'],
        phasesB: [1, 3, '3', '', 2, 4],
        board: ['', 'Garage-1', 'B'.repeat(NAME_MAX_LENGTH), 'B'.repeat(NAME_MAX_LENGTH + 1), 'B\u0007x', 'B\u0085x', '   ', ' site '],
      };
      for (const [field, values] of Object.entries(cases))
        for (const v of values) assert.equal(defs[field].validate!.call({}, v), runtimeCp(field, v), `${field} = ${JSON.stringify(v)}`);
    });

    it('cvm-mini-reader: board "" (building analyser) or a board name ≤ NAME_MAX_LENGTH, as parseReaderConfig', () => {
      const ok = validator('cvm-mini-reader', 'board');
      for (const v of ['', 'Garage-1', 'B'.repeat(NAME_MAX_LENGTH), 'B'.repeat(NAME_MAX_LENGTH + 1), 'site', 'B\u0001', '  '])
        assert.equal(ok(v), parseReaderConfig({ board: v }).ok, JSON.stringify(v));
    });

    it('dlm-balancer: the injected validateBoards / boardsFromConfig run alone and are the compiled runtime functions', () => {
      const html = builtHtml('dlm-balancer');
      for (const fn of [validateBoards, boardsFromConfig]) assert.ok(html.includes(fn.toString()), `${fn.name} shipped as compiled`);
      const script = /const BOARDS = (\(function \(\) \{[\s\S]*?\}\)\(\));/.exec(html)![1];
      const BOARDS = vm.runInNewContext(script, {});
      const lists: unknown[] = [
        [],
        [{ name: 'A', parent: 'site', limitA: 63, marginPct: null, hasMeter: false, otherLoadA: 0 }],
        [
          { name: 'A', parent: 'B', limitA: 63, marginPct: 5, hasMeter: true, otherLoadA: 3 },
          { name: 'B', parent: 'A', limitA: 40, marginPct: null, hasMeter: false, otherLoadA: 0 },
        ],
        [{ name: 'A', parent: 'nowhere', limitA: 63, marginPct: null, hasMeter: false, otherLoadA: 0 }],
        [{ name: 'site', parent: 'site', limitA: 63, marginPct: null, hasMeter: false, otherLoadA: 0 }],
        [{ name: 'A', parent: 'site', limitA: BOARD_LIMITS.limitA.max + 1, marginPct: null, hasMeter: false, otherLoadA: 0 }],
        'not json',
        { name: 'A' },
      ];
      for (const l of lists) {
        assert.deepEqual(JSON.parse(JSON.stringify(BOARDS.validateBoards(l))), validateBoards(l), JSON.stringify(l));
        const text = typeof l === 'string' ? l : JSON.stringify(l);
        assert.deepEqual(JSON.parse(JSON.stringify(BOARDS.boardsFromConfig(text))), boardsFromConfig(text), text);
      }
    });

    it('dlm-balancer: the boards field is invalid, with the reason, exactly when boardsFromConfig refuses it (a cycle, an unknown parent, a duplicate name)', () => {
      const boards = validator('dlm-balancer', 'boards');
      const d = definitionsOf('dlm-balancer')['dlm-balancer'].defaults.boards;
      const check = (v: unknown) => d.validate!.call({}, v) as unknown;
      const row = (name: string, parent = 'site', more: Record<string, unknown> = {}) => ({
        name,
        parent,
        limitA: '63',
        marginPct: '',
        hasMeter: false,
        otherLoadA: '',
        ...more,
      });
      const good = [row('Garage'), row('Garage-east', 'Garage', { limitA: 40, marginPct: '5', hasMeter: true })];
      assert.equal(boards(''), true);
      assert.equal(boards('[]'), true);
      assert.equal(boards(JSON.stringify(good)), true);
      const cases: [unknown[], RegExp][] = [
        [[row('A', 'B'), row('B', 'A')], /boards: boards form a cycle through "A"/],
        [[row('A', 'A')], /cycle/],
        [[row('A', 'Nowhere')], /boards: board "A": parent "Nowhere" is not a board/],
        [[row('A'), row('A')], /boards: board name "A" is used twice/],
        [[row('A', 'site', { limitA: 'lots' })], /limitA must be a number/],
        [[row('A', 'site', { marginPct: 60 })], /marginPct must be null/],
      ];
      for (const [list, re] of cases) {
        const r = check(JSON.stringify(list));
        assert.equal(typeof r, 'string', JSON.stringify(list));
        assert.match(String(r), re);
        assert.ok(boardsFromConfig(JSON.stringify(list)).errors.length > 0);
      }
      // Deeper than BOARD_LIMITS.maxDepth levels.
      const chain = Array.from({ length: BOARD_LIMITS.maxDepth + 1 }, (_, i) => row(`b${i}`, i === 0 ? 'site' : `b${i - 1}`));
      assert.match(String(check(JSON.stringify(chain))), /levels deep/);
      assert.equal(check(JSON.stringify(chain.slice(0, BOARD_LIMITS.maxDepth))), true);
      assert.equal(check('{'), 'boards: boards must be a JSON list');
    });

    it('dlm-balancer: the issue 11 parameters (unbalanceLimitA, phaseSettleS) are in a section of the dialog, with their defaults; every PARAM_SPECS key is shown', () => {
      const html = builtHtml('dlm-balancer');
      const sections = vm.runInNewContext(/const SECTIONS = (\[[\s\S]*?\n {2}\]);/.exec(html)![1]) as [string, string[]][];
      const shown = sections.flatMap((x) => x[1]);
      for (const spec of PARAM_SPECS) assert.ok(shown.includes(spec.key), `${spec.key} has a section`);
      assert.ok(shown.includes('unbalanceLimitA') && shown.includes('phaseSettleS'));
      const defs = definitionsOf('dlm-balancer')['dlm-balancer'].defaults;
      assert.equal(defs.unbalanceLimitA.value, DEFAULT_PARAMS.unbalanceLimitA);
      assert.equal(defs.phaseSettleS.value, DEFAULT_PARAMS.phaseSettleS);
    });
  });
});
