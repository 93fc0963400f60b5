/**
 * R-SEC-4 (issue 9 item 6): the dlm-balancer editor warns at deploy when the workspace's charge
 * points could overload a phase without the balancer. Runs the built editor script (with the
 * compiled lib/budget function injected by tools/copy-assets.js) against a stand-in for the
 * editor's RED API, on a hand-made workspace and on the shipped example flow.
 */
import { strict as assert } from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vm from 'vm';
import { fallbackBudget } from '../../lib/core/budget';

const ROOT = path.resolve(__dirname, '..', '..', '..');
const HTML = path.join(ROOT, 'dist', 'nodes', 'dlm-balancer', 'dlm-balancer.html');
const EXAMPLE = path.join(ROOT, 'examples', '15-charge-point-site.json');

interface Editor {
  deploy(): void;
  notes: { text: string; opts: any }[];
}

/** Loads the editor script of dlm-balancer over a workspace of nodes (flow JSON). */
function editorWith(workspace: any[]): Editor {
  const html = fs.readFileSync(HTML, 'utf8');
  const script = /<script type="text\/javascript">([\s\S]*?)<\/script>/.exec(html)![1];
  const handlers: Record<string, () => void> = {};
  const notes: { text: string; opts: any }[] = [];
  const RED = {
    nodes: {
      registerType: () => undefined,
      eachNode: (cb: (n: any) => void) => workspace.filter((n) => n.type !== 'tab' && n.z !== undefined).forEach(cb),
      node: (id: string) => workspace.find((n) => n.id === id) ?? null,
      workspace: (id: string) => workspace.find((n) => n.type === 'tab' && n.id === id) ?? null,
    },
    events: {
      on: (ev: string, fn: () => void) => {
        handlers[ev] = fn;
      },
    },
    notify: (text: string, opts: any) => notes.push({ text, opts }),
  };
  vm.runInNewContext(script, {
    RED,
    $: () => {
      throw new Error('no DOM at load');
    },
    Intl,
  });
  return { deploy: () => handlers.deploy(), notes };
}

const tab = { id: 't1', type: 'tab', label: 'site' };
const balancer = (extra: Record<string, unknown> = {}) => ({
  id: 'b1',
  z: 't1',
  type: 'dlm-balancer',
  name: 'site',
  mccbA: 50,
  contractedKW: 36,
  ...extra,
});
const cp = (k: number, offline: string, extra: Record<string, unknown> = {}) => ({
  id: `cp${k}`,
  z: 't1',
  type: 'charge-point',
  name: `CP0${k}`,
  plugCount: 2,
  phaseA: 'L1',
  phaseB: 'L1',
  maxCurrentA: 32,
  maxCurrentB: '',
  enabled: true,
  offline,
  ...extra,
});

describe('dlm-balancer editor: fallback budget warning at deploy (R-SEC-4, issue 9 item 6)', () => {
  it('the editor carries the compiled lib/budget function itself (one source of truth)', () => {
    const html = fs.readFileSync(HTML, 'utf8');
    assert.ok(html.includes(fallbackBudget.toString()), 'fallbackBudget source injected');
    assert.ok(!html.includes('/*@DLM_BUDGET@*/'), 'marker replaced');
  });

  it('R-SEC-4: three dual mode-3 chargers on L1 → "25 + 6 × 8 = 73 A" warning at deploy; mode 0 on two of them → no warning', () => {
    const m3 = { id: 'm3', type: 'offline-mode-config', heartbeatS: 120, mode: 3, currentA: 8 };
    const m0 = { id: 'm0', type: 'offline-mode-config', heartbeatS: 120, mode: 0, currentA: 8 };
    const over = editorWith([tab, m3, m0, balancer(), cp(1, 'm3'), cp(2, 'm3'), cp(3, '')]); // no config = defaults (mode 3, 8 A)
    over.deploy();
    assert.equal(over.notes.length, 1);
    assert.match(over.notes[0].text, /fallback budget exceeded on L1: 73 A if Node-RED stops \(limit 50 A\)/);
    assert.equal(over.notes[0].opts.type, 'warning');
    const fine = editorWith([tab, m3, m0, balancer(), cp(1, 'm3'), cp(2, 'm0'), cp(3, 'm0')]);
    fine.deploy();
    assert.deepEqual(fine.notes, []);
  });

  it('disabled nodes in the editor do not count; the analyser disabled → building 0 A; mode 1 → the plug maximum', () => {
    const m1 = { id: 'm1', type: 'offline-mode-config', heartbeatS: 120, mode: 1, currentA: 8 };
    const e = editorWith([
      tab,
      m1,
      balancer({ analyserEnabled: false }),
      cp(1, 'm1', { maxCurrentA: 20, maxCurrentB: 20 }),
      cp(2, 'm1', { d: true }),
    ]);
    e.deploy();
    assert.deepEqual(e.notes, []); // 0 + 2 × 20 = 40 ≤ 50
    const e2 = editorWith([tab, m1, balancer({ analyserEnabled: false, mccbA: 39 }), cp(1, 'm1', { maxCurrentA: 20, maxCurrentB: 20 })]);
    e2.deploy();
    assert.match(e2.notes[0].text, /L1: 40 A if Node-RED stops \(limit 39 A\)/);
  });

  it("R-3PH-2 (issue 11): a three-phase plug counts its offline current on each of the rotation's three lines", () => {
    const m1 = { id: 'm1', type: 'offline-mode-config', heartbeatS: 120, mode: 1, currentA: 8 };
    // Plug A three-phase 32 A (mode 1: its maximum on every line), plug B single-phase 20 A on L2; 0 A building.
    const cps = [cp(1, 'm1', { rotation: 'STR', phasesA: '3', phaseA: 'L2', phaseB: 'L2', maxCurrentB: 20 })];
    const e = editorWith([tab, m1, balancer({ analyserEnabled: false, mccbA: 40 }), ...cps]);
    e.deploy();
    assert.equal(e.notes.length, 1);
    assert.match(e.notes[0].text, /fallback budget exceeded on L2: 52 A if Node-RED stops \(limit 40 A\)/, 'L1 32, L2 32 + 20, L3 32');
    const single = editorWith([
      tab,
      m1,
      balancer({ analyserEnabled: false, mccbA: 40 }),
      cp(1, 'm1', { phaseA: 'L2', phaseB: 'L1', maxCurrentB: 20 }),
    ]);
    single.deploy();
    assert.deepEqual(single.notes, [], 'the same charge point single-phase: L2 32 A, L1 20 A');
  });

  it('the shipped example site passes its own check at deploy (docs/example-site.md)', () => {
    const e = editorWith(JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')));
    e.deploy();
    assert.deepEqual(e.notes, []);
  });

  it('issue 9 item 6: the example with every charge point on mode 3 / 8 A would warn: L1 97 A, L2 89 A, L3 81 A', () => {
    const flow = JSON.parse(fs.readFileSync(EXAMPLE, 'utf8')).map((n: any) =>
      n.type === 'offline-mode-config' ? { ...n, mode: 3, currentA: 8 } : n,
    );
    const e = editorWith(flow);
    e.deploy();
    assert.equal(e.notes.length, 1);
    assert.match(e.notes[0].text, /fallback budget exceeded on L1: 97 A, L2: 89 A, L3: 81 A if Node-RED stops \(limit 50 A\)/);
  });
});
