import type { Scope } from './scope';

/** The schedule widget (R-PRIO-1): ON / OFF and the 24 hourly slots, each click sent as the whole schedule. */
export function schedule(scope: Scope): void {
  scope.sendSchedule = function (enabled: boolean, slots: boolean[]) {
    scope.send({ topic: 'schedule', payload: { enabled: enabled, slots: slots } });
  };
  scope.current = function (): boolean[] {
    return scope.msg!.payload.slots.map(function (s: { on: boolean }) {
      return s.on === true;
    });
  };
  scope.toggle = function (h: number) {
    const slots = scope.current();
    slots[h] = !slots[h];
    scope.msg!.payload.slots[h].on = slots[h];
    scope.sendSchedule(scope.msg!.payload.enabled, slots);
  };
  scope.setEnabled = function (on: boolean) {
    scope.msg!.payload.enabled = on;
    scope.sendSchedule(on, scope.current());
  };
}
