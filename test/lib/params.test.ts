import { strict as assert } from 'assert';
import { DEFAULT_PARAMS, mergeParams, phaseLimitA, validateParams } from '../../lib/shared/params';

describe('lib/params — site limits and parameter validation', () => {
  it('R-SITE-2: 36 kW three-phase at 230 V gives 52.17 A; a 50 A MCCB makes the limit 50 A', () => {
    const kwLimit = phaseLimitA({ mccbA: 1000, contractedKW: 36, voltageV: 230, supplyPhases: 3 });
    assert.equal(kwLimit.toFixed(2), '52.17');
    assert.equal(phaseLimitA({ mccbA: 50, contractedKW: 36, voltageV: 230, supplyPhases: 3 }), 50);
  });

  it('R-SITE-2: single-phase supply puts the whole contracted power on L1', () => {
    assert.equal(phaseLimitA({ mccbA: 1000, contractedKW: 23, voltageV: 230, supplyPhases: 1 }), 100);
  });

  it('the manual defaults are valid', () => {
    assert.deepEqual(validateParams({ ...DEFAULT_PARAMS }), []);
  });

  it('R-SITE-3: a minimum current below 6 A is refused and nothing changes', () => {
    const base = { ...DEFAULT_PARAMS };
    const r = mergeParams(base, { minCurrentA: 5 });
    assert.equal(r.ok, false);
    assert.equal(base.minCurrentA, 8);
  });

  it('unknown keys, wrong types and non-objects are refused', () => {
    for (const bad of [null, 3, 'x', [], { mccbA: 'fifty' }, { mccbA: NaN }, { nope: 1 }, { timeZone: 'Mars/Base' }]) {
      assert.equal(mergeParams({ ...DEFAULT_PARAMS }, bad).ok, false, JSON.stringify(bad));
    }
  });

  it('I_min must be a multiple of the setpoint resolution', () => {
    assert.equal(mergeParams({ ...DEFAULT_PARAMS }, { minCurrentA: 8.5 }).ok, false);
    assert.equal(mergeParams({ ...DEFAULT_PARAMS }, { minCurrentA: 8.5, resolutionA: 0.5 }).ok, true);
  });
});

describe('lib/params — editor configuration', () => {
  const { paramsFromConfig } = require('../../lib/shared/params') as typeof import('../../lib/shared/params');
  it('reads numbers and booleans given as text, defaults for missing keys', () => {
    const r = paramsFromConfig({ mccbA: '63', analyserEnabled: 'false', supplyPhases: '1', name: 'x' });
    assert.deepEqual(r.errors, []);
    assert.equal(r.params.mccbA, 63);
    assert.equal(r.params.analyserEnabled, false);
    assert.equal(r.params.supplyPhases, 1);
    assert.equal(r.params.minCurrentA, DEFAULT_PARAMS.minCurrentA);
  });
  it('reports every unusable value and falls back to the defaults as a whole', () => {
    const r = paramsFromConfig({ mccbA: 'abc', minCurrentA: '4', timeZone: 'Nowhere/City' });
    assert.equal(r.errors.length, 3);
    assert.deepEqual(r.params, DEFAULT_PARAMS);
  });
});
